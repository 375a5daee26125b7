"""The HTTP routes a project's templates declare (API Gateway REST/HTTP APIs and function URLs),
with their template positions; conflicting or unsupported routes become diagnostics, never a crash."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from app.project import routes_openapi as openapi
from app.project.cfn_yaml import TemplateError, load_template_file, position
from app.project.intrinsics import Resolver, Unresolvable, pseudo_parameters
from app.project.model import Diagnostic, FunctionSpec, Project, Severity
from app.project.routes_openapi import as_dict
from runner.gateway.matching import specificity
from runner.gateway.model import DEFAULT_ROUTE, Api, ApiKind, AuthKind, Authorizer, Cors, Route

SERVERLESS_API = "AWS::Serverless::Api"
SERVERLESS_HTTP_API = "AWS::Serverless::HttpApi"
REST_API = "AWS::ApiGateway::RestApi"
HTTP_API_V2 = "AWS::ApiGatewayV2::Api"
IMPLICIT_REST = "ServerlessRestApi"
IMPLICIT_HTTP = "ServerlessHttpApi"
METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS", "ANY")


@dataclass
class RouteTable:
    """Every route of a project: API routes (served together) and function URLs (one listener each)."""

    routes: list[Route] = field(default_factory=list)
    function_urls: list[Route] = field(default_factory=list)
    diagnostics: list[Diagnostic] = field(default_factory=list)

    @property
    def all_routes(self) -> list[Route]:
        return self.routes + self.function_urls


class _Template:
    """One template being read for routes: its data, functions, resolver and diagnostics sink."""

    def __init__(self, path: Path, data: dict[str, Any], project: Project, sink: list[Diagnostic]) -> None:
        self.path = path
        self.data = data
        self.sink = sink
        resources = data.get("Resources")
        self.resources: dict[str, Any] = resources if isinstance(resources, dict) else {}
        self.globals = as_dict(data.get("Globals"))
        self.functions: dict[str, FunctionSpec] = {}
        for spec in project.functions:
            if spec.template_path == path:
                local = spec.logical_id.rsplit("/", 1)[-1]
                self.functions[local] = spec
        self.resolver = Resolver(
            parameters=project.parameters if project.templates and path == project.templates[0] else {},
            pseudo=pseudo_parameters("us-east-1", "local"),
            resources=self.resources,
            mappings=as_dict(data.get("Mappings")),
            conditions=as_dict(data.get("Conditions")),
        )
        self.apis: dict[str, Api] = {}

    def report(self, severity: Severity, code: str, message: str, container: Any, key: Any = None) -> None:
        line, column = position(container, key)
        self.sink.append(Diagnostic(severity, code, message, self.path, line, column))

    def resolve(self, value: Any, default: Any = None) -> Any:
        try:
            out = self.resolver.resolve(value)
        except Unresolvable:
            return default
        return default if out is None else out

    def function_ref(self, value: Any) -> str | None:
        """The project function id that an ARN expression (GetAtt/Ref/Sub/Join) points at, if any."""
        for name in _referenced_names(value):
            if name in self.functions:
                return self.functions[name].logical_id
        return None

    def line(self, container: Any, key: Any = None) -> int | None:
        return position(container, key)[0]


def _referenced_names(value: Any) -> Iterable[str]:
    """Logical ids named by Ref, Fn::GetAtt and ${...} in Fn::Sub anywhere inside a value."""
    if isinstance(value, dict):
        for key, inner in value.items():
            if key == "Ref" and isinstance(inner, str):
                yield inner
            elif key == "Fn::GetAtt":
                if isinstance(inner, str):
                    yield inner.split(".", 1)[0]
                elif isinstance(inner, list) and inner and isinstance(inner[0], str):
                    yield inner[0]
            elif key == "Fn::Sub":
                text = inner[0] if isinstance(inner, list) and inner else inner
                if isinstance(text, str):
                    yield from _sub_names(text)
                if isinstance(inner, list) and len(inner) > 1:
                    yield from _referenced_names(inner[1])
            else:
                yield from _referenced_names(inner)
    elif isinstance(value, list):
        for inner in value:
            yield from _referenced_names(inner)


def _sub_names(text: str) -> Iterable[str]:
    start = text.find("${")
    while start >= 0:
        end = text.find("}", start)
        if end < 0:
            return
        name = text[start + 2 : end]
        if not name.startswith("!"):
            yield name.split(".", 1)[0]
        start = text.find("${", end)


def _unquote(value: Any) -> str:
    text = str(value).strip()
    return text[1:-1] if len(text) >= 2 and text[0] == text[-1] == "'" else text


def _split_list(value: Any) -> tuple[str, ...]:
    if isinstance(value, list):
        return tuple(str(v).strip() for v in value if str(v).strip())
    if value is None:
        return ()
    return tuple(p.strip() for p in _unquote(value).split(",") if p.strip())


def rest_cors(value: Any) -> Cors | None:
    """SAM Api `Cors`: a quoted origin string, or a map of quoted strings (AllowOrigin, AllowMethods...)."""
    if value is None or value is False:
        return None
    if isinstance(value, str):
        return Cors(allow_origins=(_unquote(value),), allow_methods=METHODS[:-1], allow_headers=("*",))
    if not isinstance(value, dict):
        return None
    max_age = value.get("MaxAge")
    return Cors(
        allow_origins=_split_list(value.get("AllowOrigin", "'*'")) or ("*",),
        allow_methods=_split_list(value.get("AllowMethods")) or METHODS[:-1],
        allow_headers=_split_list(value.get("AllowHeaders")),
        max_age=int(_unquote(max_age)) if max_age is not None and _unquote(max_age).isdigit() else None,
        allow_credentials=bool(value.get("AllowCredentials", False)),
    )


def http_cors(value: Any) -> Cors | None:
    """HttpApi `CorsConfiguration` / function URL `Cors` / ApiGatewayV2 `CorsConfiguration`."""
    if value is True:
        return Cors(allow_origins=("*",), allow_methods=("*",), allow_headers=("*",))
    if not isinstance(value, dict):
        return None
    max_age = value.get("MaxAge")
    return Cors(
        allow_origins=_split_list(value.get("AllowOrigins")),
        allow_methods=tuple(m.upper() for m in _split_list(value.get("AllowMethods"))),
        allow_headers=_split_list(value.get("AllowHeaders")),
        expose_headers=_split_list(value.get("ExposeHeaders")),
        max_age=int(max_age) if isinstance(max_age, int) else None,
        allow_credentials=bool(value.get("AllowCredentials", False)),
    )


def _props(resource: Any) -> dict[str, Any]:
    props = resource.get("Properties") if isinstance(resource, dict) else None
    return props if isinstance(props, dict) else {}


def _merged(t: _Template, section: str, props: dict[str, Any]) -> dict[str, Any]:
    """An API's properties over the template's Globals.Api / Globals.HttpApi."""
    glob = t.globals.get(section) if isinstance(t.globals, dict) else None
    out = dict(glob) if isinstance(glob, dict) else {}
    out.update(props)
    return out


def _authorizers(t: _Template, kind: ApiKind, auth: Any, jwks: str | None) -> tuple[Authorizer, ...]:
    from app.project.routes_auth import parse_authorizers

    return parse_authorizers(t, kind, auth, jwks)


def _sam_api(t: _Template, logical_id: str, kind: ApiKind, stage: str | None, jwks: str | None) -> Api:
    if logical_id in t.apis:
        return t.apis[logical_id]
    resource = t.resources.get(logical_id)
    section = "Api" if kind is ApiKind.REST else "HttpApi"
    props = _merged(t, section, _props(resource))
    default_stage = "Prod" if kind is ApiKind.REST else "$default"
    stage_name = stage or t.resolve(props.get("StageName"), default_stage)
    variables = t.resolve(props.get("Variables" if kind is ApiKind.REST else "StageVariables"), {})
    body = t.resolve(props.get("DefinitionBody"), None)
    binary = _split_list(t.resolve(props.get("BinaryMediaTypes"), None))
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


def _default_authorizer(t: _Template, api: Api) -> str | None:
    resource = t.resources.get(api.id)
    section = "Api" if api.kind is ApiKind.REST else "HttpApi"
    auth = _merged(t, section, _props(resource)).get("Auth")
    if isinstance(auth, dict) and isinstance(auth.get("DefaultAuthorizer"), str):
        return str(auth["DefaultAuthorizer"])
    return None


def pick_authorizer(t: _Template, api: Api, name: Any, container: Any) -> Authorizer | None:
    """The authorizer a route uses: its own Auth.Authorizer, else the API's default; NONE = open."""
    chosen = name if isinstance(name, str) else _default_authorizer(t, api)
    if chosen is None or chosen == "NONE":
        return None
    if chosen == "AWS_IAM":
        return Authorizer("AWS_IAM", AuthKind.IAM)
    for authorizer in api.authorizers:
        if authorizer.name == chosen:
            return authorizer
    t.report(
        Severity.WARNING,
        "route-authorizer",
        f"authorizer {chosen} is not defined on {api.id}; the route is served without it",
        container,
        "Auth" if isinstance(container, dict) and "Auth" in container else None,
    )
    return None


def _event_routes(t: _Template, spec: FunctionSpec, stage: str | None, jwks: str | None) -> list[Route]:
    out: list[Route] = []
    resource = t.resources.get(spec.logical_id.rsplit("/", 1)[-1])
    events = _props(resource).get("Events")
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
            names = list(_referenced_names(props[ref_key]))
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
        scopes = _split_list(t.resolve(auth.get("AuthorizationScopes"), None))
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


def _function_url(t: _Template, spec: FunctionSpec) -> Route | None:
    resource = t.resources.get(spec.logical_id.rsplit("/", 1)[-1])
    props = _props(resource)
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
        t = _Template(path, data, project, table.diagnostics)
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
                found.extend(openapi.definition_routes(t, api, _props(resource)))
        plain, urls = plain_routes(t, stage)
        found.extend(plain)
        table.function_urls.extend(urls)
        table.routes.extend(found)
    table.routes = _drop_conflicts(table.routes, table.diagnostics)
    return table
