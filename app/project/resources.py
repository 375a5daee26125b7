"""The template's non-function resources, their local names and Ref/GetAtt values, and each function's triggers."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from app.project.cfn_yaml import TemplateError, load_template_file, position
from app.project.functions import LAMBDA_FUNCTION, SERVERLESS_FUNCTION
from app.project.intrinsics import NO_VALUE, Resolver, Unresolvable, is_intrinsic, pseudo_parameters
from app.project.model import Project
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
    _text,
    _values,
    cloudformation_suffix,
    generated_name,
)
from app.project.sam import SamConfig, apply_function_globals


@dataclass
class LocalResource:
    """One resource of the template as it exists locally: physical name, Ref value, GetAtt attributes."""

    logical_id: str
    type: str
    properties: dict[str, Any]
    line: int | None
    name: str
    ref: str = ""
    attributes: dict[str, str] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)

    @property
    def arn(self) -> str:
        return self.attributes.get("Arn", self.ref)


@dataclass
class Trigger:
    """One event source of a function: its Events entry (or EventSourceMapping) with resolved properties."""

    function_id: str
    name: str
    type: str
    properties: dict[str, Any]
    line: int | None
    problems: list[str] = field(default_factory=list)
    raw: dict[str, Any] = field(default_factory=dict, repr=False)


@dataclass
class Skipped:
    """A resource type with no local counterpart, listed with its template line."""

    logical_id: str
    type: str
    line: int | None


@dataclass
class ResourceModel:
    """Everything the local application creates and wires, from the project's root template."""

    template: Path | None
    stack_name: str
    region: str
    account_id: str
    endpoint_url: str
    resources: dict[str, LocalResource] = field(default_factory=dict)
    triggers: list[Trigger] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    function_names: dict[str, str] = field(default_factory=dict)  # logical id -> function name
    invoke_configs: dict[str, dict[str, Any]] = field(default_factory=dict)  # AWS::Lambda::EventInvokeConfig
    _raw: dict[str, Any] = field(default_factory=dict)
    _base: Resolver | None = None

    def resolver(self) -> LocalResolver:
        """A resolver whose Ref/GetAtt give the local resources' values."""
        base = self._base or Resolver(parameters={}, pseudo=self._pseudo())
        return LocalResolver(
            parameters=base.parameters,
            pseudo=base.pseudo,
            resources=base.resources,
            mappings=base.mappings,
            conditions=base.conditions,
            model=self,
        )

    def _pseudo(self) -> dict[str, Any]:
        return pseudo_parameters(self.region, self.stack_name, self.account_id)

    def find(self, value: Any) -> LocalResource | None:
        """The resource whose Ref, name or Arn is value (e.g. an event's Queue or Stream property)."""
        for res in self.resources.values():
            if value in (res.ref, res.name, res.arn, res.logical_id):
                return res
        return None

    def function_arn(self, function_id: str) -> str:
        name = self.function_names.get(function_id, function_id)
        return f"arn:aws:lambda:{self.region}:{self.account_id}:function:{name}"

    def function_environment(self, function_id: str) -> dict[str, str]:
        """The function's template environment variables resolved against the local resources."""
        resource = self._raw.get(function_id)
        if not isinstance(resource, dict):
            return {}
        props = _function_properties(self._raw_template(), resource)
        env = props.get("Environment")
        variables = env.get("Variables") if isinstance(env, dict) else None
        resolver = self.resolver()
        try:
            if is_intrinsic(variables):
                variables = resolver.resolve(variables)
        except Unresolvable:
            return {}
        if not isinstance(variables, dict):
            return {}
        out: dict[str, str] = {}
        for key, value in variables.items():
            try:
                resolved = resolver.resolve(value)
            except Unresolvable:
                continue
            if resolved is not NO_VALUE:
                out[str(key)] = _text(resolved)
        return out

    def refresh_triggers(self) -> None:
        """Resolves the triggers' properties again: values known only once created (a StreamArn)."""
        resolver = self.resolver()
        for trigger in self.triggers:
            if trigger.raw:
                trigger.problems = []
                trigger.properties = _resolve_each(resolver, trigger.raw, trigger.problems)

    def function_property(self, function_id: str, key: str) -> Any:
        """One property of a function (after Globals) resolved against the local resources, or None."""
        resource = self._raw.get(function_id)
        if not isinstance(resource, dict):
            return None
        props = _function_properties(self._raw_template(), resource)
        if key not in props:
            return None
        try:
            value = self.resolver().resolve(props[key])
        except Unresolvable:
            return None
        return None if value is NO_VALUE else value

    def _raw_template(self) -> dict[str, Any]:
        return self._raw.get("__template__", {})


