"""Turns function and layer resources of a parsed template into FunctionSpec and LayerSpec."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from app.project.cfn_yaml import position
from app.project.context import TemplateContext
from app.project.intrinsics import NO_VALUE, Unresolvable, is_intrinsic
from app.project.model import (
    DEFAULT_EPHEMERAL_MB,
    DEFAULT_MEMORY_MB,
    DEFAULT_TIMEOUT_S,
    Diagnostic,
    EventSource,
    FunctionSpec,
    LayerSpec,
    Severity,
)
from app.project.sam import apply_function_globals
from app.project.validate import validate_function

SERVERLESS_FUNCTION = "AWS::Serverless::Function"
LAMBDA_FUNCTION = "AWS::Lambda::Function"
LAYER_TYPES = ("AWS::Serverless::LayerVersion", "AWS::Lambda::LayerVersion")


def build_layers(ctx: TemplateContext, resources: dict[str, Any]) -> dict[str, LayerSpec]:
    """Every layer resource of the template by logical id, with its local content resolved."""
    layers: dict[str, LayerSpec] = {}
    for logical_id, resource in resources.items():
        if not isinstance(resource, dict) or resource.get("Type") not in LAYER_TYPES:
            continue
        props = resource.get("Properties")
        props = props if isinstance(props, dict) else {}
        key = "ContentUri" if resource["Type"] == LAYER_TYPES[0] else "Content"
        content = ctx.resolve_property(props, key)
        runtimes = ctx.resolve_property(props, "CompatibleRuntimes", [])
        layer = LayerSpec(
            logical_id=ctx.id_prefix + str(logical_id),
            name=_as_text(ctx.resolve_property(props, "LayerName")) or str(logical_id),
            compatible_runtimes=[str(r) for r in runtimes] if isinstance(runtimes, list) else [],
            template_path=ctx.path,
        )
        if isinstance(content, str) and not content.startswith("s3://"):
            layer.content_dir = (ctx.folder / content).resolve()
            _warn_if_outside(ctx, layer.content_dir, f"layer {logical_id}: {key} {content}", props, key)
            if not layer.content_dir.is_dir():
                ctx.report(
                    Severity.ERROR,
                    "layer-content-missing",
                    f"layer {logical_id}: content directory {content} does not exist",
                    props,
                    key,
                    on_value=True,
                )
        layers[str(logical_id)] = layer
    return layers


def build_function(
    ctx: TemplateContext,
    logical_id: str,
    resource: dict[str, Any],
    local_layers: dict[str, LayerSpec],
) -> FunctionSpec:
    """A FunctionSpec for one AWS::Serverless::Function or AWS::Lambda::Function resource."""
    rtype = resource["Type"]
    fid = ctx.id_prefix + logical_id
    raw_props = resource.get("Properties")
    if raw_props is None:
        raw_props = {}
    diags: list[Diagnostic] = []
    if not isinstance(raw_props, dict):
        ctx.report(
            Severity.ERROR,
            "properties-not-map",
            "Properties must be a map",
            resource,
            "Properties",
            fid,
            diags,
        )
        raw_props = {}
    props = raw_props
    if rtype == SERVERLESS_FUNCTION:
        glob = ctx.data.get("Globals", {})
        glob_fn = glob.get("Function", {}) if isinstance(glob, dict) else {}
        if isinstance(glob_fn, dict) and glob_fn:
            props = apply_function_globals(glob_fn, raw_props)

    def prop(key: str, default: Any = None) -> Any:
        return ctx.resolve_property(props, key, default, fid, diags)

    line, column = _position_of(ctx.data.get("Resources"), logical_id)
    spec = FunctionSpec(
        logical_id=fid,
        function_name=_as_text(prop("FunctionName")) or logical_id,
        handler=_as_text(prop("Handler")),
        runtime=_as_text(prop("Runtime")),
        template_path=ctx.path,
        line=line,
        column=column,
        resource_type=rtype,
        package_type=_as_text(prop("PackageType")) or "Zip",
        description=_as_text(prop("Description")),
        role=props.get("Role"),
        policies=props.get("Policies"),
    )
    spec.diagnostics = diags
    archs = prop("Architectures", ["x86_64"])
    spec.architectures = [str(a) for a in archs] if isinstance(archs, list) and archs else ["x86_64"]
    spec.memory_size = _as_int(ctx, props, "MemorySize", prop("MemorySize", DEFAULT_MEMORY_MB), spec)
    spec.timeout = _as_int(ctx, props, "Timeout", prop("Timeout", DEFAULT_TIMEOUT_S), spec)
    storage = prop("EphemeralStorage", {})
    size = storage.get("Size", DEFAULT_EPHEMERAL_MB) if isinstance(storage, dict) else DEFAULT_EPHEMERAL_MB
    spec.ephemeral_storage = _as_int(ctx, props, "EphemeralStorage", size, spec)
    logging_config = prop("LoggingConfig", {})
    spec.logging_config = logging_config if isinstance(logging_config, dict) else {}
    spec.environment = _environment(ctx, props, spec)
    _code_location(ctx, props, spec, prop)
    spec.layers = _layers(ctx, props, spec, local_layers)
    spec.events = _events(props)
    validate_function(ctx, spec, props)
    return spec


def _code_location(ctx: TemplateContext, props: dict[str, Any], spec: FunctionSpec, prop: Any) -> None:
    if spec.package_type == "Image":
        spec.image_uri = _as_text(prop("ImageUri"))
        resource = ctx.data.get("Resources", {}).get(spec.logical_id[len(ctx.id_prefix) :], {})
        metadata = resource.get("Metadata") if isinstance(resource, dict) else None
        if isinstance(metadata, dict):
            spec.image_metadata = {
                k: metadata[k] for k in ("Dockerfile", "DockerContext", "DockerTag") if k in metadata
            }
            if "DockerContext" in metadata and isinstance(metadata["DockerContext"], str):
                spec.code_dir = (ctx.folder / metadata["DockerContext"]).resolve()
        return
    if spec.resource_type == SERVERLESS_FUNCTION:
        inline = prop("InlineCode")
        if isinstance(inline, str):
            spec.inline_code = inline
            return
        code = prop("CodeUri", ".")
        key = "CodeUri"
    else:
        code = prop("Code")
        key = "Code"
        if isinstance(code, dict) and isinstance(code.get("ZipFile"), str):
            spec.inline_code = code["ZipFile"]
            return
        if isinstance(code, dict) and "S3Bucket" in code:
            code = {
                "Bucket": code.get("S3Bucket"),
                "Key": code.get("S3Key"),
                "Version": code.get("S3ObjectVersion"),
            }
    if isinstance(code, dict):
        spec.code_s3 = {k: v for k, v in code.items() if v is not None}
    elif isinstance(code, str) and code.startswith("s3://"):
        bucket, _, object_key = code[len("s3://") :].partition("/")
        spec.code_s3 = {"Bucket": bucket, "Key": object_key}
    elif isinstance(code, str):
        spec.code_dir, exists = ctx.cached(("code-dir", code), lambda: _resolved(ctx.folder / code))
        _warn_if_outside(ctx, spec.code_dir, f"CodeUri {code}", props, key, spec)
        if not exists:
            ctx.report(
                Severity.ERROR,
                "code-missing",
                f"code directory {code} does not exist",
                props if key in props else None,
                key if key in props else None,
                spec.logical_id,
                spec.diagnostics,
                on_value=True,
            )
    elif code is None and key == "Code":
        ctx.report(
            Severity.ERROR, "code-missing", "Code is required", None, None, spec.logical_id, spec.diagnostics
        )


def _warn_if_outside(
    ctx: TemplateContext,
    folder: Path,
    what: str,
    props: dict[str, Any],
    key: str,
    spec: FunctionSpec | None = None,
) -> None:
    """A code folder outside the template's folder is uploaded whole by a deploy: say so loudly."""
    root = ctx.cached(("root",), ctx.folder.resolve)
    if ctx.cached(("inside", folder), lambda: folder == root or root in folder.parents):
        return
    ctx.report(
        Severity.WARNING,
        "code-outside-project",
        f"{what} points outside the project folder ({folder}): a deploy uploads everything in it",
        props if key in props else None,
        key if key in props else None,
        spec.logical_id if spec else None,
        spec.diagnostics if spec else None,
        on_value=True,
    )


