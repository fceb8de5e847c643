"""Keep what a holdout item's code prints, logs or warns away from the public output.

pytest already captures output and log records into report sections, which the session strips
from holdout reports. Three paths go around that capture and are closed here, per phase of a
holdout item, so that ``-s``, ``--capture=tee-sys``, live logging and ``log_file`` stay usable:

* with capture off (or teed), the item's file descriptors 1 and 2 are captured here instead;
* log records emitted while a holdout item runs are dropped by the live-log and log-file handlers
  (pytest's own per-item log capture still gets them, for the sealed report);
* warnings raised in a step are recorded here rather than by pytest's warnings summary.
"""

from __future__ import annotations

import logging
import warnings
from collections.abc import Generator

import pytest
from _pytest.capture import FDCapture, MultiCapture

from pytest_holdout.outcomes.disclosure import Disclosure


class _WhileHoldoutRuns(logging.Filter):
    def __init__(self) -> None:
        super().__init__()
        self.active = False

    def filter(self, record: logging.LogRecord) -> bool:
        return not self.active


class HoldoutIsolation:
    def __init__(self, config: pytest.Config, disclosure: Disclosure) -> None:
        self.config = config
        self.enabled = not disclosure.secret
        self.own_capture = config.getoption("capture", "fd") in ("no", "tee-sys")
        self.log_filter = _WhileHoldoutRuns()
        self._filter_installed = False
        self._captured: dict[str, list[str]] = {}

    def _install_log_filter(self) -> None:
        if self._filter_installed:
            return
        logging_plugin = self.config.pluginmanager.get_plugin("logging-plugin")
        for name in ("log_cli_handler", "log_file_handler"):
            handler = getattr(logging_plugin, name, None)
            if handler is not None:
                handler.addFilter(self.log_filter)
        self._filter_installed = True

    def phase(self, item: pytest.Item, is_holdout: bool) -> Generator[None, None, None]:
        """The body of a setup/call/teardown hook wrapper."""
        if not (self.enabled and is_holdout):
            return (yield)
        self._install_log_filter()
        capture = None
        if self.own_capture:
            capture = MultiCapture(in_=None, out=FDCapture(1), err=FDCapture(2))
            capture.start_capturing()
        self.log_filter.active = True
        buffer = self._captured.setdefault(item.nodeid, [])
        try:
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always")
                try:
                    return (yield)
                finally:
                    buffer.extend(f"warning: {w.category.__name__}: {w.message}\n" for w in caught)
        finally:
            self.log_filter.active = False
            if capture is not None:
                out, err = capture.readouterr()
                capture.stop_capturing()
                buffer.extend(text for text in (out, err) if text)

    def drain(self, item: pytest.Item) -> str:
        """What was held back for ``item`` so far (for its sealed detail), forgetting it."""
        return "".join(self._captured.pop(item.nodeid, []))
