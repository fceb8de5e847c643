"""A round's gated evaluation: ``pytest --holdout --holdout-required``, run as a subprocess.

It is the only process of the loop that gets the key (the loop's own environment, where
``HOLDOUT_IDENTITY[_FILE]`` is). It runs in the project, never in the agent's working copy: the
harness that judges (step definitions, conftest, pytest's configuration) is the keyholder's, and
code of the working copy never runs in a process that holds the key. Only the store is collected;
the steps start the working copy's software with ``holdout_sut`` (``cwd=holdout_app_dir``), in
the sandbox, where it cannot write the working copy. What pytest prints goes to the round's
``evaluation.log`` in the loop's folder, which the agent cannot see.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pytest_holdout.errors import HoldoutError, UsageError
from pytest_holdout.store.fsutil import read_regular

JSON_NAME = "holdout.json"
SEALED_NAME = "holdout-report.age"
LOG_NAME = "evaluation.log"
LOG_TAIL = 12  # lines of the log shown when an evaluation fails

# Options the loop sets itself: given again in PYTEST_ARGS they would fight its own.
OWNED_OPTIONS = (
    "--holdout-json",
    "--holdout-sealed-report",
    "--holdout-history",
    "--holdout-app",
    "--holdout-dir",
    "--holdout-trials",
    "--holdout-feedback",
    "--holdout-feedback-state",
    "--holdout-reset-feedback",
    "--rootdir",
)
# Values that would break the loop's promises: secret text in the log, an unsandboxed app.
UNSAFE_VALUES = {"--holdout-disclose": ("steps", "full"), "--holdout-sandbox": ("none",)}


@dataclass(frozen=True)
class Evaluation:
    report: dict[str, Any]
    status: int  # pytest's exit status: 0, or 1 when trials failed or the gate did
    seconds: float


@dataclass(frozen=True)
class Evaluator:
    project: Path
    store: Path
    workdir: Path
    trials: int | None
    pytest_args: Sequence[str]
    cache_dir: Path
    feedback_mode: str = "plain"
    feedback_state: Path | None = None

    def command(self, folder: Path, *, reset_feedback: bool) -> list[str]:
        trials = ["--holdout-trials", str(self.trials)] if self.trials else []
        return [
            sys.executable, "-m", "pytest", "--holdout", "--holdout-required",
            "--rootdir", str(self.project), "--holdout-dir", str(self.store),
            "--holdout-app", str(self.workdir),
            "--holdout-json", str(folder / JSON_NAME),
            "--holdout-sealed-report", str(folder / SEALED_NAME),
            # pytest's cache (the last failed ids) goes where the agent cannot look.
            "-o", f"cache_dir={self.cache_dir}",
            *trials, *self._feedback_options(reset_feedback), *self.pytest_args, str(self.store),
        ]  # fmt: skip

    def _feedback_options(self, reset: bool) -> list[str]:
        """The reusable holdout's options (docs/reusable-holdout.md): its state carries the
        release rule from one round to the next, in the loop's folder."""
        if self.feedback_mode == "plain":
            return []
        options = ["--holdout-feedback", self.feedback_mode]
        options += ["--holdout-feedback-state", str(self.feedback_state)]
        return [*options, "--holdout-reset-feedback"] if reset else options

    def run(self, folder: Path, *, reset_feedback: bool = False) -> Evaluation:
        """Run the round's evaluation, its output in ``folder``; ``HoldoutError`` when it could
        not judge (an error other than failed trials), naming its log."""
        folder.mkdir(parents=True, exist_ok=True)
        log = folder / LOG_NAME
        started = time.monotonic()
        with log.open("wb") as output:
            status = subprocess.call(
                self.command(folder, reset_feedback=reset_feedback),
                cwd=self.project,
                stdin=subprocess.DEVNULL,
                stdout=output,
                stderr=subprocess.STDOUT,
            )
        seconds = time.monotonic() - started
        report_path = folder / JSON_NAME
        if status not in (0, 1) or not report_path.is_file():
            raise HoldoutError(
                f"the evaluation exited {status} without a report; the end of {log}:\n" + _tail(log)
            )
        try:
            report = json.loads(read_regular(report_path).decode("utf-8"))
        except ValueError:
            raise HoldoutError(f"{report_path}: not JSON") from None
        return Evaluation(report, status, seconds)


def check_pytest_args(args: Sequence[str], project: Path, workdir: Path) -> None:
    """Refuse what would make the evaluation unsafe or fight the loop: ``UsageError`` naming it."""
    for index, arg in enumerate(args):
        name, _, value = arg.partition("=")
        if name in OWNED_OPTIONS:
            raise UsageError(f"PYTEST_ARGS: the loop sets {name} itself")
        if name in UNSAFE_VALUES:
            if not value and index + 1 < len(args):
                value = args[index + 1]
            if value in UNSAFE_VALUES[name]:
                raise UsageError(f"PYTEST_ARGS: {name}={value} is not allowed in the loop")
        if not arg.startswith("-"):
            path = (project / arg.split("::", 1)[0]).resolve()
            if path == workdir or workdir in path.parents:
                raise UsageError(
                    f"PYTEST_ARGS: {arg} is in the working copy, whose code never runs in the "
                    "evaluation"
                )


def _tail(log: Path) -> str:
    lines = log.read_text(encoding="utf-8", errors="replace").splitlines()
    return "\n".join(lines[-LOG_TAIL:])
