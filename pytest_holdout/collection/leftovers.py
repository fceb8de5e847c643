"""What a holdout item's code leaves behind once its phase is over, kept out of public output.

Capture, log filters and warning records close what a step does *during* its phase. Some things
happen later, where pytest would report them as anybody's:

* a thread the trial started raises, prints or logs after the step returned: pytest's
  ``threading.excepthook`` turns the exception into a warning of whatever test runs then, the
  print lands in that test's captured output (or, between tests, on the terminal);
* an object in a reference cycle raises in ``__del__`` when the garbage collector gets to it,
  which pytest reports as an unraisable-exception warning of that test, or after the summary.

So, for holdout items below ``--holdout-disclose=steps``: every thread started during a phase is
remembered with its trial; the teardown waits a moment for the trial's threads and collects the
young garbage, so that most leftovers happen inside the trial; exceptions of remembered threads
(at any time) and unraisable exceptions during a holdout phase go to the trial's sealed detail
instead of pytest's hooks; a remembered thread that outlives the wait has its log records and
``print`` calls diverted too (``print`` by wrapping the builtin: no stream of pytest's is the
same object across its capture's suspend and resume). What is diverted after the trial was
sealed is kept as "late" output, sealed at the end of the session.
"""

from __future__ import annotations

import builtins
import gc
import sys
import threading
import traceback
import weakref
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import pytest

# How long a trial's teardown waits for the threads the trial started, in seconds.
THREAD_GRACE = 2.0


class Leftovers:
    def __init__(self) -> None:
        self.threads: weakref.WeakKeyDictionary[threading.Thread, pytest.Item] = (
            weakref.WeakKeyDictionary()
        )
        self.late: list[tuple[pytest.Item, str]] = []  # diverted after the trial was sealed
        self._last: pytest.Item | None = None  # the last holdout item that ran here
        self._active: pytest.Item | None = None
        self._buffer: list[str] | None = None
        self._restore: list[Callable[[], None]] = []
        self._hooks_installed = False
        self._print_routed = False
        self._closed = False

    def belongs_to_holdout(self) -> bool:
        """Whether what the current thread emits now is a holdout item's."""
        return self._active is not None or threading.current_thread() in self.threads

    def divert(self, text: str, thread: threading.Thread | None = None) -> None:
        """Keep ``text``, emitted by holdout code (in ``thread``, by default the current one),
        for the sealed detail of its trial: the running one's, else the one that started the
        thread, as late output."""
        owner = self.threads.get(thread or threading.current_thread())
        if self._closed:
            return
        if self._buffer is not None and owner in (None, self._active):
            self._buffer.append(text)
        elif owner is not None or self._active is not None:
            self.late.append((owner or self._active, text))  # type: ignore[arg-type]

    @contextmanager
    def phase(self, item: pytest.Item, buffer: list[str], teardown: bool) -> Iterator[None]:
        """Around one phase of a holdout item; ``buffer`` receives what is diverted meanwhile."""
        self._install_hooks()
        self._last = item
        before = set(threading.enumerate())
        self._active, self._buffer = item, buffer
        try:
            yield
        finally:
            try:
                for thread in set(threading.enumerate()) - before:
                    self.threads[thread] = item
                if teardown:
                    self._settle(item)
            finally:
                self._active = self._buffer = None

    def sweep(self) -> None:
        """At the end of a session that ran holdout items: collect all garbage while unraisable
        exceptions are still diverted (pytest collects once more after its summary, where they
        would show). What turns up is filed under the last trial: its origin is unknown."""
        if self._last is None:
            return
        self._active, self._buffer = self._last, None
        try:
            gc.collect()
        finally:
            self._active = None

    def outlived(self) -> bool:
        """Whether a thread a trial started is still running."""
        return any(thread.is_alive() for thread in list(self.threads))

    def close(self) -> None:
        """At the end of the session. While a trial's thread still runs, what it prints or
        raises is dropped (nothing can seal it any more) rather than shown."""
        self._closed = True
        if not self.outlived():
            while self._restore:
                self._restore.pop()()

    def _settle(self, item: pytest.Item) -> None:
        """The teardown guard: wait for the trial's threads, then collect young garbage."""
        pending = [thread for thread, owner in list(self.threads.items()) if owner is item]
        for thread in pending:
            if thread is not threading.current_thread():
                thread.join(THREAD_GRACE / len(pending))
        if any(thread.is_alive() for thread in pending):
            self._route_print()
        gc.collect(1)

    def _install_hooks(self) -> None:
        # Installed at the first holdout phase, over pytest's own hooks (set at configure).
        if self._hooks_installed:
            return
        self._hooks_installed = True
        previous_thread_hook = threading.excepthook
        previous_unraisable_hook = sys.unraisablehook

        def thread_hook(args: threading.ExceptHookArgs) -> None:
            if self._active is not None or args.thread in self.threads:
                text = _format(args.exc_type, args.exc_value, args.exc_traceback)
                self.divert(f"exception in a thread:\n{text}", args.thread)
            else:
                previous_thread_hook(args)

        def unraisable_hook(unraisable: Any) -> None:
            if self.belongs_to_holdout():
                text = _format(unraisable.exc_type, unraisable.exc_value, unraisable.exc_traceback)
                self.divert(f"{unraisable.err_msg or 'Exception ignored in'}:\n{text}")
            else:
                previous_unraisable_hook(unraisable)

        threading.excepthook = thread_hook
        sys.unraisablehook = unraisable_hook

        def restore() -> None:
            if threading.excepthook is thread_hook:
                threading.excepthook = previous_thread_hook
            if sys.unraisablehook is unraisable_hook:
                sys.unraisablehook = previous_unraisable_hook

        self._restore.append(restore)

    def _route_print(self) -> None:
        if self._print_routed:
            return
        self._print_routed = True
        original = builtins.print

        def routed(
            *values: object,
            sep: str | None = " ",
            end: str | None = "\n",
            file: Any = None,
            flush: bool = False,
        ) -> None:
            own_stream = file is None or file is sys.stdout or file is sys.stderr
            if own_stream and threading.current_thread() in self.threads:
                sep, end = " " if sep is None else sep, "\n" if end is None else end
                self.divert(sep.join(map(str, values)) + end)
                return
            original(*values, sep=sep, end=end, file=file, flush=flush)

        builtins.print = routed

        def restore() -> None:
            if builtins.print is routed:
                builtins.print = original

        self._restore.append(restore)


def _format(kind: Any, value: Any, tb: Any) -> str:
    return "".join(traceback.format_exception(kind, value, tb))
