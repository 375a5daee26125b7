"""The gateway's request pipeline: match, authorize, build the event, invoke with a timeout, map the answer."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Sequence
from typing import Any

from runner.gateway import cors
from runner.gateway.events import HttpRequest, build_event
from runner.gateway.matching import Match, select
from runner.gateway.model import MAX_PAYLOAD_BYTES, ApiKind, Exchange, Invoke, LogSink, Route
from runner.gateway.responses import (
    HttpResponse,
    Malformed,
    gateway_error,
    integration_failure,
    map_success,
)
from runner.result import Outcome, SetupError

# An authorizer hook: (route, request, event) -> None to allow (it may add requestContext.authorizer),
# or the HttpResponse that denies the request.
Authorize = Callable[[Route, HttpRequest, dict[str, Any]], HttpResponse | None]


class Gateway:
    """Serves a route table by invoking functions; thread-safe, one `handle` call per request (blocks)."""

    def __init__(
        self,
        routes: Sequence[Route],
        invoke: Invoke,
        *,
        log: LogSink | None = None,
        on_exchange: Callable[[Exchange], None] | None = None,
        authorize: Authorize | None = None,
        port: int = 0,
    ) -> None:
        self.routes = list(routes)
        self.invoke = invoke
        self.log = log or (lambda line: None)
        self.on_exchange = on_exchange
        self.authorize = authorize
        self.port = port

    @property
    def default_kind(self) -> ApiKind:
        """How unmatched requests are answered: REST's 403 only when every route is a REST route."""
        kinds = {r.api.kind for r in self.routes}
        return ApiKind.REST if kinds == {ApiKind.REST} else ApiKind.HTTP

    def handle(self, request: HttpRequest) -> tuple[HttpResponse, Exchange]:
        """Answers one request; blocks while the function runs."""
        started = time.perf_counter()
        exchange = Exchange(request.method, request.raw_path, request)
        try:
            response = self._handle(request, exchange)
        except Exception as exc:  # a bug of ours must not take the server down: 500 and the reason
            exchange.problem = f"internal error: {type(exc).__name__}: {exc}"
            response = gateway_error(self.default_kind, 500, "Internal Server Error")
        exchange.status = response.status
        exchange.response_headers = list(response.headers)
        exchange.response_body = response.body
        exchange.duration_ms = (time.perf_counter() - started) * 1000
        if exchange.problem:
            self.log(f"[{request.method} {request.raw_path}] {response.status}: {exchange.problem}")
        if self.on_exchange is not None:
            self.on_exchange(exchange)
        return response, exchange

    def _handle(self, request: HttpRequest, exchange: Exchange) -> HttpResponse:
        kind = self.default_kind
        if len(request.body) > MAX_PAYLOAD_BYTES:
            exchange.problem = f"request body of {len(request.body)} bytes is over API Gateway's 10 MB"
            return gateway_error(kind, 413, "Request Entity Too Large")
        origin = request.header("origin")
        wanted = request.header("access-control-request-method")
        if request.method == "OPTIONS" and origin and wanted:
            found = select(self.routes, wanted, request.raw_path)
            if isinstance(found, Match) and found.route.api.cors is not None:
                exchange.route = found.route
                api = found.route.api
                assert api.cors is not None
                return cors.preflight(
                    api.kind, api.cors, origin, wanted, request.header("access-control-request-headers")
                )
        found = select(self.routes, request.method, request.raw_path)
        if not isinstance(found, Match):
            if found == "method" or kind is ApiKind.REST:
                exchange.problem = f"no route for {request.method} {request.path}"
                return gateway_error(ApiKind.REST, 403, "Missing Authentication Token")
            exchange.problem = f"no route for {request.method} {request.path}"
            return gateway_error(kind, 404, "Not Found")
        route = found.route
        exchange.route = route
        event = build_event(route, request, found.path_parameters, self.port)
        if self.authorize is not None and route.authorizer is not None:
            denied = self.authorize(route, request, event)
            if denied is not None:
                exchange.event = event
                return denied
        exchange.event = event
        response = self._invoke(route, request, event, exchange)
        if route.api.cors is not None:
            cors.decorate(route.api.kind, route.api.cors, origin, response)
        return response

    def _invoke(
        self, route: Route, request: HttpRequest, event: dict[str, Any], exchange: Exchange
    ) -> HttpResponse:
        kind = route.api.kind
        tag = f"[{request.method} {request.path}]"
        cancel = threading.Event()
        timed_out = threading.Event()

        def expire() -> None:
            timed_out.set()
            cancel.set()

        timer = threading.Timer(route.integration_timeout_ms / 1000, expire)
        timer.daemon = True
        timer.start()
        try:
            result = self.invoke(
                route.function_id, json.dumps(event).encode(), lambda line: self.log(f"{tag} {line}"), cancel
            )
        except SetupError as exc:
            exchange.problem = f"{route.function_id} cannot run: {exc}"
            return integration_failure(kind)
        except Exception as exc:  # e.g. the docker engine went away: the request fails, the server stays
            exchange.problem = f"{route.function_id} could not be invoked: {type(exc).__name__}: {exc}"
            return integration_failure(kind)
        finally:
            timer.cancel()
        exchange.result = result
        if timed_out.is_set():
            exchange.problem = (
                f"integration timed out after {route.integration_timeout_ms / 1000:g} s "
                f"({kind.value} APIs wait at most that long)"
            )
            return gateway_error(kind, 504, "Endpoint request timed out")
        if result.outcome is not Outcome.SUCCESS:
            error = result.error
            why = f"{error.type}: {error.message}" if error else result.outcome.value
            exchange.problem = f"{route.function_id} failed ({result.outcome.value}): {why}"
            return integration_failure(kind)
        try:
            return map_success(route, result.payload, request.header("accept"))
        except Malformed as exc:
            exchange.problem = f"malformed response from {route.function_id}: {exc}"
            return integration_failure(kind)
