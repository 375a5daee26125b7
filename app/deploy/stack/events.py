"""Stack status, DescribeStackEvents followed into a timeline, the failure explained, and the outputs."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Mapping
from datetime import UTC, datetime
from typing import Any

from app.deploy.connection import Connection
from app.deploy.errors import error_code, explain
from app.deploy.progress import CancelLike, Sink, null_sink
from app.deploy.stack.model import STEP_EVENTS, Output, StackEvent, StackProgress

SUCCESS_STATUSES = frozenset({"CREATE_COMPLETE", "UPDATE_COMPLETE", "DELETE_COMPLETE", "IMPORT_COMPLETE"})
FAILED_STATUSES = frozenset(
    {
        "CREATE_FAILED", "ROLLBACK_COMPLETE", "ROLLBACK_FAILED", "DELETE_FAILED", "UPDATE_FAILED",
        "UPDATE_ROLLBACK_COMPLETE", "UPDATE_ROLLBACK_FAILED", "IMPORT_ROLLBACK_COMPLETE",
        "IMPORT_ROLLBACK_FAILED",
    }
)  # fmt: skip
CANCEL_NOISE = ("Resource creation cancelled", "Resource update cancelled", "cancelled")
FOLLOW_LIMIT_S = 3600.0


def in_progress(status: str) -> bool:
    return status.endswith("_IN_PROGRESS") and status != "REVIEW_IN_PROGRESS"


def describe_stack(conn: Connection, stack_name: str) -> dict[str, Any] | None:
    """Blocks: DescribeStacks for one stack; None when it does not exist."""
    try:
        stacks = conn.client("cloudformation").describe_stacks(StackName=stack_name).get("Stacks") or []
    except Exception as exc:
        if error_code(exc) == "ValidationError" and "does not exist" in str(exc):
            return None
        raise explain(exc, f"reading the stack {stack_name}", conn.profile) from exc
    return dict(stacks[0]) if stacks else None


def event_from(raw: Mapping[str, Any]) -> StackEvent:
    ts = raw.get("Timestamp")
    if not isinstance(ts, datetime):
        ts = datetime.fromisoformat(str(ts).replace("Z", "+00:00")) if ts else datetime.now(UTC)
    return StackEvent(
        event_id=str(raw.get("EventId", "")),
        timestamp=ts,
        logical_id=str(raw.get("LogicalResourceId", "")),
        resource_type=str(raw.get("ResourceType", "")),
        status=str(raw.get("ResourceStatus", "")),
        reason=str(raw.get("ResourceStatusReason") or ""),
        physical_id=str(raw.get("PhysicalResourceId") or ""),
    )


def newest_event_mark(conn: Connection, stack_name: str) -> tuple[datetime | None, set[str]]:
    """Blocks: the newest event time and the ids of the events at the top of the log (what is old news)."""
    try:
        page = conn.client("cloudformation").describe_stack_events(StackName=stack_name)
    except Exception as exc:
        if error_code(exc) == "ValidationError":
            return None, set()
        raise explain(exc, f"reading the events of {stack_name}", conn.profile) from exc
    events = [event_from(e) for e in page.get("StackEvents") or []]
    if not events:
        return None, set()
    return max(e.timestamp for e in events), {e.event_id for e in events}


def recent_events(conn: Connection, stack_name: str, *, limit: int = 100) -> list[StackEvent]:
    """Blocks: the stack's newest events, newest first (DescribeStackEvents' own order)."""
    cfn = conn.client("cloudformation")
    out: list[StackEvent] = []
    kwargs: dict[str, Any] = {"StackName": stack_name}
    try:
        while len(out) < limit:
            page = cfn.describe_stack_events(**kwargs)
            out.extend(event_from(e) for e in page.get("StackEvents") or [])
            if not page.get("NextToken"):
                break
            kwargs["NextToken"] = page["NextToken"]
    except Exception as exc:
        raise explain(exc, f"reading the events of {stack_name}", conn.profile) from exc
    return sorted(out[:limit], key=lambda e: e.timestamp, reverse=True)


def explain_failure(events: Iterable[StackEvent], stack_name: str) -> str:
    """The first failed resource and its reason, in plain words; '' when no resource failed."""
    failed = [e for e in sorted(events, key=lambda e: e.timestamp) if e.failed]
    real = [e for e in failed if e.logical_id != stack_name and not any(n in e.reason for n in CANCEL_NOISE)]
    candidates = real or [e for e in failed if e.logical_id != stack_name] or failed
    if not candidates:
        return ""
    first = candidates[0]
    verb = {"CREATE": "be created", "UPDATE": "be updated", "DELETE": "be deleted"}.get(
        first.status.split("_")[0], "change"
    )
    reason = first.reason or "CloudFormation gave no reason"
    if first.logical_id == stack_name:
        return f"The stack {stack_name} failed: {reason}"
    return f"{first.logical_id} ({first.resource_type}) could not {verb}: {reason}"


def hint_for(status: str, stack_name: str) -> str:
    if status in ("ROLLBACK_COMPLETE", "ROLLBACK_FAILED", "CREATE_FAILED"):
        return (
            f"The stack {stack_name} was rolled back after a failed create and cannot be updated: delete it and "
            f"deploy again (lambda-studio stack delete {stack_name}, or deploy with --yes to delete and retry)."
        )
    if status == "UPDATE_ROLLBACK_FAILED":
        return (
            f"The rollback of {stack_name} failed: fix the resource named above, then continue the rollback "
            "(Deploy offers it; or: aws cloudformation continue-update-rollback)."
        )
    if status == "UPDATE_ROLLBACK_COMPLETE":
        return "The update was rolled back; the stack is as it was before. Fix the cause and deploy again."
    return ""


def follow(
    conn: Connection,
    stack_name: str,
    *,
    since: datetime | None,
    known: set[str] | None = None,
    total: int = 0,
    sink: Sink = null_sink,
    cancel: CancelLike | None = None,
    on_cancel: Callable[[], None] | None = None,
    poll_s: float = 1.0,
    limit_s: float = FOLLOW_LIMIT_S,
) -> tuple[str, list[StackEvent], bool]:
    """Blocks: report new stack events (to the sink) until the stack settles; (status, events newest first, cancelled).

    Cancel asks `on_cancel` once (CancelUpdateStack where CloudFormation allows it), then keeps following
    until the stack settles, since CloudFormation finishes what it started.
    """
    seen: set[str] = set(known or ())
    events: list[StackEvent] = []
    done = 0
    cancelled = False
    deadline = time.monotonic() + limit_s
    status = ""
    while True:
        stack = describe_stack(conn, stack_name)
        status = str(stack.get("StackStatus", "")) if stack else "DELETE_COMPLETE"
        fresh = [
            e
            for e in reversed(_events_since(conn, stack_name, since) if stack else [])
            if e.event_id not in seen
        ]
        for e in fresh:
            seen.add(e.event_id)
            events.append(e)
            if e.logical_id != stack_name and e.status.endswith("_COMPLETE"):
                done += 1
            fraction = min(done / total, 1.0) if total else None
            sink(StackProgress(STEP_EVENTS, e.line(), fraction, e))
        if not in_progress(status):
            break
        if cancel is not None and cancel.is_set() and not cancelled:
            cancelled = True
            if on_cancel is not None:
                on_cancel()
        if time.monotonic() > deadline:
            break
        time.sleep(poll_s)
    return status, sorted(events, key=lambda e: e.timestamp, reverse=True), cancelled


def _events_since(conn: Connection, stack_name: str, since: datetime | None) -> list[StackEvent]:
    """Newest first, only those at or after `since` (stops paging once older events show)."""
    cfn = conn.client("cloudformation")
    out: list[StackEvent] = []
    kwargs: dict[str, Any] = {"StackName": stack_name}
    try:
        while True:
            page = cfn.describe_stack_events(**kwargs)
            batch = [event_from(e) for e in page.get("StackEvents") or []]
            out.extend(e for e in batch if since is None or e.timestamp >= since)
            if not page.get("NextToken") or (since is not None and any(e.timestamp < since for e in batch)):
                break
            kwargs["NextToken"] = page["NextToken"]
    except Exception as exc:
        if error_code(exc) == "ValidationError" and "does not exist" in str(exc):
            return out
        raise explain(exc, f"reading the events of {stack_name}", conn.profile) from exc
    return out


def outputs_of(stack: Mapping[str, Any] | None) -> list[Output]:
    return [
        Output(
            str(o.get("OutputKey", "")),
            str(o.get("OutputValue", "")),
            str(o.get("Description") or ""),
            str(o.get("ExportName") or ""),
        )
        for o in (stack or {}).get("Outputs") or []
    ]


def api_endpoints(conn: Connection, stack_name: str) -> list[str]:
    """Blocks: the invoke URLs of the stack's REST and HTTP APIs."""
    region = conn.region_name
    urls = []
    try:
        pages = (
            conn.client("cloudformation").get_paginator("list_stack_resources").paginate(StackName=stack_name)
        )
        for page in pages:
            for r in page.get("StackResourceSummaries") or []:
                if r.get("ResourceType") in ("AWS::ApiGateway::RestApi", "AWS::ApiGatewayV2::Api") and r.get(
                    "PhysicalResourceId"
                ):
                    urls.append(f"https://{r['PhysicalResourceId']}.execute-api.{region}.amazonaws.com/")
    except Exception as exc:
        raise explain(exc, f"listing the resources of {stack_name}", conn.profile) from exc
    return urls
