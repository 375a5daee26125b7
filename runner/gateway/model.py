"""What the gateway serves: APIs (REST, HTTP, function URL), their routes, CORS and authorizers (plain data)."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, Protocol

from runner.backends.contract import LogSink
from runner.result import InvokeResult

REST_TIMEOUT_MS = 29_000  # API Gateway REST APIs: the default (and maximum) integration timeout
HTTP_TIMEOUT_MS = 30_000  # HTTP APIs: the maximum integration timeout
MAX_PAYLOAD_BYTES = 10 * 1024 * 1024  # API Gateway's request payload quota (10 MB)
DEFAULT_ROUTE = "$default"


class ApiKind(StrEnum):
    REST = "REST"  # AWS::Serverless::Api, AWS::ApiGateway::RestApi, SAM `Api` events
    HTTP = "HTTP"  # AWS::Serverless::HttpApi, AWS::ApiGatewayV2::Api, SAM `HttpApi` events
    URL = "URL"  # a function URL (FunctionUrlConfig / AWS::Lambda::Url)


class AuthKind(StrEnum):
    TOKEN = "TOKEN"  # Lambda authorizer, identity from one header
    REQUEST = "REQUEST"  # Lambda authorizer, identity from headers/query/context
    JWT = "JWT"  # HTTP API JWT authorizer (and Cognito user pools, which issue JWTs)
    IAM = "AWS_IAM"  # SigV4: not enforced locally


@dataclass(frozen=True)
class Cors:
    """A CORS configuration as API Gateway applies it to preflight and actual responses."""

    allow_origins: tuple[str, ...] = ()
    allow_methods: tuple[str, ...] = ()
    allow_headers: tuple[str, ...] = ()
    expose_headers: tuple[str, ...] = ()
    max_age: int | None = None
    allow_credentials: bool = False


@dataclass(frozen=True)
class Authorizer:
    """One authorizer of an API; `function_id` for Lambda authorizers, issuer/audience/jwks for JWT."""

    name: str
    kind: AuthKind
    function_id: str | None = None
    identity_sources: tuple[str, ...] = ()  # e.g. "$request.header.Authorization", "method.request.header.X"
    ttl_s: int = 300
    payload_version: str = "1.0"  # HTTP API Lambda authorizers: "1.0" or "2.0"
    simple_responses: bool = False  # HTTP API 2.0 authorizers: {"isAuthorized": bool, "context": {...}}
    validation_regex: str | None = None  # TOKEN authorizers
    issuer: str | None = None
    audience: tuple[str, ...] = ()
    jwks: str | None = None  # a JWKS file path or URL (see docs/local-api.md)


@dataclass(frozen=True)
class Api:
    """One API of the template: its kind, stage, CORS, binary media types and authorizers."""

    id: str  # logical id (or a generated name for implicit APIs)
    kind: ApiKind
    stage: str = "$default"
    stage_variables: tuple[tuple[str, str], ...] = ()
    cors: Cors | None = None
    binary_media_types: tuple[str, ...] = ()
    authorizers: tuple[Authorizer, ...] = ()


@dataclass(frozen=True)
class Route:
    """A method + path of an API integrated with a function (`path` is "$default" for the catch-all)."""

    api: Api
    method: str  # GET, POST, ... or ANY
    path: str  # /pets/{id}, /{proxy+}, or $default
    function_id: str
    payload_version: str = "1.0"  # "1.0" or "2.0" (HTTP APIs and function URLs)
    timeout_ms: int | None = None  # the integration timeout; None = the API kind's maximum
    authorizer: Authorizer | None = None
    scopes: tuple[str, ...] = ()  # AuthorizationScopes a JWT must carry
    source: str = ""  # where it was declared (e.g. "HelloFunction.Events.Greet")
    file: str | None = None
    line: int | None = None

    @property
    def route_key(self) -> str:
        """API Gateway's route key: "GET /pets/{id}" or "$default"."""
        return DEFAULT_ROUTE if self.path == DEFAULT_ROUTE else f"{self.method} {self.path}"

    @property
    def integration_timeout_ms(self) -> int:
        cap = REST_TIMEOUT_MS if self.api.kind is ApiKind.REST else HTTP_TIMEOUT_MS
        return min(self.timeout_ms, cap) if self.timeout_ms else cap


class Invoke(Protocol):
    """The gateway's only way to run a function; blocks until the function ends or `cancel` is set."""

    def __call__(self, function_id: str, event: bytes, sink: LogSink | None, cancel: Any) -> InvokeResult: ...


@dataclass
class Exchange:
    """One request as it went through the gateway, for logs, the window's history and tests."""

    method: str
    path: str
    request: Any = None  # the HttpRequest as it arrived (headers, query, body), for replays
    route: Route | None = None
    event: dict[str, Any] | None = None
    status: int = 0
    response_headers: list[tuple[str, str]] = field(default_factory=list)
    response_body: bytes = b""
    result: InvokeResult | None = None
    problem: str | None = None  # why the gateway answered with an error of its own
    duration_ms: float = 0.0
