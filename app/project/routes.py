"""The HTTP routes a project's templates declare (API Gateway REST/HTTP APIs and function URLs),
with their template positions; conflicting or unsupported routes become diagnostics, never a crash."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from app.project import routes_openapi as openapi
from app.project.cfn_yaml import TemplateError, load_template_file
from app.project.model import Diagnostic, FunctionSpec, Project, Severity
from app.project.routes_template import (
    METHODS,
    RouteTemplate,
    as_dict,
    http_cors,
    merged_props,
    pick_authorizer,
    props_of,
    referenced_names,
    rest_cors,
    split_list,
)
from runner.gateway.matching import specificity
from runner.gateway.model import DEFAULT_ROUTE, Api, ApiKind, AuthKind, Authorizer, Route

SERVERLESS_API = "AWS::Serverless::Api"
SERVERLESS_HTTP_API = "AWS::Serverless::HttpApi"
REST_API = "AWS::ApiGateway::RestApi"
HTTP_API_V2 = "AWS::ApiGatewayV2::Api"
IMPLICIT_REST = "ServerlessRestApi"
IMPLICIT_HTTP = "ServerlessHttpApi"


@dataclass
class RouteTable:
    """Every route of a project: API routes (served together) and function URLs (one listener each)."""

    routes: list[Route] = field(default_factory=list)
    function_urls: list[Route] = field(default_factory=list)
    diagnostics: list[Diagnostic] = field(default_factory=list)

    @property
    def all_routes(self) -> list[Route]:
        return self.routes + self.function_urls


def _authorizers(t: RouteTemplate, kind: ApiKind, auth: Any, jwks: str | None) -> tuple[Authorizer, ...]:
    from app.project.routes_auth import parse_authorizers

    return parse_authorizers(t, kind, auth, jwks)


def _sam_api(t: RouteTemplate, logical_id: str, kind: ApiKind, stage: str | None, jwks: str | None) -> Api:
    if logical_id in t.apis:
        return t.apis[logical_id]
    resource = t.resources.get(logical_id)
    section = "Api" if kind is ApiKind.REST else "HttpApi"
    props = merged_props(t, section, props_of(resource))
    default_stage = "Prod" if kind is ApiKind.REST else "$default"
    stage_name = stage or t.resolve(props.get("StageName"), default_stage)
    variables = t.resolve(props.get("Variables" if kind is ApiKind.REST else "StageVariables"), {})
    body = t.resolve(props.get("DefinitionBody"), None)
    binary = split_list(t.resolve(props.get("BinaryMediaTypes"), None))
    if isinstance(body, dict):
        binary += openapi.binary_media_types(body)
    if kind is ApiKind.REST:
        cors = rest_cors(t.resolve(props.get("Cors"), None))
    else:
        cors = http_cors(t.resolve(props.get("CorsConfiguration"), None))
        if cors is None and isinstance(body, dict):
            cors = http_cors(body.get("x-amazon-apigateway-cors"))
    api = Api(
        id=logical_id,
        kind=kind,
        stage=str(stage_name),
        stage_variables=tuple(sorted((str(k), str(v)) for k, v in variables.items()))
        if isinstance(variables, dict)
        else (),
        cors=cors,
        binary_media_types=binary,
        authorizers=_authorizers(t, kind, props.get("Auth"), jwks),
    )
    t.apis[logical_id] = api
    return api


def _event_routes(t: RouteTemplate, spec: FunctionSpec, stage: str | None, jwks: str | None) -> list[Route]:
    out: list[Route] = []
    resource = t.resources.get(spec.logical_id.rsplit("/", 1)[-1])
    events = props_of(resource).get("Events")
    if not isinstance(events, dict):
        return out
    for name, event in events.items():
        if not isinstance(event, dict) or event.get("Type") not in ("Api", "HttpApi"):
            continue
        props = as_dict(event.get("Properties"))
        kind = ApiKind.REST if event["Type"] == "Api" else ApiKind.HTTP
        ref_key = "RestApiId" if kind is ApiKind.REST else "ApiId"
        api_id = IMPLICIT_REST if kind is ApiKind.REST else IMPLICIT_HTTP
        if ref_key in props:
            names = list(referenced_names(props[ref_key]))
            target = names[0] if names else None
            wanted = SERVERLESS_API if kind is ApiKind.REST else SERVERLESS_HTTP_API
            found = t.resources.get(target) if target else None
            if not isinstance(found, dict) or found.get("Type") != wanted:
                t.report(
                    Severity.WARNING,
                    "route-api",
                    f"{spec.logical_id}.Events.{name}: {ref_key} must refer to an {wanted} of this template",
                    props,
                    ref_key,
                )
                continue
            api_id = str(target)
        api = _sam_api(t, api_id, kind, stage, jwks)
        path = t.resolve(props.get("Path"))
        method = str(t.resolve(props.get("Method"), "")).upper()
        if kind is ApiKind.HTTP and path is None and not method:
            path, method = DEFAULT_ROUTE, "ANY"  # an HttpApi event without Path/Method is $default
        if not isinstance(path, str) or not path.startswith("/") and path != DEFAULT_ROUTE:
            t.report(
                Severity.WARNING,
                "route-path",
                f"{spec.logical_id}.Events.{name}: Path must be a string starting with /",
                props if "Path" in props else event,
                "Path" if "Path" in props else None,
            )
            continue
        if method not in METHODS:
            t.report(
                Severity.WARNING,
                "route-method",
                f"{spec.logical_id}.Events.{name}: unsupported Method {method or '(none)'}",
                props if "Method" in props else event,
                "Method" if "Method" in props else None,
            )
            continue
        version = str(t.resolve(props.get("PayloadFormatVersion"), "2.0")) if kind is ApiKind.HTTP else "1.0"
        timeout = t.resolve(props.get("TimeoutInMillis"))
        auth = as_dict(props.get("Auth"))
        scopes = split_list(t.resolve(auth.get("AuthorizationScopes"), None))
        out.append(
            Route(
                api=api,
                method=method,
                path=path,
                function_id=spec.logical_id,
                payload_version=version,
                timeout_ms=int(timeout) if isinstance(timeout, int) else None,
                authorizer=pick_authorizer(t, api, auth.get("Authorizer"), props),
                scopes=scopes,
                source=f"{spec.logical_id}.Events.{name}",
                file=str(t.path),
                line=t.line(events, name),
            )
        )
    return out


def _function_url(t: RouteTemplate, spec: FunctionSpec) -> Route | None:
    resource = t.resources.get(spec.logical_id.rsplit("/", 1)[-1])
    props = props_of(resource)
    config = props.get("FunctionUrlConfig")
    if not isinstance(config, dict):
        return None
    auth_type = str(t.resolve(config.get("AuthType"), "NONE")).upper()
    api = Api(id=f"{spec.logical_id}Url", kind=ApiKind.URL, cors=http_cors(t.resolve(config.get("Cors"))))
    return Route(
        api=api,
        method="ANY",
        path=DEFAULT_ROUTE,
        function_id=spec.logical_id,
        payload_version="2.0",
        timeout_ms=None,
        authorizer=Authorizer("AWS_IAM", AuthKind.IAM) if auth_type == "AWS_IAM" else None,
        source=f"{spec.logical_id}.FunctionUrlConfig",
        file=str(t.path),
        line=t.line(props, "FunctionUrlConfig"),
    )


def _route_shape(route: Route) -> tuple[str, str]:
    """Method and path with variable names erased: /a/{x} and /a/{y} are the same route."""
    segments = []
    for seg in route.path.strip("/").split("/"):
        if seg.startswith("{") and seg.endswith("+}"):
            segments.append("{+}")
        elif seg.startswith("{") and seg.endswith("}"):
            segments.append("{}")
        else:
            segments.append(seg)
    return route.method, route.path if route.path == DEFAULT_ROUTE else "/" + "/".join(segments)


def _drop_conflicts(routes: list[Route], sink: list[Diagnostic]) -> list[Route]:
    """Locally every API shares one listener: a second route with the same method and path is reported."""
    seen: dict[tuple[str, str], Route] = {}
    out: list[Route] = []
    for route in routes:
        shape = _route_shape(route)
        first = seen.get(shape)
        if first is not None:
            where = f"{Path(first.file).name}:{first.line}" if first.file else first.source
            sink.append(
                Diagnostic(
                    Severity.WARNING,
                    "route-conflict",
                    f"{route.route_key} ({route.source}) is also declared by {first.source} ({where}); "
                    f"locally {first.function_id} answers it",
                    Path(route.file) if route.file else None,
                    route.line,
                )
            )
            continue
        seen[shape] = route
        out.append(route)
    out.sort(key=lambda r: (specificity(r.path) if r.path != DEFAULT_ROUTE else (0,), r.method), reverse=True)
    return out


def build_routes(project: Project, *, stage: str | None = None, jwks: str | None = None) -> RouteTable:
    """Every route of the project's templates; never raises on template content."""
    from app.project.routes_plain import plain_routes

    table = RouteTable()
    for path in project.templates:
        try:
            data, _ = load_template_file(path)
        except TemplateError:
            continue  # the loader has already reported it
        if not isinstance(data, dict):
            continue
        t = RouteTemplate(path, data, project, table.diagnostics)
        found: list[Route] = []
        for spec in t.functions.values():
            found.extend(_event_routes(t, spec, stage, jwks))
            url = _function_url(t, spec)
            if url is not None:
                table.function_urls.append(url)
        for logical_id, resource in t.resources.items():
            rtype = resource.get("Type") if isinstance(resource, dict) else None
            if rtype in (SERVERLESS_API, SERVERLESS_HTTP_API):
                kind = ApiKind.REST if rtype == SERVERLESS_API else ApiKind.HTTP
                api = _sam_api(t, str(logical_id), kind, stage, jwks)
                found.extend(openapi.definition_routes(t, api, props_of(resource)))
        plain, urls = plain_routes(t, stage)
        found.extend(plain)
        table.function_urls.extend(urls)
        table.routes.extend(found)
    table.routes = _drop_conflicts(table.routes, table.diagnostics)
    return table
