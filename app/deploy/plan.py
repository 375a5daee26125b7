"""The deploy plan: what would change between the local function and the deployed one, before anything does."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from app.deploy.cache import CacheLimits
from app.deploy.connection import Connection
from app.deploy.errors import KIND_LIMIT, DeployError, error_code, explain, retry
from app.deploy.limits import function_problems, refuse_function
from app.deploy.packaging import (
    Limits,
    PackageResult,
    human_size,
    layer_name,
    package_function,
    package_layer,
)
from app.deploy.progress import STEP_PLAN, Cancelled, CancelLike, Progress, Sink, check_cancel, null_sink
from app.project.model import FunctionSpec

PENDING_LAYER = "(new version of {name})"
ROLE_PREFIX = "lambda-studio-"
# Fields of update_function_configuration we manage; Architectures travels with update_function_code.
CONFIG_FIELDS = ("Runtime", "Handler", "MemorySize", "Timeout", "Environment", "Layers", "Role")
LABELS = {
    "CodeSha256": "code",
    "Runtime": "runtime",
    "Handler": "handler",
    "MemorySize": "memory (MB)",
    "Timeout": "timeout (s)",
    "Environment": "environment",
    "Layers": "layers",
    "Architectures": "architectures",
    "Role": "role",
}


STACK_TAG = "aws:cloudformation:stack-name"  # CloudFormation tags every resource it makes


@dataclass
class DeployOptions:
    """What the user chose in the dialog or on the command line."""

    cache_dir: Path
    role_arn: str | None = None
    create_role: bool = False
    s3_bucket: str | None = None
    publish_version: bool = False
    alias: str | None = None
    limits: Limits = field(default_factory=Limits)
    pip_command: list[str] | None = None
    iam_propagation_timeout: float = 90.0
    allow_secrets: bool = False  # package files that look like credentials (--allow-secrets)
    cache_limits: CacheLimits = field(default_factory=CacheLimits)  # pruned after each build


@dataclass(frozen=True)
class FieldChange:
    """One managed field that differs: API name, deployed value (None if new) and local value."""

    field: str
    current: Any
    desired: Any

    @property
    def label(self) -> str:
        return LABELS.get(self.field, self.field)

    @property
    def current_text(self) -> str:
        return _fmt(self.current)

    @property
    def desired_text(self) -> str:
        return _fmt(self.desired)

    def to_json(self) -> dict[str, Any]:
        return {"field": self.field, "current": self.current, "desired": self.desired}


@dataclass
class LayerPlan:
    """A layer of the function: published ARN as given, or local content to reuse or publish."""

    label: str
    name: str | None
    arn: str | None  # the version ARN the function will use; None until a publish gives one
    publish: bool = False
    package: PackageResult | None = None
    latest_version: int | None = None

    @property
    def display(self) -> str:
        return self.arn or PENDING_LAYER.format(name=self.name)

    def to_json(self) -> dict[str, Any]:
        return {
            "label": self.label,
            "name": self.name,
            "arn": self.arn,
            "publish": self.publish,
            "latest_version": self.latest_version,
            "package": self.package.to_json() if self.package else None,
        }


@dataclass
class DeployPlan:
    """The whole comparison: a dialog shows `render()` (or walks the fields); `deploy.execute` applies it."""

    function: FunctionSpec
    function_name: str
    region: str
    options: DeployOptions
    package: PackageResult
    exists: bool
    current: dict[str, Any]  # managed fields as deployed (empty for a new function)
    desired: dict[str, Any]  # managed fields as they will be
    remote_sha: str | None
    code_changed: bool
    changes: list[FieldChange]
    layers: list[LayerPlan]
    role_action: str  # "given" | "create" | "keep"
    role_name: str | None
    use_s3: bool
    problems: list[str] = field(default_factory=list)  # any problem blocks the deploy
    notes: list[str] = field(default_factory=list)  # worth reading, not blocking
    function_arn: str | None = None
    stack_name: str | None = None  # the CloudFormation stack the deployed function belongs to

    @property
    def action(self) -> str:
        if not self.exists:
            return "create"
        return "update" if self.has_changes else "none"

    @property
    def has_changes(self) -> bool:
        return (
            not self.exists
            or self.code_changed
            or bool(self.changes)
            or any(la.publish for la in self.layers)
        )

    @property
    def config_changes(self) -> list[FieldChange]:
        return [c for c in self.changes if c.field in CONFIG_FIELDS]

    def to_json(self) -> dict[str, Any]:
        return {
            "function": self.function_name,
            "logical_id": self.function.logical_id,
            "region": self.region,
            "action": self.action,
            "exists": self.exists,
            "code_changed": self.code_changed,
            "local_sha256": self.package.sha256,
            "remote_sha256": self.remote_sha,
            "package": self.package.to_json(),
            "upload_via_s3": self.use_s3,
            "changes": [c.to_json() for c in self.changes],
            "layers": [la.to_json() for la in self.layers],
            "role": {"action": self.role_action, "name": self.role_name, "arn": self.desired.get("Role")},
            "problems": list(self.problems),
            "notes": list(self.notes),
            "stack": self.stack_name,
        }

    def render(self) -> str:
        """The human-readable diff a dialog or terminal shows before deploying."""
        pkg = self.package
        head = {"create": "create new function", "update": "update", "none": "no changes"}[self.action]
        lines = [f"Function {self.function_name} in {self.region}: {head}"]
        lines.append(
            f"  package   {pkg.files} files, {human_size(pkg.zipped_size)} zipped, "
            f"{human_size(pkg.unzipped_size)} unzipped, sha256 {pkg.sha256}"
            + (" (upload through S3)" if self.use_s3 and (self.code_changed or not self.exists) else "")
        )
        if self.exists:
            state = "changed" if self.code_changed else "unchanged (no upload)"
            lines.append(
                f"  code      {state}" + (f": {self.remote_sha} -> {pkg.sha256}" if self.code_changed else "")
            )
        for la in self.layers:
            if la.publish:
                lines.append(f"  layer     {la.name}: content changed, publish a new version")
            elif la.name:
                lines.append(f"  layer     {la.name}: unchanged ({la.arn})")
        if self.role_action == "create":
            lines.append(
                f"  role      create or reuse execution role {self.role_name} (AWSLambdaBasicExecutionRole)"
            )
        for change in self.changes:
            lines.append(f"  ~ {change.label:<14}{_fmt(change.current)} -> {_fmt(change.desired)}")
        if not self.exists:
            for key in CONFIG_FIELDS + ("Architectures",):
                if key in self.desired:
                    lines.append(f"  + {LABELS[key]:<14}{_fmt(self.desired[key])}")
        for note in self.notes:
            lines.append(f"  note: {note}")
        for problem in self.problems:
            lines.append(f"  ! {problem}")
        return "\n".join(lines)


def _fmt(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, dict) and "Variables" in value:
        value = value["Variables"]
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k}={v}" for k, v in sorted(value.items())) + "}" if value else "{}"
    if isinstance(value, list):
        return "[" + ", ".join(str(v) for v in value) + "]"
    return str(value)


def limit_problems(fn: FunctionSpec) -> list[str]:
    """Lambda's limits on the name and settings (app/deploy/limits.py), as plain messages."""
    return [p.message for p in function_problems(fn)]


