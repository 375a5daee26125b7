"""API Gateway events from HTTP requests: REST/HTTP API payload 1.0, HTTP API 2.0 and function URL events."""

from __future__ import annotations

import base64
import hashlib
import time
import uuid
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, unquote

from runner.gateway.model import DEFAULT_ROUTE, Api, ApiKind, Route

ACCOUNT_ID = "123456789012"
REGION = "us-east-1"

# Content types HTTP APIs and function URLs pass as text; anything else arrives base64-encoded.
_TEXT_TYPES = ("application/json", "application/javascript", "application/xml", "application/yaml")


@dataclass
class HttpRequest:
    """One HTTP request as it reached the local server."""

    method: str
    raw_path: str  # still percent-encoded, without the query
    raw_query: str
    headers: list[tuple[str, str]]  # in arrival order, names as sent
    body: bytes = b""
    source_ip: str = "127.0.0.1"
    protocol: str = "HTTP/1.1"
    time_epoch_ms: int = field(default_factory=lambda: int(time.time() * 1000))
    request_id: str = field(default_factory=lambda: str(uuid.uuid4()))

    def header(self, name: str) -> str | None:
        """The last value of a header (names compare case-insensitively)."""
        found = None
        for key, value in self.headers:
            if key.lower() == name.lower():
                found = value
        return found

    @property
    def path(self) -> str:
        return unquote(self.raw_path)


def api_id(api: Api) -> str:
    """A stable 10-character id in API Gateway's style (lowercase letters and digits) for an API."""
    digest = hashlib.sha256(api.id.encode()).hexdigest()
    return "".join(c if c.isalpha() else chr(ord("a") + int(c)) for c in digest[:10])


def _media_type(content_type: str | None) -> str:
    return (content_type or "").split(";", 1)[0].strip().lower()


def media_type_matches(media: str, patterns: tuple[str, ...]) -> bool:
    """Whether a media type fits one of API Gateway's binaryMediaTypes (wildcards like image/* or */*)."""
    if not media:
        return False
    major, _, minor = media.partition("/")
    for pattern in patterns:
        p = pattern.strip().lower().replace("~1", "/")  # OpenAPI-escaped slashes, as in SAM templates
        pmajor, _, pminor = p.partition("/")
        if pmajor in ("*", major) and pminor in ("*", minor):
            return True
    return False


def is_binary_request(api: Api, request: HttpRequest) -> bool:
    """REST: the Content-Type is one of the API's binary media types; HTTP API / URL: it is not text."""
    if not request.body:
        return False
    media = _media_type(request.header("content-type"))
    if api.kind is ApiKind.REST:
        return media_type_matches(media, api.binary_media_types)
    if not media:
        try:
            request.body.decode("utf-8")
        except UnicodeDecodeError:
            return True
        return False
    if media.startswith("text/") or media in _TEXT_TYPES:
        return False
    return not (media.endswith("+json") or media.endswith("+xml"))


def _body(api: Api, request: HttpRequest) -> tuple[str | None, bool]:
    if not request.body:
        return None, False
    if is_binary_request(api, request):
        return base64.b64encode(request.body).decode("ascii"), True
    return request.body.decode("utf-8", "replace"), False


def _clf_time(epoch_ms: int) -> str:
    return time.strftime("%d/%b/%Y:%H:%M:%S +0000", time.gmtime(epoch_ms / 1000))


def _forwarding_headers(request: HttpRequest, port: int) -> list[tuple[str, str]]:
    """The headers API Gateway adds before the function sees the request."""
    trace = f"Root=1-{request.time_epoch_ms // 1000:08x}-{request.request_id.replace('-', '')[:24]}"
    out = list(request.headers)
    present = {k.lower() for k, _ in out}
    for name, value in (
        ("X-Amzn-Trace-Id", trace),
        ("X-Forwarded-For", request.source_ip),
        ("X-Forwarded-Port", str(port)),
        ("X-Forwarded-Proto", "http"),
    ):
        if name.lower() not in present:
            out.append((name, value))
    return out


def _domain(request: HttpRequest, api: Api) -> tuple[str, str]:
    host = request.header("host") or "localhost"
    return host, host.split(".", 1)[0].split(":", 1)[0]


def _query(request: HttpRequest) -> list[tuple[str, str]]:
    return parse_qsl(request.raw_query, keep_blank_values=True)


