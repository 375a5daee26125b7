"""Limits, event checks and small helpers that every part of the emulator shares."""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import math
import os
import signal
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

TOKEN_ENV = "LAMBDA_STUDIO_TOKEN"  # the container's secret: every Invoke API request must carry it
TOKEN_HEADER = "X-LambdaStudio-Token"
MAX_SYNC_PAYLOAD = 6_291_556  # a function's response (the Runtime API's limit)
MAX_REQUEST_PAYLOAD = 6_291_456  # a synchronous invoke's request (the Invoke API's limit)
MAX_ASYNC_PAYLOAD = 1_048_576  # an Event invoke's request
MAX_LOG_LINE = 256 * 1024  # Lambda cuts a log line (one CloudWatch event) at 256 KB
MAX_KEPT_LOG = 1024 * 1024  # an invoke keeps its first and last lines within this; the live sink sees all
RECENT_LOG_BYTES = 8 * 1024 * 1024  # logs kept for GET /lambda-studio/logs/{id}, all invokes together
TAIL_BYTES = 4096
BIG_TREE_FILES = 2000
HEADER_LOG_BYTES = 32 * 1024  # base64 stays under http.client's 64 KiB header-line limit
SKIP_DIRS = {"__pycache__", ".git", ".aws-sam", ".venv", "node_modules", ".mypy_cache", ".pytest_cache"}

if TYPE_CHECKING:  # a runtime alias would need Python 3.9; the package also runs on older image Pythons
    LogSink = Callable[[str], None]


def now_ts() -> str:
    now = dt.datetime.now(dt.timezone.utc)  # noqa: UP017 - dt.UTC is 3.11+, images may be older
    return now.strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def ceil_mb(n_bytes: int) -> int:
    return max(1, math.ceil(n_bytes / (1024 * 1024)))


class RequestTooLarge(ValueError):
    """The request is over the Invoke API's limit; the message is Lambda's RequestTooLargeException."""


class InvalidEvent(ValueError):
    """The event is not JSON as the Invoke API reads it (Lambda's InvalidRequestContentException)."""


def check_request_size(payload: bytes, asynchronous: bool = False) -> None:
    """Raises RequestTooLarge when an invoke's payload is over Lambda's limit (sync 6 MB, Event 1 MB)."""
    limit = MAX_ASYNC_PAYLOAD if asynchronous else MAX_REQUEST_PAYLOAD
    if len(payload) > limit:
        raise RequestTooLarge(
            f"RequestTooLargeException: {len(payload)} bytes; the request must be smaller than "
            f"{limit} bytes for the InvokeFunction operation"
        )


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not valid JSON")


def parse_event(payload: bytes) -> bytes:
    """The event as the runtime gets it: JSON checked as the Invoke API does (no NaN/Infinity), and an
    empty or whitespace-only body (no JSON document) read as ``{}``. Raises InvalidEvent."""
    if not payload.strip():
        return b"{}"
    try:
        json.loads(payload, parse_constant=_no_constant)
    except (ValueError, UnicodeDecodeError) as exc:
        raise InvalidEvent(f"Could not parse request body into json: {exc}") from None
    return payload


def exit_text(code: int) -> str:
    """Go-style text for a process exit, as Lambda prints it: 'exit status 3' or 'signal: killed'."""
    if code >= 0:
        return f"exit status {code}"
    try:
        name = signal.strsignal(-code) or str(-code)
    except (ValueError, AttributeError):
        name = str(-code)
    return f"signal: {name.split(':')[0].lower()}"


def code_stamp(roots: Iterable[str | os.PathLike[str]]) -> tuple[int, int, int]:
    """(files, newest mtime, sum of mtimes and sizes) of the code and layer trees, tools' folders
    (SKIP_DIRS) left out: it changes when a file of the function does. The one stamp: the hot reload
    here and the container pool's warm-container check both use it."""
    count = newest = total = 0
    stack = [os.fspath(root) for root in roots]
    while stack:
        try:
            with os.scandir(stack.pop()) as it:
                for entry in it:
                    if entry.is_dir(follow_symlinks=False):
                        if entry.name not in SKIP_DIRS:
                            stack.append(entry.path)
                    else:
                        count += 1
                        with contextlib.suppress(OSError):
                            st = entry.stat()
                            newest = max(newest, st.st_mtime_ns)
                            total += st.st_mtime_ns + st.st_size  # size too: mtime ticks are coarse
        except OSError:
            pass
    return count, newest, total
