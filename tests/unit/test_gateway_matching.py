"""Route selection as API Gateway documents it, and what unmatched requests get (REST 403, HTTP 404)."""

from __future__ import annotations

from typing import Any

from runner.gateway.events import HttpRequest
from runner.gateway.gateway import Gateway
from runner.gateway.matching import Match, select
from runner.gateway.model import DEFAULT_ROUTE, Api, ApiKind, Route
from runner.result import InvokeResult

REST = Api("Rest", ApiKind.REST, stage="Prod")
HTTP = Api("Http", ApiKind.HTTP)


def _routes(api: Api, *keys: str) -> list[Route]:
    out = []
    for key in keys:
        method, _, path = key.partition(" ")
        method = "ANY" if key == DEFAULT_ROUTE else method
        out.append(Route(api, method, path or DEFAULT_ROUTE, f"fn:{key}", "2.0"))
    return out


def _pick(routes: list[Route], method: str, path: str) -> str:
    found = select(routes, method, path)
    assert isinstance(found, Match), found
    return found.route.route_key


def test_exact_beats_variable_beats_greedy_and_method_beats_any() -> None:
    routes = _routes(
        HTTP, "ANY /{proxy+}", "GET /pets/{id}", "GET /pets/dog", "ANY /pets/{id}", "GET /pets/{proxy+}"
    )
    assert _pick(routes, "GET", "/pets/dog") == "GET /pets/dog"
    assert _pick(routes, "GET", "/pets/cat") == "GET /pets/{id}"
    assert _pick(routes, "POST", "/pets/cat") == "ANY /pets/{id}"
    assert _pick(routes, "GET", "/pets/cat/toys") == "GET /pets/{proxy+}"
    assert _pick(routes, "POST", "/pets/cat/toys") == "ANY /{proxy+}"


def test_greedy_needs_a_segment_and_default_catches_the_rest() -> None:
    routes = _routes(HTTP, "GET /files/{proxy+}", "$default")
    assert _pick(routes, "GET", "/files/a/b") == "GET /files/{proxy+}"
    assert _pick(routes, "GET", "/files") == DEFAULT_ROUTE
    found = select(routes, "GET", "/files/a%2Fb")
    assert isinstance(found, Match) and found.path_parameters == {"proxy": "a/b"}


def test_path_parameters_are_decoded() -> None:
    found = select(_routes(HTTP, "GET /hello/{name}"), "GET", "/hello/J%C3%BCrgen")
    assert isinstance(found, Match) and found.path_parameters == {"name": "Jürgen"}


def _never(function_id: str, event: bytes, sink: Any, cancel: Any) -> InvokeResult:
    raise AssertionError("no function should run for an unmatched request")


def test_unmatched_requests_rest_403_http_404() -> None:
    rest = Gateway(_routes(REST, "GET /pets"), _never)
    response, exchange = rest.handle(HttpRequest("POST", "/pets", "", []))
    assert (response.status, response.body) == (403, b'{"message": "Missing Authentication Token"}')
    assert exchange.problem == "no route for POST /pets"
    assert rest.handle(HttpRequest("GET", "/cats", "", []))[0].status == 403
    http = Gateway(_routes(HTTP, "GET /pets"), _never)
    response, _ = http.handle(HttpRequest("POST", "/pets", "", []))
    assert (response.status, response.body) == (404, b'{"message": "Not Found"}')


def test_oversized_body_is_413_before_any_invoke() -> None:
    gateway = Gateway(_routes(HTTP, "POST /up"), _never)
    response, _ = gateway.handle(HttpRequest("POST", "/up", "", [], b"x" * (10 * 1024 * 1024 + 1)))
    assert response.status == 413


def test_an_invoke_that_breaks_is_an_integration_failure_and_the_reason_is_logged() -> None:
    def broken(function_id: str, event: bytes, sink: Any, cancel: Any) -> InvokeResult:
        raise ConnectionError("the docker engine went away")

    lines: list[str] = []
    gateway = Gateway(_routes(REST, "GET /pets"), broken, log=lines.append)
    response, exchange = gateway.handle(HttpRequest("GET", "/pets", "", []))
    assert (response.status, response.body) == (502, b'{"message": "Internal server error"}')
    assert (
        exchange.problem == "fn:GET /pets could not be invoked: ConnectionError: the docker engine went away"
    )
    assert lines == [f"[GET /pets] 502: {exchange.problem}"]
