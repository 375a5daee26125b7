"""The packaged template: local code swapped for S3 locations, translated here or kept for the service."""

from __future__ import annotations

import copy
import hashlib
import json
import threading
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from app.deploy.errors import KIND_INVALID, DeployError
from app.deploy.stack.model import Artifact
from app.project.cfn_yaml import TemplateError, load_template_file

SAM_TRANSFORM = "AWS::Serverless-2016-10-31"
IAM_TYPES = frozenset(
    {
        "AWS::IAM::Role", "AWS::IAM::Policy", "AWS::IAM::ManagedPolicy", "AWS::IAM::User", "AWS::IAM::Group",
        "AWS::IAM::InstanceProfile", "AWS::IAM::AccessKey", "AWS::IAM::UserToGroupAddition",
        "AWS::IAM::RolePolicy", "AWS::IAM::UserPolicy", "AWS::IAM::GroupPolicy",
    }
)  # fmt: skip
NAME_PROPERTIES = ("RoleName", "UserName", "GroupName", "ManagedPolicyName", "InstanceProfileName")
BODY_LIMIT = 51_200  # TemplateBody's limit; bigger templates go through S3 (TemplateURL)
_TRANSLATOR_LOCK = threading.Lock()  # the translator keeps its region in a class attribute


def plain(value: Any) -> Any:
    """Plain dicts and lists (the YAML loader's position-carrying types dropped)."""
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [plain(v) for v in value]
    return value


def load_source_template(path: Path) -> dict[str, Any]:
    """The project's template as plain data with long-form intrinsics; bad YAML is refused."""
    try:
        data, _ = load_template_file(path)
    except TemplateError as exc:
        p = exc.problem
        raise DeployError(
            f"{path}:{p.line or 0}:{p.column or 0}: {p.message}", "Fix the template.", KIND_INVALID
        ) from exc
    if not isinstance(data, dict) or not isinstance(data.get("Resources"), dict):
        raise DeployError(f"{path} has no Resources section.", "A template needs Resources.", KIND_INVALID)
    return plain(data)


def has_sam_transform(template: Mapping[str, Any]) -> bool:
    transform = template.get("Transform")
    names = transform if isinstance(transform, list) else [transform]
    return SAM_TRANSFORM in names


def with_artifacts(template: dict[str, Any], artifacts: Mapping[str, Artifact]) -> dict[str, Any]:
    """A copy of the template whose local code paths point at the uploaded zips (as `sam package` writes)."""
    out = copy.deepcopy(template)
    resources = out["Resources"]
    for logical_id, art in artifacts.items():
        resource = resources.get(logical_id)
        if not isinstance(resource, dict):
            continue
        props = resource.setdefault("Properties", {})
        rtype = resource.get("Type")
        if rtype == "AWS::Serverless::Function":
            props["CodeUri"] = art.uri
        elif rtype == "AWS::Serverless::LayerVersion":
            props["ContentUri"] = art.uri
        elif rtype == "AWS::Lambda::Function":
            props["Code"] = {"S3Bucket": art.bucket, "S3Key": art.key}
        elif rtype == "AWS::Lambda::LayerVersion":
            props["Content"] = {"S3Bucket": art.bucket, "S3Key": art.key}
    return out


def translate(
    template: dict[str, Any],
    parameters: Mapping[str, str],
    *,
    region: str,
    account: str,
    partition: str = "aws",
) -> dict[str, Any]:
    """Plain CloudFormation from a SAM template, made on this machine with aws-sam-translator.

    AWS managed policy names resolve from the translator's bundled list; no IAM call is made.
    """
    if not has_sam_transform(template):
        return copy.deepcopy(template)
    from samtranslator.metrics.metrics import DummyMetricsPublisher, Metrics
    from samtranslator.model.exceptions import InvalidDocumentException
    from samtranslator.parser.parser import Parser
    from samtranslator.translator.arn_generator import ArnGenerator
    from samtranslator.translator.translator import Translator

    values = dict(parameters)
    values.update({"AWS::Region": region, "AWS::AccountId": account, "AWS::Partition": partition})
    metrics = Metrics("ServerlessTransform", DummyMetricsPublisher())
    with _TRANSLATOR_LOCK:
        previous = ArnGenerator.BOTO_SESSION_REGION_NAME
        ArnGenerator.BOTO_SESSION_REGION_NAME = region
        try:
            import boto3

            # The session only tells the translator the region (no credentials, no calls).
            translator = Translator(
                None, Parser(), boto_session=boto3.Session(region_name=region), metrics=metrics
            )
            return plain(translator.translate(copy.deepcopy(template), values))
        except InvalidDocumentException as exc:
            causes = "; ".join(str(e) for e in exc.causes) or str(exc)
            raise DeployError(
                f"The SAM template cannot be translated: {causes}", "Fix the template.", KIND_INVALID
            ) from exc
        finally:
            ArnGenerator.BOTO_SESSION_REGION_NAME = previous
            metrics.publish()  # to its no-op publisher: it would warn about unpublished metrics otherwise


def needed_capabilities(expanded: Mapping[str, Any], *, keeps_transform: bool) -> list[str]:
    """The capabilities CloudFormation will ask for, judged from the expanded (translated) template."""
    caps: set[str] = set()
    for resource in (expanded.get("Resources") or {}).values():
        if not isinstance(resource, dict):
            continue
        rtype = resource.get("Type")
        if rtype in IAM_TYPES:
            caps.add("CAPABILITY_IAM")
            props = resource.get("Properties") or {}
            if isinstance(props, dict) and any(k in props for k in NAME_PROPERTIES):
                caps.add("CAPABILITY_NAMED_IAM")
        if rtype in ("AWS::Serverless::Application", "AWS::CloudFormation::Stack"):
            caps.add("CAPABILITY_AUTO_EXPAND")
    if keeps_transform:
        caps.add("CAPABILITY_AUTO_EXPAND")
    return sorted(caps)


def template_text(template: Mapping[str, Any]) -> str:
    """The body sent to CloudFormation: JSON with sorted keys, so the same template is the same text."""
    return json.dumps(template, sort_keys=True, indent=1, default=str)


def canonical(template: Any) -> str:
    """A comparable form of a template body (text or the dict boto3 decodes JSON bodies into)."""
    if isinstance(template, str):
        try:
            template = json.loads(template)
        except ValueError:
            import yaml

            try:
                template = plain(yaml.safe_load(template))
            except yaml.YAMLError:
                return template
    return json.dumps(template, sort_keys=True, separators=(",", ":"), default=str)


def template_hash(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()
