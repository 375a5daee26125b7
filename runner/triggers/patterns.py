"""EventBridge event patterns (also Lambda filter criteria): exact, prefix, suffix, anything-but, numeric,
exists, equals-ignore-case, wildcard, cidr and $or, as AWS documents them."""

from __future__ import annotations

import ipaddress
import json
import re
from collections.abc import Mapping
from typing import Any

_MISSING = object()
_OPERATORS = ("<", "<=", "=", ">", ">=")


class PatternError(ValueError):
    """The pattern is not a valid event pattern; the message says what is wrong."""


def parse_pattern(pattern: str | Mapping[str, Any]) -> dict[str, Any]:
    """A pattern as a dict; raises PatternError for invalid JSON or a pattern that is not an object."""
    if isinstance(pattern, str):
        try:
            pattern = json.loads(pattern)
        except ValueError as exc:
            raise PatternError(f"the event pattern is not valid JSON: {exc}") from None
    if not isinstance(pattern, Mapping):
        raise PatternError("an event pattern must be a JSON object")
    check_pattern(pattern)
    return dict(pattern)


def check_pattern(pattern: Mapping[str, Any], path: str = "") -> None:
    """Raises PatternError naming the field whose matcher is malformed."""
    for key, value in pattern.items():
        where = f"{path}{key}"
        if key == "$or":
            if (
                not isinstance(value, list)
                or len(value) < 2
                or not all(isinstance(v, Mapping) for v in value)
            ):
                raise PatternError(f"{where}: $or takes a list of at least two patterns")
            for sub in value:
                check_pattern(sub, path)
        elif isinstance(value, Mapping):
            check_pattern(value, where + ".")
        elif isinstance(value, list):
            if not value:
                raise PatternError(f"{where}: an empty list matches nothing")
            for matcher in value:
                if isinstance(matcher, Mapping):
                    _check_matcher(matcher, where)
        else:
            raise PatternError(f"{where}: a pattern value must be a list of matchers or an object")


def _check_matcher(matcher: Mapping[str, Any], where: str) -> None:
    if len(matcher) != 1:
        raise PatternError(f"{where}: a matcher object has exactly one key, got {sorted(matcher)}")
    kind, arg = next(iter(matcher.items()))
    if kind == "numeric":
        if (
            not isinstance(arg, list)
            or len(arg) not in (2, 4)
            or any(arg[i] not in _OPERATORS or not _is_number(arg[i + 1]) for i in range(0, len(arg), 2))
        ):
            raise PatternError(f'{where}: numeric takes ["op", number] or ["op", n, "op", n]')
    elif kind == "exists":
        if not isinstance(arg, bool):
            raise PatternError(f"{where}: exists takes true or false")
    elif kind in ("prefix", "suffix"):
        if not (isinstance(arg, str) or isinstance(arg, Mapping) and set(arg) == {"equals-ignore-case"}):
            raise PatternError(f"{where}: {kind} takes a string")
    elif kind in ("equals-ignore-case", "wildcard", "cidr"):
        if not isinstance(arg, str):
            raise PatternError(f"{where}: {kind} takes a string")
        if kind == "cidr":
            try:
                ipaddress.ip_network(arg, strict=False)
            except ValueError:
                raise PatternError(f"{where}: {arg!r} is not a CIDR block") from None
    elif kind != "anything-but":
        raise PatternError(f"{where}: unknown matcher {kind!r}")


def matches(pattern: Mapping[str, Any], event: Any) -> bool:
    """True when the event (a JSON object) matches the pattern."""
    if not isinstance(event, Mapping):
        return False
    for key, expected in pattern.items():
        if key == "$or":
            if not any(matches(sub, event) for sub in expected):
                return False
            continue
        actual = event.get(key, _MISSING)
        if isinstance(expected, Mapping):
            if actual is _MISSING:
                # A nested pattern on a missing object matches only when it asks for absence.
                if not _all_absent(expected):
                    return False
                continue
            values = actual if isinstance(actual, list) else [actual]
            if not any(isinstance(v, Mapping) and matches(expected, v) for v in values):
                return False
        elif not _field_matches(expected, actual):
            return False
    return True


