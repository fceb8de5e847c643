"""A sandbox for the software under test, which is the adversary's code.

The app a coding agent wrote runs out of the test process, in a bubblewrap sandbox where it finds
no key, no other process and no way out but the twins it is meant to reach::

    from pytest_holdout.sandbox import Sandbox

    sandbox = Sandbox(hide=[key_file, key_file.parent], readable=[project])
    with sandbox.spawn(
        ["python", "bot.py"], env={"SLACK_URL": slack.base_url}, forward=[slack.base_url]
    ) as app:
        status = app.wait(30)
        print(app.stdout)

``Sandbox.spawn`` documents what the app sees, ``AppProcess`` what the handle does.
``Unsandboxed`` has the same ``spawn`` without the walls (``--holdout-sandbox=none``), and
``choose`` picks one for a session. The pytest fixture ``holdout_sut`` (``pytest_holdout.sut``)
is a thin layer on this package, which knows nothing of pytest or scenarios.
"""

from __future__ import annotations

from pytest_holdout.sandbox.bwrap import Sandbox, why_no_sandbox
from pytest_holdout.sandbox.choice import MODES, Choice, choose
from pytest_holdout.sandbox.errors import SandboxError, SandboxUnavailable
from pytest_holdout.sandbox.process import AppProcess
from pytest_holdout.sandbox.runner import Runner, Unsandboxed

__all__ = [
    "MODES",
    "AppProcess",
    "Choice",
    "Runner",
    "Sandbox",
    "SandboxError",
    "SandboxUnavailable",
    "Unsandboxed",
    "choose",
    "why_no_sandbox",
]
