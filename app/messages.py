"""One Qt-free queue of messages for the user (info, warning, error) that waits until a view listens.

Background code that has no widget to talk to (settings saving, crash-recovery backups, log sinks)
calls ``messages.error("…")``; the window attaches a listener at start-up and shows every message,
including the ones posted before it existed, in its status bar or as a notification.
"""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from typing import TypeVar


class Level(StrEnum):
    INFO = "info"
    WARNING = "warning"
    ERROR = "error"


@dataclass(frozen=True)
class Message:
    level: Level
    text: str
    hint: str | None = None


Listener = Callable[[Message], None]
MAX_PENDING = 200  # messages kept while nobody listens (the oldest are dropped first)


class MessageQueue:
    """Thread-safe: post from any thread; a listener is called in the posting thread (the Qt side
    re-emits through a queued signal)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._pending: deque[Message] = deque(maxlen=MAX_PENDING)
        self._listeners: list[Listener] = []

    def post(self, message: Message) -> None:
        with self._lock:
            listeners = list(self._listeners)
            if not listeners:
                self._pending.append(message)
                return
        for listener in listeners:
            listener(message)

    def listen(self, listener: Listener) -> Callable[[], None]:
        """Adds a listener, hands it every message that waited, and returns a function that removes it."""
        with self._lock:
            self._listeners.append(listener)
            waiting, self._pending = list(self._pending), deque(maxlen=MAX_PENDING)
        for message in waiting:
            listener(message)

        def remove() -> None:
            with self._lock:
                if listener in self._listeners:
                    self._listeners.remove(listener)

        return remove


QUEUE = MessageQueue()


def info(text: str, hint: str | None = None) -> None:
    QUEUE.post(Message(Level.INFO, text, hint))


def warning(text: str, hint: str | None = None) -> None:
    QUEUE.post(Message(Level.WARNING, text, hint))


def error(text: str, hint: str | None = None) -> None:
    QUEUE.post(Message(Level.ERROR, text, hint))


T = TypeVar("T")


def guarded_sink(sink: Callable[[T], None], what: str) -> Callable[[T], None]:
    """`sink` that never raises into the thread calling it (a runner's log reader, a deploy worker):
    its first exception is posted as an error saying `what` stopped showing; later items are dropped
    quietly until it works again."""
    failing = False

    def call(item: T) -> None:
        nonlocal failing
        try:
            sink(item)
        except Exception as exc:  # noqa: BLE001 - whatever the sink does, the work goes on
            if not failing:
                error(f"{what} stopped showing lines: {type(exc).__name__}: {exc}")
            failing = True
        else:
            failing = False

    return call
