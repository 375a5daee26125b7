"""Lambda's event sources run locally (Qt-free, no `app` import): pollers, dispatch, patterns, schedules.

Each part is given a boto3-style client factory for the local endpoint and an invoke callable
``invoke(function_id, event_bytes, sink) -> InvokeResult``.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from runner.backends.contract import LogSink
from runner.result import InvokeResult

ClientFactory = Callable[[str], Any]
InvokeFn = Callable[[str, bytes, LogSink | None], InvokeResult]


class Worker:
    """A named daemon thread running ``step`` until stopped; ``step`` returns seconds to sleep after it."""

    def __init__(self, name: str, step: Callable[[], float], log: LogSink) -> None:
        self.name = name
        self._step = step
        self._log = log
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)

    def start(self) -> None:
        self._thread.start()

    @property
    def stopping(self) -> bool:
        return self._stop.is_set()

    def stop(self) -> None:
        self._stop.set()

    def join(self, timeout: float = 10.0) -> None:
        if self._thread.is_alive() and self._thread is not threading.current_thread():
            self._thread.join(timeout)

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                pause = self._step()
            except Exception as exc:  # the endpoint went away, a bad response: say it, keep polling
                if self._stop.is_set():
                    return
                self._log(f"{self.name}: {type(exc).__name__}: {exc}")
                pause = 1.0
            if pause > 0:
                self._stop.wait(pause)


def stop_workers(workers: list[Worker]) -> None:
    """Signal every worker first (so they wind down together), then join each and empty the list."""
    for worker in workers:
        worker.stop()
    for worker in workers:
        worker.join()
    workers.clear()