def role_name_for(function_name: str) -> str:
    """The execution role Lambda Studio creates for a function (IAM names: at most 64 characters)."""
    return (ROLE_PREFIX + function_name)[:64]


def current_fields(config: dict[str, Any]) -> dict[str, Any]:
    """The managed fields of a GetFunction Configuration, normalised like `desired`."""
    return {
        "Runtime": config.get("Runtime"),
        "Handler": config.get("Handler"),
        "MemorySize": config.get("MemorySize"),
        "Timeout": config.get("Timeout"),
        "Environment": {"Variables": dict((config.get("Environment") or {}).get("Variables") or {})},
        "Layers": [layer["Arn"] for layer in config.get("Layers") or []],
        "Architectures": list(config.get("Architectures") or ["x86_64"]),
        "Role": config.get("Role"),
    }


def _latest_layer(conn: Connection, name: str, cancel: CancelLike | None) -> dict[str, Any] | None:
    lam = conn.client("lambda")
    try:
        resp = retry(lambda: lam.list_layer_versions(LayerName=name), action="listing layers", cancel=cancel)
    except Exception as exc:
        if error_code(exc) == "ResourceNotFoundException":
            return None
        raise
    versions = resp.get("LayerVersions") or []
    if not versions:
        return None
    latest = max(versions, key=lambda v: int(v["Version"]))
    return dict(
        retry(
            lambda: lam.get_layer_version(LayerName=name, VersionNumber=int(latest["Version"])),
            action="reading a layer version",
            cancel=cancel,
        )
    )


def _plan_layers(
    conn: Connection, fn: FunctionSpec, options: DeployOptions, sink: Sink, cancel: CancelLike | None
) -> tuple[list[LayerPlan], list[str]]:
    plans: list[LayerPlan] = []
    problems: list[str] = []
    arch = (fn.architectures or ["x86_64"])[0]
    for layer in fn.layers:
        if layer.arn and layer.content_dir is None:
            plans.append(LayerPlan(layer.label, None, layer.arn))
            continue
        if layer.content_dir is None:
            problems.append(f"layer {layer.label} has neither an ARN nor local content")
            continue
        name = layer_name(layer)
        pkg = package_layer(
            layer,
            runtime=fn.runtime,
            architecture=arch,
            cache_dir=options.cache_dir,
            sink=sink,
            cancel=cancel,
            limits=options.limits,
            pip_command=options.pip_command,
            allow_secrets=options.allow_secrets,
            cache_limits=options.cache_limits,
        )
        latest = _latest_layer(conn, name, cancel)
        if latest and (latest.get("Content") or {}).get("CodeSha256") == pkg.sha256:
            plans.append(
                LayerPlan(layer.label, name, latest["LayerVersionArn"], False, pkg, latest["Version"])
            )
        else:
            plans.append(LayerPlan(layer.label, name, None, True, pkg, latest["Version"] if latest else None))
    return plans, problems


