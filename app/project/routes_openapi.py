"""Routes from an API's OpenAPI definition (DefinitionBody / DefinitionUri / Body) with Lambda proxy integrations."""

from __future__ import annotations

from typing import Any

from app.project.cfn_yaml import TemplateError, load_template_file
from app.project.model import Severity
from app.project.routes_template import RouteTemplate, pick_authorizer
from runner.gateway.model import DEFAULT_ROUTE, Api, ApiKind, Route

ANY_METHOD = "x-amazon-apigateway-any-method"
INTEGRATION = "x-amazon-apigateway-integration"
_METHODS = ("get", "post", "put", "patch", "delete", "head", "options")


def binary_media_types(body: dict[str, Any]) -> tuple[str, ...]:
    found = body.get("x-amazon-apigateway-binary-media-types")
    return tuple(str(v) for v in found) if isinstance(found, list) else ()


def load_definition(
    t: RouteTemplate, props: dict[str, Any], body_key: str, uri_key: str
) -> dict[str, Any] | None:
    """The OpenAPI document inline (DefinitionBody/Body) or in a local file (DefinitionUri/BodyS3Location)."""
    body = props.get(body_key)
    if isinstance(body, dict):
        if "Fn::Transform" in body:
            t.report(
                Severity.WARNING,
                "route-definition",
                f"{body_key} uses Fn::Transform (AWS::Include); its routes are not served locally",
                props,
                body_key,
            )
            return None
        return body
    uri = props.get(uri_key)
    if isinstance(uri, str) and not uri.startswith(("s3://", "http://", "https://")):
        target = (t.path.parent / uri).resolve()
        try:
            data, _ = load_template_file(target)
        except TemplateError as exc:
            t.report(Severity.WARNING, "route-definition", f"{uri_key} {uri}: {exc}", props, uri_key)
            return None
        return data if isinstance(data, dict) else None
    if uri is not None:
        t.report(
            Severity.WARNING,
            "route-definition",
            f"{uri_key} is not a local file; its routes are not served locally",
            props,
            uri_key,
        )
    return None


def definition_routes(
    t: RouteTemplate,
    api: Api,
    props: dict[str, Any],
    body_key: str = "DefinitionBody",
    uri_key: str = "DefinitionUri",
) -> list[Route]:
    """The Lambda proxy routes of an API's OpenAPI paths; other integrations are reported, not served."""

    body = load_definition(t, props, body_key, uri_key)
    if body is None:
        return []
    paths = body.get("paths")
    if not isinstance(paths, dict):
        return []
    out: list[Route] = []
    for raw_path, item in paths.items():
        if not isinstance(item, dict):
            continue
        path = DEFAULT_ROUTE if raw_path == f"/{DEFAULT_ROUTE}" else str(raw_path)
        for key, operation in item.items():
            if key == ANY_METHOD:
                method = "ANY"
            elif key in _METHODS:
                method = key.upper()
            else:
                continue
            integration = operation.get(INTEGRATION) if isinstance(operation, dict) else None
            if not isinstance(integration, dict):
                continue  # e.g. SAM's generated CORS OPTIONS mock, or a documentation-only operation
            itype = str(integration.get("type", "")).lower()
            where = f"{api.id} {method} {path}"
            if itype != "aws_proxy":
                t.report(
                    Severity.WARNING,
                    "route-integration",
                    f"{where}: integration type {itype or '(none)'} is not served locally "
                    "(only Lambda proxy integrations are)",
                    operation,
                    INTEGRATION,
                )
                continue
            function_id = t.function_ref(integration.get("uri"))
            if function_id is None:
                t.report(
                    Severity.WARNING,
                    "route-integration",
                    f"{where}: the integration uri does not name a function of this project",
                    integration,
                    "uri",
                )
                continue
            default_version = "2.0" if api.kind is ApiKind.HTTP else "1.0"
            version = str(t.resolve(integration.get("payloadFormatVersion"), default_version))
            timeout = t.resolve(integration.get("timeoutInMillis"))
            security = operation.get("security")
            auth_name: Any = None
            scopes: tuple[str, ...] = ()
            if isinstance(security, list) and security and isinstance(security[0], dict) and security[0]:
                auth_name, wanted = next(iter(security[0].items()))
                scopes = tuple(str(s) for s in wanted) if isinstance(wanted, list) else ()
            elif isinstance(security, list) and not security:
                auth_name = "NONE"
            out.append(
                Route(
                    api=api,
                    method=method,
                    path=path,
                    function_id=function_id,
                    payload_version=version,
                    timeout_ms=int(timeout)
                    if isinstance(timeout, (int, str)) and str(timeout).isdigit()
                    else None,
                    authorizer=pick_authorizer(t, api, auth_name, operation),
                    scopes=scopes,
                    source=f"{api.id}.{body_key}",
                    file=str(t.path),
                    line=t.line(item, key),
                )
            )
    return out
