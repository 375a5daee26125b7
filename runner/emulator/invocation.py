"""One invoke's record (log lines, REPORT), recent logs by request id, and the Invoke API's answer."""

from __future__ import annotations

import subprocess
import threading
import time
import uuid
from collections import OrderedDict, deque
from typing import TYPE_CHECKING, Any

from .common import MAX_KEPT_LOG, RECENT_LOG_BYTES

if TYPE_CHECKING:
    from .common import LogSink


class Invocation:
    """One invoke: the event going in, what came back, the log lines and the measured numbers."""

    def __init__(
        self, request_id: str, payload: bytes, client_context: str | None, cognito: str | None
    ) -> None:
        self.request_id = request_id
        self.payload = payload
        self.client_context = client_context
        self.cognito_identity = cognito
        self.trace_id = (
            f"Root=1-{int(time.time()):08x}-{uuid.uuid4().hex[:24]};Parent={uuid.uuid4().hex[:16]};Sampled=0"
        )
        self.done = threading.Event()
        self.lock = threading.Lock()  # keeping a line, its live sinks and its echo happen as one
        self.started = time.monotonic()
        self.delivered_at: float | None = None
        self.finished_at: float | None = None
        self.deadline_ms = 0
        self.outcome = "success"
        self.response: bytes | None = None
        self.error: bytes | None = None
        self.error_type_header: str | None = None
        self.too_large = False
        self._head: list[str] = []  # the first lines (START...) up to half the kept bytes
        self._tail: deque[str] = deque()  # the last lines, oldest dropped past the cap
        self._head_bytes = self._tail_bytes = self.dropped_bytes = 0
        self.closed = False  # set after REPORT: later output belongs to no invoke
        self.on_log: LogSink | None = None
        self.cold = False
        self.init_duration_ms: float | None = None
        self.duration_ms = 0.0
        self.billed_duration_ms = 0
        self.memory_size_mb = 0
        self.max_memory_used_mb: int | None = None
        self.body = b""
        self.proc: subprocess.Popen[bytes] | None = None  # the runtime process it runs on

    @property
    def function_error(self) -> bool:
        return self.outcome != "success"

    def add_line(self, line: str) -> None:
        """Keeps a log line: the log kept per invoke is bounded (its start and its end: END/REPORT)."""
        size = len(line) + 1
        if not self._tail and self._head_bytes + size <= MAX_KEPT_LOG // 2:
            self._head.append(line)
            self._head_bytes += size
            return
        self._tail.append(line)
        self._tail_bytes += size
        while self._tail_bytes > MAX_KEPT_LOG // 2 and len(self._tail) > 1:
            dropped = len(self._tail.popleft()) + 1
            self._tail_bytes -= dropped
            self.dropped_bytes += dropped

    @property
    def lines(self) -> list[str]:
        if not self.dropped_bytes:
            return [*self._head, *self._tail]
        note = f"lambda-studio: {self.dropped_bytes} bytes of log lines not kept here (the live log had them)"
        return [*self._head, note, *self._tail]

    @property
    def log_text(self) -> str:
        return "".join(line + "\n" for line in self.lines)

    def report(self) -> dict[str, Any]:
        return {
            "requestId": self.request_id,
            "outcome": self.outcome,
            "cold": self.cold,
            "durationMs": round(self.duration_ms, 2),
            "billedDurationMs": self.billed_duration_ms,
            "initDurationMs": None if self.init_duration_ms is None else round(self.init_duration_ms, 2),
            "memorySizeMb": self.memory_size_mb,
            "maxMemoryUsedMb": self.max_memory_used_mb,
            "logBytes": len(self.log_text.encode()),
        }


class Throttled(Exception):
    """Raised by Emulator.invoke when every runtime is busy (Lambda's TooManyRequestsException)."""


class RecentLogs:
    """Log texts of recent invokes by request id, oldest dropped past ``max_bytes`` in all. Thread-safe."""

    def __init__(self, max_bytes: int = RECENT_LOG_BYTES) -> None:
        self.max_bytes = max_bytes
        self.bytes = 0
        self.lock = threading.Lock()
        self.texts: OrderedDict[str, str] = OrderedDict()

    def put(self, request_id: str, text: str) -> None:
        with self.lock:
            self.texts[request_id] = text
            self.bytes += len(text)
            while self.bytes > self.max_bytes and len(self.texts) > 1:
                self.bytes -= len(self.texts.popitem(last=False)[1])

    def get(self, request_id: str) -> str | None:
        with self.lock:
            return self.texts.get(request_id)

    def __len__(self) -> int:
        with self.lock:
            return len(self.texts)

    def __contains__(self, request_id: object) -> bool:
        with self.lock:
            return request_id in self.texts

    def values(self) -> list[str]:
        with self.lock:
            return list(self.texts.values())


class Answer:
    """A finished invoke as the Invoke API answers it (for functions that are not an Emulator)."""

    def __init__(
        self, request_id: str, body: bytes, function_error: bool, log_text: str, report: dict[str, Any]
    ) -> None:
        self.request_id, self.body, self.function_error = request_id, body, function_error
        self.log_text, self._report = log_text, report

    def report(self) -> dict[str, Any]:
        return self._report
