"""Deployed functions: listing and details, remote invoke with the log tail, CloudWatch logs with follow."""

from __future__ import annotations

import base64
import datetime as dt
import json
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from app.deploy.connection import Connection
from app.deploy.errors import KIND_LIMIT, KIND_NOT_FOUND, DeployError, error_code, explain, retry
from app.deploy.limits import refuse_name
from app.deploy.progress import CancelLike, check_cancel

SYNC_PAYLOAD_LIMIT = 6 * 1024 * 1024
ASYNC_PAYLOAD_LIMIT = 1024 * 1024


@dataclass(frozen=True)
class FunctionSummary:
    """One row of the explorer: a deployed function's main settings."""

    name: str
    arn: str
    runtime: str | None
    handler: str | None
    memory_size: int | None
    timeout: int | None
    architectures: list[str]
    code_size: int
    last_modified: str | None
    description: str = ""

    @classmethod
    def from_config(cls, cfg: dict[str, Any]) -> FunctionSummary:
        return cls(
            name=cfg["FunctionName"],
            arn=cfg.get("FunctionArn", ""),
            runtime=cfg.get("Runtime"),
            handler=cfg.get("Handler"),
            memory_size=cfg.get("MemorySize"),
            timeout=cfg.get("Timeout"),
            architectures=list(cfg.get("Architectures") or ["x86_64"]),
            code_size=int(cfg.get("CodeSize") or 0),
            last_modified=cfg.get("LastModified"),
            description=cfg.get("Description") or "",
        )

    def to_json(self) -> dict[str, Any]:
        return dict(self.__dict__)


@dataclass
class FunctionDetails:
    """Configuration, tags, versions and aliases of one deployed function."""

    configuration: dict[str, Any]
    tags: dict[str, str] = field(default_factory=dict)
    versions: list[dict[str, Any]] = field(default_factory=list)
    aliases: list[dict[str, Any]] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {
            "configuration": self.configuration,
            "tags": self.tags,
            "versions": [{"version": v.get("Version"), "sha256": v.get("CodeSha256")} for v in self.versions],
            "aliases": [{"name": a.get("Name"), "version": a.get("FunctionVersion")} for a in self.aliases],
        }


def list_functions(conn: Connection, *, cancel: CancelLike | None = None) -> list[FunctionSummary]:
    """Blocks: every function of the region (all pages), sorted by name."""
    out: list[FunctionSummary] = []
    try:
        for page in conn.client("lambda").get_paginator("list_functions").paginate():
            check_cancel(cancel, "listing functions")
            out.extend(FunctionSummary.from_config(cfg) for cfg in page.get("Functions") or [])
    except Exception as exc:
        raise explain(exc, "listing functions", conn.profile) from exc
    return sorted(out, key=lambda f: f.name)


def describe_function(conn: Connection, name: str, *, cancel: CancelLike | None = None) -> FunctionDetails:
    """Blocks: get_function plus all versions and aliases."""
    refuse_name(name)
    lam = conn.client("lambda")
    try:
        resp = retry(lambda: lam.get_function(FunctionName=name), action=f"reading {name}", cancel=cancel)
        details = FunctionDetails(resp["Configuration"], dict(resp.get("Tags") or {}))
        for page in lam.get_paginator("list_versions_by_function").paginate(FunctionName=name):
            check_cancel(cancel)
            details.versions.extend(page.get("Versions") or [])
        for page in lam.get_paginator("list_aliases").paginate(FunctionName=name):
            details.aliases.extend(page.get("Aliases") or [])
    except Exception as exc:
        raise explain(exc, f"reading function {name}", conn.profile) from exc
    return details


@dataclass
class RemoteInvokeResult:
    """The answer of Invoke: payload, FunctionError ('Unhandled'/'Handled' or None) and the decoded log tail."""

    status_code: int
    payload: bytes
    function_error: str | None
    log_tail: str
    executed_version: str | None
    request_id: str | None
    seconds: float

    @property
    def ok(self) -> bool:
        return self.function_error is None and 200 <= self.status_code < 300

    @property
    def payload_text(self) -> str:
        return self.payload.decode("utf-8", "replace")

    def payload_json(self) -> Any:
        """The payload parsed as JSON, or the raw text if it is not JSON."""
        try:
            return json.loads(self.payload) if self.payload else None
        except ValueError:
            return self.payload_text

    def to_json(self) -> dict[str, Any]:
        return {
            "status_code": self.status_code,
            "function_error": self.function_error,
            "payload": self.payload_json(),
            "log_tail": self.log_tail,
            "executed_version": self.executed_version,
            "request_id": self.request_id,
            "seconds": round(self.seconds, 3),
        }


