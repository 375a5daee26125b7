"""Resolves CloudFormation intrinsic functions locally, as far as a desktop can know their values."""

from __future__ import annotations

import base64
import ipaddress
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

PSEUDO_DEFAULTS = {"AWS::AccountId": "123456789012", "AWS::NotificationARNs": []}
_SUB_VAR = re.compile(r"\$\{([^}]*)\}")
NO_VALUE = object()  # AWS::NoValue: the property is removed


class Unresolvable(Exception):
    """A value that cannot be known locally (an unknown name, an import, a resource attribute)."""


def is_intrinsic(value: Any) -> bool:
    return (
        isinstance(value, Mapping)
        and len(value) == 1
        and next(iter(value)) in ("Ref", "Condition")
        or (isinstance(value, Mapping) and len(value) == 1 and str(next(iter(value))).startswith("Fn::"))
    )


def pseudo_parameters(region: str, stack_name: str, account_id: str = "123456789012") -> dict[str, Any]:
    partition = (
        "aws-cn" if region.startswith("cn-") else "aws-us-gov" if region.startswith("us-gov-") else "aws"
    )
    return {
        "AWS::Region": region,
        "AWS::AccountId": account_id,
        "AWS::StackName": stack_name,
        "AWS::StackId": f"arn:{partition}:cloudformation:{region}:{account_id}:stack/{stack_name}/local",
        "AWS::Partition": partition,
        "AWS::URLSuffix": "amazonaws.com.cn" if partition == "aws-cn" else "amazonaws.com",
        "AWS::NotificationARNs": [],
    }


