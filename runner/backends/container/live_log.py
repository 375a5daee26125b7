"""The live log of one container invoke: the caller's sink, caught up from the result's log if the stream lags."""

from __future__ import annotations

import contextlib
import threading
import time

from runner.backends.container.warm import WarmContainer
from runner.backends.contract import LogSink
from runner.result import InvokeResult


def await_line(w: WarmContainer, prefix: str, timeout_s: float) -> bool:
    """Waits (bounded) until the container's log stream has passed a line starting with prefix."""
    end = time.monotonic() + timeout_s
    with w.line_event:
        while not any(line.startswith(prefix) for line in w.lines[-200:]):
            left = end - time.monotonic()
            if left <= 0:
                return False
            w.line_event.wait(left)
    return True


REPORT_WAIT_S = 1.0  # how long the live log may stall after the answer before the result's log fills it in
REPORT_WAIT_MAX_S = 60.0  # and how long it may keep flowing after the answer (tens of MB of log)


class LiveSink:
    """The caller's live sink for one invoke; catches up from the result's log if the stream lags."""

    def __init__(self, sink: LogSink) -> None:
        self.sink = sink
        self.delivered: list[str] = []
        self.lock = threading.Lock()
        self.done = False

    def __call__(self, line: str) -> None:
        with self.lock:  # in order with finish's catch-up
            if self.done:
                return
            self.delivered.append(line)
            self.sink(line)

    def finish(self, w: WarmContainer, result: InvokeResult) -> None:
        """Completes the live log with the result's lines the stream has not delivered yet, so it never
        misses a line the result's log has (issue 16's race). When the answer carries the invoke's
        whole log (START to REPORT), at once: docker's stream is not awaited on the click → result
        path; the next invoke on this container waits for it instead (w.report_due). Else it waits
        while the stream makes progress (a big log), then catches up."""
        prefix, end = f"REPORT RequestId: {result.request_id}", time.monotonic() + REPORT_WAIT_MAX_S
        whole = result.log_text.startswith(f"START RequestId: {result.request_id}")
        if whole and prefix in result.log_text:
            with self.lock:
                streamed = any(line.startswith(prefix) for line in self.delivered[-3:])
            if not streamed:
                w.report_due = prefix
            self._catch_up(result)
            return
        seen = -1
        # Wait while the stream makes progress (a big log is still flowing), up to a hard bound.
        while len(self.delivered) != seen and time.monotonic() < end:
            seen = len(self.delivered)
            if await_line(w, prefix, REPORT_WAIT_S):
                return
        self._catch_up(result)

    def _catch_up(self, result: InvokeResult) -> None:
        with self.lock:
            self.done = True
            for line in _missing(self.delivered, result.log_text.splitlines()):
                with contextlib.suppress(Exception):
                    self.sink(line)


def _missing(delivered: list[str], lines: list[str]) -> list[str]:
    """The result's lines after the last ones the stream delivered (matched on up to 3 lines, so a
    repeated line does not misplace it); all of them when nothing matches (a duplicate beats a loss)."""
    for m in (3, 2, 1):
        if len(delivered) < m:
            continue
        tail = delivered[-m:]
        for j in range(len(lines) - m, -1, -1):
            if lines[j : j + m] == tail:
                return lines[j + m :]
    return lines
