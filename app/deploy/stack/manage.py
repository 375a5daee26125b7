"""Stacks after the deploy: list, outputs, delete (what goes, what stays), cancel, continue a rollback, wait."""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from typing import Any

from app.deploy.connection import Connection
from app.deploy.errors import KIND_CONFLICT, KIND_NOT_FOUND, DeployError, explain
from app.deploy.progress import CancelLike, Sink, check_cancel, null_sink
from app.deploy.stack import events
from app.deploy.stack.model import KEEPING_POLICIES, STEP_DELETE, STEP_EVENTS, StackProgress, StackResult

LIVE_STATUSES = [
    "CREATE_IN_PROGRESS", "CREATE_FAILED", "CREATE_COMPLETE", "ROLLBACK_IN_PROGRESS", "ROLLBACK_FAILED",
    "ROLLBACK_COMPLETE", "DELETE_IN_PROGRESS", "DELETE_FAILED", "UPDATE_IN_PROGRESS",
    "UPDATE_COMPLETE_CLEANUP_IN_PROGRESS", "UPDATE_COMPLETE", "UPDATE_FAILED", "UPDATE_ROLLBACK_IN_PROGRESS",
    "UPDATE_ROLLBACK_FAILED", "UPDATE_ROLLBACK_COMPLETE_CLEANUP_IN_PROGRESS", "UPDATE_ROLLBACK_COMPLETE",
    "REVIEW_IN_PROGRESS", "IMPORT_IN_PROGRESS", "IMPORT_COMPLETE", "IMPORT_ROLLBACK_IN_PROGRESS",
    "IMPORT_ROLLBACK_FAILED", "IMPORT_ROLLBACK_COMPLETE",
]  # fmt: skip


@dataclass(frozen=True)
class StackSummary:
    name: str
    status: str
    updated: str
    description: str = ""

    def to_json(self) -> dict[str, str]:
        return {
            "StackName": self.name,
            "StackStatus": self.status,
            "LastUpdated": self.updated,
            "Description": self.description,
        }


@dataclass(frozen=True)
class StackResource:
    logical_id: str
    resource_type: str
    physical_id: str
    status: str
    retained: bool = False

    def to_json(self) -> dict[str, Any]:
        return {
            "LogicalResourceId": self.logical_id,
            "ResourceType": self.resource_type,
            "PhysicalResourceId": self.physical_id,
            "ResourceStatus": self.status,
            "Retained": self.retained,
        }


def list_stacks(conn: Connection) -> list[StackSummary]:
    """Blocks: every stack of the account and region that is not deleted, newest change first."""
    out = []
    try:
        pages = (
            conn.client("cloudformation")
            .get_paginator("list_stacks")
            .paginate(StackStatusFilter=LIVE_STATUSES)
        )
        for page in pages:
            for s in page.get("StackSummaries") or []:
                when = s.get("LastUpdatedTime") or s.get("CreationTime")
                out.append(
                    StackSummary(
                        str(s["StackName"]),
                        str(s["StackStatus"]),
                        str(when or ""),
                        str(s.get("TemplateDescription") or ""),
                    )
                )
    except Exception as exc:
        raise explain(exc, "listing the stacks", conn.profile) from exc
    return sorted(out, key=lambda s: s.updated, reverse=True)


def require_stack(conn: Connection, name: str) -> dict[str, Any]:
    stack = events.describe_stack(conn, name)
    if stack is None:
        raise DeployError(
            f"There is no stack named {name} in {conn.region_name}.",
            "Check the name and the region (lambda-studio stack list).",
            KIND_NOT_FOUND,
        )
    return stack


def stack_resources(conn: Connection, name: str) -> list[StackResource]:
    """Blocks: the stack's resources, each marked retained when its DeletionPolicy keeps it on delete."""
    cfn = conn.client("cloudformation")
    try:
        body = cfn.get_template(StackName=name, TemplateStage="Processed").get("TemplateBody")
    except Exception:
        body = None
    if body is None:
        try:
            body = cfn.get_template(StackName=name).get("TemplateBody")
        except Exception as exc:
            raise explain(exc, f"reading the template of {name}", conn.profile) from exc
    if isinstance(body, str):
        try:
            body = json.loads(body)
        except ValueError:
            body = {}
    declared = (body or {}).get("Resources") or {} if isinstance(body, dict) else {}
    out = []
    try:
        for page in cfn.get_paginator("list_stack_resources").paginate(StackName=name):
            for r in page.get("StackResourceSummaries") or []:
                logical = str(r.get("LogicalResourceId", ""))
                policy = (
                    (declared.get(logical) or {}).get("DeletionPolicy")
                    if isinstance(declared.get(logical), dict)
                    else None
                )
                out.append(
                    StackResource(
                        logical, str(r.get("ResourceType", "")), str(r.get("PhysicalResourceId") or ""),
                        str(r.get("ResourceStatus", "")), policy in KEEPING_POLICIES,
                    )
                )  # fmt: skip
    except Exception as exc:
        raise explain(exc, f"listing the resources of {name}", conn.profile) from exc
    return out


