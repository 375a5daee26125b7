"""SAM semantics that come before resolution: Globals merging, parameter values, samconfig.toml."""

from __future__ import annotations

import shlex
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from app.project.intrinsics import is_intrinsic
from app.project.yaml_nodes import PosDict, PosList

# Properties SAM accepts in Globals.Function (anything else is an error in SAM too).
GLOBAL_FUNCTION_PROPERTIES = frozenset(
    {
        "Handler", "Runtime", "CodeUri", "DeadLetterQueue", "Description", "MemorySize", "Timeout",
        "VpcConfig", "Environment", "Tags", "PropagateTags", "Tracing", "KmsKeyArn", "Layers",
        "AutoPublishAlias", "AutoPublishAliasAllProperties", "DeploymentPreference", "PermissionsBoundary",
        "ReservedConcurrentExecutions", "ProvisionedConcurrencyConfig", "AssumeRolePolicyDocument",
        "EventInvokeConfig", "Architectures", "EphemeralStorage", "SnapStart", "FunctionUrlConfig",
        "RuntimeManagementConfig", "LoggingConfig", "RecursiveLoop", "SourceKMSKeyArn", "CodeSigningConfigArn",
        "FileSystemConfigs", "PackageType", "ImageConfig", "CapacityProviderConfig",
        "FunctionScalingConfig", "DurableConfig", "Role",
    }
)  # fmt: skip


def merge_globals(global_value: Any, local_value: Any) -> Any:
    """Merge one property as SAM documents: scalars overridden, maps merged by key, lists global-first.

    An intrinsic function counts as a scalar, so it replaces rather than merges.
    """
    if isinstance(global_value, Mapping) and isinstance(local_value, Mapping):
        if is_intrinsic(global_value) or is_intrinsic(local_value):
            return local_value
        merged = PosDict(global_value)
        merged.key_pos.update(getattr(global_value, "key_pos", {}))
        merged.value_pos.update(getattr(global_value, "value_pos", {}))
        merged.line, merged.column = getattr(local_value, "line", None), getattr(local_value, "column", None)
        for key, value in local_value.items():
            merged[key] = merge_globals(global_value[key], value) if key in global_value else value
            for attr in ("key_pos", "value_pos"):
                pos = getattr(local_value, attr, {}).get(key)
                if pos:
                    getattr(merged, attr)[key] = pos
        return merged
    if isinstance(global_value, list) and isinstance(local_value, list):
        out = PosList(list(global_value) + list(local_value))
        out.line, out.column = getattr(local_value, "line", None), getattr(local_value, "column", None)
        return out
    return local_value


def apply_function_globals(globals_section: Mapping[str, Any], properties: Mapping[str, Any]) -> PosDict:
    """The properties of an AWS::Serverless::Function after merging Globals.Function into them."""
    merged = PosDict()
    merged.line, merged.column = getattr(properties, "line", None), getattr(properties, "column", None)
    for key, value in globals_section.items():
        if key in GLOBAL_FUNCTION_PROPERTIES:
            merged[key] = value
            if isinstance(globals_section, PosDict):
                if key in globals_section.key_pos:
                    merged.key_pos[key] = globals_section.key_pos[key]
                if key in globals_section.value_pos:
                    merged.value_pos[key] = globals_section.value_pos[key]
    for key, value in properties.items():
        merged[key] = merge_globals(merged[key], value) if key in merged else value
        if isinstance(properties, PosDict):
            if key in properties.key_pos:
                merged.key_pos[key] = properties.key_pos[key]
            if key in properties.value_pos:
                merged.value_pos[key] = properties.value_pos[key]
    return merged


def parse_parameter_overrides(value: Any) -> dict[str, str]:
    """SAM's parameter_overrides: 'A=1 B="two words"', or a list of 'K=V' strings."""
    items: list[str] = []
    if isinstance(value, str):
        try:
            items = shlex.split(value)
        except ValueError:
            items = value.split()
    elif isinstance(value, list):
        for entry in value:
            if isinstance(entry, str):
                try:
                    items.extend(shlex.split(entry))
                except ValueError:
                    items.extend(entry.split())
    out: dict[str, str] = {}
    for item in items:
        key, sep, val = item.partition("=")
        if sep and key:
            # The long form ParameterKey=K,ParameterValue=V is accepted by SAM too.
            if key == "ParameterKey" and ",ParameterValue=" in val:
                key, _, val = val.partition(",ParameterValue=")
            out[key] = val
    return out


