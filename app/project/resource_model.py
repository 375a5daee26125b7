"""The local application's resource model: resources with their local names and values, triggers, and
a resolver that answers Ref/GetAtt with local values (read by resources.py, used by the trigger readers)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from app.project.functions import SERVERLESS_FUNCTION
from app.project.intrinsics import NO_VALUE, Resolver, Unresolvable, is_intrinsic, pseudo_parameters
from app.project.resource_names import (
    BUCKET,
    BUS,
    PARAMETER,
    QUEUE,
    RULE,
    SECRET,
    SIMPLE_TABLE,
    STREAM,
    SUBSCRIPTION,
    TABLE,
    TOPIC,
    cloudformation_suffix,
    value_text,
)
from app.project.sam import apply_function_globals


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
        props = function_properties(self._raw_template(), resource)
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
                out[str(key)] = value_text(resolved)
        return out

    def refresh_triggers(self) -> None:
        """Resolves the triggers' properties again: values known only once created (a StreamArn)."""
        resolver = self.resolver()
        for trigger in self.triggers:
            if trigger.raw:
                trigger.problems = []
                trigger.properties = resolve_each(resolver, trigger.raw, trigger.problems)

    def function_property(self, function_id: str, key: str) -> Any:
        """One property of a function (after Globals) resolved against the local resources, or None."""
        resource = self._raw.get(function_id)
        if not isinstance(resource, dict):
            return None
        props = function_properties(self._raw_template(), resource)
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


def resolve_each(resolver: Resolver, raw: Mapping[str, Any], problems: list[str]) -> dict[str, Any]:
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


def function_properties(data: dict[str, Any], resource: dict[str, Any]) -> dict[str, Any]:
    props = resource.get("Properties")
    props = props if isinstance(props, dict) else {}
    if resource.get("Type") == SERVERLESS_FUNCTION:
        glob = data.get("Globals", {})
        glob_fn = glob.get("Function", {}) if isinstance(glob, dict) else {}
        if isinstance(glob_fn, dict) and glob_fn:
            return apply_function_globals(glob_fn, props)
    return props


def fill_values(res: LocalResource, model: ResourceModel) -> None:
    """Fill the Ref value and the GetAtt attributes CloudFormation documents for the type."""
    region, account, name = model.region, model.account_id, res.name
    arn = f"arn:aws:{{}}:{region}:{account}:{{}}"
    if res.type == QUEUE:
        url = f"{model.endpoint_url}/{account}/{name}"
        res.ref = url
        res.attributes = {"Arn": arn.format("sqs", name), "QueueName": name, "QueueUrl": url}
    elif res.type == TOPIC:
        res.ref = arn.format("sns", name)
        res.attributes = {"TopicArn": res.ref, "TopicName": name}
    elif res.type == BUCKET:
        res.ref = name
        res.attributes = {
            "Arn": f"arn:aws:s3:::{name}",
            "DomainName": f"{name}.s3.amazonaws.com",
            "RegionalDomainName": f"{name}.s3.{region}.amazonaws.com",
            "WebsiteURL": f"http://{name}.s3-website-{region}.amazonaws.com",
        }
    elif res.type in (TABLE, SIMPLE_TABLE):
        res.ref = name
        res.attributes = {"Arn": arn.format("dynamodb", f"table/{name}")}
    elif res.type == STREAM:
        res.ref = name
        res.attributes = {"Arn": arn.format("kinesis", f"stream/{name}")}
    elif res.type == BUS:
        res.ref = name
        res.attributes = {"Arn": arn.format("events", f"event-bus/{name}"), "Name": name}
    elif res.type == RULE:
        res.ref = name
        bus = res.properties.get("EventBusName")
        path = f"rule/{name}" if not bus or bus == "default" else f"rule/{bus}/{name}"
        res.attributes = {"Arn": arn.format("events", path)}
    elif res.type == PARAMETER:
        res.ref = name
        res.attributes = {
            "Type": str(res.properties.get("Type", "String")),
            "Value": value_text(res.properties.get("Value", "")),
        }
    elif res.type == SECRET:
        res.ref = arn.format("secretsmanager", f"secret:{name}-{cloudformation_suffix(name, 'secret', 6)}")
        res.attributes = {"Id": res.ref}
    elif res.type == SUBSCRIPTION:
        res.ref = (
            f"{res.properties.get('TopicArn', '')}:{cloudformation_suffix(model.stack_name, res.logical_id)}"
        )
