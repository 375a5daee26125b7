"""SAM CLI's samconfig.toml deploy parameters per config environment: read (via app.project.sam) and write."""

from __future__ import annotations

import shlex
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from app.deploy.errors import KIND_INVALID, DeployError
from app.project.sam import command_parameters, parse_parameter_overrides, read_samconfig

FILE = "samconfig.toml"


def _words(value: Any) -> list[str]:
    """SAM accepts "A B" or ["A", "B"] for list-like settings."""
    if isinstance(value, str):
        return value.split()
    if isinstance(value, list):
        return [str(v) for v in value]
    return []


@dataclass
class DeployConfig:
    """The deploy settings of one config environment (global + deploy tables, deploy wins)."""

    env: str = "default"
    stack_name: str | None = None
    s3_bucket: str | None = None
    s3_prefix: str | None = None
    region: str | None = None
    profile: str | None = None
    capabilities: list[str] = field(default_factory=list)
    parameter_overrides: dict[str, str] = field(default_factory=dict)
    tags: dict[str, str] = field(default_factory=dict)
    confirm_changeset: bool | None = None
    resolve_s3: bool = False
    exists: bool = False  # the environment had a deploy or global table

    @classmethod
    def load(cls, root: Path, env: str = "default") -> DeployConfig:
        """Read root/samconfig.toml; a broken file is refused (DeployError), never silently ignored."""
        data, problem = read_samconfig(root)
        if problem:
            raise DeployError(f"{root / FILE}: {problem}", "Fix the file (it is TOML).", KIND_INVALID)
        params = command_parameters(data, env, ("global", "deploy"))

        def text(key: str) -> str | None:
            value = params.get(key)
            return str(value) if value is not None and value != "" else None

        confirm = params.get("confirm_changeset")
        return cls(
            env=env,
            stack_name=text("stack_name"),
            s3_bucket=text("s3_bucket"),
            s3_prefix=text("s3_prefix"),
            region=text("region"),
            profile=text("profile"),
            capabilities=_words(params.get("capabilities")),
            parameter_overrides=parse_parameter_overrides(params.get("parameter_overrides")),
            tags=parse_parameter_overrides(params.get("tags")),
            confirm_changeset=bool(confirm) if isinstance(confirm, bool) else None,
            resolve_s3=params.get("resolve_s3") is True,
            exists=bool(params),
        )

    def deploy_table(self) -> dict[str, Any]:
        """The [env.deploy.parameters] table, in SAM CLI's spelling."""
        out: dict[str, Any] = {}
        for key in ("stack_name", "s3_bucket", "s3_prefix", "region", "profile"):
            value = getattr(self, key)
            if value:
                out[key] = value
        if not self.s3_bucket and self.resolve_s3:
            out["resolve_s3"] = True
        if self.capabilities:
            out["capabilities"] = " ".join(self.capabilities)
        if self.parameter_overrides:
            out["parameter_overrides"] = " ".join(
                f"{k}={shlex.quote(v)}" for k, v in self.parameter_overrides.items()
            )
        if self.tags:
            out["tags"] = " ".join(f"{k}={shlex.quote(v)}" for k, v in self.tags.items())
        if self.confirm_changeset is not None:
            out["confirm_changeset"] = self.confirm_changeset
        return out


def save_deploy_config(root: Path, config: DeployConfig) -> Path:
    """Write config into [env.deploy.parameters] of root/samconfig.toml, keeping everything else.

    The file is edited with tomlkit, so the user's comments, other environments and tables, key order
    and formatting stay as they were; only the deploy keys written here change. The result is read back
    and compared before it replaces the old file, so a write never loses a setting.
    """
    import tomlkit
    from tomlkit.exceptions import TOMLKitError

    path = root / FILE
    data, problem = read_samconfig(root)
    if problem:
        raise DeployError(f"{path}: {problem}", "Fix the file before saving deploy settings.", KIND_INVALID)
    try:
        doc = tomlkit.parse(path.read_text(encoding="utf-8")) if path.is_file() else tomlkit.document()
    except (OSError, UnicodeDecodeError, TOMLKitError) as exc:
        raise DeployError(
            f"{path}: {exc}", "Fix the file before saving deploy settings.", KIND_INVALID
        ) from exc
    if "version" not in doc:
        doc.add("version", 0.1)
    params = _table(
        _table(_table(doc, config.env, super_table=True), "deploy", super_table=True), "parameters"
    )
    values = config.deploy_table()
    for key, value in values.items():
        params[key] = value
    text = tomlkit.dumps(doc)
    expected = data
    expected.setdefault("version", 0.1)
    expected.setdefault(config.env, {}).setdefault("deploy", {}).setdefault("parameters", {}).update(values)
    if tomllib.loads(text) != expected:  # pragma: no cover - a writer bug must not reach the user's file
        raise DeployError(f"Writing {path} would change settings it should keep; not written.")
    tmp = path.with_suffix(".toml.tmp")
    tmp.write_text(text, encoding="utf-8")
    tmp.replace(path)
    return path


def _table(parent: Any, key: str, *, super_table: bool = False) -> Any:
    """parent[key] as a table, made when missing (super tables print as [env.deploy.parameters] only)."""
    import tomlkit

    if key not in parent:
        parent[key] = tomlkit.table(is_super_table=super_table)
    found = parent[key]
    if not isinstance(found, dict):
        raise DeployError(
            f"samconfig.toml: {key} is a {type(found).__name__}, not a table; not written.",
            "Fix the file before saving deploy settings.",
            KIND_INVALID,
        )
    return found
