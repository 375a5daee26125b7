"""Authorizers over real HTTP: Lambda TOKEN/REQUEST (policies, simple responses, context, caching), JWT
(tokens signed here with keys made here; JWKS from the project file and from a URL), IAM not enforced."""

from __future__ import annotations

import http.client
import http.server
import json
import textwrap
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

from app.local.api import LocalApi
from bench.projects import started_api

TEMPLATE = """
Transform: AWS::Serverless-2016-10-31
Globals:
  Function: {Runtime: python3.11, CodeUri: src/, Timeout: 5}
Resources:
  Echo:
    Type: AWS::Serverless::Function
    Properties:
      Handler: app.echo
      Events:
        Token: {Type: Api, Properties: {RestApiId: !Ref RestAuth, Path: /token, Method: get}}
        Request:
          Type: Api
          Properties: {RestApiId: !Ref RestAuth, Path: /request, Method: get, Auth: {Authorizer: RequestAuth}}
        Open: {Type: Api, Properties: {RestApiId: !Ref RestAuth, Path: /open, Method: get, Auth: {Authorizer: NONE}}}
        Iam: {Type: Api, Properties: {RestApiId: !Ref RestAuth, Path: /iam, Method: get, Auth: {Authorizer: AWS_IAM}}}
        Cognito:
          Type: Api
          Properties: {RestApiId: !Ref RestAuth, Path: /cognito, Method: get, Auth: {Authorizer: Pool}}
        Jwt:
          Type: HttpApi
          Properties:
            ApiId: !Ref HttpAuth
            Path: /jwt
            Method: get
            Auth: {Authorizer: Jwt, AuthorizationScopes: [read]}
        Simple:
          Type: HttpApi
          Properties: {ApiId: !Ref HttpAuth, Path: /simple, Method: get, Auth: {Authorizer: Simple}}
        Policy:
          Type: HttpApi
          Properties: {ApiId: !Ref HttpAuth, Path: /policy, Method: get, Auth: {Authorizer: Policy}}
  Authorize:
    Type: AWS::Serverless::Function
    Properties:
      Handler: app.authorize
  RestAuth:
    Type: AWS::Serverless::Api
    Properties:
      StageName: test
      Auth:
        DefaultAuthorizer: TokenAuth
        Authorizers:
          TokenAuth:
            FunctionArn: !GetAtt Authorize.Arn
            Identity: {Header: Authorization, ReauthorizeEvery: 300}
          Pool:
            UserPoolArn: arn:aws:cognito-idp:us-east-1:123456789012:userpool/us-east-1_Pool1
          RequestAuth:
            FunctionPayloadType: REQUEST
            FunctionArn: !GetAtt Authorize.Arn
            Identity: {Headers: [X-Key], QueryStrings: [who], ReauthorizeEvery: 0}
  HttpAuth:
    Type: AWS::Serverless::HttpApi
    Properties:
      Auth:
        Authorizers:
          Jwt:
            IdentitySource: $request.header.Authorization
            JwtConfiguration: {issuer: "https://issuer.test", audience: [my-client]}
          Simple:
            FunctionArn: !GetAtt Authorize.Arn
            AuthorizerPayloadFormatVersion: "2.0"
            EnableSimpleResponses: true
            Identity: {Headers: [X-Key]}
          Policy:
            FunctionArn: !GetAtt Authorize.Arn
            AuthorizerPayloadFormatVersion: "1.0"
            Identity: {Headers: [X-Key], QueryStrings: [who]}
"""

