"""`start-api` end to end over real HTTP on the process backend: every route kind, both payload versions,
binary, CORS, errors, timeouts, 413 and hot reload (field names per the API Gateway / Lambda docs)."""

from __future__ import annotations

import argparse
import base64
import http.client
import json
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from app.commands import start_api
from app.local.api import LocalApi
from app.project.loader import load_project
from bench.projects import started_api
from runner.gateway.model import Exchange
from runner.ports import free_port
from tests.unit.local_api_project import PNG, write_project

V1_KEYS = {
    "resource", "path", "httpMethod", "headers", "multiValueHeaders", "queryStringParameters",
    "multiValueQueryStringParameters", "pathParameters", "stageVariables", "requestContext", "body",
    "isBase64Encoded",
}  # fmt: skip
V1_CONTEXT_KEYS = {
    "accountId", "apiId", "domainName", "domainPrefix", "extendedRequestId", "httpMethod", "identity", "path",
    "protocol", "requestId", "requestTime", "requestTimeEpoch", "resourceId", "resourcePath", "stage",
}  # fmt: skip
V2_CONTEXT_KEYS = {
    "accountId", "apiId", "domainName", "domainPrefix", "http", "requestId", "routeKey", "stage", "time", "timeEpoch"
}  # fmt: skip


class Served:
    def __init__(self, api: LocalApi, root: Path, logs: list[str], exchanges: list[Exchange]) -> None:
        self.api, self.root, self.logs, self.exchanges = api, root, logs, exchanges
        self.base = api.listeners[0].url
        self.url_base = api.listeners[1].url

    def call(
        self,
        method: str,
        path: str,
        headers: list[tuple[str, str]] | None = None,
        body: bytes | None = None,
        base: str | None = None,
    ) -> tuple[int, http.client.HTTPMessage, bytes]:
        parts = urlsplit(base or self.base)
        conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
        try:
            conn.putrequest(method, path)
            for name, value in headers or []:
                conn.putheader(name, value)
            if body is not None:
                conn.putheader("Content-Length", str(len(body)))
            conn.endheaders(body)
            response = conn.getresponse()
            return response.status, response.headers, response.read()
        finally:
            conn.close()

    def event(self, method: str, path: str, **kw: Any) -> dict[str, Any]:
        status, _, body = self.call(method, path, **kw)
        assert status == 200, body
        return json.loads(body)


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    root = write_project(tmp_path_factory.mktemp("localapi"))
    logs: list[str] = []
    exchanges: list[Exchange] = []
    with started_api(root, log=logs.append, on_exchange=exchanges.append) as api:
        yield Served(api, root, logs, exchanges)


def test_rest_event_has_the_documented_v1_fields(served: Served) -> None:
    event = served.event(
        "GET", "/items/42?a=1&a=2&b=x%20y", headers=[("X-Test", "one"), ("User-Agent", "ua/1")]
    )
    assert set(event) == V1_KEYS
    assert (event["resource"], event["path"], event["httpMethod"]) == ("/items/{id}", "/items/42", "GET")
    assert event["pathParameters"] == {"id": "42"}
    assert event["queryStringParameters"] == {"a": "2", "b": "x y"}
    assert event["multiValueQueryStringParameters"] == {"a": ["1", "2"], "b": ["x y"]}
    assert event["headers"]["X-Test"] == "one" and event["multiValueHeaders"]["X-Test"] == ["one"]
    assert event["stageVariables"] is None and event["body"] is None and event["isBase64Encoded"] is False
    ctx = event["requestContext"]
    assert set(ctx) == V1_CONTEXT_KEYS
    assert (ctx["stage"], ctx["resourcePath"], ctx["httpMethod"], ctx["path"]) == (
        "Prod",
        "/items/{id}",
        "GET",
        "/Prod/items/42",
    )
    assert ctx["identity"]["sourceIp"] == "127.0.0.1" and ctx["identity"]["userAgent"] == "ua/1"
    assert abs(ctx["requestTimeEpoch"] - time.time() * 1000) < 60_000
    assert len(ctx["requestId"]) == 36


