"""Routes from plain CloudFormation resources: AWS::ApiGateway*, AWS::ApiGatewayV2* and AWS::Lambda::Url."""

from __future__ import annotations

from typing import Any

from app.project import routes_openapi as openapi
from app.project.model import Severity
from app.project.routes_template import RouteTemplate, as_dict, http_cors, referenced_names
from runner.gateway.model import DEFAULT_ROUTE, Api, ApiKind, AuthKind, Authorizer, Route

_MAX_DEPTH = 50


def props_of(resource: Any) -> dict[str, Any]:
    props = resource.get("Properties") if isinstance(resource, dict) else None
    return props if isinstance(props, dict) else {}


def _of_type(t: RouteTemplate, rtype: str) -> dict[str, dict[str, Any]]:
    return {
        str(lid): res
        for lid, res in t.resources.items()
        if isinstance(res, dict) and res.get("Type") == rtype
    }


def _ref(t: RouteTemplate, value: Any) -> str | None:

    for name in referenced_names(value):
        if name in t.resources:
            return name
    return None


def _stages(t: RouteTemplate, rtype: str, api_key: str) -> dict[str, tuple[str, dict[str, str]]]:
    out: dict[str, tuple[str, dict[str, str]]] = {}
    for res in _of_type(t, rtype).values():
        props = props_of(res)
        api = _ref(t, props.get(api_key))
        name = t.resolve(props.get("StageName"))
        if api and isinstance(name, str) and api not in out:
            variables = t.resolve(
                props.get("Variables" if rtype.endswith("ApiGateway::Stage") else "StageVariables"), {}
            )
            out[api] = (
                name,
                {str(k): str(v) for k, v in variables.items()} if isinstance(variables, dict) else {},
            )
    return out


def _lambda_authorizer(t: RouteTemplate, lid: str, props: dict[str, Any], kind: ApiKind) -> Authorizer | None:
    atype = str(props.get("Type" if kind is ApiKind.REST else "AuthorizerType", "")).upper()
    sources_value = t.resolve(props.get("IdentitySource"), "")
    sources = (
        tuple(sources_value)
        if isinstance(sources_value, list)
        else tuple(s.strip() for s in str(sources_value).split(",") if s.strip())
    )
    ttl = t.resolve(props.get("AuthorizerResultTtlInSeconds"), 300 if kind is ApiKind.REST else 0)
    if atype in ("TOKEN", "REQUEST"):
        return Authorizer(
            name=lid,
            kind=AuthKind.TOKEN if atype == "TOKEN" else AuthKind.REQUEST,
            function_id=t.function_ref(props.get("AuthorizerUri")),
            identity_sources=sources,
            ttl_s=int(ttl) if isinstance(ttl, int) else 0,
            payload_version=str(t.resolve(props.get("AuthorizerPayloadFormatVersion"), "1.0")),
            simple_responses=bool(props.get("EnableSimpleResponses", False)),
        )
    if atype in ("JWT", "COGNITO_USER_POOLS"):
        jwt = as_dict(props.get("JwtConfiguration"))
        issuer = t.resolve(jwt.get("Issuer"))
        audience = t.resolve(jwt.get("Audience"), [])
        return Authorizer(
            name=lid,
            kind=AuthKind.JWT,
            identity_sources=sources or ("$request.header.Authorization",),
            issuer=issuer if isinstance(issuer, str) else None,
            audience=tuple(str(a) for a in audience) if isinstance(audience, list) else (),
        )
    return None


def _chosen_authorizer(
    t: RouteTemplate, props: dict[str, Any], authorizers: dict[str, Authorizer | None]
) -> Authorizer | None:
    """The authorizer a Method or Route names by AuthorizationType and AuthorizerId."""
    auth_type = str(props.get("AuthorizationType", "NONE")).upper()
    if auth_type == "AWS_IAM":
        return Authorizer("AWS_IAM", AuthKind.IAM)
    if auth_type == "NONE":
        return None
    return authorizers.get(_ref(t, props.get("AuthorizerId")) or "")