APP = """
import json

def echo(event, context):
    return {"statusCode": 200, "body": json.dumps(event)}

def authorize(event, context):
    print("authorizer called", event["type"], event.get("version"))
    if event["type"] == "TOKEN":
        token = event["authorizationToken"]
        if token not in ("allow", "deny"):
            raise Exception("Unauthorized")
        effect = "Allow" if token == "allow" else "Deny"
        return {
            "principalId": "user-1",
            "policyDocument": {"Version": "2012-10-17", "Statement": [
                {"Action": "execute-api:Invoke", "Effect": effect, "Resource": event["methodArn"]}]},
            "context": {"tier": "gold", "n": 1},
        }
    if event.get("version") == "2.0":
        return {"isAuthorized": event["headers"].get("x-key") == "good", "context": {"who": "simple"}}
    headers = {k.lower(): v for k, v in event["headers"].items()}  # HTTP APIs lowercase, REST does not
    ok = headers.get("x-key") == "good"
    return {
        "principalId": "req",
        "policyDocument": {"Version": "2012-10-17", "Statement": [
            {"Action": "execute-api:Invoke", "Effect": "Allow" if ok else "Deny", "Resource": "*"}]},
        "context": {"who": event["queryStringParameters"]["who"]},
    }
"""

ISSUER = "https://issuer.test"


def _jwk(key: rsa.RSAPrivateKey, kid: str) -> dict[str, Any]:
    public = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(key.public_key()))
    return {**public, "kid": kid, "use": "sig", "alg": "RS256"}


class Served:
    def __init__(self, api: LocalApi, logs: list[str], key: rsa.RSAPrivateKey) -> None:
        self.api, self.logs, self.key = api, logs, key
        self.port = int(api.listeners[0].url.rsplit(":", 1)[1])

    def call(self, path: str, headers: dict[str, str] | None = None) -> tuple[int, dict[str, Any] | None]:
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        try:
            conn.request("GET", path, headers=headers or {})
            response = conn.getresponse()
            body = response.read()
            return response.status, json.loads(body) if body else None
        finally:
            conn.close()

    def token(self, key: rsa.RSAPrivateKey | None = None, **claims: Any) -> str:
        now = int(time.time())
        payload = {"iss": ISSUER, "aud": "my-client", "sub": "ada", "exp": now + 300, "iat": now, **claims}
        return jwt.encode(payload, key or self.key, algorithm="RS256", headers={"kid": "k1"})

    def authorizer_calls(self) -> int:
        return sum(1 for line in self.logs if "authorizer called" in line)


def _project(root: Path, key: rsa.RSAPrivateKey) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    (root / "template.yaml").write_text(TEMPLATE)
    (root / "src").mkdir()
    (root / "src" / "app.py").write_text(textwrap.dedent(APP))
    (root / ".lambda-studio").mkdir()
    (root / ".lambda-studio" / "jwks.json").write_text(json.dumps({"keys": [_jwk(key, "k1")]}))
    return root


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    logs: list[str] = []
    with started_api(_project(tmp_path_factory.mktemp("auth"), key), log=logs.append) as api:
        yield Served(api, logs, key)


def test_token_authorizer_allows_passes_context_and_caches(served: Served) -> None:
    before = served.authorizer_calls()
    status, event = served.call("/token", {"Authorization": "allow"})
    assert status == 200 and event is not None
    found = event["requestContext"]["authorizer"]
    assert found.pop("integrationLatency") > 0
    assert found == {"tier": "gold", "n": 1, "principalId": "user-1"}
    status, cached = served.call("/token", {"Authorization": "allow"})
    assert status == 200 and cached is not None
    assert cached["requestContext"]["authorizer"]["integrationLatency"] == 0  # answered from the cache
    assert served.authorizer_calls() == before + 1  # ReauthorizeEvery 300: the second answer is cached


def test_token_authorizer_denies_and_refuses(served: Served) -> None:
    status, body = served.call("/token", {"Authorization": "deny"})
    assert (status, body) == (403, {"message": "User is not authorized to access this resource"})
    assert served.call("/token", {"Authorization": "who-knows"}) == (401, {"message": "Unauthorized"})
    assert served.call("/token") == (401, {"message": "Unauthorized"})  # no identity: no authorizer call


def test_request_authorizer_every_time_without_ttl(served: Served) -> None:
    before = served.authorizer_calls()
    status, event = served.call("/request?who=ada", {"X-Key": "good"})
    assert status == 200 and event is not None
    found = event["requestContext"]["authorizer"]
    assert isinstance(found.pop("integrationLatency"), int)
    assert found == {"who": "ada", "principalId": "req"}
    assert served.call("/request?who=ada", {"X-Key": "good"})[0] == 200
    assert served.authorizer_calls() == before + 2
    assert served.call("/request?who=ada", {"X-Key": "bad"})[0] == 403
    assert served.call("/request", {"X-Key": "good"})[0] == 401  # the query string source is missing