def test_rest_response_merges_headers_and_multi_value_headers(served: Served) -> None:
    status, headers, _ = served.call("GET", "/items/1")
    assert status == 200
    assert headers.get_all("X-Multi") == ["a", "b"] and headers["X-Echo"] == "1"
    assert headers.get_all("Set-Cookie") is None  # cookies are a 2.0 response field only


def test_explicit_rest_api_stage_variables_and_binary_request(served: Served) -> None:
    event = served.event("POST", "/explicit/echo", headers=[("Content-Type", "image/png")], body=PNG)
    assert event["stageVariables"] == {"color": "blue"} and event["requestContext"]["stage"] == "dev"
    assert event["isBase64Encoded"] is True and base64.b64decode(event["body"]) == PNG
    event = served.event(
        "POST", "/explicit/echo", headers=[("Content-Type", "application/json")], body=b'{"k": 1}'
    )
    assert event["isBase64Encoded"] is False and event["body"] == '{"k": 1}'


def test_http_api_v2_event(served: Served) -> None:
    event = served.event(
        "GET",
        "/v2/ada?a=1&a=2&c=",
        headers=[("X-Dup", "1"), ("X-Dup", "2"), ("Cookie", "s=1; t=2"), ("User-Agent", "ua/2")],
    )
    assert event["version"] == "2.0" and event["routeKey"] == "GET /v2/{name}"
    assert (event["rawPath"], event["rawQueryString"]) == ("/v2/ada", "a=1&a=2&c=")
    assert event["cookies"] == ["s=1", "t=2"] and "cookie" not in event["headers"]
    assert event["headers"]["x-dup"] == "1,2" and all(k == k.lower() for k in event["headers"])
    assert event["queryStringParameters"] == {"a": "1,2", "c": ""}
    assert event["pathParameters"] == {"name": "ada"} and event["isBase64Encoded"] is False
    assert "body" not in event and "stageVariables" not in event and "multiValueHeaders" not in event
    ctx = event["requestContext"]
    assert set(ctx) == V2_CONTEXT_KEYS
    assert ctx["http"] == {
        "method": "GET", "path": "/v2/ada", "protocol": "HTTP/1.1", "sourceIp": "127.0.0.1", "userAgent": "ua/2"
    }  # fmt: skip
    assert (ctx["routeKey"], ctx["stage"]) == ("GET /v2/{name}", "$default")


def test_http_api_v2_response_cookies_and_binary_bodies(served: Served) -> None:
    status, headers, _ = served.call("GET", "/v2/x")
    assert status == 200 and headers.get_all("Set-Cookie") == ["c1=v1", "c2=v2"]
    assert headers.get("X-Multi") is None  # 2.0 responses have no multiValueHeaders
    event = served.event("POST", "/v2/x", headers=[("Content-Type", "application/octet-stream")], body=PNG)
    assert event["isBase64Encoded"] is True and base64.b64decode(event["body"]) == PNG
    event = served.event("POST", "/v2/x", headers=[("Content-Type", "application/json")], body=b"[1]")
    assert event["isBase64Encoded"] is False and event["body"] == "[1]"


def test_http_api_payload_1_0(served: Served) -> None:
    event = served.event("POST", "/v1/bob?q=1", headers=[("X-Mixed-Case", "v")], body=b"hi")
    assert event["version"] == "1.0" and set(event) == V1_KEYS | {"version"}
    assert event["headers"]["x-mixed-case"] == "v" and event["multiValueHeaders"]["x-mixed-case"] == ["v"]
    assert event["requestContext"]["resourceId"] is None  # as the HTTP API 1.0 example shows
    assert event["requestContext"]["path"] == "/v1/bob"


