"""The routes model: every route kind of a template, with its API, stage, payload version and position."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app.project.loader import load_project
from app.project.routes import RouteTable, build_routes
from runner.gateway.model import DEFAULT_ROUTE, ApiKind
from tests.unit.local_api_project import write_project


@pytest.fixture(scope="module")
def table(tmp_path_factory: pytest.TempPathFactory) -> RouteTable:
    return build_routes(load_project(write_project(tmp_path_factory.mktemp("routes"))))


def _route(table: RouteTable, method: str, path: str):  # noqa: ANN202 - a test helper
    found = [r for r in table.routes if r.method == method and r.path == path]
    assert len(found) == 1, [(r.method, r.path) for r in table.all_routes]
    return found[0]


def test_sam_api_events_make_rest_routes_on_the_implicit_api(table: RouteTable) -> None:
    r = _route(table, "GET", "/items/{id}")
    assert (r.api.kind, r.api.id, r.api.stage, r.payload_version) == (
        ApiKind.REST,
        "ServerlessRestApi",
        "Prod",
        "1.0",
    )
    assert r.function_id == "Echo" and r.source == "Echo.Events.RestItem"
    assert r.file and Path(r.file).name == "template.yaml"
    lines = Path(r.file).read_text().splitlines()
    assert lines[r.line - 1].strip() == "RestItem:"


def test_http_api_events_payload_versions_and_default(table: RouteTable) -> None:
    assert _route(table, "GET", "/v2/{name}").payload_version == "2.0"
    assert _route(table, "POST", "/v1/{name}").payload_version == "1.0"
    default = _route(table, "ANY", DEFAULT_ROUTE)
    assert (default.api.id, default.api.stage, default.function_id) == ("MyHttpApi", "live", "CatchAll")


def test_explicit_apis_carry_stage_variables_cors_and_binary_types(table: RouteTable) -> None:
    rest = _route(table, "POST", "/explicit/echo").api
    assert (rest.id, rest.stage, dict(rest.stage_variables)) == ("MyRestApi", "dev", {"color": "blue"})
    assert rest.binary_media_types == ("image~1png",)
    assert rest.cors is not None and rest.cors.allow_origins == ("https://app.example",)
    assert rest.cors.allow_methods == ("GET", "POST") and rest.cors.max_age == 600
    http = _route(table, "GET", "/cors/echo").api
    assert http.cors is not None and http.cors.expose_headers == ("x-total",) and http.cors.max_age == 300


def test_openapi_definition_body_routes(table: RouteTable) -> None:
    assert _route(table, "GET", "/openapi/plain").function_id == "Plain"
    assert _route(table, "GET", "/openapi/text").function_id == "Text"  # ${Text.Arn} inside Fn::Sub
    slow = _route(table, "GET", "/openapi/slow")
    assert (slow.timeout_ms, slow.integration_timeout_ms) == (1000, 1000)


def test_plain_cloudformation_resources(table: RouteTable) -> None:
    rest = _route(table, "PUT", "/plainrest/{id}")
    assert (rest.api.kind, rest.api.id, rest.api.stage, rest.function_id) == (
        ApiKind.REST,
        "PlainRest",
        "v1",
        "Echo",
    )
    http = _route(table, "DELETE", "/plainhttp/{id}")
    assert (http.api.kind, http.api.id, http.payload_version) == (ApiKind.HTTP, "PlainHttp", "2.0")


def test_function_url(table: RouteTable) -> None:
    (url,) = table.function_urls
    assert (url.api.kind, url.function_id, url.payload_version, url.path) == (
        ApiKind.URL,
        "Echo",
        "2.0",
        DEFAULT_ROUTE,
    )
    assert url.api.cors is not None and url.api.cors.allow_origins == ("https://url.example",)


def test_conflicts_and_unsupported_integrations_are_positioned_diagnostics(table: RouteTable) -> None:
    by_code = {d.code: d for d in table.diagnostics}
    conflict = by_code["route-conflict"]
    assert "GET /items/{other}" in conflict.message and "Echo.Events.RestItem" in conflict.message
    assert conflict.file is not None and conflict.line is not None
    assert conflict.file.read_text().splitlines()[conflict.line - 1].strip() == "Twice:"
    mock = by_code["route-integration"]
    assert "mock" in mock.message and mock.line is not None
    assert [r for r in table.routes if r.path == "/items/{other}"] == []


def test_most_specific_routes_come_first(table: RouteTable) -> None:
    paths = [r.path for r in table.routes]
    assert paths.index("/items/special") < paths.index("/items/{id}") < paths.index("/files/{proxy+}")
    assert paths[-1] == DEFAULT_ROUTE


BAD = """
Resources:
  Fn:
    Type: AWS::Serverless::Function
    Properties:
      Runtime: python3.11
      Handler: app.h
      CodeUri: src/
      Events:
        NoPath: {Type: Api, Properties: {Method: get}}
        BadMethod: {Type: HttpApi, Properties: {Path: /x, Method: fetch}}
        WrongApi: {Type: Api, Properties: {Path: /y, Method: get, RestApiId: !Ref Nothing}}
        Strange: {Type: Api, Properties: [1, 2]}
        Ok: {Type: HttpApi, Properties: {Path: /ok, Method: get, Auth: {Authorizer: Missing}}}
  Weird:
    Type: AWS::Serverless::HttpApi
    Properties:
      DefinitionBody: {paths: {"/z": {get: {x-amazon-apigateway-integration: {type: aws_proxy, uri: nothing}}}}}