def test_open_and_iam_routes(served: Served) -> None:
    assert served.call("/open")[0] == 200
    assert served.call("/iam")[0] == 200
    assert any("AWS_IAM authorization is not enforced locally" in line for line in served.logs)


def test_http_api_simple_responses(served: Served) -> None:
    status, event = served.call("/simple", {"X-Key": "good"})
    assert status == 200 and event is not None
    assert event["requestContext"]["authorizer"] == {"lambda": {"who": "simple"}}
    assert served.call("/simple", {"X-Key": "bad"}) == (403, {"message": "Forbidden"})
    assert served.call("/simple") == (401, {"message": "Unauthorized"})


def test_jwt_authorizer_validates_and_passes_claims(served: Served) -> None:
    status, event = served.call("/jwt", {"Authorization": f"Bearer {served.token(scope='read write')}"})
    assert status == 200 and event is not None
    jwt_context = event["requestContext"]["authorizer"]["jwt"]
    assert jwt_context["claims"]["sub"] == "ada" and jwt_context["claims"]["iss"] == ISSUER
    assert jwt_context["scopes"] == ["read", "write"]


@pytest.mark.parametrize(
    ("claims", "status"),
    [
        ({"aud": "someone-else"}, 401),
        ({"iss": "https://other.test"}, 401),
        ({"exp": int(time.time()) - 10}, 401),
        ({"scope": "write"}, 403),
    ],
)
def test_jwt_authorizer_refuses(served: Served, claims: dict[str, Any], status: int) -> None:
    token = served.token(**{"scope": "read", **claims})
    assert served.call("/jwt", {"Authorization": token})[0] == status


def test_jwt_signed_by_another_key_or_missing_is_401(served: Served) -> None:
    other = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    assert served.call("/jwt", {"Authorization": served.token(other, scope="read")})[0] == 401
    assert served.call("/jwt")[0] == 401
    assert served.call("/jwt", {"Authorization": "Bearer not.a.jwt"})[0] == 401


def test_jwks_from_a_url(tmp_path: Path) -> None:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    root = _project(tmp_path / "p", key)
    (root / ".lambda-studio" / "jwks.json").unlink()
    document = json.dumps({"keys": [_jwk(key, "k1")]}).encode()

    class Keys(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 - the base class's name
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(document)))
            self.end_headers()
            self.wfile.write(document)

        def log_message(self, *args: Any) -> None:
            pass

    keys = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Keys)
    threading.Thread(target=keys.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{keys.server_address[1]}/jwks.json"
    try:
        with started_api(root, jwks=url) as api:
            served = Served(api, [], key)
            assert served.call("/jwt", {"Authorization": served.token(scope="read")})[0] == 200
            other = rsa.generate_private_key(public_exponent=65537, key_size=2048)
            assert served.call("/jwt", {"Authorization": served.token(other, scope="read")})[0] == 401
    finally:
        keys.shutdown()
        keys.server_close()


def test_cognito_user_pool_authorizer_is_validated_as_jwt(served: Served) -> None:
    pool = "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_Pool1"
    status, event = served.call("/cognito", {"Authorization": served.token(iss=pool, token_use="id")})
    assert status == 200 and event is not None
    claims = event["requestContext"]["authorizer"]["claims"]
    assert claims["iss"] == pool and claims["sub"] == "ada"
    assert served.call("/cognito", {"Authorization": served.token()})[0] == 401  # another issuer


def test_http_api_authorizer_with_1_0_payload_and_policy(served: Served) -> None:
    status, event = served.call("/policy?who=eve", {"X-Key": "good"})
    assert status == 200 and event is not None
    assert event["requestContext"]["authorizer"] == {"lambda": {"who": "eve"}}
    assert served.call("/policy?who=eve", {"X-Key": "bad"}) == (403, {"message": "Forbidden"})
