"""The invocation history kept across restarts: one JSON file per project in the user's config folder."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from pathlib import Path
from typing import Any

from app.fsutil import atomic_write
from runner.result import InvokeError, InvokeMetrics, InvokeResult, Outcome, StackFrame

KEEP_ENTRIES = 100
KEEP_LOG_LINES = 500


def history_file(config_folder: Path, project_root: str | Path) -> Path:
    digest = hashlib.sha256(str(Path(project_root).resolve()).encode()).hexdigest()[:16]
    return config_folder / "history" / f"{digest}.json"


def entry_to_json(
    function_id: str, event_name: str, when: dt.datetime, result: InvokeResult, log_lines: list[str]
) -> dict[str, Any]:
    data = result.to_json()
    data.pop("log", None)  # the lines below are the log
    return {
        "function_id": function_id,
        "event_name": event_name,
        "when": when.isoformat(),
        "result": data,
        "log_lines": log_lines[-KEEP_LOG_LINES:],
    }


def result_from_json(data: dict[str, Any]) -> InvokeResult:
    """An InvokeResult back from its to_json() form (raises KeyError/ValueError/TypeError when malformed)."""
    payload = data.get("payload")
    raw = (
        payload.encode()
        if isinstance(payload, str)
        else json.dumps(payload).encode()
        if payload is not None
        else b""
    )
    error = data.get("error")
    metrics = data.get("metrics")
    return InvokeResult(
        request_id=str(data.get("request_id") or ""),
        function_id=str(data["function"]),
        outcome=Outcome(data["outcome"]),
        payload=raw,
        error=InvokeError(
            str(error["type"]),
            str(error.get("message") or ""),
            [
                StackFrame(
                    str(f["file"]),
                    int(f["line"]),
                    str(f.get("function") or ""),
                    f.get("code"),
                    Path(f["local_path"]) if f.get("local_path") else None,
                )
                for f in error.get("frames") or []
            ],
        )
        if error
        else None,
        metrics=InvokeMetrics(
            float(metrics["duration_ms"]),
            int(metrics["billed_duration_ms"]),
            int(metrics["memory_size_mb"]),
            metrics.get("max_memory_used_mb"),
            metrics.get("init_duration_ms"),
        )
        if metrics
        else None,
        cold_start=bool(data.get("cold_start")),
        backend=str(data.get("backend") or ""),
        note=data.get("note"),
    )


def save_history(path: Path, entries: list[dict[str, Any]]) -> None:
    """Newest first, at most KEEP_ENTRIES; written atomically."""
    path.parent.mkdir(parents=True, exist_ok=True)
    atomic_write(path, json.dumps(entries[:KEEP_ENTRIES]).encode("utf-8"))


def load_history(path: Path) -> list[tuple[str, str, dt.datetime, InvokeResult, list[str]]]:
    """(function, event, when, result, log lines), newest first; a damaged file or entry is skipped."""
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return []
    out = []
    for item in raw if isinstance(raw, list) else []:
        try:
            out.append(
                (
                    str(item["function_id"]),
                    str(item.get("event_name") or ""),
                    dt.datetime.fromisoformat(item["when"]),
                    result_from_json(item["result"]),
                    [str(line) for line in item.get("log_lines") or []],
                )
            )
        except (KeyError, ValueError, TypeError, AttributeError):
            continue
    return out
