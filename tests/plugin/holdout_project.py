"""A throwaway project with a keyholder's key, an encrypted store and step definitions."""

from __future__ import annotations

import contextlib
import io
import secrets
import textwrap
from dataclasses import dataclass, field
from pathlib import Path

import pyrage
import pytest

CANARY = "CANARY-7f3e9b1d"

# Two step definitions whose outcome is fixed, for scenarios that should simply pass or fail.
PASS_AND_FAIL_STEPS = """
@given("a step that passes")
def passes():
    pass

@then("a step that fails")
def fails():
    assert False
"""


@dataclass
class HoldoutProject:
    pytester: pytest.Pytester
    identity: pyrage.x25519.Identity
    key_file: Path
    store: Path
    file_ids: list[str] = field(default_factory=list)

    @property
    def recipient(self) -> str:
        return str(self.identity.to_public())

    def add(self, text: str, *, armored: bool = False) -> str:
        """Encrypt a scenario the way `age -R RECIPIENTS` would, under a fresh opaque id."""
        file_id = f"S-{secrets.token_hex(6)}"
        data = pyrage.encrypt(
            textwrap.dedent(text).encode(), [self.identity.to_public()], armored=armored
        )
        (self.store / f"{file_id}.age").write_bytes(data)
        self.file_ids.append(file_id)
        return file_id

    def sign(self, *options: str) -> str:
        """Sign MANIFEST as the keyholder does (`holdout manifest`, the harness included); the
        command's output. Fails the test if signing fails."""
        from pytest_holdout.cli.main import main

        with contextlib.redirect_stdout(io.StringIO()) as out:
            code = main(["--store", str(self.store), "manifest", *options])
        assert code == 0, out.getvalue()
        return out.getvalue()

    def steps(self, source: str) -> None:
        self.pytester.makeconftest(
            "from pytest_holdout import given, when, then, step, parsers\n"
            + textwrap.dedent(source)
        )

    def run(self, *args: str, subprocess: bool = True) -> pytest.RunResult:
        runner = self.pytester.runpytest_subprocess if subprocess else self.pytester.runpytest
        return runner("--holdout", "-p", "no:randomly", *args)
