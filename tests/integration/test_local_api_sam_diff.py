"""Differential test: the events a function receives from `sam local start-api` (SAM CLI from PyPI,
scripts/sam-cli.sh, on the locally built image with --skip-pull-image) and from our start-api, field by
field. Where SAM departs from API Gateway's documented formats the difference is named in SAM_DEVIATIONS
and normalised away on SAM's side only; everything else must be equal."""

from __future__ import annotations

import http.client
import json
import os
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from app.invoke import select_backend
from app.local.api import LocalApi
from app.local.functions import LocalFunctions
from app.project.loader import load_project
from bench.api import sam_binary
from runner.backends.container.engine import has_image
from runner.ports import free_port
from tests.integration import docker_fixtures

docker_client = docker_fixtures.docker_client
pytestmark = [pytest.mark.docker, pytest.mark.timeout(300)]
SAM_IMAGE = "public.ecr.aws/lambda/python:3.11-x86_64"  # tagged by scripts/docker-test-image.sh

TEMPLATE = """AWSTemplateFormatVersion: "2010-09-09"
Transform: AWS::Serverless-2016-10-31
Globals:
  Function: {Runtime: python3.11, CodeUri: src/, Timeout: 10, Architectures: [x86_64]}
Resources:
  Echo:
    Type: AWS::Serverless::Function
    Properties:
      Handler: app.echo
      Events:
        Rest: {Type: Api, Properties: {Path: "/rest/{id}", Method: get}}
        RestPost: {Type: Api, Properties: {Path: "/rest/{id}", Method: post}}
        Greedy: {Type: Api, Properties: {Path: "/files/{proxy+}", Method: any}}
        Http: {Type: HttpApi, Properties: {Path: "/http/{name}", Method: get}}
        HttpPost: {Type: HttpApi, Properties: {Path: "/http/{name}", Method: post}}
        HttpV1: {Type: HttpApi, Properties: {Path: "/v1/{name}", Method: post, PayloadFormatVersion: "1.0"}}
"""
APP = """import json
def echo(event, context):
    return {"statusCode": 200, "headers": {"Content-Type": "application/json"}, "body": json.dumps(event)}
"""

# Where SAM CLI (1.170) differs from API Gateway's documented event formats; each is undone on SAM's
# event before the comparison (or, for values each server picks itself, left out of it).
SAM_DEVIATIONS = {
    "v2-header-case": "2.0 events: SAM keeps header names as sent; API Gateway lowercases them",
    "v1-http-header-case": "HTTP API 1.0 events: SAM keeps header names as sent; HTTP APIs lowercase them",
    "v2-cookie-header": "2.0 events: SAM also leaves the Cookie header in headers; API Gateway moves it to cookies",
    "v2-absent-fields": '2.0 events: SAM sends body "", cookies [] and stageVariables null where API Gateway omits them',
    "rest-stage": "REST: SAM's requestContext.stage is null; API Gateway gives the stage name (Prod)",
    "context-path": "1.0: SAM's requestContext.path is the resource template; API Gateway gives /STAGE/actual/path"
    " (REST) or the request path (HTTP API)",
    "user-agent": "SAM puts 'Custom User Agent String' in identity.userAgent / http.userAgent instead of the header",
    "time-epoch": "2.0: SAM's requestContext.timeEpoch is in seconds; API Gateway's is in milliseconds",
    "forwarding-headers": "SAM adds only X-Forwarded-Port/-Proto; API Gateway also X-Forwarded-For and X-Amzn-Trace-Id",
    "context-extras": "1.0: SAM has no requestContext.domainPrefix, an identity without accessKey/principalOrgId "
    "(with apiKey), extendedRequestId null",
    "static-ids": "SAM reuses one requestId/requestTime for every request (not compared: each server picks its own)",
    "domain": "2.0: SAM's domainName is 'localhost' whatever the Host header",
}