def _resolved(path: Path) -> tuple[Path, bool]:
    resolved = path.resolve()
    return resolved, resolved.exists()


def _environment(ctx: TemplateContext, props: dict[str, Any], spec: FunctionSpec) -> dict[str, str]:
    env = props.get("Environment")
    if not isinstance(env, dict):
        return {}
    variables = env.get("Variables")
    if is_intrinsic(variables):
        variables = ctx.resolve_property(env, "Variables", {}, spec.logical_id, spec.diagnostics)
    if not isinstance(variables, dict):
        return {}
    out: dict[str, str] = {}
    for name, value in variables.items():
        try:
            resolved = ctx.resolver.resolve(value)
        except Unresolvable as exc:
            ctx.report(
                Severity.WARNING,
                "unresolvable-reference",
                f"environment variable {name}: {exc}; locally it is left empty",
                variables,
                name,
                spec.logical_id,
                spec.diagnostics,
                on_value=True,
            )
            resolved = ""
        if resolved is NO_VALUE:
            continue
        out[str(name)] = _env_text(resolved)
    return out


def _layers(
    ctx: TemplateContext, props: dict[str, Any], spec: FunctionSpec, local_layers: dict[str, LayerSpec]
) -> list[LayerSpec]:
    raw = props.get("Layers")
    if not isinstance(raw, list):
        return []
    out: list[LayerSpec] = []
    for entry in raw:
        if isinstance(entry, dict) and set(entry) == {"Ref"} and entry["Ref"] in local_layers:
            out.append(local_layers[entry["Ref"]])
            continue
        try:
            value = ctx.resolver.resolve(entry)
        except Unresolvable as exc:
            ctx.report(
                Severity.ERROR,
                "unresolvable-reference",
                f"Layers: {exc}",
                raw,
                None,
                spec.logical_id,
                spec.diagnostics,
            )
            continue
        if value is NO_VALUE:
            continue
        if isinstance(value, str) and value in local_layers:
            out.append(local_layers[value])
        elif isinstance(value, str):
            out.append(LayerSpec(logical_id=None, arn=value))
    return out