def encode_payload(payload: Any) -> bytes:
    if isinstance(payload, bytes):
        return payload
    if isinstance(payload, str):
        return payload.encode("utf-8")
    return json.dumps(payload).encode("utf-8")


def invoke(
    conn: Connection,
    name: str,
    payload: Any = None,
    *,
    qualifier: str | None = None,
    invocation_type: str = "RequestResponse",
    cancel: CancelLike | None = None,
) -> RemoteInvokeResult:
    """Blocks: invoke a deployed function with LogType=Tail; a function error is a result, not an exception."""
    refuse_name(name)
    body = encode_payload({} if payload is None else payload)
    limit = ASYNC_PAYLOAD_LIMIT if invocation_type == "Event" else SYNC_PAYLOAD_LIMIT
    if len(body) > limit:
        raise DeployError(
            f"The event is {len(body)} bytes; Lambda accepts at most {limit} bytes for a {invocation_type} invoke.",
            "",
            KIND_LIMIT,
        )
    check_cancel(cancel, "invoking")
    kwargs: dict[str, Any] = {"FunctionName": name, "Payload": body, "InvocationType": invocation_type}
    if invocation_type == "RequestResponse":
        kwargs["LogType"] = "Tail"
    if qualifier:
        kwargs["Qualifier"] = qualifier
    started = time.perf_counter()
    try:
        resp = conn.client("lambda").invoke(**kwargs)
    except Exception as exc:
        raise explain(exc, f"invoking {name}", conn.profile) from exc
    stream = resp.get("Payload")
    data = stream.read() if stream is not None else b""
    tail = resp.get("LogResult") or ""
    try:
        log_text = base64.b64decode(tail).decode("utf-8", "replace") if tail else ""
    except ValueError:
        log_text = tail
    return RemoteInvokeResult(
        status_code=int(resp.get("StatusCode") or 0),
        payload=data,
        function_error=resp.get("FunctionError"),
        log_tail=log_text,
        executed_version=resp.get("ExecutedVersion"),
        request_id=(resp.get("ResponseMetadata") or {}).get("RequestId"),
        seconds=time.perf_counter() - started,
    )


@dataclass(frozen=True)
class LogEvent:
    timestamp: int  # epoch milliseconds
    message: str
    stream: str = ""
    event_id: str = ""

    @property
    def time(self) -> dt.datetime:
        return dt.datetime.fromtimestamp(self.timestamp / 1000, dt.UTC)

    def line(self) -> str:
        return f"{self.time:%Y-%m-%d %H:%M:%S.%f}"[:-3] + f" {self.message.rstrip()}"

    def to_json(self) -> dict[str, Any]:
        return {
            "timestamp": self.timestamp,
            "message": self.message,
            "stream": self.stream,
            "id": self.event_id,
        }


def log_group(function_name: str) -> str:
    return f"/aws/lambda/{function_name}"


def to_millis(when: dt.datetime | int | float | None) -> int | None:
    if when is None:
        return None
    if isinstance(when, dt.datetime):
        if when.tzinfo is None:
            when = when.replace(tzinfo=dt.UTC)
        return int(when.timestamp() * 1000)
    return int(when)


def parse_since(text: str, now: float | None = None) -> int:
    """'15m', '2h', '1d', '30s' or an ISO time -> epoch milliseconds."""
    now = time.time() if now is None else now
    m = re.fullmatch(r"\s*(\d+)\s*([smhd])\s*", text)
    if m:
        seconds = int(m.group(1)) * {"s": 1, "m": 60, "h": 3600, "d": 86400}[m.group(2)]
        return int((now - seconds) * 1000)
    try:
        return to_millis(dt.datetime.fromisoformat(text)) or 0
    except ValueError:
        raise DeployError(f"Cannot read the time '{text}'.", "Use 15m, 2h, 1d or an ISO date-time.")