# (name, method, target, headers, body)
CASES = [
    ("rest-get", "GET", "/rest/42?a=1&a=2&b=x%20y", [("X-Test", "one")], None),
    ("rest-post-json", "POST", "/rest/7", [("Content-Type", "application/json")], b'{"k": 1}'),
    ("rest-greedy", "DELETE", "/files/a/b/c.txt", [], None),
    ("http-v2", "GET", "/http/ada?a=1&a=2", [("X-Dup", "1"), ("X-Dup", "2"), ("Cookie", "s=1; t=2")], None),
    ("http-v2-post", "POST", "/http/bob", [("Content-Type", "application/json")], b'{"n": [1, 2]}'),
    (
        "http-v1",
        "POST",
        "/v1/bob?q=1",
        [("X-Mixed-Case", "v"), ("Content-Type", "application/json")],
        b'{"n": 2}',
    ),
]


def _call(
    port: int, method: str, target: str, headers: list[tuple[str, str]], body: bytes | None
) -> dict[str, Any]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    try:
        conn.putrequest(method, target, skip_accept_encoding=True)
        conn.putheader("User-Agent", "diff-test/1")
        for name, value in headers:
            conn.putheader(name, value)
        conn.putheader("Content-Length", str(len(body or b"")))
        conn.endheaders(body)
        response = conn.getresponse()
        data = response.read()
        assert response.status == 200, data
        return json.loads(data)
    finally:
        conn.close()


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("samdiff")
    (root / "template.yaml").write_text(TEMPLATE)
    (root / "src").mkdir()
    (root / "src" / "app.py").write_text(APP)
    return root


