"""Loads a project folder (or a template file) into a Project, never raising on bad content."""

from __future__ import annotations

import contextlib
import errno
import gc
import os
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from app.project.cfn_yaml import TemplateError, load_template_file, position
from app.project.context import TemplateContext
from app.project.functions import LAMBDA_FUNCTION, SERVERLESS_FUNCTION, build_function, build_layers
from app.project.intrinsics import Resolver, Unresolvable, pseudo_parameters
from app.project.model import Diagnostic, LayerSpec, Project, Severity
from app.project.plain import discover_handlers
from app.project.sam import SamConfig, parameter_values
from runner.errors import UserFacingError

TEMPLATE_NAMES = ("template.yaml", "template.yml", "template.json")
MAX_NESTING = 5
APPLICATION = "AWS::Serverless::Application"


class ProjectLoadError(UserFacingError):
    """The path cannot be read as a project at all (missing, not a folder or template, no access)."""


def find_template(folder: Path) -> Path | None:
    for name in TEMPLATE_NAMES:
        if (folder / name).is_file():
            return folder / name
    return None


def unusable_templates(folder: Path) -> list[Diagnostic]:
    """A template name present in the folder but not readable as a file (a folder, a link loop...)."""
    found = []
    for name in TEMPLATE_NAMES:
        path = folder / name
        if not os.path.lexists(path) or path.is_file():
            continue
        try:
            path.stat()
            why = "is a folder, not a file" if path.is_dir() else "is not a regular file"
        except RuntimeError:
            why = "is a symbolic link loop"
        except OSError as exc:
            why = (
                "is a symbolic link loop" if exc.errno == errno.ELOOP else f"cannot be read ({exc.strerror})"
            )
        found.append(
            Diagnostic(
                Severity.ERROR,
                "template-unusable",
                f"{name} {why}: the project's template cannot be read",
                path,
            )
        )
    return found


@contextlib.contextmanager
def _collector_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector: a large template makes hundreds of thousands of
    containers, and collections triggered while they pile up cost a third of the load time."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def load_project(
    path: str | os.PathLike[str],
    *,
    config_env: str = "default",
    parameter_overrides: Mapping[str, str] | None = None,
    region: str | None = None,
) -> Project:
    """Load a folder or template; bad content becomes diagnostics, only an unreadable path raises."""
    with _collector_paused():
        return _load_project(path, config_env, parameter_overrides, region)


def _load_project(
    path: str | os.PathLike[str],
    config_env: str,
    parameter_overrides: Mapping[str, str] | None,
    region: str | None,
) -> Project:
    target = Path(path).expanduser()
    try:
        target = target.resolve()
        exists, is_dir = target.exists(), target.is_dir()
    except (OSError, RuntimeError) as exc:
        raise ProjectLoadError(f"cannot read {path}: {exc}") from exc
    if not exists:
        raise ProjectLoadError(
            f"{path}: no such file or folder",
            "open a folder holding template.yaml (or plain handler files), or the template itself",
        )
    if is_dir:
        if not os.access(target, os.R_OK | os.X_OK):
            raise ProjectLoadError(
                f"{path}: permission denied", "give your user read access to the folder, or copy it"
            )
        root, template = target, find_template(target)
    else:
        root, template = target.parent, target
    project = Project(root=root)
    if is_dir:
        project.diagnostics.extend(unusable_templates(root))
    if template is None:
        if project.diagnostics:  # a template was meant: do not pass the folder off as plain handlers
            project.readable = False
            return project
        project.functions = discover_handlers(root)
        return project

    samconfig, problem = SamConfig.load(root, config_env)
    if problem:
        project.diagnostics.append(
            Diagnostic(Severity.WARNING, "samconfig", problem, root / "samconfig.toml")
        )
    overrides = {**samconfig.parameter_overrides, **(parameter_overrides or {})}
    region = (
        region or samconfig.region or os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION")
    )
    pseudo = pseudo_parameters(region or "us-east-1", samconfig.stack_name or _stack_name(root))
    _load_template(project, template, overrides, pseudo, id_prefix="", chain=())
    return project


def _stack_name(root: Path) -> str:
    name = "".join(c if c.isalnum() or c == "-" else "-" for c in root.name).strip("-")
    return name if name and name[0].isalpha() else f"stack-{name}" if name else "local-stack"