"""


def test_bad_routes_never_crash_and_say_where(tmp_path: Path) -> None:
    (tmp_path / "template.yaml").write_text(BAD)
    (tmp_path / "src").mkdir()
    table = build_routes(load_project(tmp_path))
    assert [(r.method, r.path) for r in table.routes] == [("GET", "/ok")]
    codes = sorted(d.code for d in table.diagnostics)
    assert codes == [
        "route-api",
        "route-authorizer",
        "route-integration",
        "route-method",
        "route-path",
        "route-path",
    ]
    assert all(d.line for d in table.diagnostics)


GLOBALS = """
Globals:
  Api:
    Cors: "'https://global.example'"
    BinaryMediaTypes: ["application~1octet-stream"]
Resources:
  Fn:
    Type: AWS::Serverless::Function
    Properties:
      Runtime: python3.11
      Handler: app.h
      CodeUri: src/
      Events:
        Get: {Type: Api, Properties: {Path: /g, Method: get}}
"""


def test_globals_api_apply_to_the_implicit_api(tmp_path: Path) -> None:
    (tmp_path / "template.yaml").write_text(GLOBALS)
    (tmp_path / "src").mkdir()
    (route,) = build_routes(load_project(tmp_path)).routes
    assert route.api.cors is not None and route.api.cors.allow_origins == ("https://global.example",)
    assert route.api.binary_media_types == ("application~1octet-stream",)


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=12),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=10), inner, max_size=4),
    max_leaves=12,
)
keys = st.sampled_from(
    ["Path", "Method", "RestApiId", "ApiId", "Auth", "PayloadFormatVersion", "TimeoutInMillis"]
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    kind=st.sampled_from(["Api", "HttpApi"]),
    props=st.dictionaries(keys, json_values, max_size=5),
    api_props=st.dictionaries(
        st.sampled_from(
            ["StageName", "Cors", "CorsConfiguration", "Auth", "DefinitionBody", "BinaryMediaTypes"]
        ),
        json_values,
        max_size=4,
    ),
)
def test_any_event_or_api_properties_never_crash(
    tmp_path: Path, kind: str, props: dict, api_props: dict
) -> None:
    template = {
        "Resources": {
            "Fn": {
                "Type": "AWS::Serverless::Function",
                "Properties": {
                    "Runtime": "python3.11",
                    "Handler": "app.h",
                    "CodeUri": "src/",
                    "Events": {"E": {"Type": kind, "Properties": props}},
                },
            },
            "Api": {"Type": "AWS::Serverless::Api", "Properties": api_props},
            "Http": {"Type": "AWS::Serverless::HttpApi", "Properties": api_props},
        }
    }
    (tmp_path / "src").mkdir(exist_ok=True)
    (tmp_path / "template.json").write_text(json.dumps(template))
    table = build_routes(load_project(tmp_path))
    assert all(r.path.startswith("/") or r.path == DEFAULT_ROUTE for r in table.routes)


def test_stage_override(tmp_path: Path) -> None:
    table = build_routes(load_project(write_project(tmp_path / "p")), stage="beta")
    assert {r.api.stage for r in table.routes} == {"beta"}
