"""The layout by stage holds: each stage imports only the stages below it (pyproject's
import-linter contract), and each stage says in its docstring what it owns."""

from __future__ import annotations

import importlib
import pkgutil
import shutil
import subprocess
from pathlib import Path

import pytest

import pytest_holdout

ROOT = Path(__file__).resolve().parents[1]


def test_the_import_contract_is_kept() -> None:
    lint = shutil.which("lint-imports")
    if lint is None:
        pytest.skip("import-linter is not installed (pip install '.[test]')")
    done = subprocess.run([lint], cwd=ROOT, capture_output=True, text=True)
    assert done.returncode == 0, done.stdout[-3000:]
    assert "1 kept, 0 broken" in done.stdout


def test_every_stage_is_a_subpackage_that_says_what_it_owns() -> None:
    stages = [info.name for info in pkgutil.iter_modules(pytest_holdout.__path__) if info.ispkg]
    assert {"store", "scenarios", "steps", "collection", "reports", "session", "cli"} <= set(stages)
    for name in stages:
        doc = importlib.import_module(f"pytest_holdout.{name}").__doc__ or ""
        assert len(doc.split()) >= 10, f"pytest_holdout.{name} has no docstring saying what it owns"
