"""AWS profiles, credential problems as clear messages, error translation, retries, invoke decoding."""

from __future__ import annotations

import base64
import io
import json
from pathlib import Path

import boto3
import pytest
from botocore.exceptions import ClientError, EndpointConnectionError, UnauthorizedSSOTokenError
from botocore.response import StreamingBody
from botocore.stub import Stubber

from app.deploy.connection import Connection, list_profiles
from app.deploy.errors import DeployError, explain, retry
from app.deploy.remote import invoke, parse_since

CONFIG = """
[default]
region = eu-west-1

[profile dev-sso]
sso_start_url = https://example.awsapps.com/start
sso_region = eu-west-1
sso_account_id = 123456789012
sso_role_name = Dev
region = eu-central-1

[profile modern]
sso_session = corp
sso_account_id = 123456789012
sso_role_name = Dev

[sso-session corp]
sso_start_url = https://corp.awsapps.com/start
sso_region = us-east-1

[profile nokeys]
region = us-west-2
"""
CREDENTIALS = "[default]\naws_access_key_id = AKIAEXAMPLE\naws_secret_access_key = secret\n\n[ci]\naws_access_key_id = A\naws_secret_access_key = B\n"


@pytest.fixture
def aws_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    (tmp_path / ".aws").mkdir()
    (tmp_path / ".aws" / "config").write_text(CONFIG)
    (tmp_path / ".aws" / "credentials").write_text(CREDENTIALS)
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / ".aws" / "config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / ".aws" / "credentials"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    for var in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE",
                "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", "AWS_CONTAINER_CREDENTIALS_FULL_URI",
                "AWS_WEB_IDENTITY_TOKEN_FILE"):  # fmt: skip
        monkeypatch.delenv(var, raising=False)
    return tmp_path


def test_profiles_from_config_and_credentials(aws_home: Path) -> None:
    profiles = {p.name: p for p in list_profiles()}
    assert list(profiles) == ["default", "ci", "dev-sso", "modern", "nokeys"]
    assert profiles["default"].region == "eu-west-1" and profiles["default"].kind == "keys"
    assert profiles["dev-sso"].sso and profiles["dev-sso"].region == "eu-central-1"
    assert profiles["modern"].sso and profiles["modern"].sso_start_url == "https://corp.awsapps.com/start"
    assert profiles["ci"].in_credentials and not profiles["ci"].in_config
    assert "secret" not in repr(profiles) and "AKIA" not in repr(profiles)  # never holds a secret


@pytest.mark.parametrize("profile", ["dev-sso", "modern"])
def test_missing_sso_token_says_how_to_log_in(aws_home: Path, profile: str) -> None:
    conn = Connection(boto3.Session(profile_name=profile), region="eu-west-1", profile=profile)
    with pytest.raises(DeployError) as info:
        conn.identity()
    assert info.value.kind == "credentials"
    assert f"aws sso login --profile {profile}" in info.value.hint


def test_no_credentials_is_a_clear_message(aws_home: Path) -> None:
    conn = Connection(boto3.Session(profile_name="nokeys"), profile="nokeys")
    with pytest.raises(DeployError) as info:
        conn.identity()
    assert info.value.message == "No AWS credentials found for profile 'nokeys'."
    assert "aws configure --profile nokeys" in info.value.hint


def _client_error(code: str, message: str = "m", op: str = "UpdateFunctionCode") -> ClientError:
    return ClientError({"Error": {"Code": code, "Message": message}}, op)


@pytest.mark.parametrize(
    "code,kind",
    [
        ("AccessDeniedException", "access-denied"),
        ("ResourceConflictException", "conflict"),
        ("TooManyRequestsException", "throttled"),
        ("ThrottlingException", "throttled"),
        ("ExpiredTokenException", "credentials"),
        ("ResourceNotFoundException", "not-found"),
        ("InvalidParameterValueException", "invalid"),
    ],
)
def test_client_errors_become_clear_messages(code: str, kind: str) -> None:
    err = explain(_client_error(code), "updating the code of f", "dev")
    assert err.kind == kind and "updating the code of f" in err.message


def test_network_errors_and_expired_credentials() -> None:
    err = explain(EndpointConnectionError(endpoint_url="https://lambda.x"), "listing functions")
    assert err.kind == "network" and "Check the network" in err.hint
    err = explain(
        _client_error("ExpiredToken", "The security token included in the request is expired"), "x", "p"
    )
    assert err.kind == "credentials" and "aws sso login --profile p" in err.hint


def test_retry_repeats_only_transient_failures() -> None:
    calls: list[int] = []

    def flaky() -> str:
        calls.append(1)
        if len(calls) < 3:
            raise _client_error("ThrottlingException")
        return "ok"

    assert retry(flaky, action="x", sleep=lambda s: None) == "ok" and len(calls) == 3
    calls.clear()

    def denied() -> str:
        calls.append(1)
        raise _client_error("AccessDeniedException")

    with pytest.raises(ClientError):
        retry(denied, action="x", sleep=lambda s: None)
    assert len(calls) == 1


def test_invoke_decodes_log_tail_and_function_error() -> None:
    session = boto3.Session(aws_access_key_id="a", aws_secret_access_key="b", region_name="us-east-1")
    conn = Connection(session, region="us-east-1")
    client = conn.client("lambda")
    body = json.dumps({"errorMessage": "boom", "errorType": "ValueError"}).encode()
    log = "START RequestId: r1\n[ERROR] ValueError: boom\nEND RequestId: r1\n"
    with Stubber(client) as stub:
        stub.add_response(
            "invoke",
            {
                "StatusCode": 200,
                "FunctionError": "Unhandled",
                "LogResult": base64.b64encode(log.encode()).decode(),
                "ExecutedVersion": "$LATEST",
                "Payload": StreamingBody(io.BytesIO(body), len(body)),
            },
            {"FunctionName": "f", "Payload": b"{}", "InvocationType": "RequestResponse", "LogType": "Tail"},
        )
        result = invoke(conn, "f", {})
    assert not result.ok and result.function_error == "Unhandled"
    assert result.log_tail == log and result.payload_json()["errorType"] == "ValueError"
    with Stubber(client) as stub:
        stub.add_client_error("invoke", "ResourceNotFoundException", "Function not found: f")
        with pytest.raises(DeployError) as info:
            invoke(conn, "f", {})
    assert info.value.kind == "not-found"


def test_parse_since() -> None:
    assert parse_since("15m", now=1000.0) == (1000 - 900) * 1000
    assert parse_since("2h", now=10_000.0) == (10_000 - 7200) * 1000
    assert parse_since("2026-01-01T00:00:00+00:00") == 1767225600000
    with pytest.raises(DeployError):
        parse_since("yesterday")


def test_expired_sso_token_message() -> None:
    # What botocore raises when the cached SSO token has expired (reaching it needs AWS itself).
    err = explain(UnauthorizedSSOTokenError(), "checking the AWS identity", "dev-sso")
    assert err.kind == "credentials" and "expired" in err.message
    assert err.hint == "Sign in again with: aws sso login --profile dev-sso"
