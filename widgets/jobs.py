"""The one bridge from blocking work (runner, deploy) to the GUI: a QThreadPool plus batched log delivery.

A job is a plain blocking callable ``work(sink, cancel) -> result``: ``sink(line)`` may be called from
the worker thread as often as it likes, ``cancel`` is a ``threading.Event`` the work should honour.
Lines are collected in a deque and delivered to the GUI thread every 50 ms as one list;
the result (or the failure) arrives afterwards, so the last lines always come first.

Failing is one way: the work raises. A ``UserFacingError`` (runner.errors; SetupError, DeployError,
ProjectLoadError, Cancelled... are ones) is expected: it arrives as ``failed(text)`` with its message and
hint and no traceback anywhere. Any other exception is a bug: the traceback goes to the job's log and
``failed`` says ``Type: message``. ``job.failure`` holds the structured ``Failure`` for either.
"""

from __future__ import annotations

import sys
import threading
import traceback
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import QObject, QRunnable, QThreadPool, QTimer, Signal, Slot

from app.messages import guarded_sink
from runner.errors import UserFacingError

Work = Callable[[Callable[[str], None], threading.Event], Any]
BATCH_MS = 50
MAX_FLUSH = 10_000  # lines per job per tick
GUI_SWITCH_INTERVAL_S = 0.001


def tune_threads_for_gui() -> None:
    """Once, at GUI start: shorten the GIL switch interval so workers cannot starve the GUI thread.

    Workers share the GIL with the GUI thread, and a busy worker keeps it for the whole switch interval
    (5 ms) each time the GUI asks for it - every Python call while painting a view pays that. A shorter
    interval keeps the window responsive while a function floods its log. Process-wide, hence not done
    by any constructor.
    """
    if sys.getswitchinterval() > GUI_SWITCH_INTERVAL_S:
        sys.setswitchinterval(GUI_SWITCH_INTERVAL_S)


@dataclass(frozen=True)
class Failure:
    """Why a job gave no result: an expected user error (message, hint) or a bug (with its traceback)."""

    message: str
    hint: str | None = None
    traceback: str | None = None  # only for unexpected exceptions
    cancelled: bool = False

    @property
    def expected(self) -> bool:
        return self.traceback is None

    def text(self, separator: str = "\n") -> str:
        """The message, then the hint (when there is one) after `separator`."""
        return f"{self.message}{separator}{self.hint}" if self.hint else self.message

    @classmethod
    def from_exception(cls, exc: BaseException) -> Failure:
        if isinstance(exc, UserFacingError):
            return cls(exc.message, exc.hint or None, cancelled=_is_cancelled(exc))
        trace = "".join(traceback.format_exception(exc))
        return cls(f"{type(exc).__name__}: {exc}", traceback=trace)


def _is_cancelled(exc: BaseException) -> bool:
    from app.deploy.progress import Cancelled  # the one cancellation error a job raises

    return isinstance(exc, Cancelled)


class Job(QObject):
    """One submitted piece of work, living in the GUI thread; its signals are safe to connect widgets to."""

    log_lines = Signal(object)  # list[str], batched; "object" passes the list as is (no per-item conversion)
    finished = Signal(object)  # the work's return value
    failed = Signal(str)  # a message for the user (the hint on its own line); details in .failure
    done = Signal()  # after finished or failed

    _relay_result = Signal(object)
    _relay_error = Signal(object)  # a Failure

    def __init__(self, name: str, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.name = name
        self.cancel_event = threading.Event()
        self.running = True
        self.result: Any = None
        self.error: str | None = None
        self.failure: Failure | None = None
        self._lines: deque[str] = deque()
        self._relay_result.connect(self._on_result)
        self._relay_error.connect(self._on_error)

    def cancel(self) -> None:
        self.cancel_event.set()

    def sink(self, line: str | bytes) -> None:
        """Called from the worker thread: queue one log line (or several, newline-separated)."""
        if isinstance(line, bytes):
            line = line.decode("utf-8", "replace")
        self._lines.extend(line.rstrip("\n").split("\n"))  # deque.extend is atomic: no lock needed

    def flush(self, limit: int | None = MAX_FLUSH) -> None:
        """GUI thread: deliver up to `limit` waiting lines as one batch (all of them when None).

        The limit keeps each 50 ms tick short while a worker still produces: popping shares the GIL
        with that worker, so a tick that drained everything could take a hundred milliseconds.
        """
        if limit is None:
            # The work has returned: nobody appends any more, so take the whole deque at C speed.
            old, self._lines = self._lines, deque()
            batch = list(old)
        else:
            popleft = self._lines.popleft
            batch = [popleft() for _ in range(min(len(self._lines), limit))]
        if not batch:
            return
        self.log_lines.emit(batch)

    @Slot(object)
    def _on_result(self, result: object) -> None:
        self.flush(None)
        self.running = False
        self.result = result
        self.finished.emit(result)
        self.done.emit()

    @Slot(object)
    def _on_error(self, failure: Failure) -> None:
        self.flush(None)
        self.running = False
        self.failure = failure
        self.error = failure.text()
        self.failed.emit(self.error)
        self.done.emit()


class _Runner(QRunnable):
    def __init__(self, job: Job, work: Work) -> None:
        super().__init__()
        self.setAutoDelete(True)
        self._job = job
        self._work = work

    def run(self) -> None:  # worker thread: touch only the job's thread-safe parts
        try:
            sink = guarded_sink(self._job.sink, f"The log of {self._job.name}")  # never raises into work
            result = self._work(sink, self._job.cancel_event)
        except Exception as exc:  # the user sees a message; the log keeps a bug's traceback
            failure = Failure.from_exception(exc)
            if failure.traceback:
                self._job.sink(failure.traceback)
            self._job._relay_error.emit(failure)
        else:
            self._job._relay_result.emit(result)


class JobBridge(QObject):
    """Runs jobs on its own thread pool; drain it with `shutdown()` (tests do so at teardown)."""

    job_started = Signal(object)
    job_done = Signal(object)

    def __init__(self, parent: QObject | None = None, *, max_threads: int = 4) -> None:
        super().__init__(parent)
        self.pool = QThreadPool(self)
        self.pool.setMaxThreadCount(max_threads)
        self._jobs: list[Job] = []
        self._timer = QTimer(self, interval=BATCH_MS)
        self._timer.timeout.connect(self._flush_all)

    def submit(self, work: Work, name: str = "job") -> Job:
        job = Job(name, self)
        self._jobs.append(job)
        job.done.connect(lambda j=job: self._on_done(j))
        if not self._timer.isActive():
            self._timer.start()
        self.job_started.emit(job)
        self.pool.start(_Runner(job, work))
        return job

    def active_jobs(self) -> list[Job]:
        return [j for j in self._jobs if j.running]

    def cancel_all(self) -> None:
        for job in self._jobs:
            job.cancel()

    def shutdown(self, timeout_ms: int = 10_000) -> bool:
        """Cancel everything and wait for the workers to return; True when the pool is empty."""
        self.cancel_all()
        drained = self.pool.waitForDone(timeout_ms)
        self._timer.stop()
        return bool(drained)

    def _flush_all(self) -> None:
        for job in self._jobs:
            job.flush()

    def _on_done(self, job: Job) -> None:
        if job in self._jobs:
            self._jobs.remove(job)
        if not self._jobs:
            self._timer.stop()
        self.job_done.emit(job)
        job.setParent(None)  # Python owns it now: gone when nobody holds it
