"""Plan and run a stack deploy: build, package, check, compare, change set, execute and follow."""

from __future__ import annotations

import os
import re
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from app.deploy.connection import Connection
from app.deploy.errors import KIND_CONFLICT, KIND_INVALID, KIND_LIMIT, DeployError, explain
from app.deploy.limits import function_problems
from app.deploy.progress import CancelLike, Sink, check_cancel, null_sink
from app.deploy.stack import build, changeset, events, template
from app.deploy.stack.lint import lint_template
from app.deploy.stack.manage import delete_stack, wait_until_settled
from app.deploy.stack.model import (
    STEP_BUILD,
    STEP_EXECUTE,
    STEP_LINT,
    TRANSFORM_LOCAL,
    Artifact,
    Review,
    StackOptions,
    StackProgress,
    StackResult,
)
from app.deploy.stack.nested import package_template
from app.deploy.stack.params import resolve_parameters
from app.project.model import Diagnostic, FunctionSpec, Severity

STACK_NAME_RE = re.compile(r"[A-Za-z][A-Za-z0-9-]{0,127}")  # CloudFormation's own rule


@dataclass
class Prepared:
    """Everything known before talking to CloudFormation: the artifacts and the template to send."""

    template_path: Path
    parameters: dict[str, str]
    artifacts: dict[str, Artifact]
    sent: dict[str, Any]  # the template CloudFormation receives
    expanded: dict[str, Any]  # the same after the SAM transform (made here), for capabilities and review
    text: str
    capabilities: list[str]
    findings: list[Diagnostic] = field(default_factory=list)


@dataclass
class StackPlan:
    """A prepared deploy and its review; `review.change_set_id` is what execute runs."""

    stack_name: str
    options: StackOptions
    prepared: Prepared
    review: Review
    stack_status: str | None  # before the deploy; None when the stack does not exist
    uploaded: int = 0

    def to_json(self) -> dict[str, Any]:
        return {
            **self.review.to_json(),
            "stackStatus": self.stack_status,
            "capabilities": self.prepared.capabilities,
            "parameters": self.prepared.parameters,
            "artifacts": {k: a.uri for k, a in self.prepared.artifacts.items()},
            "uploaded": self.uploaded,
            "lint": [d.to_json() for d in self.prepared.findings],
        }


def prepare(
    conn: Connection,
    project_path: str | os.PathLike[str],
    options: StackOptions,
    *,
    sink: Sink = null_sink,
    cancel: CancelLike | None = None,
    pip_command: Sequence[str] | None = None,
) -> Prepared:
    """Blocks: check parameters and the template (cfn-lint), build, and make the template to send.

    Raises DeployError (kind invalid) for a bad parameter or a cfn-lint error; nothing in AWS changes here.
    """
    from app.project.loader import ProjectLoadError, load_project

    if not STACK_NAME_RE.fullmatch(options.stack_name):
        raise DeployError(
            f"{options.stack_name!r} is not a stack name CloudFormation accepts.",
            "A stack name starts with a letter and has only letters, digits and hyphens (at most 128).",
            KIND_INVALID,
        )
    try:
        project = load_project(
            project_path, config_env=options.config_env, parameter_overrides=options.parameter_overrides
        )
    except ProjectLoadError as exc:
        raise DeployError(str(exc), "", KIND_INVALID) from exc
    if not project.templates:
        raise DeployError(
            f"{project.root} has no template.yaml: a stack needs a SAM or CloudFormation template.",
            "",
            KIND_INVALID,
        )
    path = project.templates[0]
    source = template.load_source_template(path)
    values, problems = resolve_parameters(source.get("Parameters"), options.parameter_overrides)
    if problems:
        raise DeployError(
            "Refused before any change: " + "; ".join(p.message for p in problems),
            "Fix the value (--parameter-overrides NAME=VALUE, or parameter_overrides in samconfig.toml).",
            KIND_INVALID,
        )
    refuse_limits(project.functions)
    check_cancel(cancel, "linting")
    sink(StackProgress(STEP_LINT, f"cfn-lint {path.name}"))
    findings = [  # the root template and every local nested application's template
        d
        for t in project.templates
        for d in lint_template(t, region=conn.region_name, cache_dir=options.cache_dir)
    ]
    errors = [d for d in findings if d.severity == Severity.ERROR]
    if errors:
        shown = "\n".join(f"  {d}" for d in errors[:20])
        raise DeployError(
            f"cfn-lint found {len(errors)} error(s); refused before any change:\n{shown}",
            "Fix the template (the editor marks each finding).",
            KIND_INVALID,
        )
    for d in findings:
        sink(StackProgress(STEP_LINT, str(d)))
    identity = conn.identity()
    bucket = options.s3_bucket or build.managed_bucket_name(conn)
    sink(StackProgress(STEP_BUILD, "building functions and layers"))
    local = options.transform == TRANSFORM_LOCAL

    def translate(tpl: dict[str, Any], params: Mapping[str, str]) -> dict[str, Any]:
        return template.translate(
            tpl, params, region=conn.region_name, account=identity.account, partition=identity.partition
        )

    result = package_template(
        project, path, source, values=values, bucket=bucket, prefix=options.s3_prefix or options.stack_name,
        region=conn.region_name, cache_dir=options.cache_dir, translate=translate, send_translated=local,
        sink=sink, cancel=cancel, pip_command=pip_command,
    )  # fmt: skip
    packaged = result.template
    expanded = translate(packaged, values)
    sent = expanded if local else packaged
    keeps = not local and template.has_sam_transform(packaged)
    caps = sorted(
        set(options.capabilities)
        | set(template.needed_capabilities(expanded, keeps_transform=keeps))
        | result.capabilities
    )
    return Prepared(
        path, values, result.artifacts, sent, expanded, template.template_text(sent), caps, findings
    )