@dataclass
class Resolver:
    """Evaluates intrinsics against parameter values, pseudo parameters, mappings and conditions."""

    parameters: Mapping[str, Any]
    pseudo: Mapping[str, Any]
    resources: Mapping[str, Any] = field(default_factory=dict)
    mappings: Mapping[str, Any] = field(default_factory=dict)
    conditions: Mapping[str, Any] = field(default_factory=dict)
    _condition_cache: dict[str, bool] = field(default_factory=dict)
    _evaluating: set[str] = field(default_factory=set)

    # -- public -------------------------------------------------------------------------------
    def resolve(self, value: Any, depth: int = 0) -> Any:
        """The value with every intrinsic evaluated; raises Unresolvable with a reason."""
        if depth > 100:
            raise Unresolvable("intrinsic functions nested too deeply")
        if isinstance(value, Mapping):
            if is_intrinsic(value):
                name, arg = next(iter(value.items()))
                return self._call(name, arg, depth)
            out = {}
            for k, v in value.items():
                r = self.resolve(v, depth + 1)
                if r is not NO_VALUE:
                    out[k] = r
            return out
        if isinstance(value, list):
            return [r for r in (self.resolve(v, depth + 1) for v in value) if r is not NO_VALUE]
        return value

    def condition(self, name: str) -> bool:
        """The truth of a named condition of the template's Conditions section."""
        if name in self._condition_cache:
            return self._condition_cache[name]
        if name not in self.conditions:
            raise Unresolvable(f"unknown condition '{name}'")
        if name in self._evaluating:
            raise Unresolvable(f"condition '{name}' refers to itself")
        self._evaluating.add(name)
        try:
            result = self._truth(self.conditions[name], 0)
        finally:
            self._evaluating.discard(name)
        self._condition_cache[name] = result
        return result

    # -- functions ----------------------------------------------------------------------------
    def _call(self, name: str, arg: Any, depth: int) -> Any:
        handler = {
            "Ref": self._ref,
            "Condition": lambda a, d: self.condition(self._text(a, "Condition")),
            "Fn::Sub": self._sub,
            "Fn::If": self._if,
            "Fn::Join": self._join,
            "Fn::Select": self._select,
            "Fn::Split": self._split,
            "Fn::FindInMap": self._find_in_map,
            "Fn::Base64": lambda a, d: base64.b64encode(self._str(a, d).encode()).decode(),
            "Fn::GetAZs": self._get_azs,
            "Fn::Cidr": self._cidr,
            "Fn::Equals": lambda a, d: self._truth({"Fn::Equals": a}, d),
            "Fn::And": lambda a, d: self._truth({"Fn::And": a}, d),
            "Fn::Or": lambda a, d: self._truth({"Fn::Or": a}, d),
            "Fn::Not": lambda a, d: self._truth({"Fn::Not": a}, d),
            "Fn::GetAtt": self._get_att,
            "Fn::ToJsonString": lambda a, d: json.dumps(self.resolve(a, d + 1), separators=(",", ":")),
            "Fn::Length": lambda a, d: len(self._list(a, d, "Fn::Length")),
        }.get(name)
        if handler is None:
            if name == "Fn::ImportValue":
                raise Unresolvable("Fn::ImportValue reads another stack's export, unknown locally")
            raise Unresolvable(f"{name} cannot be evaluated locally")
        return handler(arg, depth + 1)

    def _ref(self, arg: Any, depth: int) -> Any:
        name = self._text(arg, "Ref")
        if name == "AWS::NoValue":
            return NO_VALUE
        if name in self.parameters:
            return self.parameters[name]
        if name in self.pseudo:
            return self.pseudo[name]
        if name in self.resources:
            # Locally a resource's physical id is unknown; SAM CLI uses the logical id too.
            return name
        raise Unresolvable(f"!Ref {name}: no parameter or resource of that name")

    def _get_att(self, arg: Any, depth: int) -> Any:
        if isinstance(arg, str):
            arg = arg.split(".", 1)
        if not (isinstance(arg, list) and len(arg) == 2):
            raise Unresolvable("!GetAtt takes [Resource, Attribute]")
        resource, attribute = self._text(arg[0], "!GetAtt"), self.resolve(arg[1], depth)
        if resource not in self.resources:
            raise Unresolvable(f"!GetAtt {resource}.{attribute}: no resource of that name")
        raise Unresolvable(f"!GetAtt {resource}.{attribute} is only known after deployment")

    def _sub(self, arg: Any, depth: int) -> str:
        if isinstance(arg, list):
            if len(arg) != 2 or not isinstance(arg[0], str) or not isinstance(arg[1], Mapping):
                raise Unresolvable("!Sub takes a string or [string, {variables}]")
            text, variables = arg[0], {k: self.resolve(v, depth) for k, v in arg[1].items()}
        elif isinstance(arg, str):
            text, variables = arg, {}
        else:
            raise Unresolvable("!Sub takes a string or [string, {variables}]")

        def replace(match: re.Match[str]) -> str:
            inner = match.group(1)
            if inner.startswith("!"):
                return "${" + inner[1:] + "}"
            inner = inner.strip()
            if inner in variables:
                return self._scalar_text(variables[inner])
            if "." in inner and not inner.startswith("AWS::"):
                return self._scalar_text(self._get_att(inner.split(".", 1), depth))
            return self._scalar_text(self._ref(inner, depth))

        return _SUB_VAR.sub(replace, text)

    def _if(self, arg: Any, depth: int) -> Any:
        if not (isinstance(arg, list) and len(arg) == 3):
            raise Unresolvable("!If takes [condition, value if true, value if false]")
        branch = arg[1] if self.condition(self._text(arg[0], "!If")) else arg[2]
        return self.resolve(branch, depth)

    def _join(self, arg: Any, depth: int) -> str:
        if not (isinstance(arg, list) and len(arg) == 2):
            raise Unresolvable("!Join takes [delimiter, [values]]")
        delimiter = self._str(arg[0], depth)
        return delimiter.join(self._scalar_text(v) for v in self._list(arg[1], depth, "!Join"))

    def _select(self, arg: Any, depth: int) -> Any:
        if not (isinstance(arg, list) and len(arg) == 2):
            raise Unresolvable("!Select takes [index, [values]]")
        try:
            index = int(self.resolve(arg[0], depth))
        except (TypeError, ValueError):
            raise Unresolvable("!Select index must be a number") from None
        items = self._list(arg[1], depth, "!Select")
        if not 0 <= index < len(items):
            raise Unresolvable(f"!Select index {index} is outside the list of {len(items)}")
        return items[index]

    def _split(self, arg: Any, depth: int) -> list[str]:
        if not (isinstance(arg, list) and len(arg) == 2):
            raise Unresolvable("!Split takes [delimiter, string]")
        return self._str(arg[1], depth).split(self._str(arg[0], depth))

    def _find_in_map(self, arg: Any, depth: int) -> Any:
        if not (isinstance(arg, list) and len(arg) in (3, 4)):
            raise Unresolvable("!FindInMap takes [MapName, TopLevelKey, SecondLevelKey]")
        keys = [self._scalar_text(self.resolve(a, depth)) for a in arg[:3]]
        try:
            return self.mappings[keys[0]][keys[1]][keys[2]]
        except (KeyError, TypeError):
            if len(arg) == 4 and isinstance(arg[3], Mapping) and "DefaultValue" in arg[3]:
                return self.resolve(arg[3]["DefaultValue"], depth)
            raise Unresolvable(f"!FindInMap {'/'.join(keys)}: no such entry in Mappings") from None

    def _get_azs(self, arg: Any, depth: int) -> list[str]:
        region = self._str(arg, depth) or str(self.pseudo.get("AWS::Region", "us-east-1"))
        return [f"{region}{suffix}" for suffix in "abc"]

    def _cidr(self, arg: Any, depth: int) -> list[str]:
        if not (isinstance(arg, list) and len(arg) == 3):
            raise Unresolvable("!Cidr takes [ipBlock, count, cidrBits]")
        try:
            block = ipaddress.ip_network(self._str(arg[0], depth), strict=False)
            count, bits = int(self.resolve(arg[1], depth)), int(self.resolve(arg[2], depth))
            new_prefix = block.max_prefixlen - bits
            subnets = block.subnets(new_prefix=new_prefix)
            return [str(next(subnets)) for _ in range(count)]
        except (ValueError, TypeError, StopIteration) as exc:
            raise Unresolvable(f"!Cidr: {exc or 'not enough addresses'}") from None

    # -- conditions ---------------------------------------------------------------------------
    def _truth(self, value: Any, depth: int) -> bool:
        if depth > 100:
            raise Unresolvable("conditions nested too deeply")
        if isinstance(value, bool):
            return value
        if isinstance(value, str) and value.lower() in ("true", "false"):
            return value.lower() == "true"
        if not (isinstance(value, Mapping) and len(value) == 1):
            raise Unresolvable(f"not a condition: {value!r}")
        name, arg = next(iter(value.items()))
        if name == "Condition":
            return self.condition(self._text(arg, "Condition"))
        if name == "Fn::Equals":
            if not (isinstance(arg, list) and len(arg) == 2):
                raise Unresolvable("!Equals takes two values")
            a, b = (self._scalar_text(self.resolve(v, depth + 1)) for v in arg)
            return a == b
        if name in ("Fn::And", "Fn::Or", "Fn::Not"):
            if not isinstance(arg, list):
                raise Unresolvable(f"{name} takes a list of conditions")
            truths = [self._truth(v, depth + 1) for v in arg]
            if name == "Fn::Not":
                if len(truths) != 1:
                    raise Unresolvable("!Not takes exactly one condition")
                return not truths[0]
            return all(truths) if name == "Fn::And" else any(truths)
        return self._truth(self.resolve(value, depth + 1), depth + 1)

    # -- helpers ------------------------------------------------------------------------------
    @staticmethod
    def _text(value: Any, what: str) -> str:
        if not isinstance(value, str):
            raise Unresolvable(f"{what} expects a name, got {value!r}")
        return value

    def _str(self, value: Any, depth: int) -> str:
        return self._scalar_text(self.resolve(value, depth))

    def _list(self, value: Any, depth: int, what: str) -> list[Any]:
        resolved = self.resolve(value, depth)
        if isinstance(resolved, str) and "," in resolved:
            resolved = resolved.split(",")
        if not isinstance(resolved, list):
            raise Unresolvable(f"{what} expects a list, got {resolved!r}")
        return resolved

    @staticmethod
    def _scalar_text(value: Any) -> str:
        if isinstance(value, bool):
            return "true" if value else "false"
        if isinstance(value, int | float | str):
            return str(value)
        if isinstance(value, list):
            return ",".join(Resolver._scalar_text(v) for v in value)
        raise Unresolvable(f"expected a plain value, got {value!r}")
