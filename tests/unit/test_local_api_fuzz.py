"""Hostile requests get nowhere: arbitrary paths, queries, headers and bodies sent over real HTTP to a
running local API (process backend) always get an HTTP answer, and the server keeps serving."""

from __future__ import annotations

import http.client
import json
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bench.projects import api_port, started_api, write_project

TEMPLATE = """
Transform: AWS::Serverless-2016-10-31
Resources:
  Echo:
    Type: AWS::Serverless::Function
    Properties:
      Runtime: python3.11
      CodeUri: src/
      Handler: app.echo
      Events:
        Rest: {Type: Api, Properties: {Path: "/rest/{proxy+}", Method: any}}
        Http: {Type: HttpApi, Properties: {Path: "/http/{id}", Method: any}}
"""
APP = """
import json
def echo(event, context):
    return {"statusCode": 200, "body": json.dumps(event)}
"""


@pytest.fixture(scope="module")
def port(tmp_path_factory: pytest.TempPathFactory) -> Iterator[int]:
    root: Path = tmp_path_factory.mktemp("fuzz")
    with started_api(write_project(root, TEMPLATE, {"src/app.py": APP})) as api:
        yield api_port(api)


header_names = st.from_regex(r"\A[A-Za-z][A-Za-z0-9-]{0,20}\Z")
header_values = st.text(st.characters(min_codepoint=32, max_codepoint=126), max_size=40)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    method=st.sampled_from(["GET", "POST", "PUT", "DELETE", "PATCH", "OPTIONS", "HEAD"]),
    prefix=st.sampled_from(["/rest/", "/http/", "/", "/nowhere/"]),
    segments=st.lists(st.text(max_size=12), max_size=4),
    query=st.lists(st.tuples(st.text(max_size=6), st.text(max_size=6)), max_size=4),
    headers=st.lists(st.tuples(header_names, header_values), max_size=5),
    body=st.binary(max_size=300),
)
def test_any_request_gets_an_answer(
    port: int,
    method: str,
    prefix: str,
    segments: list[str],
    query: list[tuple[str, str]],
    headers: list[tuple[str, str]],
    body: bytes,
) -> None:
    path = prefix + "/".join(quote(s, safe="") for s in segments)
    target = path + ("?" + "&".join(f"{quote(k)}={quote(v)}" for k, v in query) if query else "")
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        conn.putrequest(method, target, skip_host=False, skip_accept_encoding=True)
        for name, value in headers:
            if name.lower() not in ("content-length", "transfer-encoding", "host", "expect"):
                conn.putheader(name, value)
        conn.putheader("Content-Length", str(len(body)))
        conn.endheaders(body)
        response = conn.getresponse()
        data = response.read()
    finally:
        conn.close()
    assert response.status in (200, 204, 403, 404), (response.status, data[:200])
    if response.status == 200 and method != "HEAD":
        event = json.loads(data)
        assert event.get("rawPath", event.get("path")) is not None