def read_samconfig(folder: Path) -> tuple[dict[str, Any], str | None]:
    """The whole samconfig.toml of folder as data ({} when absent); returns (data, problem or None)."""
    path = folder / "samconfig.toml"
    if not path.is_file():
        return {}, None
    try:
        return tomllib.loads(path.read_text(encoding="utf-8")), None
    except (tomllib.TOMLDecodeError, OSError, UnicodeDecodeError) as exc:
        return {}, f"samconfig.toml ignored: {exc}"


def command_parameters(data: Mapping[str, Any], env: str, commands: tuple[str, ...]) -> dict[str, Any]:
    """The [env.COMMAND.parameters] tables merged in the order given (later commands win), as SAM CLI does."""
    out: dict[str, Any] = {}
    section = data.get(env, {}) if isinstance(data, Mapping) else {}
    if not isinstance(section, Mapping):
        return out
    for name in commands:
        table = section.get(name)
        params = table.get("parameters", {}) if isinstance(table, Mapping) else {}
        if isinstance(params, Mapping):
            out.update(params)
    return out


class SamConfig:
    """The parts of samconfig.toml that matter locally, for one config environment."""

    SECTIONS = ("global", "deploy", "local_invoke", "local_start_lambda")

    def __init__(self, data: Mapping[str, Any], env: str = "default") -> None:
        self.parameter_overrides: dict[str, str] = {}
        self.stack_name: str | None = None
        self.region: str | None = None
        for name in self.SECTIONS:
            params = command_parameters(data, env, (name,))
            self.parameter_overrides.update(parse_parameter_overrides(params.get("parameter_overrides")))
            self.stack_name = str(params["stack_name"]) if "stack_name" in params else self.stack_name
            self.region = str(params["region"]) if "region" in params else self.region

    @classmethod
    def load(cls, folder: Path, env: str = "default") -> tuple[SamConfig, str | None]:
        """Read samconfig.toml in folder; returns (config, problem message or None)."""
        data, problem = read_samconfig(folder)
        return cls(data, env), problem


def parameter_values(
    parameters_section: Any, overrides: Mapping[str, str]
) -> tuple[dict[str, Any], list[tuple[str, str]]]:
    """Values for the template's Parameters: overrides, else Default. Returns (values, problems).

    Each problem is (parameter name, message). List types become lists, as CloudFormation does.
    """
    values: dict[str, Any] = {}
    problems: list[tuple[str, str]] = []
    if not isinstance(parameters_section, Mapping):
        return values, problems
    for name, spec in parameters_section.items():
        spec = spec if isinstance(spec, Mapping) else {}
        if name in overrides:
            raw: Any = overrides[name]
        elif "Default" in spec:
            raw = spec["Default"]
        else:
            problems.append(
                (str(name), f"parameter {name} has no Default and no override; set it in samconfig.toml")
            )
            continue
        ptype = str(spec.get("Type", "String"))
        if ptype.startswith("List<") or ptype == "CommaDelimitedList":
            raw = [s.strip() for s in str(raw).split(",")] if not isinstance(raw, list) else raw
        elif ptype == "Number":
            text = str(raw)
            try:
                float(text)
            except ValueError:
                problems.append((str(name), f"parameter {name} is a Number but its value is {text!r}"))
            raw = text
        else:
            raw = str(raw) if not isinstance(raw, bool) else ("true" if raw else "false")
        allowed = spec.get("AllowedValues")
        if isinstance(allowed, list) and not isinstance(raw, list) and raw not in [str(a) for a in allowed]:
            problems.append(
                (str(name), f"parameter {name}={raw!r} is not one of its AllowedValues {allowed}")
            )
        values[str(name)] = raw
    return values, problems
