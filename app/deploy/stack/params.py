"""Template parameters checked as CloudFormation checks them, so a bad value is refused before any change."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class ParameterProblem:
    name: str
    message: str


def _number(text: str) -> float | None:
    try:
        return float(text)
    except ValueError:
        return None


def _check_one(name: str, spec: Mapping[str, Any], value: str) -> list[ParameterProblem]:
    ptype = str(spec.get("Type", "String"))
    is_list = ptype.startswith("List<") or ptype == "CommaDelimitedList"
    items = [v.strip() for v in value.split(",")] if is_list else [value]
    problems: list[ParameterProblem] = []
    numeric = ptype in ("Number", "List<Number>")
    for item in items:
        if numeric and _number(item) is None:
            problems.append(ParameterProblem(name, f"{name} must be a number ({ptype}), not {item!r}"))
            continue
        allowed = spec.get("AllowedValues")
        if isinstance(allowed, list) and item not in [_text(a) for a in allowed]:
            shown = ", ".join(_text(a) for a in allowed)
            problems.append(
                ParameterProblem(name, f"{name}={item!r} is not one of its AllowedValues: {shown}")
            )
        pattern = spec.get("AllowedPattern")
        if isinstance(pattern, str) and not ptype.startswith("List<"):
            try:
                matched = re.fullmatch(pattern, item) is not None
            except re.error:
                matched = True  # a pattern Python cannot read is CloudFormation's to judge
            if not matched:
                why = spec.get("ConstraintDescription")
                problems.append(
                    ParameterProblem(
                        name,
                        f"{name}={item!r} does not match its AllowedPattern {pattern}"
                        + (f" ({why})" if why else ""),
                    )
                )
        if ptype == "String":
            for key, sign in (("MinLength", 1), ("MaxLength", -1)):
                limit = _number(_text(spec.get(key))) if key in spec else None
                if limit is not None and sign * (len(item) - limit) < 0:
                    problems.append(
                        ParameterProblem(
                            name, f"{name} is {len(item)} characters long; its {key} is {int(limit)}"
                        )
                    )
        if numeric:
            number = float(item)
            for key, sign in (("MinValue", 1), ("MaxValue", -1)):
                limit = _number(_text(spec.get(key))) if key in spec else None
                if limit is not None and sign * (number - limit) < 0:
                    problems.append(
                        ParameterProblem(name, f"{name}={item} is outside its {key} {_text(spec[key])}")
                    )
    return problems


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return "" if value is None else str(value)


def resolve_parameters(
    parameters_section: Any, overrides: Mapping[str, str]
) -> tuple[dict[str, str], list[ParameterProblem]]:
    """The value of every template parameter (override, else Default) and every problem with them.

    Overrides naming no parameter of the template are problems too: a typo must not deploy defaults.
    """
    section = parameters_section if isinstance(parameters_section, Mapping) else {}
    values: dict[str, str] = {}
    problems: list[ParameterProblem] = []
    for name in overrides:
        if name not in section:
            known = ", ".join(section) or "none"
            problems.append(
                ParameterProblem(name, f"{name} is not a parameter of the template (parameters: {known})")
            )
    for name, spec in section.items():
        spec = spec if isinstance(spec, Mapping) else {}
        if name in overrides:
            value = str(overrides[name])
        elif "Default" in spec:
            default = spec["Default"]
            value = ",".join(_text(v) for v in default) if isinstance(default, list) else _text(default)
        else:
            problems.append(
                ParameterProblem(
                    str(name), f"{name} has no Default: give it a value (--parameter-overrides {name}=...)"
                )
            )
            continue
        problems.extend(_check_one(str(name), spec, value))
        values[str(name)] = value
    return values, problems