def _rest_path(t: RouteTemplate, resource_id: str | None, api_lid: str) -> str | None:
    parts: list[str] = []
    current = resource_id
    for _ in range(_MAX_DEPTH):
        if current is None or current == api_lid:
            return "/" + "/".join(reversed(parts))
        res = t.resources.get(current)
        if not isinstance(res, dict) or res.get("Type") != "AWS::ApiGateway::Resource":
            return None
        props = props_of(res)
        parts.append(str(t.resolve(props.get("PathPart"), "")))
        current = _ref(t, props.get("ParentId"))
    return None


def _rest(t: RouteTemplate, stage: str | None) -> list[Route]:
    out: list[Route] = []
    stages = _stages(t, "AWS::ApiGateway::Stage", "RestApiId")
    apis: dict[str, Api] = {}
    for lid, res in _of_type(t, "AWS::ApiGateway::RestApi").items():
        props = props_of(res)
        name, variables = stages.get(lid, ("Prod", {}))
        apis[lid] = Api(
            id=lid,
            kind=ApiKind.REST,
            stage=stage or name,
            stage_variables=tuple(sorted(variables.items())),
            binary_media_types=tuple(str(v) for v in t.resolve(props.get("BinaryMediaTypes"), []) or []),
        )
        out.extend(openapi.definition_routes(t, apis[lid], props, "Body", "BodyS3Location"))
    authorizers = {
        lid: _lambda_authorizer(t, lid, props_of(res), ApiKind.REST)
        for lid, res in _of_type(t, "AWS::ApiGateway::Authorizer").items()
    }
    for lid, res in _of_type(t, "AWS::ApiGateway::Method").items():
        props = props_of(res)
        api_lid = _ref(t, props.get("RestApiId"))
        integration = as_dict(props.get("Integration"))
        if api_lid not in apis:
            continue
        if str(integration.get("Type", "")).upper() != "AWS_PROXY":
            t.report(
                Severity.WARNING,
                "route-integration",
                f"{lid}: integration type {integration.get('Type', '(none)')} is not served locally "
                "(only Lambda proxy integrations are)",
                t.resources,
                lid,
            )
            continue
        function_id = t.function_ref(integration.get("Uri"))
        path = _rest_path(t, _ref(t, props.get("ResourceId")), str(api_lid))
        if function_id is None or path is None:
            what = (
                "Integration.Uri names no function of this project"
                if function_id is None
                else "no resource path"
            )
            t.report(Severity.WARNING, "route-integration", f"{lid}: {what}", t.resources, lid)
            continue
        authorizer = _chosen_authorizer(t, props, authorizers)
        out.append(
            Route(
                api=apis[str(api_lid)],
                method=str(t.resolve(props.get("HttpMethod"), "ANY")).upper(),
                path=path,
                function_id=function_id,
                payload_version="1.0",
                timeout_ms=integration.get("TimeoutInMillis")
                if isinstance(integration.get("TimeoutInMillis"), int)
                else None,
                authorizer=authorizer,
                source=lid,
                file=str(t.path),
                line=t.line(t.resources, lid),
            )
        )
    return out


