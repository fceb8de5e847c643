"""``LOOP_FEEDBACK``: the file the agent reads the last round's public feedback from.

It lives in a folder of its own, outside the working copy and the loop's folder, which the
agent's sandbox shows read-only: the agent reads it and can change nothing in it. Each round's
feedback replaces the last atomically, so an agent never reads half a file.
"""

from __future__ import annotations

import json
import shutil
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from pytest_holdout.reports.public_feedback import no_feedback_yet
from pytest_holdout.store.fsutil import atomic_write


class FeedbackFile:
    """``feedback.json`` in a private temporary folder, holding round 0 until ``write``."""

    def __init__(self, target: float) -> None:
        self.folder = Path(tempfile.mkdtemp(prefix="holdout-loop-feedback-"))
        self.path = self.folder / "feedback.json"
        self.target = target
        self.write(no_feedback_yet())

    def write(self, feedback: Mapping[str, Any]) -> None:
        text = json.dumps({**feedback, "target": self.target}, indent=2, sort_keys=True)
        atomic_write(self.path, (text + "\n").encode(), mode=0o644)

    def close(self) -> None:
        shutil.rmtree(self.folder, ignore_errors=True)