@pytest.fixture(scope="module")
def sam_port(docker_client: Any, project: Path) -> Iterator[int]:
    found = sam_binary()
    sam = str(found) if found else None
    if sam is None:
        docker_fixtures.unavailable("SAM CLI is not installed (scripts/sam-cli.sh, run by `make services`)")
    if not has_image(docker_client, SAM_IMAGE):
        docker_fixtures.unavailable(f"{SAM_IMAGE} is missing (scripts/docker-test-image.sh tags it)")
    port = free_port()
    log = open(project / "sam.log", "wb")  # noqa: SIM115 - closed below
    proc = subprocess.Popen(
        [sam, "local", "start-api", "--port", str(port), "--skip-pull-image", "--warm-containers", "EAGER"],
        cwd=project,
        env={**os.environ, "SAM_CLI_TELEMETRY": "0"},
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + 180
        while True:
            assert proc.poll() is None, (project / "sam.log").read_text()[-2000:]
            assert time.monotonic() < deadline, "sam local start-api did not serve within 180 s"
            try:
                _call(port, "GET", "/rest/1", [], None)
                break
            except (OSError, AssertionError):
                time.sleep(0.5)
        yield port
    finally:
        proc.terminate()
        try:
            proc.wait(30)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()


@pytest.fixture(scope="module")
def our_port(project: Path) -> Iterator[int]:
    loaded = load_project(project)
    functions = LocalFunctions(loaded, select_backend("process"))
    api = LocalApi(loaded, functions).start("127.0.0.1", 0)
    try:
        yield int(api.listeners[0].url.rsplit(":", 1)[1])
    finally:
        api.stop()
        functions.close()


OWN_VALUES = {"host", "x-forwarded-port"}  # each server's own address
OURS_ONLY_HEADERS = {"x-forwarded-for", "x-amzn-trace-id"}  # "forwarding-headers"


def _headers(found: dict[str, Any] | None, lower: bool, multi: bool = False) -> dict[str, Any]:
    out = {}
    for key, value in (found or {}).items():
        name = key.lower() if lower else key
        if name.lower() in OWN_VALUES or name.lower() in OURS_ONLY_HEADERS:
            continue
        out[name] = value
    return out


def normalise_sam(event: dict[str, Any], version: str, http_api: bool) -> dict[str, Any]:
    e = json.loads(json.dumps(event))
    if version == "2.0":
        e["headers"] = {
            k.lower(): v for k, v in e["headers"].items() if k.lower() != "cookie"
        }  # v2-header-case, v2-cookie-header
        if e.get("body") == "":
            del e["body"]  # v2-absent-fields
        if e.get("cookies") == []:
            del e["cookies"]  # v2-absent-fields
        if e.get("stageVariables") is None:
            e.pop("stageVariables", None)  # v2-absent-fields
    elif http_api:
        e["headers"] = {k.lower(): v for k, v in e["headers"].items()}  # v1-http-header-case
        e["multiValueHeaders"] = {k.lower(): v for k, v in e["multiValueHeaders"].items()}
    return e


def _context_core(event: dict[str, Any], version: str) -> dict[str, Any]:
    ctx = event["requestContext"]
    if version == "2.0":
        h = ctx["http"]
        return {
            "accountId": ctx["accountId"],
            "routeKey": ctx["routeKey"],
            "stage": ctx["stage"],
            "http": {k: h[k] for k in ("method", "path", "protocol", "sourceIp")},
        }
    return {k: ctx[k] for k in ("accountId", "httpMethod", "protocol", "resourcePath")} | {
        "sourceIp": ctx["identity"]["sourceIp"]
    }


COMPARED_V1 = ("resource", "path", "httpMethod", "queryStringParameters", "multiValueQueryStringParameters",
               "pathParameters", "stageVariables", "body", "isBase64Encoded", "version")  # fmt: skip
COMPARED_V2 = ("version", "routeKey", "rawPath", "rawQueryString", "cookies", "queryStringParameters",
               "pathParameters", "body", "isBase64Encoded", "stageVariables")  # fmt: skip


@pytest.mark.parametrize(("name", "method", "target", "headers", "body"), CASES, ids=[c[0] for c in CASES])
def test_events_agree_with_sam_except_named_deviations(
    sam_port: int,
    our_port: int,
    name: str,
    method: str,
    target: str,
    headers: list[tuple[str, str]],
    body: bytes | None,
) -> None:
    sam_raw = _call(sam_port, method, target, headers, body)
    ours = _call(our_port, method, target, headers, body)
    version = ours.get("version", "1.0")
    http_api = "version" in ours
    sam = normalise_sam(sam_raw, version, http_api)
    assert set(sam) == set(ours), f"top-level fields differ: SAM {sorted(sam)} vs ours {sorted(ours)}"
    for field in COMPARED_V2 if version == "2.0" else COMPARED_V1:
        assert sam.get(field) == ours.get(field), (
            f"{name}: {field}: SAM {sam.get(field)!r} vs ours {ours.get(field)!r}"
        )
    lower = version == "2.0" or http_api
    assert _headers(sam["headers"], lower) == _headers(ours["headers"], lower)
    if version != "2.0":
        assert _headers(sam["multiValueHeaders"], lower) == _headers(ours["multiValueHeaders"], lower)
    assert _context_core(sam, version) == _context_core(ours, version)
    # The named deviations, checked on SAM's raw event so this test notices when SAM changes.
    if version == "2.0":
        assert any(k != k.lower() for k in sam_raw["headers"]), SAM_DEVIATIONS["v2-header-case"]
        assert sam_raw["requestContext"]["timeEpoch"] < 10**11 <= ours["requestContext"]["timeEpoch"], (
            SAM_DEVIATIONS["time-epoch"]
        )
        assert sam_raw["requestContext"]["http"]["userAgent"] != "diff-test/1", SAM_DEVIATIONS["user-agent"]
        assert ours["requestContext"]["http"]["userAgent"] == "diff-test/1"
    else:
        assert sam_raw["requestContext"]["identity"]["userAgent"] != "diff-test/1", SAM_DEVIATIONS[
            "user-agent"
        ]
        assert ours["requestContext"]["identity"]["userAgent"] == "diff-test/1"
        assert sam_raw["requestContext"]["path"] == sam_raw["resource"], SAM_DEVIATIONS["context-path"]
        if not http_api:
            assert sam_raw["requestContext"]["stage"] is None, SAM_DEVIATIONS["rest-stage"]
            assert ours["requestContext"]["stage"] == "Prod"
            assert ours["requestContext"]["path"] == "/Prod" + ours["path"]
    assert "X-Forwarded-For" not in sam_raw["headers"], SAM_DEVIATIONS["forwarding-headers"]
