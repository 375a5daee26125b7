"""Progress events, the sink that receives them, and the cancel token of blocking deploy calls."""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from runner.errors import UserFacingError

# Step names a dialog can map to labels; a step may report several times (fraction rising).
STEP_CONNECT = "connect"
STEP_PACKAGE = "package"
STEP_PLAN = "plan"
STEP_ROLE = "role"
STEP_LAYERS = "layers"
STEP_UPLOAD = "upload"
STEP_CREATE = "create"
STEP_UPDATE_CODE = "update-code"
STEP_UPDATE_CONFIG = "update-config"
STEP_WAIT = "wait"
STEP_PUBLISH = "publish"
STEP_DONE = "done"


@dataclass(frozen=True)
class Progress:
    """One progress report: the step, a human message, and a 0..1 fraction when known."""

    step: str
    message: str
    fraction: float | None = None

    def __str__(self) -> str:
        pct = f" {self.fraction * 100:3.0f}%" if self.fraction is not None else ""
        return f"[{self.step}]{pct} {self.message}"


Sink = Callable[[Progress], None]


def null_sink(_: Progress) -> None:
    """A sink that drops everything."""


class CancelLike(Protocol):
    def is_set(self) -> bool: ...


class Cancelled(UserFacingError):
    """The user cancelled; raised between steps, never in the middle of an AWS write."""


class CancelToken(threading.Event):
    """Set it from any thread to stop a blocking call at the next safe point."""

    def cancel(self) -> None:
        self.set()


def check_cancel(cancel: CancelLike | None, what: str = "") -> None:
    """Raise Cancelled if the token is set."""
    if cancel is not None and cancel.is_set():
        raise Cancelled(f"cancelled{' before ' + what if what else ''}")
