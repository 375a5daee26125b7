"""Change sets: create one, wait for it, describe it with property values, and turn it into a review."""

from __future__ import annotations

import json
import time
from collections.abc import Mapping, Sequence
from typing import Any

from app.deploy.connection import Connection
from app.deploy.errors import KIND_INVALID, KIND_OTHER, DeployError, explain
from app.deploy.progress import CancelLike, Sink, check_cancel, null_sink
from app.deploy.stack.model import (
    KEEPING_POLICIES,
    STATEFUL_TYPES,
    STEP_CHANGESET,
    ChangeDetail,
    ResourceChange,
    Review,
    StackProgress,
)

# The reasons CloudFormation gives a FAILED change set that only means "nothing to change".
NO_CHANGE_REASONS = ("didn't contain changes", "No updates are to be performed")
CHANGESET_WAIT_S = 300.0
KIND_FAILED = KIND_OTHER  # the stack operation itself failed: exit 1, not a refused input


def _value(value: Any) -> str | None:
    if value is None:
        return None
    return value if isinstance(value, str) else json.dumps(value, sort_keys=True)


def _policy(template: Mapping[str, Any] | None, logical_id: str, key: str) -> str:
    resources = (template or {}).get("Resources") or {}
    resource = resources.get(logical_id) if isinstance(resources, Mapping) else None
    return str(resource.get(key, "")) if isinstance(resource, Mapping) else ""


def danger_of(
    change: Mapping[str, Any], new_template: Mapping[str, Any] | None, old_template: Mapping[str, Any] | None
) -> str:
    """Why a change loses data (empty when it does not): a stateful resource removed or replaced unkept."""
    rtype = str(change.get("ResourceType", ""))
    if rtype not in STATEFUL_TYPES:
        return ""
    logical_id = str(change.get("LogicalResourceId", ""))
    action = change.get("Action")
    if action == "Remove" and _policy(old_template, logical_id, "DeletionPolicy") not in KEEPING_POLICIES:
        return f"{rtype} {logical_id} will be DELETED with its data (no DeletionPolicy: Retain)"
    replaced = action == "Modify" and change.get("Replacement") in ("True", "Conditional")
    if replaced and _policy(new_template, logical_id, "UpdateReplacePolicy") not in KEEPING_POLICIES:
        maybe = "may be" if change.get("Replacement") == "Conditional" else "will be"
        return f"{rtype} {logical_id} {maybe} REPLACED and the old one deleted with its data (no UpdateReplacePolicy: Retain)"
    return ""


def review_from_response(
    stack_name: str,
    changes: Sequence[Mapping[str, Any]],
    *,
    change_set_id: str | None = None,
    change_set_type: str | None = None,
    new_template: Mapping[str, Any] | None = None,
    old_template: Mapping[str, Any] | None = None,
) -> Review:
    """The review model from DescribeChangeSet's `Changes` (as AWS documents them)."""
    out: list[ResourceChange] = []
    for entry in changes:
        rc = entry.get("ResourceChange") if entry.get("Type", "Resource") == "Resource" else None
        if not isinstance(rc, Mapping):
            continue
        details = []
        for d in rc.get("Details") or []:
            target = d.get("Target") or {}
            details.append(
                ChangeDetail(
                    attribute=str(target.get("Attribute", "")),
                    name=target.get("Name"),
                    path=target.get("Path"),
                    before=_value(target.get("BeforeValue")),
                    after=_value(target.get("AfterValue")),
                    change_type=target.get("AttributeChangeType"),
                    requires_recreation=target.get("RequiresRecreation"),
                    change_source=d.get("ChangeSource"),
                    causing_entity=d.get("CausingEntity"),
                )
            )
        danger = danger_of(rc, new_template, old_template)
        out.append(
            ResourceChange(
                action=str(rc.get("Action", "")),
                logical_id=str(rc.get("LogicalResourceId", "")),
                resource_type=str(rc.get("ResourceType", "")),
                replacement=rc.get("Replacement") or None,
                physical_id=rc.get("PhysicalResourceId"),
                details=tuple(details),
                dangerous=bool(danger),
                danger=danger,
            )
        )
    return Review(stack_name, not out, out, change_set_id, change_set_type)


