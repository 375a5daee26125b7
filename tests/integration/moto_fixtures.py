"""A real moto_server on 127.0.0.1 for the deploy tests: started once per session, reset per test."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import boto3
import pytest

from app.deploy.connection import Connection

REGION = "us-east-1"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _post(url: str, body: dict[str, object] | None = None) -> None:
    data = json.dumps(body or {}).encode()
    req = urllib.request.Request(url, data=data, method="POST", headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=10) as resp:
        resp.read()


@pytest.fixture(scope="session")
def moto_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The endpoint URL of a moto_server subprocess (Lambda invoke without docker: moto's simple backend)."""
    exe = Path(sys.executable).parent / "moto_server"
    if not exe.exists():
        if os.environ.get("CI"):
            pytest.fail(f"{exe} is missing: install the test extras (moto[server])")
        pytest.skip("moto_server is not installed (pip install 'moto[server]')")
    port = _free_port()
    log = tmp_path_factory.mktemp("moto") / "moto.log"
    with log.open("wb") as out:
        # AWS managed policies (AWSLambdaBasicExecutionRole) exist in moto only when asked for.
        env = {**os.environ, "MOTO_IAM_LOAD_MANAGED_POLICIES": "true"}
        proc = subprocess.Popen(
            [str(exe), "-H", "127.0.0.1", "-p", str(port)], stdout=out, stderr=subprocess.STDOUT, env=env
        )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                with urllib.request.urlopen(f"{url}/moto-api/", timeout=1):
                    break
            except OSError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    pytest.fail(f"moto_server did not start: {log.read_text(errors='replace')[-2000:]}")
                time.sleep(0.1)
        # Lambda invoke without docker: moto's simple backend answers with the event.
        _post(f"{url}/moto-api/config", {"lambda": {"use_docker": False}})
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


@pytest.fixture
def moto_url(moto_server: str) -> str:
    """The shared server; tests use their own names instead of a reset (a reset costs 1-3 s in moto)."""
    return moto_server


def moto_connection(url: str) -> Connection:
    session = boto3.Session(aws_access_key_id="testing", aws_secret_access_key="testing", region_name=REGION)
    return Connection(session=session, region=REGION, endpoint_url=url)


@pytest.fixture
def conn(moto_url: str) -> Connection:
    return moto_connection(moto_url)


class CallCounter:
    """Records the API operations (and their parameters) a real botocore client sends, via its event hooks."""

    def __init__(self) -> None:
        self.calls: list[str] = []
        self.params: list[tuple[str, dict[str, object]]] = []

    def attach(self, client: object) -> CallCounter:
        client.meta.events.register("provide-client-params.*.*", self._on_call)  # type: ignore[attr-defined]
        return self

    def _on_call(self, params: dict[str, object], model: object, **_: object) -> None:
        name = model.name  # type: ignore[attr-defined]
        self.calls.append(name)
        self.params.append((name, dict(params)))

    def count(self, name: str) -> int:
        return self.calls.count(name)

    def params_of(self, name: str) -> list[dict[str, object]]:
        return [p for n, p in self.params if n == name]