def test_function_url_event(served: Served) -> None:
    event = served.event("PATCH", "/any/where?x=1", base=served.url_base)
    assert event["routeKey"] == "$default" and event["rawPath"] == "/any/where"
    ctx = event["requestContext"]
    assert (ctx["routeKey"], ctx["stage"], ctx["http"]["method"]) == ("$default", "$default", "PATCH")
    assert (ctx["accountId"], ctx["authentication"], ctx["authorizer"]) == ("123456789012", None, None)
    assert (
        event["pathParameters"] is None and event["stageVariables"] is None
    )  # as the function URL docs show


def test_precedence_exact_then_variable_then_greedy_then_default(served: Served) -> None:
    assert served.event("GET", "/items/special")["resource"] == "/items/special"
    assert served.event("GET", "/items/7")["resource"] == "/items/{id}"
    greedy = served.event("DELETE", "/files/a/b/c.txt")
    assert (greedy["resource"], greedy["pathParameters"]) == ("/files/{proxy+}", {"proxy": "a/b/c.txt"})
    assert served.event("OPTIONS", "/any")["routeKey"] == "ANY /any"
    fallback = served.event("POST", "/items/7")  # no POST on /items/{id}: the $default route answers
    assert fallback["routeKey"] == "$default" and fallback["requestContext"]["stage"] == "live"
    assert served.event("GET", "/nowhere/at/all")["rawPath"] == "/nowhere/at/all"


def test_plain_cloudformation_routes(served: Served) -> None:
    rest = served.event("PUT", "/plainrest/5", body=b"x")
    assert (rest["resource"], rest["requestContext"]["path"]) == ("/plainrest/{id}", "/v1/plainrest/5")
    assert served.event("DELETE", "/plainhttp/9")["pathParameters"] == {"id": "9"}


def test_binary_responses(served: Served) -> None:
    status, headers, body = served.call("GET", "/explicit/image", headers=[("Accept", "image/png")])
    assert (status, headers["Content-Type"], body) == (200, "image/png", PNG)
    status, _, body = served.call("GET", "/explicit/image")  # REST without a binary Accept: base64 text
    assert base64.b64decode(body) == PNG
    status, _, body = served.call("GET", "/v2image")
    assert (status, body) == (200, PNG)


def test_http_api_infers_responses_without_status_code(served: Served) -> None:
    status, headers, body = served.call("GET", "/openapi/plain")
    assert (status, headers["Content-Type"], json.loads(body)) == (
        200,
        "application/json",
        {"hello": "world", "n": 1},
    )
    assert served.call("GET", "/openapi/text")[2] == b'"just text"'  # the JSON the function returned


def test_cors_preflight_and_actual_responses(served: Served) -> None:
    preflight = [("Origin", "https://app.example"), ("Access-Control-Request-Method", "POST")]
    status, headers, _ = served.call("OPTIONS", "/explicit/echo", headers=preflight)
    assert status == 200
    assert headers["Access-Control-Allow-Origin"] == "https://app.example"
    assert (
        headers["Access-Control-Allow-Methods"] == "GET,POST" and headers["Access-Control-Max-Age"] == "600"
    )
    assert headers["Access-Control-Allow-Headers"] == "Content-Type,X-Token"
    http_preflight = [("Origin", "https://app.example"), ("Access-Control-Request-Method", "GET")]
    status, headers, _ = served.call("OPTIONS", "/cors/echo", headers=http_preflight)
    assert (status, headers["Access-Control-Allow-Origin"], headers["Access-Control-Max-Age"]) == (
        204, "https://app.example", "300"
    )  # fmt: skip
    status, headers, _ = served.call(
        "OPTIONS",
        "/cors/echo",
        headers=[("Origin", "https://evil.example"), ("Access-Control-Request-Method", "GET")],
    )
    assert status == 204 and headers.get("Access-Control-Allow-Origin") is None
    status, headers, _ = served.call("GET", "/cors/echo", headers=[("Origin", "https://app.example")])
    assert status == 200 and headers["Access-Control-Allow-Origin"] == "https://app.example"
    assert headers["Access-Control-Expose-Headers"] == "x-total"