def fetch_logs(
    conn: Connection,
    function_name: str,
    *,
    start: dt.datetime | int | None = None,
    end: dt.datetime | int | None = None,
    filter_pattern: str | None = None,
    limit: int = 10_000,
    cancel: CancelLike | None = None,
) -> list[LogEvent]:
    """Blocks: filter_log_events over /aws/lambda/<name> (all pages up to `limit`), oldest first."""
    refuse_name(function_name)
    logs = conn.client("logs")
    kwargs: dict[str, Any] = {"logGroupName": log_group(function_name)}
    if (s := to_millis(start)) is not None:
        kwargs["startTime"] = s
    if (e := to_millis(end)) is not None:
        kwargs["endTime"] = e
    if filter_pattern:
        kwargs["filterPattern"] = filter_pattern
    out: list[LogEvent] = []
    try:
        for page in logs.get_paginator("filter_log_events").paginate(**kwargs):
            check_cancel(cancel, "reading logs")
            for ev in page.get("events") or []:
                out.append(
                    LogEvent(
                        int(ev["timestamp"]),
                        ev.get("message", ""),
                        ev.get("logStreamName", ""),
                        ev.get("eventId", ""),
                    )
                )
            if len(out) >= limit:
                break
    except Exception as exc:
        if error_code(exc) == "ResourceNotFoundException":
            raise DeployError(
                f"No logs yet: the log group {log_group(function_name)} does not exist.",
                "The function writes logs once it has been invoked.",
                KIND_NOT_FOUND,
            ) from exc
        raise explain(exc, f"reading the logs of {function_name}", conn.profile) from exc
    out.sort(key=lambda ev: (ev.timestamp, ev.event_id))
    return out[:limit]


def stream_events(
    conn: Connection,
    function_name: str,
    stream: str,
    *,
    start: dt.datetime | int | None = None,
    limit: int = 10_000,
) -> list[LogEvent]:
    """Blocks: get_log_events of one log stream (e.g. the stream of an invocation), oldest first."""
    logs = conn.client("logs")
    kwargs: dict[str, Any] = {
        "logGroupName": log_group(function_name),
        "logStreamName": stream,
        "startFromHead": True,
    }
    if (s := to_millis(start)) is not None:
        kwargs["startTime"] = s
    out: list[LogEvent] = []
    token = None
    try:
        while len(out) < limit:
            resp = logs.get_log_events(**kwargs, **({"nextToken": token} if token else {}))
            out.extend(
                LogEvent(int(e["timestamp"]), e.get("message", ""), stream) for e in resp.get("events") or []
            )
            if not resp.get("events") or resp.get("nextForwardToken") == token:
                break
            token = resp.get("nextForwardToken")
    except Exception as exc:
        raise explain(exc, f"reading log stream {stream}", conn.profile) from exc
    return out[:limit]


def follow_logs(
    conn: Connection,
    function_name: str,
    on_events: Callable[[list[LogEvent]], None],
    cancel: CancelLike,
    *,
    start: dt.datetime | int | None = None,
    filter_pattern: str | None = None,
    poll_interval: float = 2.0,
    max_polls: int | None = None,
    sleep: Callable[[float], Any] = time.sleep,
) -> None:
    """Blocks until cancelled: poll filter_log_events and hand each batch of new events to `on_events`."""
    refuse_name(function_name)
    since = to_millis(start) if start is not None else int(time.time() * 1000)
    seen: set[str] = set()
    polls = 0
    while not cancel.is_set():
        try:
            batch = fetch_logs(conn, function_name, start=since, filter_pattern=filter_pattern, cancel=cancel)
        except DeployError as exc:
            if exc.kind != KIND_NOT_FOUND:  # no log group yet: keep waiting for the first invoke
                raise
            batch = []
        fresh = [
            ev for ev in batch if (ev.event_id or f"{ev.timestamp}:{ev.stream}:{ev.message}") not in seen
        ]
        if fresh:
            on_events(fresh)
            since = max(ev.timestamp for ev in fresh)
            # Keep only ids at the newest timestamp: the next poll starts there and may see them again.
            seen = {
                ev.event_id or f"{ev.timestamp}:{ev.stream}:{ev.message}"
                for ev in batch
                if ev.timestamp >= since
            }
        polls += 1
        if max_polls is not None and polls >= max_polls:
            return
        deadline = time.monotonic() + poll_interval
        while not cancel.is_set() and time.monotonic() < deadline:
            sleep(min(0.2, poll_interval))
