"""Authorizers as API Gateway runs them: Lambda TOKEN/REQUEST (policy or simple responses, cached per
identity source and TTL) and JWT (through a validator the caller provides); IAM is passed, not enforced."""

from __future__ import annotations

import fnmatch
import json
import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from runner.gateway.events import ACCOUNT_ID, REGION, HttpRequest, api_id
from runner.gateway.model import ApiKind, AuthKind, Authorizer, Invoke, LogSink, Route
from runner.gateway.responses import HttpResponse, gateway_error
from runner.result import Outcome, SetupError

# (authorizer, token) -> claims, or raises JwtRejected with the reason.
JwtValidator = Callable[[Authorizer, str], dict[str, Any]]


class JwtRejected(Exception):
    """A JWT that must not pass: bad signature, expired, wrong issuer or audience..."""


@dataclass
class _Decision:
    allowed_arns: list[str]
    denied_arns: list[str]
    context: dict[str, Any]
    principal: str | None
    simple: bool | None = None  # HTTP API simple responses: isAuthorized


def method_arn(route: Route, request: HttpRequest) -> str:
    """arn:aws:execute-api:REGION:ACCOUNT:API_ID/STAGE/METHOD/PATH (routeArn for HTTP APIs)."""
    stage = route.api.stage
    return f"arn:aws:execute-api:{REGION}:{ACCOUNT_ID}:{api_id(route.api)}/{stage}/{request.method}{request.path}"


def identity_values(authorizer: Authorizer, request: HttpRequest, event: dict[str, Any]) -> list[str] | None:
    """The identity source values, or None when one is missing (API Gateway answers 401 then)."""
    out: list[str] = []
    for source in authorizer.identity_sources:
        name = source.rsplit(".", 1)[-1]
        if ".header." in source:
            value = request.header(name)
        elif ".querystring." in source:
            params = event.get("queryStringParameters") or {}
            value = params.get(name)
        elif "stageVariables." in source:
            value = (event.get("stageVariables") or {}).get(name)
        else:
            value = None
        if value is None or value == "":
            return None
        out.append(value)
    return out


def _statements(policy: Any) -> list[dict[str, Any]]:
    if not isinstance(policy, dict):
        return []
    found = policy.get("Statement")
    if isinstance(found, dict):
        found = [found]
    return [s for s in found if isinstance(s, dict)] if isinstance(found, list) else []


def _as_list(value: Any) -> list[str]:
    if isinstance(value, list):
        return [str(v) for v in value]
    return [str(value)] if value is not None else []


def parse_decision(payload: bytes, simple: bool) -> _Decision:
    """An authorizer's answer; raises ValueError when it is neither a policy nor a simple response."""
    body = json.loads(payload.decode("utf-8"))
    if not isinstance(body, dict):
        raise ValueError("the authorizer must return a JSON object")
    found_context = body.get("context")
    context: dict[str, Any] = found_context if isinstance(found_context, dict) else {}
    if simple and "isAuthorized" in body:
        if not isinstance(body["isAuthorized"], bool):
            raise ValueError("isAuthorized must be true or false")
        return _Decision([], [], context, None, body["isAuthorized"])
    allowed: list[str] = []
    denied: list[str] = []
    statements = _statements(body.get("policyDocument"))
    if not statements:
        raise ValueError("the authorizer returned no policyDocument statements")
    for statement in statements:
        actions = _as_list(statement.get("Action"))
        if not any(fnmatch.fnmatchcase("execute-api:Invoke", a) for a in actions):
            continue
        target = allowed if str(statement.get("Effect")).lower() == "allow" else denied
        target.extend(_as_list(statement.get("Resource")))
    principal = body.get("principalId")
    return _Decision(allowed, denied, context, str(principal) if principal is not None else None)


def _arn_matches(pattern: str, arn: str) -> bool:
    return re.fullmatch(re.escape(pattern).replace(r"\*", ".*").replace(r"\?", "."), arn) is not None


