"""Route selection as API Gateway does it: exact paths, then path variables, then greedy ones, then $default."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from urllib.parse import unquote

from runner.gateway.model import DEFAULT_ROUTE, ApiKind, Route

_LITERAL, _VARIABLE, _GREEDY = 3, 2, 1


@dataclass(frozen=True)
class Match:
    route: Route
    path_parameters: dict[str, str]


def _segments(path: str) -> list[str]:
    return [s for s in path.strip("/").split("/")] if path.strip("/") else []


def _match_path(pattern: str, path: str) -> dict[str, str] | None:
    """The path parameters when `path` (decoded) fits `pattern`, else None."""
    want, got = _segments(pattern), _segments(path)
    params: dict[str, str] = {}
    for i, seg in enumerate(want):
        if seg.startswith("{") and seg.endswith("+}"):
            rest = got[i:]
            if not rest or not "".join(rest):
                return None  # a greedy variable needs at least one segment
            params[seg[1:-2]] = "/".join(rest)
            return params
        if i >= len(got):
            return None
        if seg.startswith("{") and seg.endswith("}"):
            if not got[i]:
                return None
            params[seg[1:-1]] = got[i]
        elif seg != got[i]:
            return None
    return params if len(got) == len(want) else None


def specificity(pattern: str) -> tuple[int, ...]:
    """Sort key: literal segments beat variables, which beat a greedy tail; longer beats shorter."""
    out = []
    for seg in _segments(pattern):
        if seg.startswith("{") and seg.endswith("+}"):
            out.append(_GREEDY)
        elif seg.startswith("{") and seg.endswith("}"):
            out.append(_VARIABLE)
        else:
            out.append(_LITERAL)
    return tuple(out) + (_LITERAL + 1,)  # an exhausted exact pattern outranks a greedy one of equal prefix


def select(routes: Sequence[Route], method: str, raw_path: str) -> Match | None | str:
    """The route for a request; None when no path matches, "method" when the path matches a REST
    resource that has no such method (API Gateway REST answers 403 then)."""
    path = unquote(raw_path)
    method = method.upper()
    candidates: list[tuple[tuple[int, ...], int, Route, dict[str, str]]] = []
    defaults: list[Route] = []
    rest_path_without_method = False
    for route in routes:
        if route.path == DEFAULT_ROUTE:
            defaults.append(route)
            continue
        params = _match_path(route.path, path)
        if params is None:
            continue
        if route.method == method:
            candidates.append((specificity(route.path), 1, route, params))
        elif route.method == "ANY":
            candidates.append((specificity(route.path), 0, route, params))
        elif route.api.kind is ApiKind.REST:
            rest_path_without_method = True
    if candidates:
        candidates.sort(key=lambda c: (c[0], c[1]), reverse=True)
        _, _, route, params = candidates[0]
        return Match(route, params)
    for route in defaults:
        if route.method in (method, "ANY"):
            return Match(route, {})
    return "method" if rest_path_without_method else None
