"""Starting a round's agent: any command, or the built-in one, always in the sandbox.

What the agent gets, and all it gets:

* its working directory, the working copy, writable; the rest of the filesystem read-only, with
  the key file and its folder, the loop's folder (reports, logs) and the user's credentials
  masked; a PID namespace of its own (no other process, no other ``/proc/<pid>/environ``);
* an environment of ``PATH``, ``LANG``, a fresh ``HOME`` and ``TMPDIR``, ``LOOP_SPECS``,
  ``LOOP_FEEDBACK`` and ``LOOP_ROUND``, and the variables ``--agent-env`` names: never a
  ``HOLDOUT_*`` variable (the sandbox refuses them) nor the key's path;
* a network of loopback only, reaching the ``--agent-forward`` addresses and, through the loop's
  proxy, the ``--agent-allow`` hosts.

The built-in agent (``anthropic:MODEL``) is one more command run this way; it gets
``ANTHROPIC_API_KEY`` and ``ANTHROPIC_BASE_URL`` from the loop's environment, and the way to its
API: the base URL forwarded when it is on loopback (a twin), else the proxy to its host.
"""

from __future__ import annotations

import os
import shlex
import subprocess
import sys
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import pytest_holdout
from pytest_holdout.errors import UsageError
from pytest_holdout.loop.proxy import ConnectProxy
from pytest_holdout.sandbox import Sandbox, SandboxError
from pytest_holdout.sandbox.runner import FORBIDDEN_PREFIX, parse_address
from pytest_holdout.store.keys import IDENTITY_FILE_VAR

BUILTIN = "anthropic:"
ANTHROPIC_API = "https://api.anthropic.com"
ANTHROPIC_VARIABLES = ("ANTHROPIC_API_KEY", "ANTHROPIC_BASE_URL")


@dataclass(frozen=True)
class Agent:
    """What runs each round: ``argv``, with the variables and addresses it needs."""

    argv: list[str]
    description: str
    env: dict[str, str] = field(default_factory=dict)
    forward: list[str] = field(default_factory=list)
    allow: list[str] = field(default_factory=list)

    @classmethod
    def parse(cls, text: str, environ: Mapping[str, str] = os.environ) -> Agent:
        """``--agent``: ``anthropic:MODEL``, or a command line (split as a shell would)."""
        if text.startswith(BUILTIN):
            return cls.builtin(text.removeprefix(BUILTIN), environ)
        try:
            argv = shlex.split(text)
        except ValueError as exc:
            raise UsageError(f"--agent {text!r}: {exc}") from None
        if not argv:
            raise UsageError("--agent: give a command, or anthropic:MODEL")
        if "/" in argv[0]:  # ./agent.sh is where the user is, not in the working copy
            argv[0] = os.path.abspath(argv[0])
        return cls(argv, f"command {text!r}")

    @classmethod
    def builtin(cls, model: str, environ: Mapping[str, str]) -> Agent:
        if not model:
            raise UsageError("--agent anthropic:MODEL: give the model, e.g. claude-sonnet-4-6")
        env = {name: environ[name] for name in ANTHROPIC_VARIABLES if environ.get(name)}
        if "ANTHROPIC_API_KEY" not in env:
            raise UsageError("--agent anthropic:MODEL needs ANTHROPIC_API_KEY")
        base = env.get("ANTHROPIC_BASE_URL", ANTHROPIC_API)
        parts = urlsplit(base)
        if not parts.hostname:
            raise UsageError(f"ANTHROPIC_BASE_URL {base!r}: not a URL")
        forward, allow = [], []
        try:
            parse_address(base)
            forward.append(base)  # a twin on loopback: reached directly
        except SandboxError:
            port = parts.port or (443 if parts.scheme == "https" else 80)
            allow.append(f"{parts.hostname}:{port}")  # off this machine: through the proxy
        argv = [sys.executable, "-I", "-m", "pytest_holdout.loop.anthropic_agent", model]
        return cls(argv, f"built-in, model {model}", env, forward, allow)


@dataclass(frozen=True)
class AgentRun:
    status: int | None  # None when it ran out of time
    seconds: float
    stdout: str
    stderr: str

    def note(self) -> str:
        """What the round's line says of the agent: nothing when it exited 0."""
        if self.status is None:
            return "the agent ran out of time"
        if self.status == 0:
            return ""
        last = (self.stderr.strip().splitlines() or [""])[-1][:200]
        return f"the agent exited {self.status}" + (f": {last}" if last else "")

    def log_text(self) -> str:
        return f"{self.stdout}\n--- stderr ---\n{self.stderr}"


def key_paths(environ: Mapping[str, str]) -> list[Path]:
    """The key file and its folder, when the key is given as a file."""
    if not environ.get(IDENTITY_FILE_VAR):
        return []
    key = Path(environ[IDENTITY_FILE_VAR]).expanduser().absolute()
    return [key, key.parent]


def agent_variables(names: Iterable[str], environ: Mapping[str, str]) -> dict[str, str]:
    """``--agent-env NAME`` (its value here) or ``NAME=VALUE``; never a ``HOLDOUT_*`` one."""
    env: dict[str, str] = {}
    for item in names:
        name, equals, value = item.partition("=")
        if name.upper().startswith(FORBIDDEN_PREFIX):
            raise UsageError(
                f"--agent-env {name}: no {FORBIDDEN_PREFIX}* variable reaches the agent"
            )
        if not equals:
            if name not in environ:
                raise UsageError(f"--agent-env {name}: not set here")
            value = environ[name]
        env[name] = value
    return env


class AgentSandbox:
    """Runs ``agent`` in the working copy each round, in the sandbox (see the module)."""

    def __init__(
        self,
        agent: Agent,
        *,
        workdir: Path,
        specs: Path,
        feedback_file: Path,
        readable: Sequence[Path],
        hide: Sequence[Path],
        env: Mapping[str, str],
        forward: Sequence[str],
        allow: Sequence[str],
        timeout: float,
    ) -> None:
        package = Path(pytest_holdout.__file__).resolve().parent.parent  # the built-in agent
        self.sandbox = Sandbox(
            hide=hide, readable=[*readable, specs, feedback_file.parent, package]
        )
        self.sandbox.check()
        self.agent, self.workdir, self.timeout = agent, workdir, timeout
        self.env = {
            **env,
            **agent.env,
            "LOOP_SPECS": str(specs),
            "LOOP_FEEDBACK": str(feedback_file),
        }
        self.forward = [*forward, *agent.forward]
        allowed = [*allow, *agent.allow]
        self.proxy = ConnectProxy(allowed) if allowed else None
        if self.proxy is not None:
            self.env.update(HTTPS_PROXY=self.proxy.url, https_proxy=self.proxy.url)
            self.forward.append(self.proxy.url)

    def run(self, round_number: int) -> AgentRun:
        started = time.monotonic()
        with self.sandbox.spawn(
            self.agent.argv,
            env={**self.env, "LOOP_ROUND": str(round_number)},
            cwd=self.workdir,
            writable=[self.workdir],
            forward=self.forward,
        ) as process:
            try:
                status: int | None = process.wait(self.timeout)
            except subprocess.TimeoutExpired:
                process.stop()
                status = None
            return AgentRun(status, time.monotonic() - started, process.stdout, process.stderr)

    def close(self) -> None:
        if self.proxy is not None:
            self.proxy.close()
