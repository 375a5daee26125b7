"""Package a template and its nested applications as `sam package` does: child code and child templates to S3."""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from app.deploy.errors import KIND_INVALID, DeployError
from app.deploy.progress import CancelLike, Sink, check_cancel, null_sink
from app.deploy.stack import build, template
from app.deploy.stack.model import Artifact
from app.project.model import Project

APPLICATION = "AWS::Serverless::Application"
MAX_DEPTH = 5
# Translate a SAM template to plain CloudFormation with these parameter values.
Translate = Callable[[dict[str, Any], Mapping[str, str]], dict[str, Any]]


@dataclass
class Packaged:
    """A template with its code and nested templates in S3, the artifacts to upload, and child capabilities."""

    template: dict[str, Any]
    artifacts: dict[str, Artifact] = field(
        default_factory=dict
    )  # by full id: "Fn", "App/Fn", "App" (template)
    capabilities: set[str] = field(default_factory=set)


def template_url(bucket: str, key: str, region: str) -> str:
    # The form `sam package` writes; CloudFormation (and moto) read the bucket from the path.
    return f"https://s3.{region}.amazonaws.com/{bucket}/{key}"


def local_location(props: Mapping[str, Any]) -> str | None:
    """The Location of an application when it is a local path (not a URL, an S3 object or the SAR)."""
    location = props.get("Location")
    if isinstance(location, str) and not location.startswith(("s3://", "https://", "http://")):
        return location
    return None


def child_parameters(props: Mapping[str, Any], parent_values: Mapping[str, str]) -> dict[str, str]:
    """The application's Parameters known here: literals, and Refs to the parent's parameters."""
    out: dict[str, str] = {}
    params = props.get("Parameters")
    if not isinstance(params, dict):
        return out
    for key, value in params.items():
        if isinstance(value, str | int | float) and not isinstance(value, bool):
            out[str(key)] = str(value)
        elif isinstance(value, dict) and set(value) == {"Ref"} and str(value["Ref"]) in parent_values:
            out[str(key)] = parent_values[str(value["Ref"])]
    return out


def package_template(
    project: Project,
    path: Path,
    source: dict[str, Any],
    *,
    values: Mapping[str, str],
    bucket: str,
    prefix: str,
    region: str,
    cache_dir: Path,
    translate: Translate,
    send_translated: bool,
    id_prefix: str = "",
    sink: Sink = null_sink,
    cancel: CancelLike | None = None,
    pip_command: Sequence[str] | None = None,
    depth: int = 0,
) -> Packaged:
    """Blocks: build this template's functions and layers, then package each local nested application.

    A child template gets its own code in S3 (content-addressed, like the parent's), is sent translated
    when `send_translated` (--transform local: the endpoint cannot expand a nested SAM template either;
    it is always translated here to learn the capabilities it needs), written as JSON under its SHA-256 and its Location becomes that object's https URL, so a
    change anywhere below changes the parent template. Nothing is uploaded here.
    """
    artifacts = build.build_artifacts(
        project, source["Resources"], bucket=bucket, prefix=prefix, cache_dir=cache_dir, sink=sink,
        cancel=cancel, pip_command=pip_command, id_prefix=id_prefix,
    )  # fmt: skip
    out = Packaged(template.with_artifacts(source, artifacts))
    out.artifacts = {id_prefix + k: a for k, a in artifacts.items()}
    for logical_id, resource in out.template["Resources"].items():
        if not isinstance(resource, dict) or resource.get("Type") != APPLICATION:
            continue
        props = resource.get("Properties")
        location = local_location(props) if isinstance(props, dict) else None
        if location is None or not isinstance(props, dict):
            continue
        check_cancel(cancel, "packaging nested applications")
        child_path = (path.parent / location).resolve()
        if child_path.is_dir():
            child_path = next((child_path / n for n in ("template.yaml", "template.yml", "template.json")
                               if (child_path / n).is_file()), child_path / "template.yaml")  # fmt: skip
        if depth >= MAX_DEPTH or not child_path.is_file():
            why = f"nests deeper than {MAX_DEPTH} levels" if depth >= MAX_DEPTH else f"{location} not found"
            raise DeployError(
                f"Application {id_prefix}{logical_id}: {why}.", "Fix its Location.", KIND_INVALID
            )
        child_source = template.load_source_template(child_path)
        child_values = child_parameters(props, values)
        child = package_template(
            project, child_path, child_source, values=child_values, bucket=bucket, prefix=prefix,
            region=region, cache_dir=cache_dir, translate=translate, send_translated=send_translated, id_prefix=f"{id_prefix}{logical_id}/",
            sink=sink, cancel=cancel, pip_command=pip_command, depth=depth + 1,
        )  # fmt: skip
        expanded = translate(child.template, child_values)
        sent = expanded if send_translated else child.template
        keeps = not send_translated and template.has_sam_transform(child.template)
        out.capabilities |= set(template.needed_capabilities(expanded, keeps_transform=keeps))
        out.capabilities |= child.capabilities
        out.artifacts.update(child.artifacts)
        text = template.template_text(sent)
        digest = hashlib.sha256(text.encode()).hexdigest()
        stored = cache_dir / "templates" / f"{digest}.template"
        stored.parent.mkdir(parents=True, exist_ok=True)
        if not stored.is_file():
            tmp = stored.with_suffix(".tmp")
            tmp.write_text(text, encoding="utf-8")
            tmp.replace(stored)
        key = build.artifact_key(prefix, digest).removesuffix(".zip") + ".template"
        art = Artifact(id_prefix + logical_id, "template", stored, digest, len(text.encode()), bucket, key)
        out.artifacts[art.logical_id] = art
        props["Location"] = template_url(bucket, key, region)
    return out
