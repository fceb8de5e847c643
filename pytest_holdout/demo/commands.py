"""What both demos do: print a heading, run a command as a person would type it, show its output."""

from __future__ import annotations

import contextlib
import json
import shlex
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path

from pytest_holdout.errors import HoldoutError


def say(title: str) -> None:
    print(f"\n== {title}", flush=True)


def printable(command: list[str]) -> str:
    return " ".join(shlex.quote(part) for part in command).replace(sys.executable, "python")


def shown_path(path: Path) -> str:
    """``path`` as the person typing the commands would write it: relative when below here."""
    with contextlib.suppress(ValueError):
        return str(path.relative_to(Path.cwd()))
    return str(path)


def run(
    command: list[str], cwd: Path, env: Mapping[str, str], *, show: bool = True, shown: str = ""
) -> str:
    """Run ``command`` (printed as ``shown``, else as itself); its stdout. Exit 0 and 1 (a failed
    test or gate) are results; any other exit is the demo's error."""
    line = shown or printable(command)
    print(f"$ {line}", flush=True)
    done = subprocess.run(command, cwd=cwd, env=dict(env), capture_output=True, text=True)
    if show:
        print((done.stdout + done.stderr).rstrip(), flush=True)
    _check(line, done.returncode, done.stderr)
    return done.stdout


def stream(command: list[str], cwd: Path, env: Mapping[str, str], *, shown: str = "") -> int:
    """Run ``command`` as ``run`` does, showing its output line by line as it comes (a command
    that takes minutes and says how it goes); its exit status, 0 or 1."""
    line = shown or printable(command)
    print(f"$ {line}", flush=True)
    with subprocess.Popen(
        command, cwd=cwd, env=dict(env), stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    ) as process:
        assert process.stdout is not None
        for output in process.stdout:
            print(output, end="", flush=True)
    _check(line, process.returncode, "(its output is above)")
    return process.returncode


def _check(line: str, status: int, stderr: str) -> None:
    if status not in (0, 1):
        raise HoldoutError(f"demo: `{line}` exited {status}:\n{stderr.strip()}")


def satisfaction(report: Path) -> str:
    """The sentence a demo closes on, from the gated run's JSON report: the score, its interval,
    the trials and what ran the bot."""
    public = json.loads(report.read_text())
    figures = public["figures"]
    interval = figures["interval"]
    return (
        f"satisfaction {figures['satisfaction']:.3f} "
        f"(95% interval {interval['lower']:.3f}-{interval['upper']:.3f}) over "
        f"{figures['trials']['total']} trials, the bot run by sandbox {public['meta']['sandbox']}"
    )
