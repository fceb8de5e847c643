"""Keep what a holdout item's code prints, logs, warns or leaves behind away from public output.

pytest already captures output and log records into report sections, which the session strips
from holdout reports. These paths go around that capture and are closed here, per phase of a
holdout item below ``--holdout-disclose=steps``, so that ``-s``, ``--capture=tee-sys``, live
logging and ``log_file`` stay usable:

* with capture off (or teed), the item's file descriptors 1 and 2 are captured here instead;
* log records emitted while a holdout item runs (or later, by a thread it started) are dropped by
  the live-log and log-file handlers; pytest's own per-item log capture still gets them, for the
  sealed report;
* warnings raised in a step are recorded here rather than by pytest's warnings summary;
* ``--setup-show`` does not list the fixtures a scenario pulls in;
* faulthandler, which would print the stack of a crashing or hanging step (function names and
  lines), writes to the null device instead;
* ``KeyboardInterrupt`` and ``pytest.exit()`` leave the item without their message or traceback
  (pytest prints both; the original goes to the sealed report);
* threads, exceptions and garbage the trial leaves behind: see ``leftovers``.
"""

from __future__ import annotations

import faulthandler
import logging
import os
import threading
import traceback
import warnings
from collections.abc import Generator, Iterator
from contextlib import contextmanager, nullcontext
from typing import IO

import pytest
from _pytest.capture import FDCapture, MultiCapture
from _pytest.faulthandler import fault_handler_stderr_fd_key

from pytest_holdout.collection.leftovers import Leftovers
from pytest_holdout.outcomes.disclosure import Disclosure


class _HoldoutRecords(logging.Filter):
    """Drops records that holdout code emits: while an item runs (``during``), or from a thread
    a trial started. With ``divert``, a late record is kept for the trial's sealed detail."""

    def __init__(self, leftovers: Leftovers, *, during: bool, divert: bool = False) -> None:
        super().__init__()
        self.leftovers = leftovers
        self.during = during
        self.divert = divert
        self.active = False

    def filter(self, record: logging.LogRecord) -> bool:
        if self.during and self.active:
            return False
        if self.active or threading.current_thread() not in self.leftovers.threads:
            return True
        if self.divert:
            self.leftovers.divert(f"log: {record.levelname} {record.name}: {record.getMessage()}\n")
        return False


ISOLATION_KEY = pytest.StashKey["HoldoutIsolation"]()


def running_holdout_item(config: pytest.Config) -> pytest.Item | None:
    """The holdout item whose phase is running in this process, if any."""
    isolation = config.stash.get(ISOLATION_KEY, None)
    return isolation.running if isolation is not None else None