def _http(t: RouteTemplate, stage: str | None) -> list[Route]:

    out: list[Route] = []
    stages = _stages(t, "AWS::ApiGatewayV2::Stage", "ApiId")
    apis: dict[str, Api] = {}
    for lid, res in _of_type(t, "AWS::ApiGatewayV2::Api").items():
        props = props_of(res)
        protocol = str(props.get("ProtocolType", "HTTP")).upper()
        if protocol != "HTTP":
            t.report(
                Severity.WARNING,
                "route-api",
                f"{lid}: {protocol} APIs are not served locally",
                t.resources,
                lid,
            )
            continue
        name, variables = stages.get(lid, ("$default", {}))
        apis[lid] = Api(
            id=lid,
            kind=ApiKind.HTTP,
            stage=stage or name,
            stage_variables=tuple(sorted(variables.items())),
            cors=http_cors(t.resolve(props.get("CorsConfiguration"))),
        )
        out.extend(openapi.definition_routes(t, apis[lid], props, "Body", "BodyS3Location"))
        target = t.function_ref(props.get("Target"))
        if target is not None:  # quick create: a $default route to the target
            out.append(
                Route(
                    apis[lid],
                    "ANY",
                    DEFAULT_ROUTE,
                    target,
                    "2.0",
                    None,
                    None,
                    (),
                    lid,
                    str(t.path),
                    t.line(t.resources, lid),
                )
            )
    integrations = _of_type(t, "AWS::ApiGatewayV2::Integration")
    authorizers = {
        lid: _lambda_authorizer(t, lid, props_of(res), ApiKind.HTTP)
        for lid, res in _of_type(t, "AWS::ApiGatewayV2::Authorizer").items()
    }
    for lid, res in _of_type(t, "AWS::ApiGatewayV2::Route").items():
        props = props_of(res)
        api_lid = _ref(t, props.get("ApiId"))
        if api_lid not in apis:
            continue
        key = str(t.resolve(props.get("RouteKey"), ""))
        method, _, path = key.partition(" ")
        if key == DEFAULT_ROUTE:
            method, path = "ANY", DEFAULT_ROUTE
        integration_lid = _ref(t, props.get("Target"))
        integration = props_of(integrations.get(integration_lid or ""))
        function_id = t.function_ref(integration.get("IntegrationUri"))
        if not path or function_id is None:
            why = (
                f"RouteKey {key!r} is not 'METHOD /path' or $default"
                if not path
                else "its integration names no function of this project"
            )
            t.report(Severity.WARNING, "route-integration", f"{lid}: {why}", t.resources, lid)
            continue
        authorizer = _chosen_authorizer(t, props, authorizers)
        scopes = t.resolve(props.get("AuthorizationScopes"), [])
        timeout = t.resolve(integration.get("TimeoutInMillis"))
        out.append(
            Route(
                api=apis[str(api_lid)],
                method=method.upper(),
                path=path,
                function_id=function_id,
                payload_version=str(t.resolve(integration.get("PayloadFormatVersion"), "2.0")),
                timeout_ms=timeout if isinstance(timeout, int) else None,
                authorizer=authorizer,
                scopes=tuple(str(s) for s in scopes) if isinstance(scopes, list) else (),
                source=lid,
                file=str(t.path),
                line=t.line(t.resources, lid),
            )
        )
    return out


def _urls(t: RouteTemplate) -> list[Route]:

    out: list[Route] = []
    for lid, res in _of_type(t, "AWS::Lambda::Url").items():
        props = props_of(res)
        function_id = t.function_ref(props.get("TargetFunctionArn"))
        if function_id is None:
            t.report(
                Severity.WARNING,
                "route-url",
                f"{lid}: TargetFunctionArn names no function of this project",
                t.resources,
                lid,
            )
            continue
        iam = str(t.resolve(props.get("AuthType"), "NONE")).upper() == "AWS_IAM"
        api = Api(id=lid, kind=ApiKind.URL, cors=http_cors(t.resolve(props.get("Cors"))))
        out.append(
            Route(
                api,
                "ANY",
                DEFAULT_ROUTE,
                function_id,
                "2.0",
                None,
                Authorizer("AWS_IAM", AuthKind.IAM) if iam else None,
                (),
                lid,
                str(t.path),
                t.line(t.resources, lid),
            )
        )
    return out


def plain_routes(t: RouteTemplate, stage: str | None) -> tuple[list[Route], list[Route]]:
    """(API routes, function URL routes) declared with plain CloudFormation resources."""
    return _rest(t, stage) + _http(t, stage), _urls(t)
