"""A project for ``holdout loop``: a keyholder's key outside it, a store with a signed manifest,
a harness that starts the working copy's ``greet.py`` in the sandbox, a spec, and agents.

The software to build: ``greet.py NAME`` prints ``Hello, NAME!``, and with ``--loud`` the same in
capitals. One scenario of each: an agent that forgets ``--loud`` gets 0.5.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from dataclasses import dataclass
from pathlib import Path

from pytest_holdout.store import keys
from pytest_holdout.store.files import RECIPIENTS, STORE_DIR, Store

CANARY = "CANARY-5c1e77a2"  # in the scenarios' text and data: it must never reach the agent

SCENARIOS = f"""\
Feature: Greeting {CANARY}
  Scenario: A greeting {CANARY}
    When the app greets "{CANARY}"
    Then it says "Hello, {CANARY}!"

  Scenario: A loud greeting
    When the app greets "bob" loudly
    Then it says "HELLO, BOB!"
"""

HARNESS = '''\
"""The keyholder's step definitions: they start the agent's greet.py in the sandbox."""
import sys

from pytest_holdout import parsers, then, when


def _greet(holdout_sut, holdout_app_dir, *args):
    app = holdout_sut([sys.executable, "greet.py", *args], cwd=holdout_app_dir)
    app.wait(timeout=30)
    return app.stdout.strip()


@when(parsers.parse('the app greets "{name}"'), target_fixture="reply")
def greet(holdout_sut, holdout_app_dir, name):
    return _greet(holdout_sut, holdout_app_dir, name)


@when(parsers.parse('the app greets "{name}" loudly'), target_fixture="reply")
def greet_loudly(holdout_sut, holdout_app_dir, name):
    return _greet(holdout_sut, holdout_app_dir, name, "--loud")


@then(parsers.parse('it says "{text}"'))
def says(reply, text):
    assert reply == text
'''

SPEC = """\
# greet.py

`python greet.py NAME` prints one line, `Hello, NAME!`. With `--loud` after the name it prints
the same line in capitals: `python greet.py bob --loud` prints `HELLO, BOB!`.
"""

# greet.py as the agent writes it in round 1 (no --loud: half the scenarios) and round 2.
QUIET_GREET = 'import sys\nprint(f"Hello, {sys.argv[1]}!")\n'
LOUD_GREET = (
    "import sys\n"
    'text = f"Hello, {sys.argv[1]}!"\n'
    'print(text.upper() if "--loud" in sys.argv else text)\n'
)


@dataclass
class LoopProject:
    root: Path  # the keyholder's project: harness, store, specs
    key_file: Path  # outside the project
    key_text: str

    @property
    def workdir(self) -> Path:
        return self.root / "app"

    @property
    def loop_dir(self) -> Path:
        return self.root / ".holdout-loop"

    def env(self, **extra: str) -> dict[str, str]:
        """The keyholder's environment: the key as a file, this suite's commands first."""
        env = {k: v for k, v in os.environ.items() if not k.startswith("HOLDOUT_")}
        env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env['PATH']}"
        env[keys.IDENTITY_FILE_VAR] = str(self.key_file)
        return {**env, **extra}

    def loop(
        self, *args: str, env: dict[str, str] | None = None
    ) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "pytest_holdout", "loop", "--specs", "specs", *args],
            cwd=self.root,
            env=env or self.env(),
            capture_output=True,
            text=True,
            timeout=600,
        )

    def write(self, name: str, text: str, mode: int = 0o644) -> Path:
        path = self.root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text))
        path.chmod(mode)
        return path


def make_project(base: Path, key_folder: str = "keys") -> LoopProject:
    """The project in ``base/project``, the key in ``base/<key_folder>``."""
    identity = keys.generate()
    key_text = keys.identity_text(identity)
    key_file = base / key_folder / "key.txt"
    key_file.parent.mkdir(parents=True)
    key_file.write_text(key_text)
    key_file.chmod(0o600)
    root = base / "project"
    store_dir = root / STORE_DIR
    store_dir.mkdir(parents=True)
    (store_dir / RECIPIENTS).write_text(f"{identity.recipient}\n")
    store = Store(store_dir)
    store.add(SCENARIOS.encode())
    project = LoopProject(root, key_file, key_text)
    project.write("conftest.py", HARNESS)
    project.write("specs/greet.md", SPEC)
    # As the keyholder signs: `holdout manifest`, which pins the harness (conftest.py) too.
    subprocess.run(
        [sys.executable, "-m", "pytest_holdout", "manifest", "--store-id", "acme/loop"],
        cwd=root,
        env={**os.environ, keys.IDENTITY_VAR: key_text},
        check=True,
        capture_output=True,
    )
    return project