class HoldoutIsolation:
    def __init__(self, config: pytest.Config, disclosure: Disclosure) -> None:
        self.config = config
        self.enabled = not disclosure.secret
        self.own_capture = config.getoption("capture", "fd") in ("no", "tee-sys")
        self.leftovers = Leftovers()
        self.running: pytest.Item | None = None
        self._public = _HoldoutRecords(self.leftovers, during=True)
        self._captured_records = _HoldoutRecords(self.leftovers, during=False)
        self._reported_records = _HoldoutRecords(self.leftovers, during=False, divert=True)
        self._filters_installed = False
        self._installed_filters: list[tuple[logging.Handler, logging.Filter]] = []
        self._captured: dict[str, list[str]] = {}
        self._null: IO[str] | None = None
        config.stash[ISOLATION_KEY] = self

    def _install_log_filters(self) -> None:
        if self._filters_installed:
            return
        logging_plugin = self.config.pluginmanager.get_plugin("logging-plugin")
        handlers: list[tuple[logging.Handler | None, logging.Filter]] = [
            (getattr(logging_plugin, name, None), log_filter)
            for name, log_filter in (
                ("log_cli_handler", self._public),
                ("log_file_handler", self._public),
                ("caplog_handler", self._captured_records),
                ("report_handler", self._reported_records),
            )
        ]
        # Between tests the root logger may have no handler: Python then writes to stderr.
        handlers.append((logging.lastResort, self._public))
        for handler, log_filter in handlers:
            if handler is not None:
                handler.addFilter(log_filter)
                self._installed_filters.append((handler, log_filter))
        self._filters_installed = True

    def phase(self, item: pytest.Item, is_holdout: bool, when: str) -> Generator[None, None, None]:
        """The body of the ``when`` (setup, call, teardown) hook wrapper (``trylast``: inside
        pytest's own capture, so that what the teardown guard waits for is captured too)."""
        if not (self.enabled and is_holdout):
            return (yield)
        self._install_log_filters()
        buffer = self._captured.setdefault(item.nodeid, [])
        with (
            self._holding(item),
            _captured_fds(buffer) if self.own_capture else nullcontext(),
            self._quiet_fixtures(),
            self._quiet_faulthandler(),
            _recorded_warnings(buffer),
            self.leftovers.phase(item, buffer, teardown=when == "teardown"),
        ):
            try:
                return (yield)
            except (KeyboardInterrupt, pytest.exit.Exception) as exc:
                raise self._redacted(item, exc) from None

    def drain(self, item: pytest.Item) -> str:
        """What was held back for ``item`` so far (for its sealed detail), forgetting it."""
        return "".join(self._captured.pop(item.nodeid, []))

    def close(self) -> None:
        self.leftovers.close()
        if not self.leftovers.outlived():
            for handler, log_filter in self._installed_filters:
                handler.removeFilter(log_filter)
        if self._null is not None:
            self._null.close()

    @contextmanager
    def _holding(self, item: pytest.Item) -> Iterator[None]:
        self.running = item
        for log_filter in (self._public, self._captured_records, self._reported_records):
            log_filter.active = True
        try:
            yield
        finally:
            self.running = None
            for log_filter in (self._public, self._captured_records, self._reported_records):
                log_filter.active = False

    @contextmanager
    def _quiet_fixtures(self) -> Iterator[None]:
        """``--setup-show`` would list each fixture the scenario's steps request."""
        option = self.config.option
        shown = getattr(option, "setupshow", False)
        option.setupshow = False
        try:
            yield
        finally:
            option.setupshow = shown

    @contextmanager
    def _quiet_faulthandler(self) -> Iterator[None]:
        """pytest's faulthandler dumps every thread's stack on a crash or a
        ``faulthandler_timeout``: the step's function and line. Send it to the null device for the
        phase (the timeout, with its exit, still applies)."""
        stderr = self.config.stash.get(fault_handler_stderr_fd_key, None)
        if stderr is None or not faulthandler.is_enabled():
            yield
            return
        if self._null is None:
            self._null = open(os.devnull, "w")  # noqa: SIM115 - kept open for faulthandler
        timeout = float(self.config.getini("faulthandler_timeout") or 0.0)
        faulthandler.enable(file=self._null)
        if timeout > 0:
            exit_on_timeout = bool(self.config.getini("faulthandler_exit_on_timeout"))
            faulthandler.dump_traceback_later(timeout, file=self._null, exit=exit_on_timeout)
        try:
            yield
        finally:
            if timeout > 0:
                faulthandler.cancel_dump_traceback_later()
            faulthandler.enable(file=stderr)

    def _redacted(self, item: pytest.Item, exc: BaseException) -> BaseException:
        """A stop raised while a holdout item runs, without its message or traceback (pytest
        prints both); the original is kept for the sealed report."""
        text = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))
        self.leftovers.late.append((item, f"the run was stopped here:\n{text}"))
        if isinstance(exc, pytest.exit.Exception):
            return pytest.exit.Exception(
                f"holdout scenario {item.name} stopped the run", returncode=exc.returncode
            )
        return KeyboardInterrupt()


@contextmanager
def _captured_fds(buffer: list[str]) -> Iterator[None]:
    capture = MultiCapture(in_=None, out=FDCapture(1), err=FDCapture(2))
    capture.start_capturing()
    try:
        yield
    finally:
        out, err = capture.readouterr()
        capture.stop_capturing()
        buffer.extend(text for text in (out, err) if text)


@contextmanager
def _recorded_warnings(buffer: list[str]) -> Iterator[None]:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            yield
        finally:
            buffer.extend(f"warning: {w.category.__name__}: {w.message}\n" for w in caught)