def make_plan(
    conn: Connection,
    fn: FunctionSpec,
    options: DeployOptions,
    *,
    sink: Sink = null_sink,
    cancel: CancelLike | None = None,
) -> DeployPlan:
    """Blocks: package the function and its local layers, read the deployed function, and compare."""
    if options.role_arn and options.create_role:
        raise DeployError("Give either a role ARN or 'create a role', not both.")
    refuse_function(fn)  # Lambda's documented limits, before packaging and before any AWS call
    package = package_function(
        fn, cache_dir=options.cache_dir, sink=sink, cancel=cancel, limits=options.limits,
        pip_command=options.pip_command, allow_secrets=options.allow_secrets,
        cache_limits=options.cache_limits,
    )  # fmt: skip
    check_cancel(cancel, "reading the deployed function")
    name = fn.function_name
    sink(Progress(STEP_PLAN, f"comparing with {name} in {conn.region_name}"))
    lam = conn.client("lambda")
    try:
        deployed: dict[str, Any] | None = retry(
            lambda: lam.get_function(FunctionName=name), action=f"reading function {name}", cancel=cancel
        )
    except Exception as exc:
        if error_code(exc) != "ResourceNotFoundException":
            raise explain(exc, f"reading function {name}", conn.profile) from exc
        deployed = None
    try:
        layers, problems = _plan_layers(conn, fn, options, sink, cancel)
    except (DeployError, Cancelled):
        raise
    except Exception as exc:
        raise explain(exc, "comparing the layers", conn.profile) from exc
    config = (deployed or {}).get("Configuration") or {}
    current = current_fields(config) if deployed else {}
    desired: dict[str, Any] = {
        "Runtime": fn.runtime,
        "Handler": fn.handler,
        "MemorySize": fn.memory_size,
        "Timeout": fn.timeout,
        "Environment": {"Variables": {str(k): str(v) for k, v in fn.environment.items()}},
        "Layers": [la.display for la in layers],
        "Architectures": list(fn.architectures or ["x86_64"]),
    }
    role_action, role_name = "keep", None
    template_role = fn.role if isinstance(fn.role, str) and fn.role.startswith("arn:") else None
    if options.role_arn or (template_role and not options.create_role):
        role_action, desired["Role"] = "given", options.role_arn or template_role
    elif options.create_role:
        role_action, role_name = "create", role_name_for(name)
        ident = conn.identity()
        desired["Role"] = f"arn:{ident.partition}:iam::{ident.account}:role/{role_name}"
    elif deployed:
        desired["Role"] = current.get("Role")
    else:
        problems.append("a new function needs an execution role: give a role ARN or choose 'create a role'")
    notes: list[str] = list(package.warnings)
    notes.extend(w for la in layers if la.package for w in la.package.warnings)
    if role_action == "create" and fn.policies:
        notes.append(
            f"the created role {role_name} only allows CloudWatch Logs: the template's Policies are not applied"
        )
    if fn.role and role_action != "given":
        notes.append("the template's Role is not a plain ARN and is ignored")
    layer_bytes = sum(la.package.unzipped_size for la in layers if la.package)
    total = package.unzipped_size + layer_bytes
    if total > options.limits.unzipped_bytes:
        problems.append(
            f"function ({human_size(package.unzipped_size)}) plus local layers ({human_size(layer_bytes)}) "
            f"is {human_size(total)} unzipped; Lambda allows {human_size(options.limits.unzipped_bytes)}"
        )
    stack_name = ((deployed or {}).get("Tags") or {}).get(STACK_TAG)
    if stack_name:
        notes.append(
            f"{name} belongs to the CloudFormation stack {stack_name}: a quick deploy drifts the stack "
            "(its next stack deploy puts the stack's version back); deploy the application as a stack instead"
        )
    remote_sha = config.get("CodeSha256") if deployed else None
    changes: list[FieldChange] = []
    code_changed = not deployed
    if deployed:
        code_changed = remote_sha != package.sha256
        for key in ("Architectures", *CONFIG_FIELDS):
            if key in desired and desired[key] != current.get(key):
                changes.append(FieldChange(key, current.get(key), desired[key]))
    return DeployPlan(
        function=fn,
        function_name=name,
        region=conn.region_name,
        options=options,
        package=package,
        exists=deployed is not None,
        current=current,
        desired=desired,
        remote_sha=remote_sha,
        code_changed=code_changed,
        changes=changes,
        layers=layers,
        role_action=role_action,
        role_name=role_name,
        use_s3=package.zipped_size > options.limits.direct_upload_bytes,
        problems=problems,
        notes=notes,
        function_arn=config.get("FunctionArn"),
        stack_name=str(stack_name) if stack_name else None,
    )


def refuse_if_problems(plan: DeployPlan) -> None:
    if plan.problems:
        raise DeployError(
            f"Cannot deploy {plan.function_name}: " + "; ".join(plan.problems) + ".", "", KIND_LIMIT
        )
