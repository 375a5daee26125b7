"""The outcome of one invocation: payload or error, logs and measured numbers."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Any

from runner.errors import UserFacingError


class Outcome(StrEnum):
    SUCCESS = "success"
    FUNCTION_ERROR = "function_error"
    TIMEOUT = "timeout"
    INIT_ERROR = "init_error"
    CRASH = "crash"
    THROTTLED = "throttled"
    CANCELLED = "cancelled"


@dataclass
class StackFrame:
    """One frame of an error's stack trace; local_path is set when it maps to a local file."""

    file: str
    line: int
    function: str
    code: str | None = None
    local_path: Path | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "file": self.file,
            "line": self.line,
            "function": self.function,
            "code": self.code,
            "local_path": str(self.local_path) if self.local_path else None,
        }


@dataclass
class InvokeError:
    """An error as Lambda reports it to the caller (errorType, errorMessage, stackTrace)."""

    type: str
    message: str
    frames: list[StackFrame] = field(default_factory=list)
    raw: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {"type": self.type, "message": self.message, "frames": [f.to_json() for f in self.frames]}


@dataclass
class InvokeMetrics:
    """The numbers of a REPORT line, measured rather than assumed."""

    duration_ms: float
    billed_duration_ms: int
    memory_size_mb: int
    max_memory_used_mb: int | None = None
    init_duration_ms: float | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "duration_ms": self.duration_ms,
            "billed_duration_ms": self.billed_duration_ms,
            "memory_size_mb": self.memory_size_mb,
            "max_memory_used_mb": self.max_memory_used_mb,
            "init_duration_ms": self.init_duration_ms,
        }


@dataclass
class InvokeResult:
    """Everything the caller and the GUI need to show about one invocation."""

    request_id: str
    function_id: str
    outcome: Outcome
    payload: bytes = b""
    error: InvokeError | None = None
    log_text: str = ""
    metrics: InvokeMetrics | None = None
    cold_start: bool = False
    backend: str = ""
    note: str | None = None

    @classmethod
    def throttled(cls, function_id: str, backend: str) -> InvokeResult:
        """What Lambda answers past the function's concurrency: 429 TooManyRequestsException, never queued."""
        return cls(
            request_id="",
            function_id=function_id,
            outcome=Outcome.THROTTLED,
            error=InvokeError("TooManyRequestsException", "Rate Exceeded."),
            backend=backend,
        )

    @property
    def ok(self) -> bool:
        return self.outcome is Outcome.SUCCESS

    def payload_json(self) -> Any:
        """The payload decoded as JSON; raises ValueError when it is not JSON."""
        return json.loads(self.payload.decode("utf-8")) if self.payload else None

    def to_json(self) -> dict[str, Any]:
        try:
            payload: Any = self.payload_json()
        except (ValueError, UnicodeDecodeError):
            payload = self.payload.decode("utf-8", "replace")
        return {
            "request_id": self.request_id,
            "function": self.function_id,
            "outcome": self.outcome.value,
            "payload": payload,
            "error": self.error.to_json() if self.error else None,
            "metrics": self.metrics.to_json() if self.metrics else None,
            "cold_start": self.cold_start,
            "backend": self.backend,
            "note": self.note,
            "log": self.log_text,
        }


class SetupError(UserFacingError):
    """The function cannot be started (bad config, missing code, dependency install failed): a user error."""


_FRAME = re.compile(r'^\s*File "(?P<file>[^"]*)",? [Ll]ine (?P<line>\d+)(?:, in (?P<func>.*))?$')


def parse_stack_trace(trace: list[Any], path_map: Mapping[str, Path] | None = None) -> list[StackFrame]:
    """Frames from a Lambda ``stackTrace`` (traceback.format_list strings); ``path_map`` maps a
    runtime path prefix (e.g. '/var/task') to a local directory, so frames point at local files."""
    frames: list[StackFrame] = []
    for element in trace:
        if not isinstance(element, str):
            continue
        lines = element.splitlines()
        for i, line in enumerate(lines):
            m = _FRAME.match(line)
            if not m:
                continue
            code = lines[i + 1].strip() if i + 1 < len(lines) and not _FRAME.match(lines[i + 1]) else None
            file = m.group("file")
            frames.append(
                StackFrame(
                    file, int(m.group("line")), m.group("func") or "<module>", code, _local(file, path_map)
                )
            )
    return frames


def _local(file: str, path_map: Mapping[str, Path] | None) -> Path | None:
    for prefix, local in (path_map or {}).items():
        norm = prefix.rstrip("/\\")
        if file == norm or file.startswith(norm + "/") or file.startswith(norm + "\\"):
            candidate = Path(local) / file[len(norm) :].lstrip("/\\")
            if candidate.exists():
                return candidate
    return None


def error_from_payload(payload: bytes, path_map: Mapping[str, Path] | None = None) -> InvokeError:
    """An InvokeError from an error payload ({"errorType","errorMessage","stackTrace"}), tolerant of junk."""
    try:
        raw = json.loads(payload.decode("utf-8"))
    except (ValueError, UnicodeDecodeError):
        raw = {"errorMessage": payload.decode("utf-8", "replace")}
    if not isinstance(raw, dict):
        raw = {"errorMessage": str(raw)}
    found = raw.get("stackTrace")
    trace: list[Any] = found if isinstance(found, list) else []
    return InvokeError(
        type=str(raw.get("errorType") or "Unhandled"),
        message=str(raw.get("errorMessage") or ""),
        frames=parse_stack_trace(trace, path_map),
        raw=raw,
    )
