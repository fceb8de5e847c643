"""The conformance meter: a twin measured against its service's published API description.

For every described operation it asks the twin's router whether the twin implements it. For each
implemented one, schemathesis generates valid and invalid requests from the description
(a bounded number, from a fixed seed: the same run gives the same figure), sends them to the twin
on 127.0.0.1, and checks each response: a described status code, content type and schema, no
server error, invalid input refused, and (for a success) every described property present
(``completeness``). An operation's figure is the fraction of its requests answered in full
conformance; the twin's figure is the mean over its implemented operations.
"""

from __future__ import annotations

import re
import warnings
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any
from unittest.mock import patch

import requests
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import seed as hypothesis_seed
from hypothesis.configuration import set_hypothesis_home_dir
from hypothesis.errors import HypothesisException
from hypothesis.internal.conjecture import providers
from schemathesis import GenerationMode
from schemathesis.core.failures import FailureGroup
from schemathesis.core.result import Ok
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    negative_data_rejection,
    response_schema_conformance,
    status_code_conformance,
)

from holdout_twins.core import Router, ServiceError, Twin
from holdout_twins.core.cache import cache_directory
from holdout_twins.fidelity.completeness import missing_properties
from holdout_twins.fidelity.descriptions import Description

DEFAULT_EXAMPLES = 5  # requests per operation and mode (valid, invalid)
INCOMPLETE = "Incomplete object"  # the failure a success that leaves out properties counts as
ACCEPTED_INVALID = "Schema-violating request accepted"  # schemathesis's title for that failure
SERVER_ERROR = "Server error"
# A path parameter's stand-in when asking the router: a value no literal path segment has, so
# that a route capturing a literal ("/groups/{id}" taking "/groups/rules") does not count.
_PLACEHOLDER = "4242424242"
_PARAMETER = re.compile(r"{[^}/]+}")
_CHECKS = [status_code_conformance, content_type_conformance, response_schema_conformance]
_MODES = {
    "valid": (GenerationMode.POSITIVE, _CHECKS),
    "invalid": (GenerationMode.NEGATIVE, [*_CHECKS, negative_data_rejection]),
}


@dataclass
class OperationResult:
    """One described operation: whether the twin implements it and how its answers fared."""

    method: str
    path: str
    operation_id: str
    implemented: bool
    cases: int = 0
    conforming: int = 0
    failures: Counter[str] = field(default_factory=Counter)  # failure title -> requests
    incomplete: set[str] = field(default_factory=set)  # property paths left out of successes
    notes: list[str] = field(default_factory=list)  # modes that could generate nothing

    @property
    def label(self) -> str:
        return f"{self.method.upper()} {self.path}"

    @property
    def figure(self) -> float | None:
        return self.conforming / self.cases if self.cases else None

    def to_dict(self) -> dict[str, Any]:
        return {
            "method": self.method.upper(),
            "path": self.path,
            "operation_id": self.operation_id,
            "implemented": self.implemented,
            "cases": self.cases,
            "conforming": self.conforming,
            "figure": self.figure,
            "failures": dict(sorted(self.failures.items())),
            "incomplete": sorted(self.incomplete),
            "notes": self.notes,
        }


