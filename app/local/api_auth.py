"""Authorizers of the local API: the gateway's Lambda authorizers plus JWT validation (PyJWT) against a
JWKS file or URL — `--jwks`, else PROJECT/.lambda-studio/jwks.json, else the issuer's /.well-known/jwks.json."""

from __future__ import annotations

import json
import threading
import time
from pathlib import Path
from typing import Any

import jwt
from jwt import PyJWK, PyJWKClient, PyJWKClientError, PyJWKSet

from app.local.jwt_signer import PROJECT_JWKS
from runner.gateway.authorizers import Authorizers, JwtRejected
from runner.gateway.model import Authorizer, Invoke, LogSink

ALGORITHMS = ["RS256", "RS384", "RS512", "ES256", "ES384", "ES512", "PS256"]
_URL_CACHE_S = 300


def jwks_source(project_root: Path, cli_value: str | None, issuer: str | None) -> str | None:
    """Where a JWT authorizer's keys come from (see the module docstring), or None when nowhere."""
    if cli_value:
        return cli_value
    local = project_root / PROJECT_JWKS
    if local.is_file():
        return str(local)
    if issuer and issuer.startswith("https://"):  # plain http only when the user names it (--jwks)
        return issuer.rstrip("/") + "/.well-known/jwks.json"
    return None


class JwtValidator:
    """Validates a JWT as an HTTP API JWT authorizer does: signature from the JWKS, exp/nbf, iss, aud
    (or a Cognito access token's client_id); thread-safe, URL key sets cached for five minutes."""

    def __init__(self, project_root: Path, cli_value: str | None) -> None:
        self.project_root = project_root
        self.cli_value = cli_value
        self._lock = threading.Lock()
        self._clients: dict[str, PyJWKClient] = {}
        self._files: dict[str, tuple[float, PyJWKSet]] = {}

    def _key(self, source: str, token: str) -> PyJWK:
        if source.startswith(("http://", "https://")):
            with self._lock:
                client = self._clients.setdefault(
                    source, PyJWKClient(source, cache_keys=True, lifespan=_URL_CACHE_S, timeout=10)
                )
            try:
                return client.get_signing_key_from_jwt(token)
            except PyJWKClientError as exc:
                raise JwtRejected(f"no signing key from {source}: {exc}") from None
        path = Path(source) if Path(source).is_absolute() else self.project_root / source
        try:
            mtime = path.stat().st_mtime
            with self._lock:
                cached = self._files.get(str(path))
            if cached is None or cached[0] != mtime:
                keys = PyJWKSet.from_dict(json.loads(path.read_text(encoding="utf-8")))
                with self._lock:
                    self._files[str(path)] = (mtime, keys)
            else:
                keys = cached[1]
        except (OSError, ValueError, jwt.PyJWTError) as exc:
            raise JwtRejected(f"cannot read the JWKS file {path}: {exc}") from None
        try:
            kid = jwt.get_unverified_header(token).get("kid")
        except jwt.PyJWTError as exc:
            raise JwtRejected(f"not a JWT: {exc}") from None
        for key in keys.keys:
            if kid is None or key.key_id == kid:
                return key
        raise JwtRejected(f"no key with kid {kid!r} in {path}")

    def __call__(self, authorizer: Authorizer, token: str) -> dict[str, Any]:
        source = jwks_source(self.project_root, self.cli_value or authorizer.jwks, authorizer.issuer)
        if source is None:
            raise JwtRejected(
                f"no JWKS: pass --jwks FILE_OR_URL or put the keys in {PROJECT_JWKS} (docs/local-api.md)"
            )
        key = self._key(source, token)
        try:
            claims: dict[str, Any] = jwt.decode(
                token,
                key=key.key,
                algorithms=ALGORITHMS,
                issuer=authorizer.issuer,
                options={
                    "verify_aud": False,
                    "require": ["exp"],
                    "verify_iss": authorizer.issuer is not None,
                },
                leeway=0,
            )
        except jwt.PyJWTError as exc:
            raise JwtRejected(f"invalid token: {exc}") from None
        if authorizer.audience:
            audiences = claims.get("aud", claims.get("client_id"))
            given = audiences if isinstance(audiences, list) else [audiences]
            if not set(map(str, given)) & set(authorizer.audience):
                raise JwtRejected(f"audience {given} is not one of {list(authorizer.audience)}")
        if "iat" in claims and isinstance(claims["iat"], (int, float)) and claims["iat"] > time.time() + 60:
            raise JwtRejected("the token is issued in the future")
        return claims


def local_authorizers(
    invoke: Invoke, project_root: Path, jwks: str | None, log: LogSink | None
) -> Authorizers:
    """The authorize hook of a local API."""
    return Authorizers(invoke, jwt_validator=JwtValidator(project_root, jwks), log=log)
