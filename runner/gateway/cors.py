"""CORS as API Gateway applies a template's Cors / CorsConfiguration: preflight answers and response headers."""

from __future__ import annotations

from runner.gateway.model import ApiKind, Cors
from runner.gateway.responses import HttpResponse


def _origin_allowed(cors: Cors, origin: str) -> str | None:
    if "*" in cors.allow_origins:
        return "*" if not cors.allow_credentials else origin
    for allowed in cors.allow_origins:
        if allowed.strip("'") == origin:
            return origin
    return None


def preflight(kind: ApiKind, cors: Cors, origin: str, method: str, headers: str | None) -> HttpResponse:
    """The answer to an OPTIONS preflight (HTTP APIs answer 204, REST's mock OPTIONS method 200)."""
    status = 200 if kind is ApiKind.REST else 204
    allowed = _origin_allowed(cors, origin)
    methods = {m.upper() for m in cors.allow_methods}
    if allowed is None or (methods and "*" not in methods and method.upper() not in methods):
        # API Gateway still answers, without the Access-Control-Allow-* headers: the browser blocks it.
        return HttpResponse(status, [("Content-Length", "0")])
    out = [("Access-Control-Allow-Origin", allowed)]
    if cors.allow_methods:
        out.append(("Access-Control-Allow-Methods", ",".join(cors.allow_methods)))
    if cors.allow_headers:
        allow = ",".join(cors.allow_headers)
        if "*" in cors.allow_headers and headers:
            allow = headers
        out.append(("Access-Control-Allow-Headers", allow))
    if cors.max_age is not None:
        out.append(("Access-Control-Max-Age", str(cors.max_age)))
    if cors.allow_credentials:
        out.append(("Access-Control-Allow-Credentials", "true"))
    if kind is ApiKind.REST:
        out.append(("Content-Type", "application/json"))
    return HttpResponse(status, out)


def decorate(kind: ApiKind, cors: Cors, origin: str | None, response: HttpResponse) -> None:
    """HTTP APIs and function URLs add CORS headers to actual responses (replacing the function's);
    REST APIs leave them to the function, as SAM's generated OPTIONS methods do."""
    if kind is ApiKind.REST or not origin:
        return
    allowed = _origin_allowed(cors, origin)
    if allowed is None:
        return
    names = {
        "access-control-allow-origin",
        "access-control-expose-headers",
        "access-control-allow-credentials",
    }
    response.headers = [(k, v) for k, v in response.headers if k.lower() not in names]
    response.headers.append(("Access-Control-Allow-Origin", allowed))
    if cors.expose_headers:
        response.headers.append(("Access-Control-Expose-Headers", ",".join(cors.expose_headers)))
    if cors.allow_credentials:
        response.headers.append(("Access-Control-Allow-Credentials", "true"))
