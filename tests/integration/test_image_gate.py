"""Image mode's gate: the image's RIE answers only through a token-checked door, never from the bridge."""

from __future__ import annotations

import http.client
import json
import os
import socket
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from runner import emulator
from runner.backends.container import rie_gate
from runner.backends.container.backend import ContainerBackend
from runner.config import FunctionConfig
from tests.integration import docker_fixtures

docker_client = docker_fixtures.docker_client
test_image = docker_fixtures.test_image
INVOKE_PATH = "/2015-03-31/functions/function/invocations"
HANDLER = """
import os

def handler(event, context):
    try:
        with open("/proc/1/environ", "rb") as f:
            init_env = f.read().decode("utf-8", "replace")
    except OSError as exc:
        init_env = "unreadable: " + type(exc).__name__
    return {"env": dict(os.environ), "init_env": init_env}
"""


def test_gate_uses_the_emulators_token_names() -> None:
    assert (rie_gate.TOKEN_ENV, rie_gate.TOKEN_HEADER) == (emulator.TOKEN_ENV, emulator.TOKEN_HEADER)


@pytest.fixture
def backend(docker_client: Any, test_image: str, tmp_path: Path) -> Iterator[ContainerBackend]:
    made = ContainerBackend(
        docker_client, f"pytest-gate-{uuid.uuid4().hex[:8]}", tmp_path / "cache",
        image_override=test_image, entrypoint_mode="image",
    )  # fmt: skip
    yield made
    made.close()


def _post(host: str, port: int, headers: dict[str, str]) -> tuple[int, bytes]:
    conn = http.client.HTTPConnection(host, port, timeout=30)
    try:
        conn.request("POST", INVOKE_PATH, body=b"{}", headers=headers)
        resp = conn.getresponse()
        return resp.status, resp.read()
    finally:
        conn.close()


@pytest.mark.docker
@pytest.mark.timeout(180)
def test_image_mode_answers_only_with_the_token(backend: ContainerBackend, tmp_path: Path) -> None:
    code = tmp_path / "code"
    code.mkdir()
    (code / "app.py").write_text(HANDLER)
    os.chmod(code, 0o755)
    cfg = FunctionConfig(
        function_id="gated", name="gated", handler="app.handler", runtime="python3.11", code_dir=code,
        timeout_s=30,
    )  # fmt: skip
    r = backend.invoke(cfg, b"{}")
    assert r.ok, r.payload
    w = backend.pool.current("gated")
    assert w is not None and w.token
    seen = json.loads(r.payload)
    # The function never sees the token: not in its environment, not in the gate's /proc entry.
    assert w.token not in json.dumps(seen["env"]) and w.token not in seen["init_env"]
    assert seen["env"]["_HANDLER"] == "app.handler"
    # From the host's published port and from the docker bridge: refused without the token.
    assert _post("127.0.0.1", w.port, {})[0] == 403
    w.container.reload()
    nets = w.container.attrs["NetworkSettings"]["Networks"]
    ip = next(n["IPAddress"] for n in nets.values() if n["IPAddress"])
    status, body = _post(ip, 8080, {rie_gate.TOKEN_HEADER: "wrong"})
    assert status == 403 and rie_gate.TOKEN_HEADER.encode() in body
    # RIE itself (and its Runtime API) listen on the container's loopback only.
    for port in (rie_gate.INNER[1], 9001):
        with pytest.raises(OSError):
            socket.create_connection((ip, port), timeout=5).close()
    # With the token, the bridge path reaches RIE (the gate forwards; this is what the backend does).
    status, body = _post(ip, 8080, {rie_gate.TOKEN_HEADER: w.token})
    assert status == 200 and "init_env" in json.loads(body)
