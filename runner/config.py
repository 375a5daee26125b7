"""What the runner needs to know about a function: a Qt-free, app-free description."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from runner.emulator.gate_link import GateLink


@dataclass(frozen=True)
class FunctionConfig:
    """One function, ready to run locally (the app layer builds it from a FunctionSpec)."""

    function_id: str
    name: str
    handler: str
    runtime: str
    code_dir: Path
    layer_dirs: tuple[Path, ...] = ()
    environment: Mapping[str, str] = field(default_factory=dict)
    memory_mb: int = 128
    timeout_s: float = 3.0
    architecture: str = "x86_64"
    requirements_file: Path | None = None
    region: str = "us-east-1"
    account_id: str = "123456789012"
    log_format: str | None = None
    log_level: str | None = None
    ephemeral_storage_mb: int = 512  # /tmp's size (EphemeralStorage.Size)
    # The local application's link to the host for functions in containers (app/local/gate.py): never
    # part of the function's environment; the container's emulator takes it.
    host_gate: GateLink | None = field(default=None, repr=False, compare=False)

    @property
    def python_version(self) -> str | None:
        """'3.12' for runtime 'python3.12'; None for a non-Python runtime."""
        if self.runtime.startswith("python3."):
            return self.runtime[len("python") :]
        return None

    def lambda_environment(self, python_version: str | None = None) -> dict[str, str]:
        """The variables Lambda sets from this configuration (AWS docs, "Defined runtime environment
        variables"), for every backend: the container's, and the process's base environment. The
        per-runtime ones (log stream, runtime API, _HANDLER, credentials) are the emulator's, which also
        runs alone inside containers. The template's own variables are applied on top by the caller."""
        version = python_version or self.python_version or "3.12"
        env = {
            "AWS_LAMBDA_FUNCTION_NAME": self.name,
            "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": str(self.memory_mb),
            "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST",
            "AWS_LAMBDA_LOG_GROUP_NAME": f"/aws/lambda/{self.name}",
            "AWS_REGION": self.region,
            "AWS_DEFAULT_REGION": self.region,
            "AWS_EXECUTION_ENV": f"AWS_Lambda_python{version}",
            "AWS_LAMBDA_INITIALIZATION_TYPE": "on-demand",
            "TZ": ":UTC",  # real Lambda's value; the images bake in TZ=:/etc/localtime
            "LANG": "en_US.UTF-8",
        }
        if self.log_format:
            env["AWS_LAMBDA_LOG_FORMAT"] = self.log_format
        if self.log_level:
            env["AWS_LAMBDA_LOG_LEVEL"] = self.log_level
        return env

    @property
    def function_arn(self) -> str:
        return f"arn:aws:lambda:{self.region}:{self.account_id}:function:{self.name}"

    def config_hash(self) -> str:
        """A short hash of everything that requires a fresh runtime when it changes."""
        data = {
            "handler": self.handler,
            "runtime": self.runtime,
            "code_dir": str(self.code_dir),
            "layers": [str(p) for p in self.layer_dirs],
            "env": dict(sorted(self.environment.items())),
            "memory": self.memory_mb,
            "timeout": self.timeout_s,
            "arch": self.architecture,
            "requirements": str(self.requirements_file) if self.requirements_file else None,
            "log": [self.log_format, self.log_level],
            "tmp": self.ephemeral_storage_mb,
        }
        if self.host_gate is not None:  # a container made for another gate cannot reach this one
            data["gate"] = f"{self.host_gate.host}:{self.host_gate.port}"
        return hashlib.sha256(json.dumps(data, sort_keys=True).encode()).hexdigest()[:16]
