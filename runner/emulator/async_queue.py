"""Lambda's asynchronous invoke queue: bounded by bytes, retried twice, every event run or reported."""

from __future__ import annotations

import heapq
import json
import threading
import time
import uuid
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from .invocation import Throttled

if TYPE_CHECKING:
    from .common import LogSink


RETRY_DELAYS_S = (60.0, 120.0)  # Lambda retries a failed Event invoke twice: after 1 min, then 2 min
MAX_EVENT_AGE_S = 6 * 3600.0  # and gives up on an event older than 6 h (MaximumEventAgeInSeconds)
ASYNC_QUEUE_BYTES = 256 * 1024 * 1024  # events waiting, all functions together; past it Event gets 429


class _Event:
    __slots__ = ("name", "target", "body", "client_context", "request_id", "accepted", "attempts")

    def __init__(self, name: str, target: Any, body: bytes, client_context: str | None) -> None:
        self.name, self.target, self.body, self.client_context = name, target, body, client_context
        self.request_id = str(uuid.uuid4())
        self.accepted = time.monotonic()
        self.attempts = 0


class AsyncQueue:
    """Lambda's asynchronous invoke queue: every accepted event runs, or is reported in the log.

    Bounded by bytes (``put`` returns None when full, so the caller refuses instead of dropping).
    Workers per function up to its concurrency; a throttled attempt waits and tries again (not counted);
    a function error is retried after ``retry_delays`` (Lambda: 1 and 2 minutes); an event that fails
    every attempt, or waits past MAX_EVENT_AGE_S, is reported with its request id.
    """

    def __init__(
        self,
        log: LogSink,
        retry_delays: Sequence[float] = RETRY_DELAYS_S,
        max_bytes: int = ASYNC_QUEUE_BYTES,
        max_age_s: float = MAX_EVENT_AGE_S,
    ) -> None:
        self.log = log
        self.retry_delays = tuple(retry_delays)
        self.max_bytes = max_bytes
        self.max_age_s = max_age_s
        self.cond = threading.Condition()
        self.waiting: dict[int, list[tuple[float, int, _Event]]] = {}  # function -> heap (not before, seq)
        self.workers: dict[int, int] = {}
        self.bytes = 0
        self.pending = 0  # accepted and not yet finished or reported
        self.seq = 0
        self.closed = False
        self.ran = self.failed = 0

    def put(self, name: str, target: Any, body: bytes, client_context: str | None) -> str | None:
        """Queues one event; its request id, or None when the queue is full (nothing was accepted)."""
        event = _Event(name, target, body, client_context)
        with self.cond:
            if self.closed or self.bytes + len(body) > self.max_bytes:
                return None
            self.bytes += len(body)
            self.pending += 1
            self._push(event, 0.0)
            key, limit = id(target), max(1, int(getattr(target, "concurrency", 10)))
            if self.workers.get(key, 0) < limit:
                self.workers[key] = self.workers.get(key, 0) + 1
                threading.Thread(target=self._work, args=(key,), name="async-invoke", daemon=True).start()
        return event.request_id

    def _push(self, event: _Event, delay: float) -> None:
        self.seq += 1
        heapq.heappush(
            self.waiting.setdefault(id(event.target), []), (time.monotonic() + delay, self.seq, event)
        )
        self.cond.notify_all()

    def _next(self, key: int) -> _Event | None:
        with self.cond:
            while not self.closed:
                heap = self.waiting.get(key) or []
                now = time.monotonic()
                if heap and heap[0][0] <= now:
                    return heapq.heappop(heap)[2]
                if not heap and self.pending == 0:
                    self.workers[key] -= 1  # nothing left for this function: the worker ends
                    return None
                self.cond.wait(min(1.0, heap[0][0] - now) if heap else 1.0)
            self.workers[key] -= 1
            return None

    def _done(self, event: _Event) -> None:
        with self.cond:
            self.bytes -= len(event.body)
            self.pending -= 1
            self.cond.notify_all()

    def _work(self, key: int) -> None:
        while True:
            event = self._next(key)
            if event is None:
                return
            self._attempt(event)

    def _attempt(self, event: _Event) -> None:
        backoff = 0.02
        while True:
            if time.monotonic() - event.accepted > self.max_age_s:
                self._give_up(event, f"it waited more than {self.max_age_s:.0f} s (MaximumEventAgeInSeconds)")
                return
            try:
                answer = event.target.invoke(event.body, client_context=event.client_context)
                break
            except Throttled:  # every runtime busy: wait, not an attempt (Lambda's queue does the same)
                if self.closed:
                    self._give_up(event, "serve stopped before it could run")
                    return
                time.sleep(backoff)
                backoff = min(backoff * 2, 0.5)
            except Exception as exc:  # noqa: BLE001 - closed emulator, setup error: report, never lose
                self._give_up(event, f"{type(exc).__name__}: {exc}")
                return
        event.attempts += 1
        if not answer.function_error:
            with self.cond:
                self.ran += 1
            self._done(event)
            return
        if event.attempts <= len(self.retry_delays) and not self.closed:
            delay = self.retry_delays[event.attempts - 1]
            self.log(
                f"lambda-studio: async invoke {event.request_id} of {event.name} failed (attempt "
                f"{event.attempts}, request {answer.request_id}); retrying in {delay:g} s"
            )
            with self.cond:
                self._push(event, delay)
            return
        self._give_up(
            event, f"the function failed on all {event.attempts} attempts: {_error_text(answer.body)}"
        )

    def _give_up(self, event: _Event, why: str) -> None:
        with self.cond:
            self.failed += 1
        self.log(
            f"lambda-studio: async invoke {event.request_id} of {event.name} was not run successfully: {why}"
        )
        self._done(event)

    def join(self, timeout_s: float) -> bool:
        """Waits until every accepted event has run or been reported; False on timeout. Blocks."""
        end = time.monotonic() + timeout_s
        with self.cond:
            while self.pending:
                left = end - time.monotonic()
                if left <= 0:
                    return False
                self.cond.wait(min(left, 0.5))
        return True

    def close(self) -> None:
        """Stops taking events; events still waiting are reported in the log (not silently dropped)."""
        with self.cond:
            self.closed = True
            left = [item[2] for heap in self.waiting.values() for item in heap]
            self.waiting.clear()
            self.cond.notify_all()
        for event in left:
            self._give_up(event, "serve stopped before it ran")


def _error_text(body: bytes) -> str:
    try:
        data = json.loads(body)
        return f"{data.get('errorType')}: {data.get('errorMessage')}"
    except (ValueError, AttributeError):
        return body[:200].decode("utf-8", "replace")
