"""Plain data classes describing a loaded project: functions, layers, diagnostics."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Any

DEFAULT_MEMORY_MB = 128
DEFAULT_TIMEOUT_S = 3
DEFAULT_EPHEMERAL_MB = 512


class Severity(StrEnum):
    ERROR = "error"
    WARNING = "warning"


@dataclass(frozen=True)
class Diagnostic:
    """A problem found in a project, pinned to a file position where one is known (1-based)."""

    severity: Severity
    code: str
    message: str
    file: Path | None = None
    line: int | None = None
    column: int | None = None
    function_id: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "severity": self.severity.value,
            "code": self.code,
            "message": self.message,
            "file": str(self.file) if self.file else None,
            "line": self.line,
            "column": self.column,
            "function": self.function_id,
        }

    def __str__(self) -> str:
        where = ""
        if self.file:
            where = f"{self.file}"
            if self.line:
                where += f":{self.line}"
                if self.column:
                    where += f":{self.column}"
            where += ": "
        return f"{where}{self.severity.value}: {self.message} [{self.code}]"


@dataclass
class LayerSpec:
    """A layer a function uses: local content (a directory) or a published ARN."""

    logical_id: str | None
    arn: str | None = None
    content_dir: Path | None = None
    name: str | None = None
    compatible_runtimes: list[str] = field(default_factory=list)
    template_path: Path | None = None

    @property
    def label(self) -> str:
        return self.logical_id or self.arn or self.name or "?"

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.logical_id,
            "arn": self.arn,
            "content_dir": str(self.content_dir) if self.content_dir else None,
            "name": self.name,
        }


@dataclass
class EventSource:
    """One entry of a function's Events: its name, SAM type (Api, SQS, S3...) and properties."""

    name: str
    type: str
    properties: dict[str, Any] = field(default_factory=dict)


@dataclass
class FunctionSpec:
    """A Lambda function as SAM would build it, with local paths resolved."""

    logical_id: str
    function_name: str
    handler: str | None
    runtime: str | None
    template_path: Path | None
    line: int | None = None
    column: int | None = None
    resource_type: str = "AWS::Serverless::Function"
    package_type: str = "Zip"
    architectures: list[str] = field(default_factory=lambda: ["x86_64"])
    code_dir: Path | None = None
    inline_code: str | None = None
    code_s3: dict[str, Any] | None = None
    image_uri: str | None = None
    image_metadata: dict[str, Any] = field(default_factory=dict)
    memory_size: int = DEFAULT_MEMORY_MB
    timeout: int = DEFAULT_TIMEOUT_S
    environment: dict[str, str] = field(default_factory=dict)
    layers: list[LayerSpec] = field(default_factory=list)
    ephemeral_storage: int = DEFAULT_EPHEMERAL_MB
    logging_config: dict[str, Any] = field(default_factory=dict)
    events: list[EventSource] = field(default_factory=list)
    role: Any = None
    policies: Any = None
    description: str | None = None
    diagnostics: list[Diagnostic] = field(default_factory=list)

    @property
    def handler_module_and_function(self) -> tuple[str, str] | None:
        """('pkg.mod', 'fn') for a handler 'pkg/mod.fn' or 'pkg.mod.fn'; None if malformed."""
        if not self.handler or "." not in self.handler:
            return None
        module, func = self.handler.rsplit(".", 1)
        module = module.replace("/", ".")
        if not module or not func:
            return None
        return module, func

    @property
    def handler_file(self) -> Path | None:
        """The local file that defines the handler module, if it exists."""
        parts = self.handler_module_and_function
        if parts is None or self.code_dir is None:
            return None
        rel = Path(*parts[0].split("."))
        for candidate in (self.code_dir / rel.with_suffix(".py"), self.code_dir / rel / "__init__.py"):
            if candidate.is_file():
                return candidate
        return None

    @property
    def requirements_file(self) -> Path | None:
        if self.code_dir is None:
            return None
        req = self.code_dir / "requirements.txt"
        return req if req.is_file() else None

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.logical_id,
            "name": self.function_name,
            "resource_type": self.resource_type,
            "handler": self.handler,
            "runtime": self.runtime,
            "architectures": list(self.architectures),
            "package_type": self.package_type,
            "code_dir": str(self.code_dir) if self.code_dir else None,
            "inline_code": self.inline_code is not None,
            "code_s3": self.code_s3,
            "image_uri": self.image_uri,
            "memory_size": self.memory_size,
            "timeout": self.timeout,
            "ephemeral_storage": self.ephemeral_storage,
            "environment": dict(self.environment),
            "layers": [layer.to_json() for layer in self.layers],
            "logging_config": self.logging_config,
            "events": [{"name": e.name, "type": e.type} for e in self.events],
            "template": str(self.template_path) if self.template_path else None,
            "line": self.line,
            "column": self.column,
            "diagnostics": [d.to_json() for d in self.diagnostics],
        }


@dataclass
class Project:
    """Everything known about one project folder."""

    root: Path
    templates: list[Path] = field(default_factory=list)
    functions: list[FunctionSpec] = field(default_factory=list)
    layers: list[LayerSpec] = field(default_factory=list)
    parameters: dict[str, Any] = field(default_factory=dict)
    diagnostics: list[Diagnostic] = field(default_factory=list)
    readable: bool = True  # False when the root template could not be parsed at all

    def function(self, key: str) -> FunctionSpec | None:
        """Find a function by logical id (``Child/Fn`` for nested) or by function name."""
        for fn in self.functions:
            if fn.logical_id == key:
                return fn
        for fn in self.functions:
            if fn.function_name == key:
                return fn
        return None

    @property
    def all_diagnostics(self) -> list[Diagnostic]:
        out = list(self.diagnostics)
        for fn in self.functions:
            out.extend(fn.diagnostics)
        return out

    def to_json(self) -> dict[str, Any]:
        return {
            "root": str(self.root),
            "templates": [str(t) for t in self.templates],
            "functions": [fn.to_json() for fn in self.functions],
            "diagnostics": [d.to_json() for d in self.diagnostics],
        }
