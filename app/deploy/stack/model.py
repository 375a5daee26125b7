"""The data of a stack deploy: options, built artifacts, the change-set review, events, outputs, results."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from app.deploy.progress import Progress

TRANSFORM_LOCAL = "local"
TRANSFORM_SERVICE = "service"

STEP_BUILD = "build"
STEP_LINT = "lint"
STEP_CHANGESET = "changeset"
STEP_EXECUTE = "execute"
STEP_EVENTS = "events"
STEP_DELETE = "delete"

# Resources whose removal or replacement loses data unless a Retain (or Snapshot) policy keeps it.
STATEFUL_TYPES = frozenset(
    {
        "AWS::DynamoDB::Table", "AWS::DynamoDB::GlobalTable", "AWS::S3::Bucket", "AWS::SQS::Queue",
        "AWS::Logs::LogGroup", "AWS::RDS::DBInstance", "AWS::RDS::DBCluster", "AWS::EFS::FileSystem",
        "AWS::Kinesis::Stream", "AWS::Cognito::UserPool", "AWS::KMS::Key", "AWS::SecretsManager::Secret",
        "AWS::ECR::Repository", "AWS::Serverless::SimpleTable", "AWS::OpenSearchService::Domain",
    }
)  # fmt: skip
KEEPING_POLICIES = ("Retain", "RetainExceptOnCreate", "Snapshot")


@dataclass
class StackOptions:
    """What one `stack deploy`/`stack plan` needs beyond the project folder and the connection."""

    stack_name: str
    cache_dir: Path
    config_env: str = "default"
    parameter_overrides: dict[str, str] = field(default_factory=dict)
    s3_bucket: str | None = None
    s3_prefix: str | None = None
    capabilities: list[str] = field(default_factory=list)
    tags: dict[str, str] = field(default_factory=dict)
    transform: str = TRANSFORM_SERVICE
    delete_failed: bool = False  # a stack left in ROLLBACK_COMPLETE is deleted and created again
    in_progress_wait_s: float = 600.0  # how long to wait for another operation on the stack
    poll_s: float = 1.0
    # False for `stack plan`: no artifact upload and no bucket made; only a template too large to send
    # in the request goes to S3 (CloudFormation needs it to make the change set).
    upload_artifacts: bool = True


@dataclass(frozen=True)
class Artifact:
    """One built zip (or packaged nested template) in S3: its resource and its content-addressed key."""

    logical_id: str
    kind: str  # "function", "layer" or "template" (a nested application's packaged template)
    path: Path
    sha256_hex: str
    size: int
    bucket: str
    key: str

    @property
    def uri(self) -> str:
        return f"s3://{self.bucket}/{self.key}"


@dataclass(frozen=True)
class ChangeDetail:
    """One changed property of a resource, with before and after values where AWS gives them."""

    attribute: str
    name: str | None
    path: str | None
    before: str | None
    after: str | None
    change_type: str | None
    requires_recreation: str | None
    change_source: str | None
    causing_entity: str | None

    def to_json(self) -> dict[str, Any]:
        return {
            "attribute": self.attribute,
            "name": self.name,
            "path": self.path,
            "before": self.before,
            "after": self.after,
            "attributeChangeType": self.change_type,
            "requiresRecreation": self.requires_recreation,
            "changeSource": self.change_source,
            "causingEntity": self.causing_entity,
        }

    def label(self) -> str:
        what = self.path or self.name or self.attribute
        if self.before is not None or self.after is not None:
            return f"{what}: {_short(self.before)} → {_short(self.after)}"
        source = f" (via {self.causing_entity or self.change_source})" if self.change_source else ""
        return f"{what}{source}"


def _short(value: str | None, limit: int = 60) -> str:
    if value is None:
        return "(none)"
    return value if len(value) <= limit else value[: limit - 1] + "…"


@dataclass(frozen=True)
class ResourceChange:
    """One line of the review: what CloudFormation will do to one resource."""

    action: str
    logical_id: str
    resource_type: str
    replacement: str | None
    physical_id: str | None = None
    details: tuple[ChangeDetail, ...] = ()
    dangerous: bool = False
    danger: str = ""

    def to_json(self) -> dict[str, Any]:
        return {
            "action": self.action,
            "logicalResourceId": self.logical_id,
            "physicalResourceId": self.physical_id,
            "resourceType": self.resource_type,
            "replacement": self.replacement,
            "details": [d.to_json() for d in self.details],
            "dangerous": self.dangerous,
            "danger": self.danger,
        }


@dataclass
class Review:
    """The reviewed change set (or the finding that nothing changed)."""

    stack_name: str
    no_changes: bool
    changes: list[ResourceChange] = field(default_factory=list)
    change_set_id: str | None = None
    change_set_type: str | None = None  # CREATE or UPDATE
    reason: str = ""

    @property
    def dangerous(self) -> list[ResourceChange]:
        return [c for c in self.changes if c.dangerous]

    def to_json(self) -> dict[str, Any]:
        return {
            "stackName": self.stack_name,
            "noChanges": self.no_changes,
            "changeSetId": self.change_set_id,
            "changeSetType": self.change_set_type,
            "changes": [c.to_json() for c in self.changes],
        }

    def render(self) -> str:
        if self.no_changes:
            return f"Stack {self.stack_name}: no changes to deploy{' (' + self.reason + ')' if self.reason else ''}."
        verb = "create" if self.change_set_type == "CREATE" else "update"
        lines = [f"Stack {self.stack_name}: {len(self.changes)} change(s) to {verb}"]
        for c in self.changes:
            repl = f" replacement={c.replacement}" if c.replacement and c.action == "Modify" else ""
            mark = "!! " if c.dangerous else "   "
            lines.append(f"{mark}{c.action:<7} {c.logical_id} ({c.resource_type}){repl}")
            if c.dangerous:
                lines.append(f"      DANGER: {c.danger}")
            for d in c.details:
                lines.append(f"      {d.label()}")
        return "\n".join(lines)


@dataclass(frozen=True)
class StackEvent:
    """One DescribeStackEvents entry."""

    event_id: str
    timestamp: datetime
    logical_id: str
    resource_type: str
    status: str
    reason: str = ""
    physical_id: str = ""

    @property
    def failed(self) -> bool:
        return self.status.endswith("_FAILED")

    def to_json(self) -> dict[str, Any]:
        return {
            "timestamp": self.timestamp.isoformat(),
            "logicalResourceId": self.logical_id,
            "resourceType": self.resource_type,
            "status": self.status,
            "reason": self.reason,
            "physicalResourceId": self.physical_id,
        }

    def line(self) -> str:
        reason = f" - {self.reason}" if self.reason else ""
        return f"{self.timestamp:%H:%M:%S} {self.status:<28} {self.logical_id} ({self.resource_type}){reason}"


@dataclass(frozen=True)
class StackProgress(Progress):
    """A progress report that may carry a stack event for a live timeline."""

    event: StackEvent | None = None


@dataclass(frozen=True)
class Output:
    key: str
    value: str
    description: str = ""
    export_name: str = ""

    @property
    def is_url(self) -> bool:
        return self.value.startswith(("https://", "http://"))

    def to_json(self) -> dict[str, Any]:
        return {
            "OutputKey": self.key,
            "OutputValue": self.value,
            "Description": self.description,
            "ExportName": self.export_name,
        }


@dataclass
class StackResult:
    """How an execute (or delete) ended: final status, the timeline, the failure, the outputs."""

    stack_name: str
    status: str
    ok: bool
    events: list[StackEvent] = field(default_factory=list)  # newest first
    failure: str = ""
    hint: str = ""
    outputs: list[Output] = field(default_factory=list)
    endpoints: list[str] = field(default_factory=list)
    seconds: float = 0.0
    cancelled: bool = False

    def to_json(self) -> dict[str, Any]:
        return {
            "stackName": self.stack_name,
            "status": self.status,
            "ok": self.ok,
            "failure": self.failure,
            "hint": self.hint,
            "cancelled": self.cancelled,
            "outputs": [o.to_json() for o in self.outputs],
            "endpoints": self.endpoints,
            "events": [e.to_json() for e in self.events],
            "seconds": round(self.seconds, 3),
        }

    def summary(self) -> str:
        lines = [f"Stack {self.stack_name}: {self.status}"]
        if self.failure:
            lines.append(f"Failed: {self.failure}")
        if self.hint:
            lines.append(self.hint)
        for o in self.outputs:
            lines.append(f"  {o.key} = {o.value}" + (f"  ({o.description})" if o.description else ""))
        for url in self.endpoints:
            lines.append(f"  endpoint: {url}")
        return "\n".join(lines)
