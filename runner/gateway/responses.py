"""Function results to HTTP responses, as API Gateway maps them (payload 1.0, 2.0 with inference, errors)."""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass, field
from typing import Any

from runner.gateway.events import media_type_matches
from runner.gateway.model import ApiKind, Route

JSON = "application/json"


class Malformed(Exception):
    """The function answered, but not in a shape API Gateway accepts (the reason goes to the log)."""


@dataclass
class HttpResponse:
    status: int
    headers: list[tuple[str, str]] = field(default_factory=list)
    body: bytes = b""

    def header(self, name: str) -> str | None:
        for key, value in self.headers:
            if key.lower() == name.lower():
                return value
        return None


def gateway_error(kind: ApiKind, status: int, message: str) -> HttpResponse:
    """An error API Gateway produces itself: a small JSON body {"message": ...}."""
    body = json.dumps({"message": message}).encode()
    headers = [("Content-Type", JSON)]
    if kind is ApiKind.REST:
        headers.append(("x-amzn-ErrorType", _error_type(status)))
    return HttpResponse(status, headers, body)


def _error_type(status: int) -> str:
    return {
        403: "MissingAuthenticationTokenException",
        413: "RequestEntityTooLargeException",
        504: "IntegrationTimeoutException",
    }.get(status, "InternalServerErrorException")


def integration_failure(kind: ApiKind) -> HttpResponse:
    """The answer to a function error or a malformed response: REST 502, HTTP API 500, function URL 502."""
    if kind is ApiKind.REST:
        return gateway_error(kind, 502, "Internal server error")
    if kind is ApiKind.HTTP:
        return gateway_error(kind, 500, "Internal Server Error")
    return HttpResponse(502, [("Content-Type", JSON)], b'{"message":"Internal Server Error"}')


def _status(value: Any) -> int:
    if isinstance(value, bool) or value is None:
        raise Malformed(f"statusCode must be a number, got {json.dumps(value)}")
    if isinstance(value, str) and value.strip().isdigit():
        value = int(value)
    if not isinstance(value, int):
        raise Malformed(f"statusCode must be a number, got {json.dumps(value)}")
    if not 100 <= value <= 599:
        raise Malformed(f"statusCode {value} is not an HTTP status")
    return value


def _text(name: str, value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (str, int, float)):
        return str(value)
    raise Malformed(f"{name} must be a string, got {type(value).__name__}")


def _headers(payload: dict[str, Any], multi: bool) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    headers = payload.get("headers")
    if headers is not None:
        if not isinstance(headers, dict):
            raise Malformed("headers must be an object of strings")
        out.extend((str(k), _text(f"header {k}", v)) for k, v in headers.items())
    if multi and payload.get("multiValueHeaders") is not None:
        mv = payload["multiValueHeaders"]
        if not isinstance(mv, dict) or not all(isinstance(v, list) for v in mv.values()):
            raise Malformed("multiValueHeaders must be an object of string lists")
        single = {k.lower() for k, _ in out}
        for key, values in mv.items():
            if key.lower() in single:  # API Gateway: multiValueHeaders and headers are merged
                out = [(k, v) for k, v in out if k.lower() != key.lower()]
            out.extend((str(key), _text(f"header {key}", v)) for v in values)
    return out


def _decode_body(payload: dict[str, Any]) -> tuple[bytes, bool]:
    body = payload.get("body")
    b64 = payload.get("isBase64Encoded", False)
    if not isinstance(b64, bool):
        raise Malformed("isBase64Encoded must be true or false")
    if body is None:
        return b"", b64
    if not isinstance(body, str):
        raise Malformed(f"body must be a string, got {type(body).__name__}")
    return body.encode("utf-8"), b64


def _b64(body: bytes) -> bytes:
    try:
        return base64.b64decode(body, validate=True)
    except (binascii.Error, ValueError):
        raise Malformed("isBase64Encoded is true but the body is not valid base64") from None


def map_v1(route: Route, payload: Any, accept: str | None) -> HttpResponse:
    """A payload 1.0 response: statusCode, headers, multiValueHeaders, body, isBase64Encoded."""
    if not isinstance(payload, dict):
        raise Malformed(f"the response must be a JSON object, got {_kind(payload)}")
    if "statusCode" not in payload:
        raise Malformed("the response has no statusCode")
    status = _status(payload["statusCode"])
    headers = _headers(payload, multi=True)
    body, b64 = _decode_body(payload)
    if b64:
        if route.api.kind is ApiKind.REST:
            # A REST API turns base64 back into bytes only when the client's Accept header names one of
            # its binary media types; otherwise the client gets the base64 text.
            accepted = (accept or "").split(",", 1)[0].split(";", 1)[0].strip().lower()
            if media_type_matches(accepted, route.api.binary_media_types):
                body = _b64(body)
        else:
            body = _b64(body)
    if not any(k.lower() == "content-type" for k, _ in headers):
        headers.append(("Content-Type", JSON))
    return HttpResponse(status, headers, body)


def map_v2(route: Route, payload: Any, raw: bytes) -> HttpResponse:
    """A payload 2.0 (or function URL) response; without a statusCode it is inferred from the value."""
    if not isinstance(payload, dict) or "statusCode" not in payload:
        # The body is the function's response as it returned it (a string keeps its JSON quotes), as the
        # function URL docs show the client seeing it.
        return HttpResponse(200, [("Content-Type", JSON)], raw.strip())
    status = _status(payload["statusCode"])
    headers = _headers(payload, multi=False)
    cookies = payload.get("cookies")
    if cookies is not None:
        if not isinstance(cookies, list) or not all(isinstance(c, str) for c in cookies):
            raise Malformed("cookies must be a list of strings")
        headers.extend(("Set-Cookie", c) for c in cookies)
    body, b64 = _decode_body(payload)
    if b64:
        body = _b64(body)
    if not any(k.lower() == "content-type" for k, _ in headers):
        headers.append(("Content-Type", JSON))
    return HttpResponse(status, headers, body)


def _kind(value: Any) -> str:
    return {dict: "an object", list: "an array", str: "a string", type(None): "null"}.get(
        type(value), type(value).__name__
    )


def map_success(route: Route, raw: bytes, accept: str | None) -> HttpResponse:
    """The HTTP response for a successful invoke's payload; raises Malformed with the reason."""
    try:
        payload = json.loads(raw.decode("utf-8")) if raw.strip() else None
    except (ValueError, UnicodeDecodeError):
        raise Malformed("the function's result is not JSON") from None
    if route.api.kind is ApiKind.REST or route.payload_version == "1.0":
        return map_v1(route, payload, accept)
    return map_v2(route, payload, raw)
