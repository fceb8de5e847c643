"""The base class of every twin: state, lifecycle and the request pipeline, with service hooks."""

from __future__ import annotations

import copy
import json
import threading
import time
import traceback
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar
from urllib.parse import parse_qs, urlsplit

from holdout_twins.core.clock import DEFAULT_EPOCH, Clock
from holdout_twins.core.control import handle_control
from holdout_twins.core.errors import Generic, ServiceError
from holdout_twins.core.events import Deliveries
from holdout_twins.core.faults import Faults
from holdout_twins.core.http import JSON_TYPE, Headers, Request, Response, json_response
from holdout_twins.core.ids import ALNUM, IdSource
from holdout_twins.core.journal import Entry, Journal
from holdout_twins.core.people import ActionRefused, Person
from holdout_twins.core.ratelimit import LimitStatus, RateLimit, RateLimits
from holdout_twins.core.router import Router, as_response
from holdout_twins.core.seed import SeedError, load_seed
from holdout_twins.core.server import HOST, ServerThread
from holdout_twins.core.tls import LocalCA

CONTROL_PREFIX = "/_twin/"


@dataclass(frozen=True)
class Snapshot:
    """Everything ``restore`` needs to bring a twin back: state, tokens, ids and the time."""

    state: Any
    tokens: dict[str, Any]
    token: str
    ids: IdSource
    time: float


