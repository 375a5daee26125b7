"""Applying a deploy plan: role, layers, upload, create or update (only what changed), waiters, publish."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

from botocore.exceptions import WaiterError

from app.deploy import artifacts, roles
from app.deploy.connection import Connection
from app.deploy.errors import KIND_PARTIAL, DeployError, error_code, explain, retry
from app.deploy.packaging import file_sha256
from app.deploy.plan import (
    CONFIG_FIELDS,
    DeployOptions,
    DeployPlan,
    FieldChange,
    make_plan,
    refuse_if_problems,
)
from app.deploy.progress import (
    STEP_CREATE,
    STEP_DONE,
    STEP_LAYERS,
    STEP_PUBLISH,
    STEP_UPDATE_CODE,
    STEP_UPDATE_CONFIG,
    STEP_WAIT,
    Cancelled,
    CancelLike,
    Progress,
    Sink,
    check_cancel,
    null_sink,
)
from app.project.model import FunctionSpec


@dataclass
class DeployResult:
    """What happened: a dialog shows `summary()`; --json prints `to_json()`."""

    function_name: str
    function_arn: str | None = None
    created: bool = False
    code_updated: bool = False
    config_updated: list[str] = field(default_factory=list)
    layers_published: list[str] = field(default_factory=list)
    role_created: str | None = None
    uploaded_to: str | None = None
    version: str | None = None
    alias: str | None = None
    code_sha256: str | None = None
    seconds: float = 0.0

    @property
    def changed(self) -> bool:
        return bool(self.created or self.code_updated or self.config_updated or self.layers_published)

    def summary(self) -> str:
        if self.created:
            what = "created"
        elif self.changed:
            parts = ["code" if self.code_updated else "", ", ".join(self.config_updated)]
            parts.append(f"layers {', '.join(self.layers_published)}" if self.layers_published else "")
            what = "updated: " + "; ".join(p for p in parts if p)
        else:
            what = "already up to date (nothing uploaded, nothing changed)"
        extra = f", version {self.version}" if self.version else ""
        extra += f", alias {self.alias}" if self.alias else ""
        return f"{self.function_name} {what}{extra} in {self.seconds:.1f} s"

    def to_json(self) -> dict[str, Any]:
        return {
            "function": self.function_name,
            "arn": self.function_arn,
            "created": self.created,
            "code_updated": self.code_updated,
            "config_updated": self.config_updated,
            "layers_published": self.layers_published,
            "role_created": self.role_created,
            "uploaded_to": self.uploaded_to,
            "version": self.version,
            "alias": self.alias,
            "code_sha256": self.code_sha256,
            "seconds": round(self.seconds, 3),
        }


def wait_until_ready(
    conn: Connection, name: str, waiter: str, *, sink: Sink, cancel: CancelLike | None, timeout: float = 600
) -> None:
    """Blocks: run a Lambda waiter (function_active_v2 / function_updated_v2) in short rounds, cancellable."""
    w = conn.client("lambda").get_waiter(waiter)
    deadline = time.monotonic() + timeout
    sink(Progress(STEP_WAIT, f"waiting for {name} to be ready"))
    while True:
        check_cancel(cancel, "waiting")
        try:
            w.wait(FunctionName=name, WaiterConfig={"Delay": 1, "MaxAttempts": 5})
            return
        except WaiterError as exc:
            if "Max attempts exceeded" not in str(exc) or time.monotonic() > deadline:
                cfg = (exc.last_response or {}).get("Configuration") or {}
                reason = cfg.get("StateReason") or cfg.get("LastUpdateStatusReason") or str(exc)
                raise DeployError(f"{name} did not become ready: {reason}") from exc


def _partial(
    plan: DeployPlan, result: DeployResult, pending: list[FieldChange], exc: BaseException
) -> DeployError:
    """Say exactly what state the function is left in when a later step fails."""
    base = explain(exc, f"deploying {plan.function_name}")
    done = []
    if result.layers_published:
        done.append(f"layers published: {', '.join(result.layers_published)}")
    if result.created:
        done.append("the function was created")
    if result.code_updated:
        done.append(f"the code was updated (CodeSha256 {result.code_sha256})")
    if result.config_updated:
        done.append(f"configuration updated: {', '.join(result.config_updated)}")
    if not done:
        return base
    left = ", ".join(f"{c.label} is still {c.current!r}" for c in pending) or "nothing else"
    msg = (
        f"{base.message}\nThe deploy of {plan.function_name} stopped half-way: "
        + "; ".join(done)
        + f". NOT applied: {left}."
    )
    if result.code_updated and pending:
        msg += " The function now runs the new code with its old configuration."
    return DeployError(
        msg, "Fix the cause and deploy again: only the remaining changes will be applied.", KIND_PARTIAL
    )


def _code_args(
    conn: Connection, plan: DeployPlan, result: DeployResult, sink: Sink, cancel: CancelLike | None
) -> dict[str, Any]:
    if not plan.use_s3:
        return {"ZipFile": plan.package.path.read_bytes()}
    bucket = plan.options.s3_bucket or artifacts.default_bucket(conn)
    artifacts.ensure_bucket(conn, bucket, create=plan.options.s3_bucket is None, sink=sink)
    key = artifacts.package_key(plan.function_name, plan.package)
    artifacts.upload_package(conn, plan.package, bucket, key, sink=sink, cancel=cancel)
    result.uploaded_to = f"s3://{bucket}/{key}"
    return {"S3Bucket": bucket, "S3Key": key}


def execute(
    conn: Connection, plan: DeployPlan, *, sink: Sink = null_sink, cancel: CancelLike | None = None
) -> DeployResult:
    """Blocks: apply a plan (made by make_plan) step by step; cancellable between steps. Raises DeployError."""
    started = time.perf_counter()
    refuse_if_problems(plan)
    if file_sha256(plan.package.path)[0] != plan.package.sha256:
        raise DeployError(
            f"The package of {plan.function_name} was rebuilt since this plan was made.",
            "Plan again, then deploy.",
        )
    name = plan.function_name
    lam = conn.client("lambda")
    result = DeployResult(name, plan.function_arn, code_sha256=plan.remote_sha)
    desired = dict(plan.desired)
    pending = list(plan.changes)
    role_created = False
    try:
        if plan.role_action == "create" and plan.role_name:
            check_cancel(cancel, "creating the role")
            desired["Role"], role_created = roles.ensure_execution_role(
                conn, plan.role_name, sink=sink, cancel=cancel
            )
            if role_created:
                result.role_created = desired["Role"]
        layer_arns = []
        for la in plan.layers:
            if la.publish and la.package is not None and la.name:
                check_cancel(cancel, f"publishing layer {la.name}")
                sink(Progress(STEP_LAYERS, f"publishing layer {la.name}"))
                resp = lam.publish_layer_version(
                    LayerName=la.name,
                    Description=f"Published by Lambda Studio for {name}",
                    Content={"ZipFile": la.package.path.read_bytes()},
                    CompatibleRuntimes=[plan.function.runtime] if plan.function.runtime else [],
                    CompatibleArchitectures=list(desired.get("Architectures") or []),
                )
                la.arn = resp["LayerVersionArn"]
                result.layers_published.append(f"{la.name}:{resp['Version']}")
            layer_arns.append(la.arn)
        desired["Layers"] = layer_arns
        if not plan.exists:
            _create(conn, plan, desired, result, role_created, sink, cancel)
        else:
            arch_change = any(c.field == "Architectures" for c in plan.changes)
            if plan.code_changed or arch_change:
                code = _code_args(conn, plan, result, sink, cancel)
                check_cancel(cancel, "updating the code")
                sink(Progress(STEP_UPDATE_CODE, f"updating the code of {name}"))
                resp = _with_conflict_retry(
                    conn, name, lambda: lam.update_function_code(
                        FunctionName=name, Architectures=desired["Architectures"], **code
                    ), sink, cancel,
                )  # fmt: skip
                result.code_updated, result.code_sha256 = True, resp.get("CodeSha256")
                pending = [c for c in pending if c.field != "Architectures"]
                wait_until_ready(conn, name, "function_updated_v2", sink=sink, cancel=cancel)
            changed = {
                k: desired[k] for k in CONFIG_FIELDS if k in desired and desired[k] != plan.current.get(k)
            }
            if changed:
                check_cancel(cancel, "updating the configuration")
                sink(Progress(STEP_UPDATE_CONFIG, f"updating {', '.join(sorted(changed))} of {name}"))
                _with_conflict_retry(
                    conn,
                    name,
                    lambda: lam.update_function_configuration(FunctionName=name, **changed),
                    sink,
                    cancel,
                )
                result.config_updated = sorted(changed)
                pending = []
                wait_until_ready(conn, name, "function_updated_v2", sink=sink, cancel=cancel)
        _publish(conn, plan, result, sink, cancel)
    except Cancelled as exc:
        if result.changed:
            raise _partial(plan, result, pending, exc) from exc
        raise
    except Exception as exc:
        raise _partial(plan, result, pending, exc) from exc
    result.seconds = time.perf_counter() - started
    sink(Progress(STEP_DONE, result.summary(), 1.0))
    return result


def _with_conflict_retry(
    conn: Connection, name: str, call: Any, sink: Sink, cancel: CancelLike | None
) -> Any:
    """An update refused because another update is running is safe to repeat once the function is ready."""

    def attempt() -> Any:
        try:
            return call()
        except Exception as exc:
            if error_code(exc) == "ResourceConflictException":
                wait_until_ready(conn, name, "function_updated_v2", sink=sink, cancel=cancel)
            raise

    return retry(attempt, action=f"updating {name}", attempts=4, cancel=cancel,
                 retry_on=lambda e: error_code(e) == "ResourceConflictException")  # fmt: skip


def _create(
    conn: Connection,
    plan: DeployPlan,
    desired: dict[str, Any],
    result: DeployResult,
    role_created: bool,
    sink: Sink,
    cancel: CancelLike | None,
) -> None:
    name = plan.function_name
    lam = conn.client("lambda")
    code = _code_args(conn, plan, result, sink, cancel)
    check_cancel(cancel, "creating the function")
    sink(Progress(STEP_CREATE, f"creating {name}"))
    kwargs: dict[str, Any] = {
        "FunctionName": name,
        "Runtime": desired["Runtime"],
        "Handler": desired["Handler"],
        "Role": desired["Role"],
        "Code": code,
        "MemorySize": desired["MemorySize"],
        "Timeout": desired["Timeout"],
        "Architectures": desired["Architectures"],
        "PackageType": "Zip",
        "Tags": {"lambda-studio:logical-id": plan.function.logical_id[:256]},
    }
    if plan.function.description:
        kwargs["Description"] = plan.function.description[:256]
    if desired["Environment"]["Variables"]:
        kwargs["Environment"] = desired["Environment"]
    if desired["Layers"]:
        kwargs["Layers"] = desired["Layers"]
    # A role created seconds ago may not be assumable yet: retry for a while (create is idempotent on failure).
    attempts = max(1, int(plan.options.iam_propagation_timeout / 3)) if role_created else 3
    resp = retry(
        lambda: lam.create_function(**kwargs),
        action=f"creating {name}",
        attempts=attempts,
        delay=3.0 if role_created else 0.5,
        retry_on=roles.is_role_not_ready if role_created else None,
        cancel=cancel,
    )
    result.created, result.function_arn = True, resp.get("FunctionArn")
    result.code_sha256 = resp.get("CodeSha256")
    wait_until_ready(conn, name, "function_active_v2", sink=sink, cancel=cancel)


def _publish(
    conn: Connection, plan: DeployPlan, result: DeployResult, sink: Sink, cancel: CancelLike | None
) -> None:
    opts = plan.options
    if not (opts.publish_version or opts.alias):
        return
    lam = conn.client("lambda")
    name = plan.function_name
    check_cancel(cancel, "publishing a version")
    sink(Progress(STEP_PUBLISH, f"publishing a version of {name}"))
    version = str(lam.publish_version(FunctionName=name, Description="Published by Lambda Studio")["Version"])
    result.version = version
    if opts.alias:
        sink(Progress(STEP_PUBLISH, f"pointing alias {opts.alias} at version {version}"))
        try:
            lam.update_alias(FunctionName=name, Name=opts.alias, FunctionVersion=version)
        except Exception as exc:
            if error_code(exc) != "ResourceNotFoundException":
                raise
            lam.create_alias(FunctionName=name, Name=opts.alias, FunctionVersion=version)
        result.alias = opts.alias


def deploy_function(
    conn: Connection,
    fn: FunctionSpec,
    options: DeployOptions,
    *,
    sink: Sink = null_sink,
    cancel: CancelLike | None = None,
    dry_run: bool = False,
) -> tuple[DeployPlan, DeployResult | None]:
    """Blocks: plan, then (unless dry_run) execute. Returns the plan and the result."""
    plan = make_plan(conn, fn, options, sink=sink, cancel=cancel)
    if dry_run:
        return plan, None
    return plan, execute(conn, plan, sink=sink, cancel=cancel)