def _events(props: dict[str, Any]) -> list[EventSource]:
    events = props.get("Events")
    if not isinstance(events, dict):
        return []
    out = []
    for name, event in events.items():
        if isinstance(event, dict):
            properties = event.get("Properties")
            out.append(
                EventSource(
                    str(name), str(event.get("Type", "?")), properties if isinstance(properties, dict) else {}
                )
            )
    return out


_DEFAULTS = {
    "MemorySize": DEFAULT_MEMORY_MB,
    "Timeout": DEFAULT_TIMEOUT_S,
    "EphemeralStorage": DEFAULT_EPHEMERAL_MB,
}


def _as_int(ctx: TemplateContext, props: dict[str, Any], key: str, value: Any, spec: FunctionSpec) -> int:
    """value as a whole number; anything else is reported and gives Lambda's default for key."""
    if not isinstance(value, bool) and isinstance(value, int | str | float):
        try:
            return int(float(value))
        except (ValueError, OverflowError):
            pass
    message = f"{key} must be a number, got {value!r}"
    ctx.report(Severity.ERROR, "not-a-number", message, props, key, spec.logical_id, spec.diagnostics, True)
    return _DEFAULTS[key]


def _as_text(value: Any) -> str | None:
    if value is None or isinstance(value, dict | list):
        return None
    return _env_text(value)


def _env_text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict | list):
        return json.dumps(value)
    return str(value)


def _position_of(resources: Any, logical_id: str) -> tuple[int | None, int | None]:
    return position(resources, logical_id)
