"""Test JWTs for the window's auth preset: a project-local RSA key whose public half the local API trusts.

Kept apart from app/local/api_auth.py so that opening a project does not import PyJWT (about a third of a
second): the key is made and PyJWT loaded only when the first token is signed.
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path
from typing import Any

PROJECT_JWKS = Path(".lambda-studio") / "jwks.json"
LOCAL_KID = "lambda-studio-local"
LOCAL_KEY = Path(".lambda-studio") / "local-jwt-key.pem"


def _write_private(path: Path, data: bytes) -> None:
    """Writes a private key readable by the owner only from its first byte (no umask window)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as out:
        out.write(data)
    path.chmod(0o600)


def local_jwt_signer(project_root: Path) -> Any:
    """A signer for test JWTs: an RSA key kept in PROJECT/.lambda-studio/, whose public half is added to
    PROJECT/.lambda-studio/jwks.json (other keys there are kept), made the first time it signs."""

    def sign(claims: dict[str, Any]) -> str:
        import jwt
        from cryptography.hazmat.primitives import serialization
        from cryptography.hazmat.primitives.asymmetric import rsa

        key_path = project_root / LOCAL_KEY
        jwks_path = project_root / PROJECT_JWKS
        if key_path.is_file():
            key = serialization.load_pem_private_key(key_path.read_bytes(), password=None)
        else:
            key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
            pem = key.private_bytes(
                serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
            )
            _write_private(key_path, pem)
        try:
            document = json.loads(jwks_path.read_text(encoding="utf-8")) if jwks_path.is_file() else {}
        except ValueError:
            document = {}
        public = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(key.public_key()))  # type: ignore[arg-type]
        mine = {**public, "kid": LOCAL_KID, "use": "sig", "alg": "RS256"}
        found = document.get("keys") if isinstance(document, dict) else None
        keys = [k for k in found if isinstance(k, dict)] if isinstance(found, list) else []
        if mine not in keys:  # written once; other keys in the file are kept
            keys = [k for k in keys if k.get("kid") != LOCAL_KID] + [mine]
            jwks_path.write_text(json.dumps({"keys": keys}, indent=2), encoding="utf-8")
        now = int(time.time())
        payload = {"iat": now, "exp": now + 3600, **claims}
        return jwt.encode(payload, key, algorithm="RS256", headers={"kid": LOCAL_KID})  # type: ignore[arg-type]

    return sign
