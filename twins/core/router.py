"""A small typed router: paths with ``{name}`` or ``{name:int}`` parameters, matched in order."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from holdout_twins.core.errors import Generic, ServiceError
from holdout_twins.core.http import Request, Response, json_response

# A handler takes the twin and the request and returns a Response, or a JSON-able value (HTTP 200).
Handler = Callable[[Any, Request], Any]

_CONVERTERS: dict[str, tuple[str, Callable[[str], Any]]] = {
    "str": (r"[^/]+", str),
    "int": (r"[0-9]+", int),
    "path": (r".+", str),
}
_PARAM = re.compile(r"{([a-zA-Z_][a-zA-Z0-9_]*)(?::([a-z]+))?}")


@dataclass(frozen=True)
class Route:
    methods: frozenset[str]
    template: str
    handler: Handler
    name: str  # the operation name: journal entries, rate limits and faults refer to it
    auth: bool  # whether the twin's ``authenticate`` hook runs before the handler
    pattern: re.Pattern[str]
    converters: dict[str, Callable[[str], Any]]

    def match(self, path: str) -> dict[str, Any] | None:
        found = self.pattern.fullmatch(path)
        if found is None:
            return None
        return {key: self.converters[key](value) for key, value in found.groupdict().items()}


def _compile(template: str) -> tuple[re.Pattern[str], dict[str, Callable[[str], Any]]]:
    converters: dict[str, Callable[[str], Any]] = {}
    regex, position = "", 0
    for found in _PARAM.finditer(template):
        name, kind = found.group(1), found.group(2) or "str"
        if kind not in _CONVERTERS:
            raise ValueError(f"unknown parameter type {kind!r} in route {template!r}")
        part, converters[name] = _CONVERTERS[kind]
        regex += re.escape(template[position : found.start()]) + f"(?P<{name}>{part})"
        position = found.end()
    regex += re.escape(template[position:])
    return re.compile(regex), converters


class Router:
    """Routes for one twin. Register handlers with ``route`` or the ``get``/``post``/... shortcuts::

    router = Router()

    @router.post("/api/chat.postMessage", name="chat.postMessage")
    def post_message(twin: SlackTwin, request: Request) -> dict: ...
    """

    def __init__(self) -> None:
        self.routes: list[Route] = []

    def route(
        self,
        path: str,
        methods: tuple[str, ...] = ("GET",),
        *,
        name: str | None = None,
        auth: bool = True,
    ) -> Callable[[Handler], Handler]:
        def register(handler: Handler) -> Handler:
            pattern, converters = _compile(path)
            self.routes.append(
                Route(
                    frozenset(method.upper() for method in methods),
                    path,
                    handler,
                    name or handler.__name__,
                    auth,
                    pattern,
                    converters,
                )
            )
            return handler

        return register

    def get(self, path: str, **options: Any) -> Callable[[Handler], Handler]:
        return self.route(path, ("GET",), **options)

    def post(self, path: str, **options: Any) -> Callable[[Handler], Handler]:
        return self.route(path, ("POST",), **options)

    def put(self, path: str, **options: Any) -> Callable[[Handler], Handler]:
        return self.route(path, ("PUT",), **options)

    def patch(self, path: str, **options: Any) -> Callable[[Handler], Handler]:
        return self.route(path, ("PATCH",), **options)

    def delete(self, path: str, **options: Any) -> Callable[[Handler], Handler]:
        return self.route(path, ("DELETE",), **options)

    def resolve(self, method: str, path: str) -> tuple[Route, dict[str, Any]]:
        """The first route matching ``path`` and ``method``, with its converted path parameters.

        ``ServiceError(404, NOT_FOUND)`` when no path matches, ``ServiceError(405,
        METHOD_NOT_ALLOWED)`` when a path matches but not with this method.
        """
        path_matched = False
        for route in self.routes:
            params = route.match(path)
            if params is None:
                continue
            if method in route.methods or (method == "HEAD" and "GET" in route.methods):
                return route, params
            path_matched = True
        if path_matched:
            raise ServiceError(405, Generic.METHOD_NOT_ALLOWED, f"{method} {path}")
        raise ServiceError(404, Generic.NOT_FOUND, path)


def as_response(result: Any) -> Response:
    """A handler's return value as a Response: Responses pass through, anything else is JSON."""
    return result if isinstance(result, Response) else json_response(result)