class Twin:
    """A stateful clone of one service. Subclass it once per service (see docs/twins.md).

    A subclass sets ``name`` and ``router`` and implements ``build_state``; it overrides the other
    hooks (``authenticate``, ``error_response``, ``rate_limit_headers``, ``new_token``,
    ``default_principal``) where its service differs from the plain JSON/Bearer defaults.

    Everything generic is here: the HTTP server, routing, body parsing and the size limit,
    authentication order, rate limits, fault injection, the journal, the clock, deterministic ids,
    seed data, snapshot/reset and the ``/_twin/`` control endpoint.

    Use from Python::

        with SlackTwin(seed=7).start() as twin:
            WebClient(token=twin.token, base_url=twin.base_url + "/api/")
    """

    # --- what a subclass declares ----------------------------------------------------------------
    name: ClassVar[str] = ""
    router: ClassVar[Router]
    seed_path: ClassVar[Path | None] = None  # YAML or JSON seed data, usually next to the module
    max_body: ClassVar[int] = 1024 * 1024  # bytes; a larger request body is answered with 413
    default_rate_limits: ClassVar[Mapping[str, RateLimit]] = {}  # the service's documented limits
    # Extra control routes under /_twin/ (scripting a model's replies, ...), tried after the core's.
    control_router: ClassVar[Router | None] = None
    # Who steps can act as (``twin.act_as(who)``): the service's Person subclass, if it has one.
    person_class: ClassVar[type[Person] | None] = None
    # The service's published API description: a file name in the API descriptions folder
    # (OpenAPI or a Google discovery document), measured by ``holdout twin conformance``; for a
    # twin that serves several APIs, each API's name and file.
    api_description: ClassVar[str | Mapping[str, str] | None] = None

    def __init__(self, seed: int = 0, seed_data: Mapping[str, Any] | None = None) -> None:
        if seed_data is None:
            seed_data = load_seed(self.seed_path) if self.seed_path else {}
        self.seed_data: dict[str, Any] = copy.deepcopy(dict(seed_data))
        self.lock = threading.RLock()  # held around every handler: state changes never interleave
        self.clock = Clock()
        self.journal = Journal()
        self.faults = Faults(seed)
        self.rate_limits = RateLimits(self.default_rate_limits)
        self.internal_errors: list[str] = []  # tracebacks of twin bugs, answered with HTTP 500
        self.deliveries = Deliveries(self.clock, self.name)  # what the twin sends to the app
        self.clock.on_change(self.deliveries.poke)
        self._server: ServerThread | None = None
        self.tls: LocalCA | None = None  # the authority of the certificate served over https
        self._snapshots: dict[str, Snapshot] = {}
        self.reset(seed)

    # --- hooks ------------------------------------------------------------------------------------
    def build_state(self, seed_data: dict[str, Any]) -> Any:
        """The service's state, built from (a private copy of) the seed data. Required."""
        raise NotImplementedError(f"{type(self).__name__} must implement build_state")

    def default_principal(self) -> Any:
        """Who ``twin.token`` authenticates as (a user id, an account, ...). None by default."""
        return None

    def new_token(self, principal: Any) -> str:
        """A fresh token string in the service's format (a random 40 characters by default)."""
        return self.ids.string(40, ALNUM)

    def authenticate(self, request: Request) -> Any:
        """The principal the request acts as, or raise ``ServiceError`` as the service would.

        The default reads ``Authorization: Bearer <token>`` and looks it up in ``self.tokens``.
        """
        token = request.bearer_token()
        if token is None:
            raise ServiceError(401, "unauthorized", "no credentials")
        if token not in self.tokens:
            raise ServiceError(401, "unauthorized", "invalid credentials")
        return self.tokens[token]

    def error_response(self, error: ServiceError) -> Response:
        """``error`` in the service's own error shape. ``Generic`` codes come from the core."""
        body = {"error": error.code, "message": error.message, **error.extra}
        return json_response(body, error.status, error.headers)

    def auth_headers(self, token: str | None = None) -> dict[str, str]:
        """The headers a client sends to authenticate with ``token`` (``twin.token`` by
        default): ``Authorization: Bearer`` unless the service reads credentials elsewhere."""
        return {"Authorization": f"Bearer {token or self.token}"}

    @classmethod
    def correct_description(cls, document: dict[str, Any]) -> None:
        """Patch ``document`` (the published description, as OpenAPI) in place where it
        disagrees with what the real service does; the twin follows the service. Each patch is
        commented and listed in the twin's README. None by default."""

    @classmethod
    def built_description(cls) -> tuple[str, dict[str, Any], list[Callable[..., Any]]] | None:
        """For a service that publishes no API description: one the twin builds from what the
        service's official SDK declares, as (what it was built from, an OpenAPI document, extra
        schemathesis checks of each answer). None by default."""
        return None

    def serve_credentials(self) -> str:
        """What ``holdout twin serve`` prints for a client to authenticate with: ``self.token``
        by default; a twin whose service wants more (basic auth's ``email:token``) says so."""
        return self.token

    def rate_limit_headers(self, status: LimitStatus) -> dict[str, str]:
        """The service's own rate-limit headers for a call under a limit (``Retry-After`` is
        added by the core on 429). None by default."""
        return {}

    # --- tokens -----------------------------------------------------------------------------------
    def issue_token(self, principal: Any = None) -> str:
        """A new valid token for ``principal``; it lasts until the next reset."""
        with self.lock:
            token = self.new_token(principal)
            self.tokens[token] = principal
            return token

    # --- lifecycle --------------------------------------------------------------------------------
    def reset(self, seed: int | None = None) -> None:
        """Back to the seed data under ``seed`` (the current seed if None): state, tokens, ids,
        clock, journal, faults and rate-limit windows. The same seed gives the same ids."""
        with self.lock:
            self.seed = self.seed if seed is None else seed
            self.ids = IdSource(self.seed)
            self.clock.set(DEFAULT_EPOCH)
            self.journal.clear()
            self.deliveries.clear()
            self.faults.clear()
            self.faults.reseed(self.seed)
            self.rate_limits.reset()
            self._snapshots.clear()
            self.tokens: dict[str, Any] = {}
            self.state = self._build_state()
            self.token = self.issue_token(self.default_principal())

    def _build_state(self) -> Any:
        """``build_state`` on a private copy of the seed data; a seed that does not fit the
        service's model is one ``SeedError`` naming the twin, whatever the twin's code raised."""
        try:
            return self.build_state(copy.deepcopy(self.seed_data))
        except (KeyError, TypeError, ValueError, StopIteration) as error:
            raise SeedError(f"{self.name} seed data: missing or wrong field ({error!r})") from None

    def snapshot(self) -> Snapshot:
        """A copy of the state, tokens, ids and time, for ``restore`` (journal and faults are
        not part of it: they describe the test, not the service)."""
        with self.lock:
            return Snapshot(
                copy.deepcopy(self.state),
                dict(self.tokens),
                self.token,
                copy.deepcopy(self.ids),
                self.clock.now(),
            )

    def restore(self, snapshot: Snapshot) -> None:
        with self.lock:
            self.state = copy.deepcopy(snapshot.state)
            self.tokens = dict(snapshot.tokens)
            self.token = snapshot.token
            self.ids = copy.deepcopy(snapshot.ids)
            self.clock.set(snapshot.time)

    def start(self, port: int = 0, tls: LocalCA | None = None) -> Twin:
        """Serve on ``127.0.0.1:port`` (0: a free ephemeral port) in a background thread; over
        https with a certificate from ``tls`` when given."""
        if self._server is None:
            self._server = ServerThread(self, port, tls.server_context() if tls else None)
            self.tls = tls
        return self

    def stop(self) -> None:
        self.deliveries.stop()
        if self._server is not None:
            self._server.stop()
            self._server = None
            self.tls = None

    def __enter__(self) -> Twin:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    @property
    def running(self) -> bool:
        return self._server is not None

    @property
    def port(self) -> int:
        if self._server is None:
            raise RuntimeError(f"the {self.name} twin is not started")
        return self._server.port

    @property
    def scheme(self) -> str:
        return "https" if self.tls else "http"

    @property
    def base_url(self) -> str:
        """``http://127.0.0.1:<port>`` (``https://`` over TLS), without a trailing slash."""
        return f"{self.scheme}://{HOST}:{self.port}"

    @property
    def ca_file(self) -> Path | None:
        """The certificate a client must trust to reach the twin over https; None over http."""
        return self.tls.ca_file if self.tls else None

    def origin(self, request: Request) -> str:
        """Scheme and host as the client addressed the twin (its ``Host`` header): the links
        in responses point back there."""
        host = request.headers.get("host")
        return f"{self.scheme}://{host}" if host else self.base_url

    # --- people acting through the twin -----------------------------------------------------------
    def act_as(self, who: str) -> Person:
        """Someone in the service (by id, login or email) whose actions are steps of a scenario:
        ``slack.act_as("alice").post_message(...)``. ``UnknownPerson`` if there is no such one."""
        if self.person_class is None:
            raise NotImplementedError(f"the {self.name} twin has no people to act as")
        with self.lock:
            return self.person_class(self, self.person_class.find(self, who))

    def perform(self, principal: Any, method: str, path: str, body: Any = None) -> Any:
        """``method path`` (with a JSON ``body``) as ``principal``, in process: the route's
        handler runs under the lock as for an HTTP request, without authentication, rate limits,
        faults or the journal (they concern the app's own calls). Returns the answer's JSON;
        an error is ``ActionRefused`` with the service's code and message."""
        target = urlsplit(path)
        pairs = parse_qs(target.query, keep_blank_values=True)
        host = f"{HOST}:{self.port}" if self.running else HOST
        request = Request(
            method=method.upper(),
            path=target.path,
            query={key: values[-1] for key, values in pairs.items()},
            query_values=pairs,
            headers=Headers([("Content-Type", JSON_TYPE), ("Host", host)]),
            body=b"" if body is None else json.dumps(body).encode("utf-8"),
        )
        try:
            route, request.path_params = self.router.resolve(request.method, request.path)
            request.operation, request.principal = route.name, principal
            with self.lock:
                response = as_response(route.handler(self, request))
        except ServiceError as error:
            detail = f"{error.code}: {error.message}" if error.message else error.code
            raise ActionRefused(f"{self.name} refused {method} {path}: {detail}") from None
        if response.status >= 400:
            raise ActionRefused(f"{self.name} refused {method} {path}: HTTP {response.status}")
        return response.json()

    # --- the request pipeline ---------------------------------------------------------------------
    def handle(self, request: Request) -> Response | None:
        """Answer one request; None means "drop the connection" (an injected fault).

        Order: control endpoint; route; injected fault; then, under the lock, authentication,
        rate limit and the handler. Every request that reached a route is journaled.
        """
        if request.path.startswith(CONTROL_PREFIX):
            return self._answer(handle_control, request)
        try:
            route, request.path_params = self.router.resolve(request.method, request.path)
        except ServiceError as error:
            response = self.error_response(error)
            self._journal(request, response.status)
            return response
        request.operation = route.name
        fault = self.faults.pick(route.name, request.path)
        if fault is not None:
            if fault.latency:
                time.sleep(fault.latency)
            if fault.drop:
                self._journal(request, 0, "drop")
                return None
            if fault.status is not None:
                response = self.error_response(self._injected_error(fault.status))
                self._journal(request, response.status, "status")
                return response

        def pipeline(twin: Twin, request: Request) -> Any:
            if route.auth:
                request.principal = twin.authenticate(request)
            limit = twin.rate_limits.check(route.name, repr(request.principal))
            if limit is not None and limit.limited:
                raise self._rate_limited_error(limit)
            response = as_response(route.handler(twin, request))
            if limit is not None:
                response.headers.update(twin.rate_limit_headers(limit))
            return response

        response = self._answer(pipeline, request, locked=True)
        self._journal(request, response.status, "latency" if fault else None)
        return response

    def _answer(self, handler: Any, request: Request, *, locked: bool = False) -> Response:
        try:
            if locked:
                with self.lock:
                    return as_response(handler(self, request))
            return as_response(handler(self, request))
        except ServiceError as error:
            return self.error_response(error)
        except Exception:
            self.internal_errors.append(traceback.format_exc())
            return self.error_response(ServiceError(500, Generic.INTERNAL, "twin error"))

    def _rate_limited_error(self, limit: LimitStatus) -> ServiceError:
        headers = {"Retry-After": str(limit.retry_after), **self.rate_limit_headers(limit)}
        return ServiceError(429, Generic.RATE_LIMITED, "rate limited", headers=headers)

    def _injected_error(self, status: int) -> ServiceError:
        if status == 429:
            return self._rate_limited_error(LimitStatus(1, 0, time.time() + 1, 1))
        return ServiceError(status, Generic.INJECTED_FAULT, "injected fault")

    def _journal(self, request: Request, status: int, fault: str | None = None) -> None:
        try:
            data = request.data()
        except ServiceError:
            data = None
        params = {**request.query, **data} if isinstance(data, Mapping) else dict(request.query)
        if data is not None and not isinstance(data, Mapping):
            params["body"] = data
        entry = Entry(
            request.operation, request.method, request.path, status, params, self.clock.now(), fault
        )
        self.journal.record(entry)
