"""The template's non-function resources, their local names and Ref/GetAtt values, and each function's triggers."""

from __future__ import annotations

from typing import Any

from app.project.cfn_yaml import TemplateError, load_template_file, position
from app.project.functions import LAMBDA_FUNCTION, SERVERLESS_FUNCTION
from app.project.intrinsics import Resolver, Unresolvable
from app.project.model import Project
from app.project.resource_model import (  # noqa: F401 - the model's types are part of this API
    LocalResolver,
    LocalResource,
    ResourceModel,
    Skipped,
    Trigger,
    fill_values,
    function_properties,
    resolve_each,
)
from app.project.resource_names import (  # noqa: F401 - the types and names are part of this API
    BUCKET,
    BUS,
    ESM,
    FUNCTION_PARTS,
    MAX_NAME,
    NAME_PROPERTY,
    PARAMETER,
    QUEUE,
    RULE,
    SECRET,
    SIMPLE_TABLE,
    STREAM,
    SUBSCRIPTION,
    SUPPORTED,
    TABLE,
    TOPIC,
    cloudformation_suffix,
    generated_name,
    value_text,
)
from app.project.resource_triggers import add_resource_triggers, event_invoke_configs
from app.project.sam import SamConfig


def load_resources(
    project: Project,
    endpoint_url: str,
    *,
    region: str = "us-east-1",
    account_id: str = "123456789012",
) -> ResourceModel:
    """The root template's resources with local names, its functions' triggers and what is skipped.

    Never raises for bad content: problems are listed in the model. Nested applications' resources
    are not part of the local application (they are named in ``problems``).
    """
    template = project.templates[0] if project.templates else None
    samconfig, _ = SamConfig.load(project.root)
    from app.project.loader import _stack_name

    stack = samconfig.stack_name or _stack_name(project.root)
    model = ResourceModel(template, stack, region, account_id, endpoint_url.rstrip("/"))
    if template is None:
        return model
    try:
        data, _warnings = load_template_file(template)
    except TemplateError as exc:
        model.problems.append(f"{template}: {exc.problem.message}")
        return model
    resources = data.get("Resources") if isinstance(data, dict) else None
    if not isinstance(resources, dict):
        return model
    model._raw = {"__template__": data, **resources}
    model._base = Resolver(
        parameters=dict(project.parameters),
        pseudo=model._pseudo(),
        resources=resources,
        mappings=data.get("Mappings") if isinstance(data.get("Mappings"), dict) else {},
        conditions=data.get("Conditions") if isinstance(data.get("Conditions"), dict) else {},
    )
    for spec in project.functions:
        if "/" not in spec.logical_id:
            model.function_names[spec.logical_id] = spec.function_name
    base = model._base
    pending: list[tuple[LocalResource, dict[str, Any]]] = []
    for logical_id, resource in resources.items():
        if not isinstance(resource, dict) or not isinstance(resource.get("Type"), str):
            continue
        rtype, line = resource["Type"], position(resources, logical_id)[0]
        if _condition_false(base, resource):
            continue
        if rtype in FUNCTION_PARTS or rtype == "AWS::Serverless::Application":
            continue
        if rtype not in SUPPORTED:
            model.skipped.append(Skipped(str(logical_id), rtype, line))
            continue
        raw = resource.get("Properties")
        raw = raw if isinstance(raw, dict) else {}
        res = LocalResource(str(logical_id), rtype, {}, line, "")
        explicit = NAME_PROPERTY.get(rtype)
        try:
            name = base.resolve(raw[explicit]) if explicit and explicit in raw else None
        except Unresolvable as exc:
            res.problems.append(f"{explicit}: {exc}")
            name = None
        fifo_raw = {"FifoQueue": _safe(base, raw.get("FifoQueue"))}
        res.name = str(name) if name else generated_name(rtype, stack, str(logical_id), fifo_raw)
        res.properties = {"EventBusName": _safe(base, raw.get("EventBusName"))} if rtype == RULE else {}
        fill_values(res, model)
        model.resources[res.logical_id] = res
        pending.append((res, raw))
    # Now every Ref/GetAtt between resources has its local value: resolve the properties for real.
    resolver = model.resolver()
    for res, raw in pending:
        res.properties = resolve_each(resolver, raw, res.problems)
        fill_values(res, model)
    for logical_id, resource in resources.items():
        if isinstance(resource, dict) and resource.get("Type") in (SERVERLESS_FUNCTION, LAMBDA_FUNCTION):
            if not _condition_false(base, resource):
                _function_triggers(model, resolver, str(logical_id), function_properties(data, resource))
        elif isinstance(resource, dict) and resource.get("Type") == ESM:
            _mapping_trigger(model, resolver, str(logical_id), resource, position(resources, logical_id)[0])
    add_resource_triggers(model)
    model.invoke_configs = event_invoke_configs(model, resources)
    for spec in project.functions:
        if "/" in spec.logical_id:
            model.problems.append(f"{spec.logical_id}: resources of nested applications do not run locally")
            break
    return model


def _safe(resolver: Resolver, value: Any) -> Any:
    try:
        return resolver.resolve(value)
    except Unresolvable:
        return None


def _condition_false(resolver: Resolver, resource: dict[str, Any]) -> bool:
    name = resource.get("Condition")
    if not isinstance(name, str):
        return False
    try:
        return not resolver.condition(name)
    except Unresolvable:
        return False


def _function_triggers(model: ResourceModel, resolver: Resolver, function_id: str, props: Any) -> None:
    events = props.get("Events") if isinstance(props, dict) else None
    if not isinstance(events, dict):
        return
    for name, event in events.items():
        if not isinstance(event, dict) or not isinstance(event.get("Type"), str):
            continue
        raw = event.get("Properties")
        problems: list[str] = []
        properties = resolve_each(resolver, raw if isinstance(raw, dict) else {}, problems)
        line = position(events, name)[0]
        raw_props = raw if isinstance(raw, dict) else {}
        model.triggers.append(
            Trigger(function_id, str(name), event["Type"], properties, line, problems, raw_props)
        )


def _mapping_trigger(
    model: ResourceModel, resolver: Resolver, logical_id: str, resource: dict[str, Any], line: int | None
) -> None:
    """An AWS::Lambda::EventSourceMapping becomes the SAM-style trigger of its function."""
    problems: list[str] = []
    raw = resource.get("Properties")
    props = resolve_each(resolver, raw if isinstance(raw, dict) else {}, problems)
    target = str(props.get("FunctionName", ""))
    function_id = next(
        (fid for fid, name in model.function_names.items() if target in (fid, name, model.function_arn(fid))),
        target,
    )
    source = str(props.get("EventSourceArn", ""))
    kind = {"sqs": "SQS", "dynamodb": "DynamoDB", "kinesis": "Kinesis"}.get(
        source.split(":")[2:3][0] if source.count(":") >= 2 else "", ""
    )
    if not kind:
        model.skipped.append(Skipped(logical_id, ESM, line))
        return
    key = "Queue" if kind == "SQS" else "Stream"
    props[key] = source
    model.triggers.append(Trigger(function_id, logical_id, kind, props, line, problems))