class Authorizers:
    """The gateway's authorize hook; thread-safe, with API Gateway's result cache."""

    def __init__(
        self, invoke: Invoke, *, jwt_validator: JwtValidator | None = None, log: LogSink | None = None
    ) -> None:
        self.invoke = invoke
        self.jwt_validator = jwt_validator
        self.log = log or (lambda line: None)
        self._lock = threading.Lock()
        self._cache: dict[tuple[str, tuple[str, ...]], tuple[float, _Decision]] = {}
        self._warned: set[str] = set()
        self.calls = 0  # authorizer function invokes (the cache's effect can be seen)

    def __call__(self, route: Route, request: HttpRequest, event: dict[str, Any]) -> HttpResponse | None:
        authorizer = route.authorizer
        if authorizer is None:
            return None
        kind = route.api.kind
        if authorizer.kind is AuthKind.IAM:
            if route.route_key not in self._warned:
                self._warned.add(route.route_key)
                self.log(
                    f"[{route.route_key}] AWS_IAM authorization is not enforced locally: request allowed"
                )
            return None
        if authorizer.kind is AuthKind.JWT:
            return self._jwt(route, authorizer, request, event)
        return self._lambda(route, authorizer, request, event, kind)

    # -- JWT ------------------------------------------------------------------------------------------
    def _jwt(
        self, route: Route, authorizer: Authorizer, request: HttpRequest, event: dict[str, Any]
    ) -> HttpResponse | None:
        kind = route.api.kind
        values = identity_values(authorizer, request, event)
        if values is None:
            return self._deny(
                kind, 401, f"{authorizer.name}: no token in {', '.join(authorizer.identity_sources)}"
            )
        token = values[0]
        if token.lower().startswith("bearer "):
            token = token[7:].strip()
        if self.jwt_validator is None:
            return self._deny(
                kind, 401, f"{authorizer.name}: JWT authorizers need a JWKS (see docs/local-api.md)"
            )
        try:
            claims = self.jwt_validator(authorizer, token)
        except JwtRejected as exc:
            return self._deny(kind, 401, f"{authorizer.name}: {exc}")
        granted = str(claims.get("scope") or claims.get("scp") or "").split()
        if route.scopes and not set(route.scopes) & set(granted):
            return self._deny(
                kind, 403, f"{authorizer.name}: the token has none of the scopes {list(route.scopes)}"
            )
        text_claims = {k: v if isinstance(v, str) else json.dumps(v) for k, v in claims.items()}
        context = event["requestContext"]
        if kind is ApiKind.REST:  # Cognito user pool authorizers put the claims there
            context["authorizer"] = {"claims": text_claims}
        elif route.payload_version == "1.0":  # HTTP API 1.0 events: claims and scopes, not under jwt
            context["authorizer"] = {"claims": text_claims, "scopes": granted or None}
        else:
            context["authorizer"] = {"jwt": {"claims": text_claims, "scopes": granted or None}}
        return None

    # -- Lambda authorizers ---------------------------------------------------------------------------
    def _lambda(
        self, route: Route, authorizer: Authorizer, request: HttpRequest, event: dict[str, Any], kind: ApiKind
    ) -> HttpResponse | None:
        values = identity_values(authorizer, request, event)
        if values is None and (authorizer.kind is AuthKind.TOKEN or authorizer.identity_sources):
            return self._deny(
                kind, 401, f"{authorizer.name}: missing {', '.join(authorizer.identity_sources)}"
            )
        values = values or []
        regex = authorizer.validation_regex
        if authorizer.kind is AuthKind.TOKEN and regex and not re.fullmatch(regex, values[0]):
            return self._deny(kind, 401, f"{authorizer.name}: the token does not match ValidationExpression")
        if authorizer.function_id is None:
            return self._deny(kind, 401, f"{authorizer.name}: its function is not part of this project")
        arn = method_arn(route, request)
        key = (authorizer.name, tuple(values))
        decision = self._cached(key, authorizer.ttl_s) if authorizer.identity_sources else None
        latency_ms = 0
        if decision is None:
            payload = self._authorizer_event(route, authorizer, request, event, values, arn)
            started = time.monotonic()
            outcome = self._run(authorizer, payload, kind)
            latency_ms = round((time.monotonic() - started) * 1000)
            if isinstance(outcome, HttpResponse):
                return outcome
            decision = outcome
            if authorizer.ttl_s > 0 and authorizer.identity_sources:
                with self._lock:
                    self._cache[key] = (time.monotonic() + authorizer.ttl_s, decision)
        if decision.simple is not None:
            allowed = decision.simple
        else:
            denied = any(_arn_matches(p, arn) for p in decision.denied_arns)
            allowed = not denied and any(_arn_matches(p, arn) for p in decision.allowed_arns)
        if not allowed:
            if kind is ApiKind.REST:
                self.log(f"[{route.route_key}] {authorizer.name}: the policy does not allow {arn}")
                return gateway_error(kind, 403, "User is not authorized to access this resource")
            return self._deny(kind, 403, f"{authorizer.name}: not authorized for {arn}")
        self._attach(event, route, decision, latency_ms)
        return None

    def _cached(self, key: tuple[str, tuple[str, ...]], ttl: int) -> _Decision | None:
        if ttl <= 0:
            return None
        with self._lock:
            found = self._cache.get(key)
            if found is None or found[0] < time.monotonic():
                self._cache.pop(key, None)
                return None
            return found[1]

    def _authorizer_event(
        self,
        route: Route,
        authorizer: Authorizer,
        request: HttpRequest,
        event: dict[str, Any],
        values: list[str],
        arn: str,
    ) -> dict[str, Any]:
        if authorizer.kind is AuthKind.TOKEN:
            return {"type": "TOKEN", "authorizationToken": values[0], "methodArn": arn}
        if route.api.kind is not ApiKind.REST and authorizer.payload_version == "2.0":
            payload = {k: v for k, v in event.items() if k not in ("body", "isBase64Encoded")}
            payload.update({"type": "REQUEST", "routeArn": arn, "identitySource": values})
            return payload
        fields = ("resource", "path", "httpMethod", "headers", "multiValueHeaders", "queryStringParameters",
                  "multiValueQueryStringParameters", "pathParameters", "stageVariables", "requestContext")  # fmt: skip
        payload = {"type": "REQUEST", "methodArn": arn}
        if route.payload_version == "2.0" and route.api.kind is not ApiKind.REST:
            # a 1.0 authorizer on a 2.0 route: API Gateway still sends the 1.0 shape
            from runner.gateway.events import event_v1

            event = event_v1(route, request, {}, 0)
        if route.api.kind is not ApiKind.REST:
            payload["version"] = "1.0"
        payload.update({k: event.get(k) for k in fields})
        return payload

    def _run(
        self, authorizer: Authorizer, payload: dict[str, Any], kind: ApiKind
    ) -> _Decision | HttpResponse:
        assert authorizer.function_id is not None
        self.calls += 1
        tag = f"[authorizer {authorizer.name}]"
        try:
            result = self.invoke(
                authorizer.function_id,
                json.dumps(payload).encode(),
                lambda line: self.log(f"{tag} {line}"),
                None,
            )
        except SetupError as exc:
            return self._deny(
                kind, 500, f"{authorizer.name} cannot run: {exc}", message="Internal Server Error"
            )
        if result.outcome is not Outcome.SUCCESS:
            message = result.error.message if result.error else result.outcome.value
            if message == "Unauthorized":  # the documented way for an authorizer to answer 401
                return self._deny(kind, 401, f"{authorizer.name} answered Unauthorized")
            return self._deny(
                kind, 500, f"{authorizer.name} failed: {message}", message="Internal Server Error"
            )
        try:
            return parse_decision(result.payload, authorizer.simple_responses)
        except (ValueError, UnicodeDecodeError) as exc:
            return self._deny(
                kind, 500, f"{authorizer.name}: malformed answer: {exc}", message="Internal Server Error"
            )

    @staticmethod
    def _attach(event: dict[str, Any], route: Route, decision: _Decision, latency_ms: int) -> None:
        context = event["requestContext"]
        if route.api.kind is not ApiKind.REST and route.payload_version == "2.0":
            context["authorizer"] = {"lambda": dict(decision.context)}
            return
        found = dict(decision.context)
        if decision.principal is not None:
            found["principalId"] = decision.principal
        found["integrationLatency"] = latency_ms  # 0 when the answer came from the cache, as on AWS
        context["authorizer"] = found

    def _deny(self, kind: ApiKind, status: int, why: str, *, message: str | None = None) -> HttpResponse:
        self.log(f"{status}: {why}")
        text = message or {401: "Unauthorized", 403: "Forbidden"}.get(status, "Internal Server Error")
        return gateway_error(kind, status, text)