def _problem(served: Served, path: str) -> str:
    found = [e for e in served.exchanges if e.path == path and e.problem]
    assert found, [e.path for e in served.exchanges]
    return str(found[-1].problem)


def test_function_errors_and_malformed_responses(served: Served) -> None:
    status, headers, body = served.call("GET", "/fail")
    assert (status, json.loads(body)) == (502, {"message": "Internal server error"})
    assert "ValueError: the function failed on purpose" in _problem(served, "/fail")
    status, _, body = served.call("GET", "/v2fail")
    assert (status, json.loads(body)) == (500, {"message": "Internal Server Error"})
    status, _, body = served.call("GET", "/malformed")
    assert (status, json.loads(body)) == (502, {"message": "Internal server error"})
    assert "body must be a string" in _problem(served, "/malformed")
    assert any("/malformed" in line and "body must be a string" in line for line in served.logs)


def test_integration_timeout_is_504(served: Served) -> None:
    started = time.monotonic()
    status, _, body = served.call("GET", "/openapi/slow")
    assert (status, json.loads(body)) == (504, {"message": "Endpoint request timed out"})
    assert time.monotonic() - started < 3.5  # timeoutInMillis 1000, the function sleeps 4 s
    assert "timed out after 1 s" in _problem(served, "/openapi/slow")


def test_payload_over_10_mb_is_413(served: Served) -> None:
    status, _, body = served.call("POST", "/v2/big", body=b"x" * (10 * 1024 * 1024 + 1))
    assert status == 413 and json.loads(body)["message"] == "Request Entity Too Large"


def test_chunked_request_bodies(served: Served) -> None:
    parts = urlsplit(served.base)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
    try:
        conn.request(
            "POST", "/v2/chunks", body=iter([b'{"a": ', b"1}"]), headers={"Content-Type": "application/json"},
            encode_chunked=True,
        )  # fmt: skip
        response = conn.getresponse()
        event = json.loads(response.read())
    finally:
        conn.close()
    assert response.status == 200 and event["body"] == '{"a": 1}'


def test_logs_are_tagged_with_method_and_path(served: Served) -> None:
    served.call("GET", "/v2/tagged")
    assert any(line.startswith("[GET /v2/tagged] START RequestId:") for line in served.logs)
    assert any(line.startswith("[GET /v2/tagged] echo /v2/tagged") for line in served.logs)


def test_hot_reload_between_two_requests(served: Served) -> None:
    assert json.loads(served.call("GET", "/reload")[2]) == {"version": 1}
    (served.root / "reload" / "app.py").write_text(
        "def handler(event, context):\n    return {'version': 2}\n"
    )
    assert json.loads(served.call("GET", "/reload")[2]) == {"version": 2}


def test_concurrent_requests_run_on_concurrent_runtimes(served: Served) -> None:
    def batch() -> tuple[list[int], float]:
        results: list[int] = []
        threads = [
            threading.Thread(target=lambda: results.append(served.call("GET", "/nap")[0])) for _ in range(4)
        ]
        started = time.monotonic()
        for t in threads:
            t.start()
        for t in threads:
            t.join(60)
        return results, time.monotonic() - started

    assert batch()[0] == [200] * 4  # starts four runtimes
    results, elapsed = batch()
    assert results == [200] * 4
    assert elapsed < 6.0  # each sleeps 2 s: one after another would take at least 8 s


