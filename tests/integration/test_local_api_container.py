"""`start-api --backend container` on the real docker engine: requests served from warm containers, and
Ctrl-C (SIGINT) or SIGTERM leaves no container behind."""

from __future__ import annotations

import http.client
import json
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from runner.backends.container.launch import LABEL_PROJECT
from runner.backends.container.sandbox import project_label
from runner.ports import free_port
from tests.integration import docker_fixtures
from tests.unit.local_api_project import PNG, write_project

docker_client = docker_fixtures.docker_client
test_image = docker_fixtures.test_image

pytestmark = [pytest.mark.docker, pytest.mark.timeout(180)]


def _get(
    port: int, method: str, path: str, body: bytes | None = None, headers: dict[str, str] | None = None
) -> tuple[int, bytes]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    try:
        conn.request(method, path, body=body, headers=headers or {})
        response = conn.getresponse()
        return response.status, response.read()
    finally:
        conn.close()


def _wait_listening(port: int, proc: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        assert proc.poll() is None, proc.stderr.read().decode() if proc.stderr else "exited"
        try:
            http.client.HTTPConnection("127.0.0.1", port, timeout=2).connect()
            return
        except OSError:
            time.sleep(0.2)
    raise AssertionError("start-api did not listen within 60 s")


@pytest.mark.parametrize("stop_signal", [signal.SIGINT, signal.SIGTERM])
def test_start_api_on_containers_serves_and_leaves_nothing(
    docker_client: Any, test_image: str, tmp_path: Path, stop_signal: signal.Signals
) -> None:
    root = write_project(tmp_path / "proj").resolve()
    port = free_port()
    cmd = [
        sys.executable, "-m", "app.cli", "start-api", str(root), "--backend", "container",
        "--container-image", test_image, "--port", str(port),
    ]  # fmt: skip
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        _wait_listening(port, proc)
        status, body = _get(port, "GET", "/v2/ada?x=1")
        assert status == 200, body
        event = json.loads(body)
        assert (event["routeKey"], event["pathParameters"]) == ("GET /v2/{name}", {"name": "ada"})
        status, body = _get(port, "POST", "/explicit/echo", PNG, {"Content-Type": "image/png"})
        assert status == 200 and json.loads(body)["isBase64Encoded"] is True
        assert _get(port, "GET", "/fail")[0] == 502
        # hot reload on containers: the next request after an edit runs the new code
        assert json.loads(_get(port, "GET", "/reload")[1]) == {"version": 1}
        (root / "reload" / "app.py").write_text("def handler(event, context):\n    return {'version': 2}\n")
        assert json.loads(_get(port, "GET", "/reload")[1]) == {"version": 2}
        label = f"{LABEL_PROJECT}={project_label(root)}"  # start-api labels its containers by project
        running = docker_client.containers.list(filters={"label": label})
        assert running, "the functions should run in containers"
    finally:
        proc.send_signal(stop_signal)
        try:
            out, err = proc.communicate(timeout=60)
        except subprocess.TimeoutExpired:
            proc.kill()
            out, err = proc.communicate()
    assert proc.returncode in (0, 130), err.decode()
    assert b"GET     /v2/{name}" in out or b"/v2/{name}" in out
    left = docker_client.containers.list(
        all=True, filters={"label": f"{LABEL_PROJECT}={project_label(root)}"}
    )
    assert left == [], [c.name for c in left]