def create_change_set(
    conn: Connection,
    *,
    stack_name: str,
    change_set_type: str,
    template: dict[str, str],
    parameters: Mapping[str, str],
    capabilities: list[str],
    tags: Mapping[str, str],
    sink: Sink = null_sink,
    cancel: CancelLike | None = None,
) -> tuple[str, list[dict[str, Any]], str]:
    """Blocks: create a change set and wait until it is ready; returns (id, changes, status reason).

    `template` is {"TemplateBody": ...} or {"TemplateURL": ...}. A change set that changes nothing
    comes back with no changes (it is deleted, as it can never be executed).
    """
    cfn = conn.client("cloudformation")
    name = f"lambda-studio-{time.strftime('%Y%m%d%H%M%S')}-{int(time.time() * 1000) % 1000:03d}"
    check_cancel(cancel, "creating the change set")
    sink(StackProgress(STEP_CHANGESET, f"creating change set {name} ({change_set_type})"))
    try:
        resp = cfn.create_change_set(
            StackName=stack_name,
            ChangeSetName=name,
            ChangeSetType=change_set_type,
            Parameters=[{"ParameterKey": k, "ParameterValue": v} for k, v in parameters.items()],
            Capabilities=capabilities,
            Tags=[{"Key": k, "Value": v} for k, v in tags.items()],
            Description="Created by Lambda Studio",
            **template,
        )
    except Exception as exc:
        raise explain(exc, f"creating a change set for {stack_name}", conn.profile) from exc
    cs_id = str(resp["Id"])
    deadline = time.monotonic() + CHANGESET_WAIT_S
    delay = 0.1
    while True:
        desc = _describe(conn, cs_id, stack_name, first_page_only=True)
        status = str(desc.get("Status", ""))
        if status == "CREATE_COMPLETE":
            break
        if status == "FAILED":
            reason = str(desc.get("StatusReason", ""))
            if any(r in reason for r in NO_CHANGE_REASONS):
                try:
                    cfn.delete_change_set(ChangeSetName=cs_id, StackName=stack_name)
                except Exception:  # best effort: an unexecutable change set is harmless
                    pass
                return cs_id, [], reason
            raise DeployError(
                f"CloudFormation refused the change set for {stack_name}: {reason}",
                "Fix the template or the parameters and deploy again.",
                KIND_INVALID,
            )
        if time.monotonic() > deadline:
            raise DeployError(
                f"The change set for {stack_name} was not ready after {CHANGESET_WAIT_S:.0f} s."
            )
        check_cancel(cancel, "waiting for the change set")
        time.sleep(delay)
        delay = min(delay * 2, 2.0)
    full = _describe(conn, cs_id, stack_name, first_page_only=False)
    return cs_id, list(full.get("Changes") or []), ""


def _describe(conn: Connection, cs_id: str, stack_name: str, *, first_page_only: bool) -> dict[str, Any]:
    cfn = conn.client("cloudformation")
    kwargs: dict[str, Any] = {"ChangeSetName": cs_id, "StackName": stack_name, "IncludePropertyValues": True}
    merged: dict[str, Any] = {}
    changes: list[Any] = []
    try:
        while True:
            page = cfn.describe_change_set(**kwargs)
            merged = merged or dict(page)
            changes.extend(page.get("Changes") or [])
            token = page.get("NextToken")
            if first_page_only or not token:
                break
            kwargs["NextToken"] = token
    except Exception as exc:
        raise explain(exc, f"describing the change set of {stack_name}", conn.profile) from exc
    merged["Changes"] = changes
    return merged


def _service_message(exc: BaseException) -> str:
    """The error text of a failed call, also when the endpoint answered in a form botocore cannot parse."""
    from botocore import exceptions as bx

    if isinstance(exc, bx.ClientError):
        err = exc.response.get("Error", {})
        return f"{err.get('Code', '')}: {err.get('Message', '')}".strip(": ")
    text = str(exc)
    start = text.find("{")
    if isinstance(exc, bx.ResponseParserError) and start >= 0:
        body = text[start : text.rfind("}") + 1].encode().decode("unicode_escape")
        try:
            data = json.loads(body)
            return f"{str(data.get('__type', '')).split('#')[-1]}: {data.get('message') or data.get('Message') or ''}"
        except ValueError:
            pass
    return text


def execute_change_set(conn: Connection, cs_id: str, stack_name: str) -> None:
    """Blocks (briefly): start executing a reviewed change set; a refusal is a failed operation (exit 1)."""
    try:
        conn.client("cloudformation").execute_change_set(ChangeSetName=cs_id, StackName=stack_name)
    except Exception as exc:
        err = explain(exc, f"executing the change set of {stack_name}", conn.profile)
        if err.kind in ("credentials", "access-denied", "network", "throttled"):
            raise err from exc
        raise DeployError(
            f"CloudFormation could not execute the change set of {stack_name}: {_service_message(exc)}",
            "Fix the cause named above and deploy again.",
            KIND_FAILED,
        ) from exc
