"""The files ``holdout twin scaffold`` writes, as ``string.Template`` texts (``$$`` is a ``$``)."""

INIT = '''"""The $name twin (scaffolded from $source): see README.md."""

from $package.twin import $Class

__all__ = ["$Class"]
'''

TWIN = '''"""The $name twin: a clone of $title for its clients (scaffolded from $source).

What is the service's own goes here: ``build_state`` makes the state from the seed data, and
``authenticate`` and ``error_response`` keep the core's defaults (``Authorization: Bearer``,
``{"error": code, "message": ...}``) until they are changed to the service's (docs/twins.md).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from holdout_twins.core import Twin
from $package.routes import router
from $package.state import State


class $Class(Twin):
    """$title, as far as the operations in operations.json go."""

    name = "$name"
    router = router
    seed_path = Path(__file__).with_name("seed.yaml")
    state: State

    def build_state(self, seed_data: dict[str, Any]) -> State:
        return State.from_seed(seed_data)
'''

STATE = '''"""The state a $name twin holds (scaffolded: replace the collections with the service's
objects, a dataclass each, as the routes come to need them)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass
class State:
    """Collections of objects by id, e.g. ``state.collections["notes"]["N1"]``."""

    collections: dict[str, dict[str, Any]] = field(default_factory=dict)

    @classmethod
    def from_seed(cls, seed_data: dict[str, Any]) -> State:
        """The seed's top-level keys are collections: lists of objects with an ``id``."""
        return cls(
            {
                name: {str(item["id"]): dict(item) for item in items}
                for name, items in seed_data.items()
            }
        )
'''

SEED = """# The state a $name twin starts from: collections of objects, each with an id, e.g.
# notes:
#   - {id: N1, text: Seeded}
{}
"""

ROUTES = '''"""The operations of the $name twin, one handler each (scaffolded from $source).

A stub raises ``Stub`` until it is filled in: make the operation's change to ``twin.state``
and return the answer (a JSON-able value for HTTP 200, ``json_response(data, status)`` for
another status; ``raise ServiceError(status, code, message)`` for an error). Requests are
checked against the description (operations.json) before a handler runs.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from holdout_twins.core import Request, Router
from holdout_twins.core.described import Operations, Stub

if TYPE_CHECKING:
    from $package.twin import $Class

router = Router()
operations = Operations.load(Path(__file__).with_name("operations.json"))
'''

STUB = '''

@operations.route(router, "$id")
def $handler(twin: $Class, request: Request) -> Any:
    """$doc
    """
    raise Stub("$id", "$handler")
'''

README = """# The $name twin

A twin of $title, scaffolded by `holdout twin scaffold` from `$source`. Every operation below
is a stub until its handler in `routes.py` is filled in; the tests in `test_${name}_twin.py`
fail, naming the stub, until then.

| Operation | Route | Handler |
|---|---|---|
$operations

To fill it in:

1. `state.py`: the service's objects (the scaffold keeps plain collections by id).
2. `routes.py`: each handler makes its change to `twin.state` and returns the answer the
   description gives (`operations.json` has its schema; the docstring an example).
3. `twin.py`: the service's authentication and error shape, if they are not the core's.
4. `seed.yaml`: the data the twin starts from.
5. Register the twin: `"$name": "$package:$Class"` in `TWINS` in `twins/__init__.py`, and the
   package in `[tool.setuptools] packages` in pyproject.toml.

Requests are checked against the description before a handler runs: a missing required
parameter or a body off its schema is answered 400 (`invalid_request`) in the twin's
`error_response`. See docs/twins.md, "Scaffolding a new twin".
"""

TESTS = '''"""The $name twin answers as its description says: one test per operation, failing (and
naming the stub) until the operation's handler in routes.py is filled in."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from $package import $Class
from $package.routes import operations


@pytest.fixture(scope="module")
def running() -> Iterator[$Class]:
    with $Class() as started:
        yield started


@pytest.fixture
def ${name}_twin(running: $Class) -> $Class:
    running.reset(0)
    return running
'''

TEST_OPERATION = """

def test_${test}_answers_as_described(${name}_twin: $Class) -> None:
    problems = operations.exercise(${name}_twin, "$id")
    assert not problems, "\\n".join(problems)
"""

TEST_INVALID = """

def test_${test}_refuses_a_request_without_its_required_input(${name}_twin: $Class) -> None:
    problems = operations.exercise_invalid(${name}_twin, "$id")
    assert not problems, "\\n".join(problems)
"""