@dataclass
class ConformanceReport:
    twin: str
    description: Description
    operations: list[OperationResult]
    max_examples: int
    seed: int
    unreadable: int = 0  # described operations schemathesis could not read (not counted)

    @property
    def subject(self) -> str:
        """The twin, and which of its APIs where it serves several: "google docs"."""
        api = self.description.api
        return f"{self.twin} {api}" if api else self.twin

    @property
    def implemented(self) -> list[OperationResult]:
        return [result for result in self.operations if result.implemented]

    @property
    def figure(self) -> float:
        """The mean of the implemented operations' figures (0 when none could be measured)."""
        figures = [r.figure for r in self.implemented if r.figure is not None]
        return sum(figures) / len(figures) if figures else 0.0

    def summary(self) -> str:
        described, implemented = len(self.operations), len(self.implemented)
        share = implemented / described if described else 0.0
        cases = sum(result.cases for result in self.implemented)
        return (
            f"{self.subject}: implements {implemented} of {described} described operations "
            f"({share:.1%}); conformance {self.figure:.3f} "
            f"(mean over {implemented} operations, {cases} requests)"
        )

    def table(self) -> list[str]:
        """One line per implemented operation: requests, conforming, figure, what failed."""
        rows = [("operation", "requests", "conform", "figure", "failures")]
        for result in self.implemented:
            failed = ", ".join(f"{title} x{count}" for title, count in result.failures.items())
            figure = "-" if result.figure is None else f"{result.figure:.2f}"
            rows.append(
                (result.label, str(result.cases), str(result.conforming), figure, failed or "-")
            )
        width = [max(len(row[column]) for row in rows) for column in range(4)]
        return [
            f"{row[0]:<{width[0]}}  {row[1]:>{width[1]}}  {row[2]:>{width[2]}}  "
            f"{row[3]:>{width[3]}}  {row[4]}".rstrip()
            for row in rows
        ]

    def to_dict(self) -> dict[str, Any]:
        return {
            "twin": self.twin,
            "api": self.description.api,
            "description": str(self.description.path),
            "kind": self.description.kind,
            "max_examples": self.max_examples,
            "seed": self.seed,
            "described": len(self.operations),
            "unreadable": self.unreadable,
            "implemented": len(self.implemented),
            "figure": self.figure,
            "operations": [result.to_dict() for result in self.operations],
        }


_VALID_ONLY = {"valid": _MODES["valid"]}


def implements(router: Router, method: str, path: str) -> bool:
    """Whether ``router`` answers ``method path`` (a described template) with a route of its
    own for that path, rather than with one that takes a literal segment for a parameter."""
    concrete = _PARAMETER.sub(_PLACEHOLDER, path)
    try:
        _, parameters = router.resolve(method.upper(), concrete)
    except ServiceError:
        return False
    return all(str(value) == _PLACEHOLDER for value in parameters.values())


def measure(
    twin_class: type[Twin],
    description: Description,
    *,
    max_examples: int = DEFAULT_EXAMPLES,
    seed: int = 0,
) -> ConformanceReport:
    """Start a fresh twin on 127.0.0.1 and measure it against ``description``: ``max_examples``
    requests per implemented operation and mode, generated from ``seed``."""
    # Hypothesis keeps caches (Unicode tables) in its home, ./.hypothesis by default: not in
    # the user's working directory.
    set_hypothesis_home_dir(str(cache_directory("hypothesis")))
    with warnings.catch_warnings():  # schemathesis warns about descriptions' oddities
        warnings.simplefilter("ignore")
        schema = schemathesis.openapi.from_dict(description.document)
    results: list[OperationResult] = []
    unreadable = 0
    with twin_class(seed=seed).start() as twin, requests.Session() as session:
        meter = _Meter(twin, session, twin.base_url + schema.base_path.rstrip("/"), description)
        for found in schema.get_all_operations():
            if not isinstance(found, Ok):  # an operation schemathesis cannot read: unmeasured
                unreadable += 1
                continue
            operation = found.ok()
            definition = description.document["paths"][operation.path][operation.method]
            result = OperationResult(
                operation.method,
                operation.full_path,
                str(definition.get("operationId", "")),
                implements(twin.router, operation.method, operation.full_path),
            )
            results.append(result)
            if result.implemented:
                twin.reset(seed)
                modes = _MODES if _can_be_invalid(description, operation) else _VALID_ONLY
                meter.exercise(operation, result, modes, max_examples, seed)
    return ConformanceReport(twin_class.name, description, results, max_examples, seed, unreadable)