@dataclass
class LocalResolver(Resolver):
    """Resolver whose Ref/GetAtt of a resource give the local resource's values."""

    model: ResourceModel | None = None

    def _ref(self, arg: Any, depth: int) -> Any:
        name = arg if isinstance(arg, str) else None
        if self.model is not None and name is not None:
            if name in self.model.resources:
                return self.model.resources[name].ref
            if name in self.model.function_names:
                return self.model.function_names[name]
        return super()._ref(arg, depth)

    def _get_att(self, arg: Any, depth: int) -> Any:
        if isinstance(arg, str):
            arg = arg.split(".", 1)
        if self.model is not None and isinstance(arg, list) and len(arg) == 2 and isinstance(arg[0], str):
            attribute = self.resolve(arg[1], depth)
            res = self.model.resources.get(arg[0])
            if res is not None:
                if attribute in res.attributes:
                    return res.attributes[attribute]
                raise Unresolvable(f"!GetAtt {arg[0]}.{attribute} has no local value")
            if arg[0] in self.model.function_names and attribute == "Arn":
                return self.model.function_arn(arg[0])
        return super()._get_att(arg, depth)


def _function_properties(data: dict[str, Any], resource: dict[str, Any]) -> dict[str, Any]:
    props = resource.get("Properties")
    props = props if isinstance(props, dict) else {}
    if resource.get("Type") == SERVERLESS_FUNCTION:
        glob = data.get("Globals", {})
        glob_fn = glob.get("Function", {}) if isinstance(glob, dict) else {}
        if isinstance(glob_fn, dict) and glob_fn:
            return apply_function_globals(glob_fn, props)
    return props


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
        _values(res, model)
        model.resources[res.logical_id] = res
        pending.append((res, raw))
    # Now every Ref/GetAtt between resources has its local value: resolve the properties for real.
    resolver = model.resolver()
    for res, raw in pending:
        res.properties = _resolve_each(resolver, raw, res.problems)
        _values(res, model)
    for logical_id, resource in resources.items():
        if isinstance(resource, dict) and resource.get("Type") in (SERVERLESS_FUNCTION, LAMBDA_FUNCTION):
            if not _condition_false(base, resource):
                _function_triggers(model, resolver, str(logical_id), _function_properties(data, resource))
        elif isinstance(resource, dict) and resource.get("Type") == ESM:
            _mapping_trigger(model, resolver, str(logical_id), resource, position(resources, logical_id)[0])
    from app.project.resource_triggers import add_resource_triggers, event_invoke_configs

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


def _resolve_each(resolver: Resolver, raw: Mapping[str, Any], problems: list[str]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in raw.items():
        try:
            resolved = resolver.resolve(value)
        except Unresolvable as exc:
            problems.append(f"{key}: {exc}")
            continue
        if resolved is not NO_VALUE:
            out[str(key)] = resolved
    return out


def _function_triggers(model: ResourceModel, resolver: Resolver, function_id: str, props: Any) -> None:
    events = props.get("Events") if isinstance(props, dict) else None
    if not isinstance(events, dict):
        return
    for name, event in events.items():
        if not isinstance(event, dict) or not isinstance(event.get("Type"), str):
            continue
        raw = event.get("Properties")
        problems: list[str] = []
        properties = _resolve_each(resolver, raw if isinstance(raw, dict) else {}, problems)
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
    props = _resolve_each(resolver, raw if isinstance(raw, dict) else {}, problems)
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
