"""`serve` through the backend interface: --backend, --concurrency (429 past it), backlog, Event invokes."""

from __future__ import annotations

import argparse
import json
import textwrap
import threading
import time
import urllib.request
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from app.commands import serve
from runner.ports import free_port

TEMPLATE = """
AWSTemplateFormatVersion: "2010-09-09"
Transform: AWS::Serverless-2016-10-31
Globals:
  Function:
    Runtime: python3.11
    Timeout: 5
    CodeUri: src/
    Environment:
      Variables:
        MARKS: MARKS_DIR
Resources:
  Fast:
    Type: AWS::Serverless::Function
    Properties:
      Handler: app.fast
  Slow:
    Type: AWS::Serverless::Function
    Properties:
      FunctionName: slow-fn
      Handler: app.slow
"""
APP = """
import os, time

def fast(event, context):
    return {"n": event.get("n")}

def slow(event, context):
    time.sleep(event.get("sleep", 0.8))
    if "mark" in event:
        open(os.path.join(os.environ["MARKS"], event["mark"]), "w").close()
    return "slept"
"""


@pytest.fixture(scope="module")
def marks(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("marks")


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory, marks: Path) -> Iterator[str]:
    root = tmp_path_factory.mktemp("serveproj")
    (root / "template.yaml").write_text(TEMPLATE.replace("MARKS_DIR", str(marks)))
    (root / "src").mkdir()
    (root / "src" / "app.py").write_text(textwrap.dedent(APP))
    port = free_port()
    stop = threading.Event()
    args = argparse.Namespace(
        project=str(root), port=port, host="127.0.0.1", env_vars=None, backend="process", concurrency=2
    )
    # The handlers leave marks in a host folder: unsandboxed, since the process backend's sandbox
    # (docs/sandbox.md) makes every host folder read-only, as Lambda would.
    env = pytest.MonkeyPatch()
    env.setenv("LAMBDA_STUDIO_SANDBOX", "off")
    thread = threading.Thread(target=serve.run, args=(args, stop), daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 20
    while True:
        try:
            urllib.request.urlopen(url + "/lambda-studio/health", timeout=1).read()
            break
        except OSError:
            assert time.monotonic() < deadline, "serve did not start"
            time.sleep(0.05)
    yield url
    stop.set()
    thread.join(10)
    env.undo()


def _client(url: str, max_pool: int = 10):  # type: ignore[no-untyped-def]
    import boto3
    from botocore.config import Config

    return boto3.client(
        "lambda", endpoint_url=url, region_name="us-east-1", aws_access_key_id="x",
        aws_secret_access_key="x",
        config=Config(retries={"max_attempts": 0, "mode": "standard"}, max_pool_connections=max_pool),
    )  # fmt: skip


def test_concurrency_option_throttles_past_the_limit(served: str) -> None:
    client = _client(served)
    throttled: list[int] = []

    def call(_: int) -> str:
        try:
            return json.loads(client.invoke(FunctionName="slow-fn", Payload=b"{}")["Payload"].read())
        except client.exceptions.TooManyRequestsException:
            throttled.append(1)
            return "throttled"

    with ThreadPoolExecutor(5) as pool:
        answers = list(pool.map(call, range(5)))
    assert answers.count("slept") >= 2 and len(throttled) >= 1
    assert answers.count("slept") + len(throttled) == 5


def test_fifty_clients_at_once_get_no_connection_errors(served: str) -> None:
    errors: list[str] = []
    ok: list[int] = []
    start = threading.Barrier(50)

    def client_run(i: int) -> None:
        client = _client(served, 1)  # its own connection, as 50 separate boto3 clients
        start.wait(10)
        for j in range(4):
            try:
                resp = client.invoke(FunctionName="Fast", Payload=json.dumps({"n": j}).encode())
                payload = json.loads(resp["Payload"].read())
                if payload == {"n": j}:
                    ok.append(1)
                else:
                    errors.append(f"wrong payload {payload}")
            except client.exceptions.TooManyRequestsException:
                ok.append(1)  # a throttle is an answer (the limit is 2 here); a reset is not
            except Exception as exc:  # noqa: BLE001 - the failure under test
                errors.append(f"{type(exc).__name__}: {exc}")

    threads = [threading.Thread(target=client_run, args=(i,)) for i in range(50)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert errors == [] and len(ok) == 200


def test_event_invokes_through_serve_all_run(served: str, marks: Path) -> None:
    client = _client(served)
    for i in range(8):
        body = json.dumps({"sleep": 0.2, "mark": f"event-{i}"}).encode()
        assert client.invoke(FunctionName="Slow", InvocationType="Event", Payload=body)["StatusCode"] == 202
    deadline = time.monotonic() + 30
    while len(list(marks.glob("event-*"))) < 8 and time.monotonic() < deadline:
        time.sleep(0.1)
    assert sorted(p.name for p in marks.glob("event-*")) == sorted(f"event-{i}" for i in range(8))


def test_serve_refuses_nan_and_oversized_events(served: str) -> None:
    client = _client(served)
    with pytest.raises(client.exceptions.InvalidRequestContentException):
        client.invoke(FunctionName="Fast", Payload=b'{"n": NaN}')
    with pytest.raises(client.exceptions.RequestTooLargeException):
        client.invoke(FunctionName="Fast", Payload=b'"' + b"a" * 6_291_455 + b'"')


def test_concurrency_must_be_positive() -> None:
    parser = argparse.ArgumentParser()
    serve.register(parser.add_subparsers())
    with pytest.raises(SystemExit):
        parser.parse_args(["serve", ".", "--concurrency", "0"])
    args = parser.parse_args(["serve", ".", "--concurrency", "3", "--backend", "container"])
    assert (args.concurrency, args.backend) == (3, "container")


def test_auto_backend_without_an_engine_prewarms_the_process_runtime(tmp_path: Path) -> None:
    from app.local.functions import LocalFunctions
    from app.project.loader import load_project
    from runner.backends.auto import AutoBackend
    from runner.backends.container.engine import connect

    (tmp_path / "template.yaml").write_text(TEMPLATE.replace("MARKS_DIR", str(tmp_path)))
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "app.py").write_text(textwrap.dedent(APP))
    backend = AutoBackend(
        process_options={"cache_dir": tmp_path / "cache"},
        client_factory=lambda: connect(f"unix://{tmp_path}/no-docker.sock", timeout=2),
    )
    local = LocalFunctions(load_project(str(tmp_path)), backend)
    try:
        local.prewarm()
        emu = backend._process_backend().emulator_for(local.config("Fast"))
        deadline = time.monotonic() + 15
        while emu.warm_count < 1 and time.monotonic() < deadline:
            time.sleep(0.05)
        assert emu.warm_count == 1  # initialised before any invoke
        result = local.invoke("Fast", b'{"n": 7}')
        assert result.ok and result.cold_start and result.metrics and result.metrics.init_duration_ms
        assert "not in a container" in (result.note or "")
    finally:
        local.close()
