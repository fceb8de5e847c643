"""``holdout add`` on a plaintext draft, before it is encrypted for good: what to warn about, and
``holdout add --check``, which matches every step against the project's step definitions.

Once encrypted, a scenario's author cannot read it back, so mistakes must be caught here. The
output names lines and step kinds, never a step's text: the author has the draft open anyway.

The step definitions come from an in-process pytest session that collects only the store, with
``--holdout`` and no key (so nothing is decrypted), through the very code a run uses: pytest
finds the project root and imports its ``conftest.py`` (import mode, ``pythonpath``, rewriting),
the plugin imports the ``[tool.holdout] steps`` modules, and the session's own ``StepRegistry``
does the matching. Importing the modules here instead would copy pytest's rules, and a copy
drifts: a check that disagrees with the run is worse than none.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
import warnings
from collections.abc import Iterator
from pathlib import Path

from pytest_holdout.errors import HoldoutError, UsageError
from pytest_holdout.scenarios.model import Feature
from pytest_holdout.scenarios.parsing import ScenarioSyntaxError, parse_feature
from pytest_holdout.scenarios.yaml_form import comment_cut_lines
from pytest_holdout.steps.registry import AmbiguousStepError, StepRegistry, UndefinedStepError
from pytest_holdout.store import keys


def warnings_for(name: str, plaintext: bytes) -> list[str]:
    """What is valid but probably not what the author meant (the draft parses)."""
    text = plaintext.decode("utf-8-sig", "replace")
    return [
        f"{name}: line {line}: YAML ends this step's text at ' #', which starts a comment; "
        "quote the whole text if the # belongs to it"
        for line in comment_cut_lines(text)
    ]


def warn(name: str, plaintext: bytes, *, delete_source: bool) -> None:
    """Warn about the draft; with ``--delete-source`` refuse it, since its author could not fix
    it once encrypted."""
    found = warnings_for(name, plaintext)
    for warning in found:
        warnings.warn(warning, stacklevel=2)
    if found and delete_source:
        raise HoldoutError(
            f"{name}: not added, and kept: fix what the warnings say, or add it without "
            "--delete-source"
        )


def check_command(args: argparse.Namespace, name: str, plaintext: bytes) -> int:
    """``holdout add --check``: one line per problem on stdout, a summary on stderr; exit 1 if
    a step is malformed, empty, undefined or ambiguous. Nothing is encrypted."""
    if args.delete_source:
        raise UsageError("--check encrypts nothing: drop --delete-source")
    try:
        feature = parse_feature(plaintext, name)
    except ScenarioSyntaxError as exc:
        # The parser's first line may quote the draft: whoever runs `add` holds it anyway.
        print(f"{name}:{exc.line}: {exc.why()}")
        print(f"{name}: does not parse (not encrypted)", file=sys.stderr)
        return 1
    from pytest_holdout.cli.main import store_of

    problems = step_problems(feature, project_registry(store_of(args).root))
    for line, problem in problems:
        print(f"{name}:{line}: {problem}")
    for warning in warnings_for(name, plaintext):
        print(f"warning: {warning}")
    steps = len({step.line for scenario in feature.scenarios for step in scenario.steps})
    print(f"{name}: {steps} step(s), {len(problems)} problem(s) (not encrypted)", file=sys.stderr)
    return 1 if problems else 0


def step_problems(feature: Feature, registry: StepRegistry) -> list[tuple[int, str]]:
    """Each step line that no definition, or more than one, matches; once per line, although
    an Outline's step is matched once per Examples row."""
    problems: dict[int, str] = {}
    for scenario in feature.scenarios:
        for step in scenario.steps:
            if step.line in problems:
                continue
            kind = step.kind.capitalize()
            try:
                registry.match(step.kind, step.text)
            except UndefinedStepError:
                problems[step.line] = f"undefined {kind} step"
            except AmbiguousStepError as exc:
                where = ", ".join(definition.location for definition in exc.definitions)
                count = len(exc.definitions)
                problems[step.line] = f"ambiguous {kind} step: {count} definitions match ({where})"
            except Exception as exc:  # a converter of the definition failed on this text
                problems[step.line] = f"{kind} step: its definition failed ({type(exc).__name__})"
    return sorted(problems.items())


def project_registry(store: Path) -> StepRegistry:
    """The step definitions a ``pytest --holdout`` run in this project would use."""
    import pytest

    from pytest_holdout.collection.context import CONTEXT_KEY

    found: list[StepRegistry] = []

    class Registry:
        @pytest.hookimpl(trylast=True)
        def pytest_collection_finish(self, session: pytest.Session) -> None:
            found.append(session.config.stash[CONTEXT_KEY].registry())

    arguments = ["--holdout", "--collect-only", "-p", "no:terminal", "-p", "no:cacheprovider"]
    # The project's addopts could start workers (-n) or add reports; the check needs neither.
    arguments += ["-o", "addopts=", str(store)]
    with _without_keys():
        status = pytest.main(arguments, plugins=[Registry()])
    if not found:
        raise HoldoutError(
            f"the project's step definitions could not be loaded (pytest exited {int(status)}, "
            "see above)"
        )
    return found[0]


@contextlib.contextmanager
def _without_keys() -> Iterator[None]:
    """No key in the check's session: it must not decrypt the store's files."""
    taken = keys.take_keys()
    try:
        yield
    finally:
        os.environ.update(keys.plain(taken))
