"""The Invoke API's request checks every backend makes before running anything (one place for all)."""

from __future__ import annotations

from runner.emulator import RequestTooLarge, check_request_size
from runner.result import SetupError


def check_request(event: bytes, asynchronous: bool = False) -> None:
    """Raises SetupError with Lambda's RequestTooLargeException message when the event is over the limit."""
    try:
        check_request_size(event, asynchronous)
    except RequestTooLarge as exc:
        raise SetupError(str(exc)) from None