def _load_template(
    project: Project,
    template: Path,
    overrides: Mapping[str, Any],
    pseudo: Mapping[str, Any],
    id_prefix: str,
    chain: tuple[Path, ...],
) -> None:
    project.templates.append(template)
    try:
        data, warnings = load_template_file(template)
    except TemplateError as exc:
        p = exc.problem
        project.diagnostics.append(Diagnostic(Severity.ERROR, p.code, p.message, template, p.line, p.column))
        if not chain:
            project.readable = False
        return
    for w in warnings:
        project.diagnostics.append(
            Diagnostic(Severity.WARNING, w.code, w.message, template, w.line, w.column)
        )
    if not isinstance(data, dict):
        project.diagnostics.append(
            Diagnostic(
                Severity.ERROR,
                "not-a-template",
                "a template must be a map with a Resources section",
                template,
                1,
                1,
            )
        )
        if not chain:
            project.readable = False
        return

    values, problems = parameter_values(data.get("Parameters"), overrides)
    for name, message in problems:
        line, column = position(data.get("Parameters"), name)
        project.diagnostics.append(Diagnostic(Severity.WARNING, "parameter", message, template, line, column))
    if not chain:
        project.parameters = dict(values)
    resources = data.get("Resources")
    resolver = Resolver(
        parameters=values,
        pseudo=pseudo,
        resources=resources if isinstance(resources, dict) else {},
        mappings=_section(data, "Mappings"),
        conditions=_section(data, "Conditions"),
    )
    ctx = TemplateContext(template, data, resolver, id_prefix, len(chain))
    if isinstance(resources, dict) and not resources:
        ctx.report(
            Severity.WARNING,
            "empty-resources",
            "template has no resources yet (Resources is empty): there are no functions to show",
            data,
            "Resources",
        )
        project.diagnostics.extend(ctx.diagnostics)
        return
    if not isinstance(resources, dict):
        what = (
            "has no Resources section" if resources is None else "has a Resources section that is not a map"
        )
        ctx.report(
            Severity.ERROR,
            "no-resources",
            f"template {what}",
            data,
            "Resources" if resources is not None else None,
        )
        project.diagnostics.extend(ctx.diagnostics)
        return

    layers = build_layers(ctx, resources)
    project.layers.extend(layers.values())
    for logical_id, resource in resources.items():
        if not isinstance(resource, dict):
            ctx.report(
                Severity.ERROR,
                "resource-not-map",
                f"resource {logical_id} must be a map",
                resources,
                logical_id,
            )
            continue
        rtype = resource.get("Type")
        if not isinstance(rtype, str):
            ctx.report(
                Severity.ERROR, "resource-type", f"resource {logical_id} has no Type", resources, logical_id
            )
        elif rtype in (SERVERLESS_FUNCTION, LAMBDA_FUNCTION):
            spec = build_function(ctx, str(logical_id), resource, layers)
            _check_condition(ctx, resource, spec.logical_id, spec.diagnostics)
            project.functions.append(spec)
        elif rtype == APPLICATION:
            _load_application(project, ctx, str(logical_id), resource, pseudo, chain + (template,))
    project.diagnostics.extend(ctx.diagnostics)


def _check_condition(
    ctx: TemplateContext, resource: dict[str, Any], fid: str, sink: list[Diagnostic]
) -> None:
    name = resource.get("Condition")
    if not isinstance(name, str):
        return
    try:
        if not ctx.resolver.condition(name):
            ctx.report(
                Severity.WARNING,
                "condition-false",
                f"condition {name} is false with the current parameters: this function would not be deployed",
                resource,
                "Condition",
                fid,
                sink,
            )
    except Unresolvable as exc:
        ctx.report(
            Severity.ERROR, "unresolvable-reference", f"Condition: {exc}", resource, "Condition", fid, sink
        )


def _load_application(
    project: Project,
    ctx: TemplateContext,
    logical_id: str,
    resource: dict[str, Any],
    pseudo: Mapping[str, Any],
    chain: tuple[Path, ...],
) -> None:
    props = resource.get("Properties") if isinstance(resource.get("Properties"), dict) else {}
    location = ctx.resolve_property(props, "Location")
    if not isinstance(location, str) or location.startswith(("s3://", "https://", "http://")):
        return  # a serverless-repo or remote application: nothing local to show
    child = (ctx.folder / location).resolve()
    if child.is_dir():
        child = find_template(child) or child / "template.yaml"
    if child in chain or len(chain) >= MAX_NESTING:
        why = "includes itself" if child in chain else f"nests deeper than {MAX_NESTING} levels"
        ctx.report(
            Severity.ERROR, "nesting", f"application {logical_id} {why}", props, "Location", on_value=True
        )
        return
    if not child.is_file():
        ctx.report(
            Severity.ERROR,
            "application-missing",
            f"application {logical_id}: {location} not found",
            props,
            "Location",
            on_value=True,
        )
        return
    params = ctx.resolve_property(props, "Parameters", {})
    overrides = {str(k): _param_text(v) for k, v in params.items()} if isinstance(params, dict) else {}
    _load_template(project, child, overrides, pseudo, f"{ctx.id_prefix}{logical_id}/", chain)


def _section(data: dict[str, Any], name: str) -> dict[str, Any]:
    section = data.get(name)
    return section if isinstance(section, dict) else {}


def _param_text(value: Any) -> str:
    if isinstance(value, list):
        return ",".join(str(v) for v in value)
    return str(value)


__all__ = ["ProjectLoadError", "find_template", "load_project", "LayerSpec"]