def wait_until_settled(
    conn: Connection,
    name: str,
    *,
    limit_s: float,
    sink: Sink = null_sink,
    cancel: CancelLike | None = None,
    poll_s: float = 2.0,
) -> str:
    """Blocks: wait (at most limit_s) while another operation runs on the stack; returns the settled status."""
    deadline = time.monotonic() + limit_s
    while True:
        stack = events.describe_stack(conn, name)
        status = str(stack["StackStatus"]) if stack else "DELETE_COMPLETE"
        if not events.in_progress(status):
            return status
        if time.monotonic() > deadline:
            raise DeployError(
                f"The stack {name} is busy ({status}) with an operation started elsewhere.",
                "Wait for it to finish (or cancel it in the CloudFormation console), then deploy again.",
                KIND_CONFLICT,
            )
        check_cancel(cancel, "waiting for the stack")
        sink(StackProgress(STEP_EVENTS, f"waiting: {name} is {status}"))
        time.sleep(poll_s)


def delete_stack(
    conn: Connection,
    name: str,
    *,
    sink: Sink = null_sink,
    cancel: CancelLike | None = None,
    poll_s: float = 1.0,
) -> StackResult:
    """Blocks: delete the stack and follow it until it is gone (retained resources stay)."""
    started = time.perf_counter()
    require_stack(conn, name)
    since, known = events.newest_event_mark(conn, name)
    sink(StackProgress(STEP_DELETE, f"deleting stack {name}"))
    try:
        conn.client("cloudformation").delete_stack(StackName=name)
    except Exception as exc:
        raise explain(exc, f"deleting the stack {name}", conn.profile) from exc
    status, timeline, _ = events.follow(
        conn, name, since=since, known=known, sink=sink, cancel=None, poll_s=poll_s
    )
    ok = status == "DELETE_COMPLETE"
    result = StackResult(name, status, ok, timeline, seconds=time.perf_counter() - started)
    if not ok:
        result.failure = events.explain_failure(timeline, name) or status
        result.hint = (
            "Resources that could not be deleted are named above; delete or empty them, then delete again."
        )
    return result


def cancel_update(conn: Connection, name: str, *, sink: Sink = null_sink) -> None:
    """Blocks (briefly): ask CloudFormation to cancel a running update (it rolls back)."""
    sink(StackProgress(STEP_EVENTS, f"cancelling the update of {name} (it rolls back)"))
    try:
        conn.client("cloudformation").cancel_update_stack(StackName=name)
    except Exception as exc:
        raise explain(exc, f"cancelling the update of {name}", conn.profile) from exc


def continue_update_rollback(
    conn: Connection, name: str, *, sink: Sink = null_sink, poll_s: float = 1.0
) -> StackResult:
    """Blocks: continue a rollback that failed (UPDATE_ROLLBACK_FAILED) and follow it to the end."""
    started = time.perf_counter()
    since, known = events.newest_event_mark(conn, name)
    try:
        conn.client("cloudformation").continue_update_rollback(StackName=name)
    except Exception as exc:
        raise explain(exc, f"continuing the rollback of {name}", conn.profile) from exc
    status, timeline, _ = events.follow(conn, name, since=since, known=known, sink=sink, poll_s=poll_s)
    ok = status == "UPDATE_ROLLBACK_COMPLETE"
    result = StackResult(name, status, ok, timeline, seconds=time.perf_counter() - started)
    if not ok:
        result.failure = events.explain_failure(timeline, name) or status
        result.hint = events.hint_for(status, name)
    return result


def discard_change_set(
    conn: Connection, stack_name: str, change_set_id: str | None, change_set_type: str | None
) -> bool:
    """Blocks (briefly): delete a change set that will not run, and the empty stack a CREATE one made.

    Returns False (and raises nothing) when it could not: an unexecuted change set is harmless.
    """
    if not change_set_id:
        return True
    cfn = conn.client("cloudformation")
    try:
        cfn.delete_change_set(ChangeSetName=change_set_id, StackName=stack_name)
        stack = events.describe_stack(conn, stack_name)
        if (
            change_set_type == "CREATE"
            and stack is not None
            and stack.get("StackStatus") == "REVIEW_IN_PROGRESS"
        ):
            cfn.delete_stack(StackName=stack_name)
    except Exception:
        return False
    return True