def test_a_template_edit_is_served_on_the_listeners_already_open(tmp_path: Path) -> None:
    root = write_project(tmp_path / "reload")
    template = (root / "template.yaml").read_text()
    url_config = '      FunctionUrlConfig:\n        AuthType: NONE\n        Cors:\n          AllowOrigins: ["https://url.example"]\n'
    assert url_config in template
    with started_api(root) as api:
        base, url_base = api.listeners[0].url, api.listeners[1].url
        parts = urlsplit(base)
        conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)  # one keep-alive connection

        def get(path: str) -> tuple[int, bytes]:
            conn.request("GET", path)
            response = conn.getresponse()
            return response.status, response.read()

        assert get("/openapi/text") == (200, b'"just text"')
        renamed = template.replace("/openapi/text:", "/openapi/words:").replace(url_config, "")
        (root / "template.yaml").write_text(renamed)
        api.reload(load_project(root))
        # the same connection is answered from the new routes: the listener was never closed
        assert get("/openapi/words") == (200, b'"just text"')
        status, body = get("/openapi/text")  # the catch-all route answers the old path now
        assert status == 200 and json.loads(body)["rawPath"] == "/openapi/text"
        conn.close()
        assert [listener.url for listener in api.listeners] == [base]  # Echo's URL is gone, and stopped
        with pytest.raises(ConnectionRefusedError):
            socket.create_connection((urlsplit(url_base).hostname, urlsplit(url_base).port), timeout=5)
        (root / "template.yaml").write_text(template)
        api.reload(load_project(root))
        assert api.listeners[0].url == base and api.listeners[1].label == "Echo function URL"
        event = Served(api, root, [], []).event("PATCH", "/back", base=api.listeners[1].url)
        assert event["rawPath"] == "/back" and event["routeKey"] == "$default"


def test_start_api_command_prints_the_routes_and_serves(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = write_project(tmp_path / "cli")
    port = free_port()
    args = argparse.Namespace(
        project=str(root), port=port, host="127.0.0.1", backend="process", stage=None, env_vars=None,
        jwks=None, container_image=None, profile=None,
    )  # fmt: skip
    stop = threading.Event()
    outcome: list[int] = []
    thread = threading.Thread(target=lambda: outcome.append(start_api.run(args, stop)))
    thread.start()
    try:
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            try:
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
                conn.request("GET", "/openapi/text")
                body = conn.getresponse().read()
                break
            except OSError:
                time.sleep(0.1)
        assert body == b'"just text"'
        # routes follow template edits: a renamed path is served without a restart
        template = (root / "template.yaml").read_text()
        time.sleep(0.05)
        (root / "template.yaml").write_text(template.replace("/openapi/text:", "/openapi/words:"))
        deadline = time.monotonic() + 20
        status, body = 0, b""
        # until the renamed route answers (before the reload, the catch-all route answers this path)
        while time.monotonic() < deadline and body != b'"just text"':
            time.sleep(0.2)
            try:
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
                conn.request("GET", "/openapi/words")
                response = conn.getresponse()
                status, body = response.status, response.read()
            except OSError:
                pass
        assert (status, body) == (200, b'"just text"')
    finally:
        stop.set()
        thread.join(20)
    assert outcome == [0]
    out = capsys.readouterr()
    assert "The template changed: serving its routes now" in out.err
    header = out.out.splitlines()[0].split()
    assert header == ["METHOD", "PATH", "FUNCTION", "API", "AUTH", "URL"]
    assert any(line.split()[:3] == ["GET", "/v2/{name}", "Echo"] for line in out.out.splitlines())
    assert "GET /openapi/text -> Text 200" in out.err
    assert "route-conflict" in out.err


def test_start_api_on_a_taken_port_says_so(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    root = write_project(tmp_path / "busy")
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        args = argparse.Namespace(
            project=str(root), port=port, host="127.0.0.1", backend="process", stage=None, env_vars=None,
            jwks=None, container_image=None, profile=None,
        )  # fmt: skip
        assert start_api.run(args, threading.Event()) == 2
    err = capsys.readouterr().err
    assert (
        f"lambda-studio: cannot listen on 127.0.0.1:{port}: Address already in use (pick another port" in err
    )