def refuse_limits(functions: Sequence[FunctionSpec]) -> None:
    """Raise DeployError (kind limit, exit 2) naming each function and field beyond Lambda's limits.

    The checks are app/deploy/limits.py's, shared with the quick deploy. A function without its own
    FunctionName (CloudFormation names it) is not held to the name rule: its logical id is not its name.
    """
    lines = []
    for fn in functions:
        named = fn.function_name != fn.logical_id.rsplit("/", 1)[-1]
        for problem in function_problems(fn):
            if problem.field == "FunctionName" and not named:
                continue
            lines.append(f"{fn.logical_id}.{problem.field}: {problem.message}")
    if lines:
        raise DeployError(
            "Refused before any change; Lambda would refuse these:\n" + "\n".join(f"  {x}" for x in lines),
            "Fix them in the template (the editor marks each one).",
            KIND_LIMIT,
        )


def _same_as_deployed(
    conn: Connection, stack: dict[str, Any], prepared: Prepared, options: StackOptions
) -> tuple[bool, Any]:
    """Compare template, parameters and tags with the deployed stack; returns (same, deployed template)."""
    name = str(stack["StackName"])
    try:
        body = conn.client("cloudformation").get_template(StackName=name, TemplateStage="Original")[
            "TemplateBody"
        ]
    except Exception as exc:
        raise explain(exc, f"reading the template of {name}", conn.profile) from exc
    deployed = body
    if isinstance(body, str):
        try:
            import json

            deployed = json.loads(body)
        except ValueError:
            deployed = None
    same_template = template.canonical(body) == template.canonical(prepared.sent)
    params = {p["ParameterKey"]: p.get("ParameterValue") for p in stack.get("Parameters") or []}
    tags = {t["Key"]: t["Value"] for t in stack.get("Tags") or []}
    return same_template and params == prepared.parameters and tags == dict(options.tags), deployed


def _template_argument(
    conn: Connection, prepared: Prepared, options: StackOptions, bucket: str
) -> dict[str, str]:
    if len(prepared.text.encode()) <= template.BODY_LIMIT:
        return {"TemplateBody": prepared.text}
    key = f"{(options.s3_prefix or options.stack_name).strip('/')}/{template.template_hash(prepared.text)}.template"
    try:
        conn.client("s3").put_object(Bucket=bucket, Key=key, Body=prepared.text.encode())
    except Exception as exc:
        raise explain(exc, f"uploading the template to s3://{bucket}/{key}", conn.profile) from exc
    base = (conn.endpoint_url or f"https://s3.{conn.region_name}.amazonaws.com").rstrip("/")
    return {"TemplateURL": f"{base}/{bucket}/{key}"}


