"""The software under test, started by steps: the ``holdout_sut`` fixture and
``--holdout-sandbox``.

Step definitions are trusted (they are pinned with the harness); the app they drive is not (it is
what the agent wrote). So a step starts the app with ``holdout_sut(argv, ...)``, which runs it out
of process in the sandbox of ``pytest_holdout.sandbox``: the twins the test has used are forwarded
into it at the URLs the steps see, the key file and its folder are hidden, and what it prints goes
into the trial's sealed detail (for an ordinary test: into the test's captured output), never to
the terminal.
"""

from __future__ import annotations

import os
import sys
import warnings
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from pytest_holdout.collection.items import HoldoutScenario
from pytest_holdout.sandbox import AppProcess, Choice, SandboxUnavailable, choose
from pytest_holdout.store.keys import IDENTITY_FILE_VAR

_HIDE_INPUT = "holdout_sandbox_hide"  # xdist workerinput: the paths to hide, from the controller


@dataclass
class SandboxSetting:
    """The session's ``--holdout-sandbox``; the runner is chosen on first need."""

    mode: str
    required: bool
    hide: list[Path]
    readable: list[Path]
    _choice: Choice | None = field(default=None, repr=False)

    def choice(self) -> Choice:
        if self._choice is None:
            self._choice = choose(
                self.mode, required=self.required, hide=self.hide, readable=self.readable
            )
        return self._choice


SETTING_KEY = pytest.StashKey[SandboxSetting]()
# What runs the app under test in a --holdout run: "bwrap", or "none" (unsandboxed).
SANDBOX_KEY = pytest.StashKey[str]()


def sandbox_name(config: pytest.Config) -> str | None:
    """What runs the app under test in this --holdout run (for its reports)."""
    return config.stash.get(SANDBOX_KEY, None)


def key_paths(config: pytest.Config) -> list[Path]:
    """The key file and its folder (read before the session takes the variable out of the
    environment), or what the xdist controller passed on."""
    workerinput = getattr(config, "workerinput", {})
    if _HIDE_INPUT in workerinput:
        return [Path(path) for path in workerinput[_HIDE_INPUT]]
    if not os.environ.get(IDENTITY_FILE_VAR):
        return []
    key_file = Path(os.environ[IDENTITY_FILE_VAR]).expanduser().absolute()
    return [key_file, key_file.parent]


def configure(config: pytest.Config) -> None:
    """Called by the plugin's ``pytest_configure``, before the session reads the keys."""
    required = bool(config.getoption("holdout_required"))
    readable = [config.rootpath, config.invocation_params.dir, *map(Path, filter(None, sys.path))]
    setting = SandboxSetting(
        config.getoption("holdout_sandbox"), required, key_paths(config), readable
    )
    config.stash[SETTING_KEY] = setting
    if not (required or config.getoption("holdout")):
        return  # chosen when a test first starts an app
    try:
        choice = setting.choice()
    except SandboxUnavailable as exc:
        hint = "; or pass --holdout-sandbox=none to run the app under test unsandboxed"
        prefix = "--holdout-required" if required else "--holdout-sandbox=bwrap"
        raise pytest.UsageError(f"{prefix}: {exc}{hint}") from None
    config.stash[SANDBOX_KEY] = choice.runner.name
    if choice.warning and not hasattr(config, "workerinput"):
        config.issue_config_time_warning(pytest.PytestWarning(choice.warning), stacklevel=2)


def configure_node(config: pytest.Config, node: Any) -> None:
    """xdist, in the controller: the workers hide the same paths (the variable that names the
    key file may be gone from their environment)."""
    node.workerinput[_HIDE_INPUT] = [str(path) for path in config.stash[SETTING_KEY].hide]


def report_header(config: pytest.Config) -> list[str]:
    name = sandbox_name(config)
    if name is None:
        return []
    if name == "none":
        return ["holdout: the app under test runs UNSANDBOXED (--holdout-sandbox)"]
    return [f"holdout: the app under test runs sandboxed ({name})"]


class StartApp:
    """``holdout_sut(argv, *, env=None, cwd=None, forward=None, expose=(), readable=(),
    writable=(), stdin=None) -> AppProcess``: start the app; it is stopped when the test ends.

    ``forward`` defaults to every twin the test has used so far (``twin(name)``): use them before
    starting the app, or pass their URLs. The twins' CA certificate (``--twin-tls``) is readable
    to it. The other arguments are ``Sandbox.spawn``'s.
    """

    def __init__(self, request: pytest.FixtureRequest, setting: SandboxSetting) -> None:
        self._request = request
        self._setting = setting
        self.started: list[AppProcess] = []

    def __call__(
        self,
        argv: Sequence[str | os.PathLike[str]],
        *,
        env: Mapping[str, str] | None = None,
        cwd: str | os.PathLike[str] | None = None,
        forward: Iterable[str | tuple[str, int]] | None = None,
        expose: Iterable[int] = (),
        readable: Iterable[str | os.PathLike[str]] = (),
        writable: Iterable[str | os.PathLike[str]] = (),
        stdin: bytes | str | None = None,
    ) -> AppProcess:
        choice = self._setting.choice()
        if choice.warning:
            warnings.warn(choice.warning, pytest.PytestWarning, stacklevel=2)
        twins = self._used_twins()
        process = choice.runner.spawn(
            argv,
            env=env,
            cwd=cwd,
            readable=[*readable, *(twin.ca_file for twin in twins if twin.ca_file)],
            writable=writable,
            forward=[twin.base_url for twin in twins] if forward is None else forward,
            expose=expose,
            stdin=stdin,
        )
        self.started.append(process)
        return process

    def _used_twins(self) -> list[Any]:
        try:
            factory = self._request.getfixturevalue("twin")
        except pytest.FixtureLookupError:
            return []
        return list(getattr(factory, "used", {}).values())

    def close(self) -> None:
        """Stop every app the test started; what each printed goes to the sealed detail."""
        errors: list[Exception] = []
        for number, process in enumerate(self.started, 1):
            try:
                process.close()
            except Exception as exc:  # the others are still stopped, then this is raised
                errors.append(exc)
            self._record(number, process)
        if errors:
            raise errors[0]

    def _record(self, number: int, process: AppProcess) -> None:
        program = Path(process.argv[0]).name
        header = f"--- holdout_sut #{number} {program} (exit {process.returncode})"
        stdout = f"{header}: stdout ---\n{process.stdout}"
        stderr = f"{header}: stderr ---\n{process.stderr}"
        node = self._request.node
        detail = node.detail if isinstance(node, HoldoutScenario) else None
        if detail is not None:
            detail.stdout += stdout
            detail.stderr += stderr
        else:  # an ordinary test: its captured output, shown when it fails
            sys.stdout.write(stdout)
            sys.stderr.write(stderr)


@pytest.fixture
def holdout_sut(request: pytest.FixtureRequest) -> Iterator[StartApp]:
    """Start the software under test in the sandbox: ``app = holdout_sut(["python", "bot.py"],
    env={...})``, then ``app.wait(timeout)``, ``app.stop()``, ``app.returncode``,
    ``app.wait_listening(port)`` and ``app.url(port)`` for a server started with
    ``expose=[port]``. Apps still running when the test ends are stopped."""
    starter = StartApp(request, request.config.stash[SETTING_KEY])
    yield starter
    starter.close()