def _all_absent(pattern: Mapping[str, Any]) -> bool:
    for key, value in pattern.items():
        if key == "$or":
            if not any(_all_absent(sub) for sub in value):
                return False
        elif isinstance(value, Mapping):
            if not _all_absent(value):
                return False
        elif not any(isinstance(m, Mapping) and m.get("exists") is False for m in value):
            return False
    return True


def _field_matches(matchers: list[Any], actual: Any) -> bool:
    values = actual if isinstance(actual, list) else [actual]
    for matcher in matchers:
        if isinstance(matcher, Mapping) and "exists" in matcher:
            present = actual is not _MISSING and not (isinstance(actual, list) and not actual)
            if matcher["exists"] == present:
                return True
            continue
        if actual is _MISSING:
            continue
        if any(_one(matcher, v) for v in values):
            return True
    return False


def _one(matcher: Any, value: Any) -> bool:
    if not isinstance(matcher, Mapping):
        return _equal(matcher, value)
    kind, arg = next(iter(matcher.items()))
    if kind == "prefix":
        return _affix(arg, value, str.startswith)
    if kind == "suffix":
        return _affix(arg, value, str.endswith)
    if kind == "equals-ignore-case":
        return isinstance(value, str) and value.casefold() == arg.casefold()
    if kind == "wildcard":
        return isinstance(value, str) and _wildcard(arg).fullmatch(value) is not None
    if kind == "numeric":
        return _numeric(arg, value)
    if kind == "cidr":
        try:
            return isinstance(value, str) and ipaddress.ip_address(value) in ipaddress.ip_network(
                arg, strict=False
            )
        except ValueError:
            return False
    if kind == "anything-but":
        return _anything_but(arg, value)
    return False


def _equal(expected: Any, value: Any) -> bool:
    if _is_number(expected) and _is_number(value):
        return float(expected) == float(value)
    if isinstance(expected, bool) or isinstance(value, bool):
        return expected is value
    return bool(expected == value)


def _affix(arg: Any, value: Any, test: Any) -> bool:
    if not isinstance(value, str):
        return False
    if isinstance(arg, Mapping):
        return bool(test(value.casefold(), str(arg["equals-ignore-case"]).casefold()))
    return bool(test(value, arg))


def _anything_but(arg: Any, value: Any) -> bool:
    if isinstance(arg, Mapping):
        kind, inner = next(iter(arg.items()))
        if kind == "equals-ignore-case":
            options = inner if isinstance(inner, list) else [inner]
            return not (
                isinstance(value, str) and any(value.casefold() == str(o).casefold() for o in options)
            )
        if kind in ("prefix", "suffix", "wildcard"):
            options = inner if isinstance(inner, list) else [inner]
            return isinstance(value, str) and not any(_one({kind: o}, value) for o in options)
        return not _one(arg, value)
    options = arg if isinstance(arg, list) else [arg]
    return not any(_equal(o, value) for o in options)


def _numeric(arg: list[Any], value: Any) -> bool:
    if not _is_number(value):
        return False
    number = float(value)
    for i in range(0, len(arg), 2):
        op, bound = arg[i], float(arg[i + 1])
        ok = {
            "<": number < bound,
            "<=": number <= bound,
            "=": number == bound,
            ">": number > bound,
            ">=": number >= bound,
        }[op]
        if not ok:
            return False
    return True


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


_WILDCARD_CACHE: dict[str, re.Pattern[str]] = {}


def _wildcard(text: str) -> re.Pattern[str]:
    """'*' matches any run of characters; '\\*' is a literal star."""
    cached = _WILDCARD_CACHE.get(text)
    if cached is None:
        parts, i = [], 0
        while i < len(text):
            if text[i] == "\\" and i + 1 < len(text) and text[i + 1] in "*\\":
                parts.append(re.escape(text[i + 1]))
                i += 2
                continue
            parts.append(".*" if text[i] == "*" else re.escape(text[i]))
            i += 1
        cached = _WILDCARD_CACHE.setdefault(text, re.compile("".join(parts), re.DOTALL))
    return cached