def plan_stack(
    conn: Connection,
    project_path: str | os.PathLike[str],
    options: StackOptions,
    *,
    sink: Sink = null_sink,
    cancel: CancelLike | None = None,
    pip_command: Sequence[str] | None = None,
) -> StackPlan:
    """Blocks: prepare, then either find nothing changed (no change set) or create and describe one.

    With options.upload_artifacts (a deploy) the zips S3 lacks are uploaded first, so the change set can
    be executed; without (`stack plan`) nothing is uploaded: the review does not need the code in S3.
    """
    prepared = prepare(conn, project_path, options, sink=sink, cancel=cancel, pip_command=pip_command)
    name = options.stack_name
    stack = events.describe_stack(conn, name)
    status = str(stack["StackStatus"]) if stack else None
    if status and events.in_progress(status):
        status = wait_until_settled(conn, name, limit_s=options.in_progress_wait_s, sink=sink, cancel=cancel)
        stack = events.describe_stack(conn, name)
    if status in ("ROLLBACK_COMPLETE", "ROLLBACK_FAILED", "CREATE_FAILED"):
        if not options.delete_failed:
            raise DeployError(
                f"The stack {name} is {status}: its first create failed, and it cannot be updated.",
                events.hint_for(status, name),
                KIND_CONFLICT,
            )
        delete_stack(conn, name, sink=sink, cancel=cancel, poll_s=options.poll_s)
        stack, status = None, None
    if status == "UPDATE_ROLLBACK_FAILED":
        raise DeployError(
            f"The stack {name} is UPDATE_ROLLBACK_FAILED.", events.hint_for(status, name), KIND_CONFLICT
        )
    deployed: Any = None
    if stack is not None and status != "REVIEW_IN_PROGRESS":
        same, deployed = _same_as_deployed(conn, stack, prepared, options)
        if same:
            review = Review(name, True, reason="the template, parameters, tags and code are those deployed")
            return StackPlan(name, options, prepared, review, status)
    bucket = options.s3_bucket or build.managed_bucket_name(conn)
    uploaded = 0
    # A plan uploads no code; nested applications' templates it does upload: CloudFormation may read a
    # nested stack's TemplateURL to make the change set.
    to_upload = prepared.artifacts
    if not options.upload_artifacts:
        to_upload = {k: a for k, a in prepared.artifacts.items() if a.kind == "template"}
    if to_upload or len(prepared.text.encode()) > template.BODY_LIMIT:
        build.ensure_artifact_bucket(conn, bucket, managed=not options.s3_bucket, sink=sink)
    if to_upload:
        uploaded = build.upload_artifacts(conn, to_upload, sink=sink, cancel=cancel)
    cs_type = "CREATE" if stack is None or status == "REVIEW_IN_PROGRESS" else "UPDATE"
    cs_id, changes, reason = changeset.create_change_set(
        conn, stack_name=name, change_set_type=cs_type,
        template=_template_argument(conn, prepared, options, bucket), parameters=prepared.parameters,
        capabilities=prepared.capabilities, tags=options.tags, sink=sink, cancel=cancel,
    )  # fmt: skip
    review = changeset.review_from_response(
        name, changes, change_set_id=cs_id, change_set_type=cs_type,
        new_template=prepared.expanded, old_template=deployed if isinstance(deployed, dict) else None,
    )  # fmt: skip
    if review.no_changes:
        review.change_set_id = None
        review.reason = reason or "CloudFormation found nothing to change"
    return StackPlan(name, options, prepared, review, status, uploaded)


def execute_plan(
    conn: Connection, plan: StackPlan, *, sink: Sink = null_sink, cancel: CancelLike | None = None
) -> StackResult:
    """Blocks: execute the reviewed change set and follow the stack's events until it settles."""
    name = plan.stack_name
    started = time.perf_counter()
    if plan.review.no_changes or not plan.review.change_set_id:
        stack = events.describe_stack(conn, name)
        return StackResult(
            name, str((stack or {}).get("StackStatus", plan.stack_status or "")), True,
            outputs=events.outputs_of(stack), seconds=time.perf_counter() - started,
        )  # fmt: skip
    if not plan.options.upload_artifacts:
        raise DeployError(
            "This plan was made without uploading the code (a review only); it cannot be executed.",
            "Deploy with `stack deploy`, which uploads the zips before making its change set.",
            KIND_INVALID,
        )
    check_cancel(cancel, "executing the change set")
    since, known = events.newest_event_mark(conn, name)
    sink(StackProgress(STEP_EXECUTE, f"executing change set for {name}"))
    changeset.execute_change_set(conn, plan.review.change_set_id, name)
    is_update = plan.review.change_set_type == "UPDATE"

    def on_cancel() -> None:
        if is_update:
            from app.deploy.stack.manage import cancel_update

            try:
                cancel_update(conn, name, sink=sink)
            except DeployError as exc:  # the update goes on: say so and keep following it
                sink(
                    StackProgress(
                        STEP_EXECUTE, f"could not cancel ({exc.message}); following the update to its end"
                    )
                )
        else:
            sink(
                StackProgress(STEP_EXECUTE, "a stack create cannot be cancelled; CloudFormation finishes it")
            )

    status, timeline, cancelled = events.follow(
        conn, name, since=since, known=known, total=len(plan.review.changes), sink=sink, cancel=cancel,
        on_cancel=on_cancel, poll_s=plan.options.poll_s,
    )  # fmt: skip
    ok = status in events.SUCCESS_STATUSES
    stack = events.describe_stack(conn, name)
    result = StackResult(
        name, status, ok, timeline, cancelled=cancelled, seconds=time.perf_counter() - started
    )
    if not ok:
        result.failure = (
            events.explain_failure(timeline, name) or (stack or {}).get("StackStatusReason", "") or status
        )
        result.hint = events.hint_for(status, name)
    result.outputs = events.outputs_of(stack)
    if ok:
        result.endpoints = events.api_endpoints(conn, name)
    return result
