"""Turning boto3/botocore failures into clear messages, and retrying the steps that are safe to repeat."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any, TypeVar

from app.deploy.progress import CancelLike, check_cancel
from runner.errors import UserFacingError

T = TypeVar("T")

KIND_CREDENTIALS = "credentials"
KIND_ACCESS = "access-denied"
KIND_CONFLICT = "conflict"
KIND_THROTTLED = "throttled"
KIND_NETWORK = "network"
KIND_NOT_FOUND = "not-found"
KIND_INVALID = "invalid"
KIND_LIMIT = "limit"
KIND_PARTIAL = "partial"
KIND_OTHER = "other"

_THROTTLE_CODES = {
    "Throttling",
    "ThrottlingException",
    "TooManyRequestsException",
    "RequestLimitExceeded",
    "SlowDown",
    "PriorRequestNotComplete",
}
_ACCESS_CODES = {"AccessDenied", "AccessDeniedException", "UnauthorizedOperation"}
_EXPIRED_CODES = {
    "ExpiredToken",
    "ExpiredTokenException",
    "RequestExpired",
    "InvalidClientTokenId",
    "UnrecognizedClientException",
}


class DeployError(UserFacingError):
    """A failure the user can act on: `message` says what happened, `hint` what to do next."""

    hint: str

    def __init__(self, message: str, hint: str = "", kind: str = KIND_OTHER) -> None:
        super().__init__(message, hint)
        self.kind = kind

    def __str__(self) -> str:
        return f"{self.message}\n{self.hint}" if self.hint else self.message

    def to_json(self) -> dict[str, str]:
        return {"error": self.message, "hint": self.hint, "kind": self.kind}


def error_code(exc: BaseException) -> str:
    from botocore import exceptions as bx  # imported when needed: botocore is slow to load

    if isinstance(exc, bx.ClientError):
        return str(exc.response.get("Error", {}).get("Code", ""))
    return ""


def is_throttle(exc: BaseException) -> bool:
    return error_code(exc) in _THROTTLE_CODES


def is_network(exc: BaseException) -> bool:
    from botocore import exceptions as bx  # imported when needed: botocore is slow to load

    return isinstance(exc, bx.ConnectionError | bx.HTTPClientError)


def explain(exc: BaseException, action: str, profile: str | None = None) -> DeployError:
    """A DeployError for `exc`, raised while doing `action` (e.g. "updating the code of hello")."""
    from botocore import exceptions as bx

    if isinstance(exc, DeployError):
        return exc
    who = f" for profile '{profile}'" if profile else ""
    login = f"aws sso login --profile {profile}" if profile else "aws sso login"
    if isinstance(exc, bx.SSOTokenLoadError | bx.UnauthorizedSSOTokenError | bx.TokenRetrievalError):
        return DeployError(
            f"The AWS SSO session{who} is missing or has expired.",
            f"Sign in again with: {login}",
            KIND_CREDENTIALS,
        )
    if isinstance(exc, bx.SSOError):
        return DeployError(f"AWS SSO sign-in failed{who}: {exc}", f"Try: {login}", KIND_CREDENTIALS)
    if isinstance(exc, bx.NoCredentialsError | bx.PartialCredentialsError):
        cfg = f"aws configure --profile {profile}" if profile else "aws configure"
        return DeployError(
            f"No AWS credentials found{who}.",
            f"Set them up with '{cfg}' (or 'aws configure sso'), or choose another profile.",
            KIND_CREDENTIALS,
        )
    if isinstance(exc, bx.CredentialRetrievalError):
        return DeployError(f"The AWS credentials{who} could not be loaded: {exc}", "", KIND_CREDENTIALS)
    if isinstance(exc, bx.ProfileNotFound):
        return DeployError(
            f"The AWS profile '{profile or ''}' does not exist in ~/.aws/config or ~/.aws/credentials.",
            "Choose another profile, or create it with 'aws configure --profile NAME'.",
            KIND_CREDENTIALS,
        )
    if isinstance(exc, bx.NoRegionError):
        return DeployError(
            "No AWS region is set.", "Choose a region (or set one in the profile).", KIND_INVALID
        )
    if isinstance(exc, bx.EndpointConnectionError | bx.ConnectTimeoutError):
        return DeployError(
            f"Could not reach AWS while {action}: {exc}",
            "Check the network connection, the region and any endpoint override, then try again.",
            KIND_NETWORK,
        )
    if is_network(exc):
        return DeployError(f"The network failed while {action}: {exc}", "Try again.", KIND_NETWORK)
    if isinstance(exc, bx.ClientError):
        code = error_code(exc)
        msg = str(exc.response.get("Error", {}).get("Message", "")) or str(exc)
        if code in _EXPIRED_CODES:
            hint = f"Sign in again ({login})" if profile else "Refresh the credentials"
            return DeployError(
                f"The AWS credentials{who} were rejected while {action} ({code}): {msg}",
                f"{hint}, or choose another profile.",
                KIND_CREDENTIALS,
            )
        if code in _ACCESS_CODES:
            return DeployError(
                f"Access denied while {action}: {msg}",
                "The identity in use lacks a permission for this step; ask for it, or use another profile.",
                KIND_ACCESS,
            )
        if code == "ResourceConflictException":
            return DeployError(
                f"The function is busy (another update is in progress) while {action}: {msg}",
                "Wait a minute and deploy again.",
                KIND_CONFLICT,
            )
        if code in _THROTTLE_CODES:
            return DeployError(
                f"AWS throttled the requests while {action}: {msg}",
                "Wait a little and try again.",
                KIND_THROTTLED,
            )
        if code in ("ResourceNotFoundException", "NoSuchBucket", "NoSuchEntity", "NoSuchKey"):
            return DeployError(f"Not found while {action}: {msg}", "", KIND_NOT_FOUND)
        if code in ("CodeStorageExceededException", "RequestEntityTooLargeException"):
            return DeployError(f"A Lambda limit was hit while {action}: {msg}", "", KIND_LIMIT)
        return DeployError(f"AWS refused {action} ({code}): {msg}", "", KIND_INVALID)
    if isinstance(exc, bx.WaiterError):
        return DeployError(f"The function did not become ready while {action}: {exc}", "", KIND_OTHER)
    if isinstance(exc, bx.BotoCoreError):
        return DeployError(f"AWS client error while {action}: {exc}", "", KIND_OTHER)
    return DeployError(f"Unexpected error while {action}: {exc!r}", "", KIND_OTHER)


def retry(
    fn: Callable[[], T],
    *,
    action: str,
    attempts: int = 4,
    delay: float = 0.5,
    retry_on: Callable[[BaseException], bool] | None = None,
    cancel: CancelLike | None = None,
    sleep: Callable[[float], Any] = time.sleep,
) -> T:
    """Call a step that is safe to repeat; retry on throttling, network errors or `retry_on`, with backoff."""
    last: BaseException | None = None
    for attempt in range(attempts):
        check_cancel(cancel, action)
        try:
            return fn()
        except Exception as exc:  # classified below: only transient failures are retried
            transient = is_throttle(exc) or is_network(exc) or (retry_on is not None and retry_on(exc))
            if not transient or attempt == attempts - 1:
                raise
            last = exc
            sleep(delay * (2**attempt))
    assert last is not None  # unreachable: the loop returns or raises
    raise last