@dataclass
class _Meter:
    """Sends generated requests to a running twin and judges its answers."""

    twin: Twin
    session: requests.Session
    base_url: str
    description: Description

    def exercise(
        self,
        operation: Any,
        result: OperationResult,
        modes: dict[str, tuple[GenerationMode, list[Callable[..., Any]]]],
        examples: int,
        seed: int,
    ) -> None:
        """Generated requests in each mode; each one's outcome is added to ``result``."""
        for mode_name, (mode, checks) in modes.items():

            def check(case: Any, checks: list[Callable[..., Any]] = checks) -> None:
                self.judge(case, checks, result)

            try:
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    _run(operation.as_strategy(generation_mode=mode), check, examples, seed)
            except HypothesisException as error:  # nothing to generate (an unsatisfiable mode)
                result.notes.append(f"no {mode_name} requests: {type(error).__name__}")
        result.notes.extend(f"twin error: {line}" for line in self._new_errors())

    def judge(self, case: Any, checks: list[Callable[..., Any]], result: OperationResult) -> None:
        auth = self.twin.auth_headers()
        response = case.call(base_url=self.base_url, session=self.session, headers=auth, timeout=10)
        failed: set[str] = set()
        try:
            case.validate_response(
                response, checks=[*checks, *self.description.checks], headers=auth
            )
        except FailureGroup as group:
            failed.update(
                failure.title
                for failure in group.exceptions
                if not (failure.title == ACCEPTED_INVALID and self._refused(case, response))
            )
        if response.status_code >= 500:
            failed.add(SERVER_ERROR)
        if 200 <= response.status_code < 300:
            missing = self._missing(case, response)
            if missing:
                failed.add(INCOMPLETE)
                result.incomplete.update(missing)
        result.cases += 1
        result.conforming += not failed
        result.failures.update(failed)

    def _refused(self, case: Any, response: Any) -> bool:
        """Whether an answer carries the described error shape, whatever its status: a refusal
        (Slack refuses with HTTP 200 and ``"ok": false``)."""
        operation = case.operation
        schema = self.description.response_schema(operation.method, operation.path, "default")
        try:
            body = response.json()
        except ValueError:
            return False
        return schema is not None and self.description.matches(schema, body)

    def _missing(self, case: Any, response: Any) -> list[str]:
        operation = case.operation
        schema = self.description.response_schema(
            operation.method, operation.path, response.status_code
        )
        if schema is None or "json" not in response.headers.get("content-type", [""])[0]:
            return []
        try:
            body = response.json()
        except ValueError:
            return []
        return missing_properties(schema, body, self.description.resolve)

    def _new_errors(self) -> list[str]:
        """The last line of each twin bug's traceback since the last call; then forgets them."""
        lines = [trace.strip().splitlines()[-1] for trace in self.twin.internal_errors]
        self.twin.internal_errors.clear()
        return lines


def _can_be_invalid(description: Description, operation: Any) -> bool:
    """Whether a request to ``operation`` can break its description: it takes a body, or a
    parameter other than a free-form string in the path (which any value fits; generating
    invalid ones would only exhaust the generator)."""
    item = description.document["paths"][operation.path]
    definition = item[operation.method]
    if "requestBody" in definition:
        return True
    for parameter in [*item.get("parameters", ()), *definition.get("parameters", ())]:
        parameter = description.resolve(parameter)
        schema = description.resolve(parameter.get("schema", parameter))
        free_string = schema.get("type") == "string" and not (_CONSTRAINTS & schema.keys())
        if parameter.get("in") != "path" or not free_string:
            return True
    return False


_CONSTRAINTS = frozenset({"enum", "pattern", "format", "minLength", "maxLength"})


@contextmanager
def _no_local_constants() -> Iterator[None]:
    """Hypothesis mixes in constants from the source of the "local" modules loaded (an editable
    install's, this one's), so that which modules happen to be imported would change the
    requests, and the figure. Without them the same seed gives the same requests everywhere.
    (``_get_local_constants`` is Hypothesis's internal hook for that; if a later Hypothesis
    drops it, nothing is patched.)"""
    empty = providers.Constants()
    if not hasattr(providers, "_get_local_constants"):
        yield
        return
    with patch.object(providers, "_get_local_constants", lambda: empty):
        yield


def _run(strategy: Any, check: Callable[[Any], None], examples: int, seed: int) -> None:
    @hypothesis_seed(seed)
    @settings(
        max_examples=examples,
        database=None,
        deadline=None,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(strategy)
    def run(case: Any) -> None:
        check(case)

    with _no_local_constants():
        run()
