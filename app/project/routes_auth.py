"""Authorizers of SAM APIs (Auth.Authorizers): Lambda TOKEN/REQUEST, JWT, Cognito user pools (as JWT)."""

from __future__ import annotations

from typing import Any

from app.project.model import Severity
from app.project.routes_template import RouteTemplate, as_dict
from runner.gateway.model import ApiKind, AuthKind, Authorizer


def _names(value: Any) -> tuple[str, ...]:
    if isinstance(value, list):
        return tuple(str(v) for v in value)
    return (str(value),) if isinstance(value, str) else ()


def cognito_issuer(arn: Any) -> str | None:
    """https://cognito-idp.REGION.amazonaws.com/POOL_ID for a literal user pool ARN."""
    if not isinstance(arn, str) or ":userpool/" not in arn:
        return None
    parts = arn.split(":")
    if len(parts) < 6:
        return None
    return f"https://cognito-idp.{parts[3]}.amazonaws.com/{arn.rsplit('/', 1)[-1]}"


def parse_authorizers(t: RouteTemplate, kind: ApiKind, auth: Any, jwks: str | None) -> tuple[Authorizer, ...]:
    """The authorizers an API declares; ones that cannot work locally are reported and left out."""
    if not isinstance(auth, dict) or not isinstance(auth.get("Authorizers"), dict):
        return ()
    out: list[Authorizer] = []
    declared = auth["Authorizers"]
    for name, conf in declared.items():
        if not isinstance(conf, dict):
            continue
        identity = as_dict(conf.get("Identity"))
        ttl_value = t.resolve(identity.get("ReauthorizeEvery"), 300)
        ttl = int(ttl_value) if isinstance(ttl_value, int) else 300
        if "FunctionArn" in conf:
            function_id = t.function_ref(conf["FunctionArn"])
            if function_id is None:
                t.report(
                    Severity.WARNING,
                    "route-authorizer",
                    f"authorizer {name}: FunctionArn does not name a function of this project; "
                    "routes using it are refused (401)",
                    conf,
                    "FunctionArn",
                )
            if kind is ApiKind.REST:
                token = str(conf.get("FunctionPayloadType", "TOKEN")).upper() != "REQUEST"
                if token:
                    header = str(identity.get("Header", "Authorization"))
                    sources: tuple[str, ...] = (f"method.request.header.{header}",)
                else:
                    sources = tuple(f"method.request.header.{h}" for h in _names(identity.get("Headers")))
                    sources += tuple(
                        f"method.request.querystring.{q}" for q in _names(identity.get("QueryStrings"))
                    )
                out.append(
                    Authorizer(
                        name=str(name),
                        kind=AuthKind.TOKEN if token else AuthKind.REQUEST,
                        function_id=function_id,
                        identity_sources=sources,
                        ttl_s=ttl,
                        validation_regex=identity.get("ValidationExpression")
                        if isinstance(identity.get("ValidationExpression"), str)
                        else None,
                    )
                )
            else:
                sources = tuple(f"$request.header.{h}" for h in _names(identity.get("Headers")))
                sources += tuple(f"$request.querystring.{q}" for q in _names(identity.get("QueryStrings")))
                version = str(t.resolve(conf.get("AuthorizerPayloadFormatVersion"), "2.0"))
                out.append(
                    Authorizer(
                        name=str(name),
                        kind=AuthKind.REQUEST,
                        function_id=function_id,
                        identity_sources=sources,
                        ttl_s=ttl if "ReauthorizeEvery" in identity else 0,
                        payload_version=version,
                        simple_responses=bool(conf.get("EnableSimpleResponses", False)),
                    )
                )
        elif "JwtConfiguration" in conf:
            jwt = as_dict(conf["JwtConfiguration"])
            source = t.resolve(conf.get("IdentitySource"), "$request.header.Authorization")
            issuer = t.resolve(jwt.get("issuer"))
            out.append(
                Authorizer(
                    name=str(name),
                    kind=AuthKind.JWT,
                    identity_sources=(str(source),),
                    issuer=str(issuer) if isinstance(issuer, str) else None,
                    audience=_names(t.resolve(jwt.get("audience"))),
                    jwks=jwks,
                    ttl_s=0,
                )
            )
        elif "UserPoolArn" in conf:
            header = str(identity.get("Header", "Authorization"))
            arn = t.resolve(conf["UserPoolArn"])
            out.append(
                Authorizer(
                    name=str(name),
                    kind=AuthKind.JWT,
                    identity_sources=(f"method.request.header.{header}",),
                    issuer=cognito_issuer(arn),
                    jwks=jwks,
                    ttl_s=0,
                )
            )
        else:
            t.report(
                Severity.WARNING,
                "route-authorizer",
                f"authorizer {name}: neither FunctionArn, JwtConfiguration nor UserPoolArn; not supported",
                declared,
                name,
            )
    return tuple(out)
