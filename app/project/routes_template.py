"""Reading one template for its routes: the template's data and resolver, names referenced by
intrinsics, CORS settings and authorizer choice — shared by every routes_* reader (no cycle back)."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

from app.project.cfn_yaml import position
from app.project.intrinsics import Resolver, Unresolvable, pseudo_parameters
from app.project.model import Diagnostic, FunctionSpec, Project, Severity
from runner.gateway.model import Api, ApiKind, AuthKind, Authorizer, Cors

METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS", "ANY")


def as_dict(value: Any) -> dict[str, Any]:
    """The value when it is a mapping, else an empty one (templates may hold anything anywhere)."""
    return value if isinstance(value, dict) else {}


class RouteTemplate:
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
        for name in referenced_names(value):
            if name in self.functions:
                return self.functions[name].logical_id
        return None

    def line(self, container: Any, key: Any = None) -> int | None:
        return position(container, key)[0]


def referenced_names(value: Any) -> Iterable[str]:
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
                    yield from referenced_names(inner[1])
            else:
                yield from referenced_names(inner)
    elif isinstance(value, list):
        for inner in value:
            yield from referenced_names(inner)


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


def unquote(value: Any) -> str:
    text = str(value).strip()
    return text[1:-1] if len(text) >= 2 and text[0] == text[-1] == "'" else text


def split_list(value: Any) -> tuple[str, ...]:
    if isinstance(value, list):
        return tuple(str(v).strip() for v in value if str(v).strip())
    if value is None:
        return ()
    return tuple(p.strip() for p in unquote(value).split(",") if p.strip())


def rest_cors(value: Any) -> Cors | None:
    """SAM Api `Cors`: a quoted origin string, or a map of quoted strings (AllowOrigin, AllowMethods...)."""
    if value is None or value is False:
        return None
    if isinstance(value, str):
        return Cors(allow_origins=(unquote(value),), allow_methods=METHODS[:-1], allow_headers=("*",))
    if not isinstance(value, dict):
        return None
    max_age = value.get("MaxAge")
    return Cors(
        allow_origins=split_list(value.get("AllowOrigin", "'*'")) or ("*",),
        allow_methods=split_list(value.get("AllowMethods")) or METHODS[:-1],
        allow_headers=split_list(value.get("AllowHeaders")),
        max_age=int(unquote(max_age)) if max_age is not None and unquote(max_age).isdigit() else None,
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
        allow_origins=split_list(value.get("AllowOrigins")),
        allow_methods=tuple(m.upper() for m in split_list(value.get("AllowMethods"))),
        allow_headers=split_list(value.get("AllowHeaders")),
        expose_headers=split_list(value.get("ExposeHeaders")),
        max_age=int(max_age) if isinstance(max_age, int) else None,
        allow_credentials=bool(value.get("AllowCredentials", False)),
    )


def props_of(resource: Any) -> dict[str, Any]:
    props = resource.get("Properties") if isinstance(resource, dict) else None
    return props if isinstance(props, dict) else {}


def merged_props(t: RouteTemplate, section: str, props: dict[str, Any]) -> dict[str, Any]:
    """An API's properties over the template's Globals.Api / Globals.HttpApi."""
    glob = t.globals.get(section) if isinstance(t.globals, dict) else None
    out = dict(glob) if isinstance(glob, dict) else {}
    out.update(props)
    return out


def default_authorizer(t: RouteTemplate, api: Api) -> str | None:
    resource = t.resources.get(api.id)
    section = "Api" if api.kind is ApiKind.REST else "HttpApi"
    auth = merged_props(t, section, props_of(resource)).get("Auth")
    if isinstance(auth, dict) and isinstance(auth.get("DefaultAuthorizer"), str):
        return str(auth["DefaultAuthorizer"])
    return None


def pick_authorizer(t: RouteTemplate, api: Api, name: Any, container: Any) -> Authorizer | None:
    """The authorizer a route uses: its own Auth.Authorizer, else the API's default; NONE = open."""
    chosen = name if isinstance(name, str) else default_authorizer(t, api)
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