def event_v1(route: Route, request: HttpRequest, params: dict[str, str], port: int = 0) -> dict[str, Any]:
    """The payload 1.0 event (REST API proxy integration, or an HTTP API route with 1.0 payloads)."""
    api = route.api
    lower = api.kind is not ApiKind.REST  # HTTP APIs lowercase header names in both payload versions
    headers: dict[str, str] = {}
    multi_headers: dict[str, list[str]] = {}
    for name, value in _forwarding_headers(request, port):
        key = name.lower() if lower else name
        headers[key] = value
        multi_headers.setdefault(key, []).append(value)
    query: dict[str, str] = {}
    multi_query: dict[str, list[str]] = {}
    for key, value in _query(request):
        query[key] = value
        multi_query.setdefault(key, []).append(value)
    body, b64 = _body(api, request)
    domain, prefix = _domain(request, api)
    user_agent = request.header("user-agent")
    resource = "/" if route.path == DEFAULT_ROUTE and api.kind is ApiKind.REST else route.path
    context: dict[str, Any] = {
        "accountId": ACCOUNT_ID,
        "apiId": api_id(api),
        "domainName": domain,
        "domainPrefix": prefix,
        "extendedRequestId": request.request_id.replace("-", "")[:16] + "=",
        "httpMethod": request.method,
        "identity": {
            "accessKey": None,
            "accountId": None,
            "caller": None,
            "cognitoAuthenticationProvider": None,
            "cognitoAuthenticationType": None,
            "cognitoIdentityId": None,
            "cognitoIdentityPoolId": None,
            "principalOrgId": None,
            "sourceIp": request.source_ip,
            "user": None,
            "userAgent": user_agent,
            "userArn": None,
        },
        "path": f"/{api.stage}{request.path}" if api.kind is ApiKind.REST else request.path,
        "protocol": request.protocol,
        "requestId": request.request_id,
        "requestTime": _clf_time(request.time_epoch_ms),
        "requestTimeEpoch": request.time_epoch_ms,
        "resourceId": hashlib.sha256(resource.encode()).hexdigest()[:6] if api.kind is ApiKind.REST else None,
        "resourcePath": resource,
        "stage": api.stage,
    }
    event: dict[str, Any] = {}
    if api.kind is not ApiKind.REST:
        event["version"] = "1.0"
    event.update(
        {
            "resource": resource,
            "path": request.path,
            "httpMethod": request.method,
            "headers": headers,
            "multiValueHeaders": multi_headers,
            "queryStringParameters": query or None,
            "multiValueQueryStringParameters": multi_query or None,
            "pathParameters": params or None,
            "stageVariables": dict(api.stage_variables) or None,
            "requestContext": context,
            "body": body,
            "isBase64Encoded": b64,
        }
    )
    return event


def event_v2(route: Route, request: HttpRequest, params: dict[str, str], port: int = 0) -> dict[str, Any]:
    """The payload 2.0 event of an HTTP API route, or a function URL's event (kind URL)."""
    api = route.api
    headers: dict[str, str] = {}
    cookies: list[str] = []
    for name, value in _forwarding_headers(request, port):
        key = name.lower()
        if key == "cookie":
            cookies.extend(c.strip() for c in value.split(";") if c.strip())
            continue
        headers[key] = f"{headers[key]},{value}" if key in headers else value
    query: dict[str, str] = {}
    for key, value in _query(request):
        query[key] = f"{query[key]},{value}" if key in query else value
    body, b64 = _body(api, request)
    domain, prefix = _domain(request, api)
    url = api.kind is ApiKind.URL
    route_key = DEFAULT_ROUTE if url else route.route_key
    context: dict[str, Any] = {
        "accountId": ACCOUNT_ID,
        "apiId": api_id(api),
        "domainName": domain,
        "domainPrefix": prefix,
        "http": {
            "method": request.method,
            "path": request.path,
            "protocol": request.protocol,
            "sourceIp": request.source_ip,
            "userAgent": request.header("user-agent") or "",
        },
        "requestId": request.request_id,
        "routeKey": route_key,
        "stage": "$default" if url else api.stage,
        "time": _clf_time(request.time_epoch_ms),
        "timeEpoch": request.time_epoch_ms,
    }
    if url:  # the function URL payload: placeholders Lambda documents as null (authorizer: IAM only)
        context = {"accountId": ACCOUNT_ID, "apiId": context["apiId"], "authentication": None,
                   "authorizer": None, **{k: v for k, v in context.items() if k not in ("accountId", "apiId")}}  # fmt: skip
    event: dict[str, Any] = {
        "version": "2.0",
        "routeKey": route_key,
        "rawPath": request.raw_path,
        "rawQueryString": request.raw_query,
    }
    if cookies:
        event["cookies"] = cookies
    event["headers"] = headers
    if query:
        event["queryStringParameters"] = query
    event["requestContext"] = context
    if body is not None:
        event["body"] = body
    if url:
        event["pathParameters"] = None
    elif params:
        event["pathParameters"] = params
    event["isBase64Encoded"] = b64
    if url:
        event["stageVariables"] = None
    elif api.stage_variables:
        event["stageVariables"] = dict(api.stage_variables)
    return event


def build_event(route: Route, request: HttpRequest, params: dict[str, str], port: int = 0) -> dict[str, Any]:
    """The event this route's function receives for the request."""
    if route.api.kind is ApiKind.REST or route.payload_version == "1.0":
        return event_v1(route, request, params, port)
    return event_v2(route, request, params, port)
