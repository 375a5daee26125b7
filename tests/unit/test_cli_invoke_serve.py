"""`lambda-studio invoke` and `serve` end to end on a small SAM project (boto3 against serve)."""

from __future__ import annotations

import argparse
import io
import json
import textwrap
import threading
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from app.cli import main
from app.commands import serve
from app.invoke import select_backend
from runner.backends.auto import AutoBackend
from runner.backends.process.backend import ProcessBackend
from runner.ports import free_port
from runner.result import SetupError

TEMPLATE = """
AWSTemplateFormatVersion: "2010-09-09"
Transform: AWS::Serverless-2016-10-31
Globals:
  Function:
    Runtime: python3.11
    Timeout: 2
    MemorySize: 128
    Layers: [!Ref Shared]
Resources:
  Shared:
    Type: AWS::Serverless::LayerVersion
    Properties:
      ContentUri: layer/
  Echo:
    Type: AWS::Serverless::Function
    Properties:
      FunctionName: echo-fn
      CodeUri: src/
      Handler: app.echo
      Environment:
        Variables:
          GREETING: hello
          OTHER: x
  Fail:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: src/
      Handler: app.fail
"""
APP = """
import os
import shared

def echo(event, context):
    print("echoing", event)
    return {"event": event, "greeting": os.environ["GREETING"], "other": os.environ["OTHER"],
            "new": os.environ.get("NEW"), "shared": shared.NAME}

def fail(event, context):
    raise KeyError("missing")
"""


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("cliproj")
    (root / "template.yaml").write_text(TEMPLATE)
    (root / "src").mkdir()
    (root / "src" / "app.py").write_text(textwrap.dedent(APP))
    (root / "layer" / "python").mkdir(parents=True)
    (root / "layer" / "python" / "shared.py").write_text("NAME = 'layer'\n")
    (root / "event.json").write_text('{"k": 1}')
    (root / "env.json").write_text(
        json.dumps({"Parameters": {"OTHER": "p"}, "Echo": {"GREETING": "hi", "NEW": "n"}})
    )
    return root


@pytest.fixture(autouse=True)
def cache(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LAMBDA_STUDIO_CACHE", str(tmp_path_factory.getbasetemp() / "lscache"))


def test_invoke_success_payload_on_stdout_logs_on_stderr(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(["invoke", str(project), "Echo", "--event", str(project / "event.json")])
    out, err = capsys.readouterr()
    assert code == 0
    assert json.loads(out) == {
        "event": {"k": 1},
        "greeting": "hello",
        "other": "x",
        "new": None,
        "shared": "layer",
    }
    assert "echoing {'k': 1}" in err and "START RequestId:" in err and "REPORT RequestId:" in err
    assert "Init Duration:" in err


def test_invoke_env_vars_file_and_stdin_event(
    project: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("sys.stdin", io.TextIOWrapper(io.BytesIO(b'{"from": "stdin"}')))
    code = main(["invoke", str(project), "echo-fn", "--event", "-", "--env-vars", str(project / "env.json")])
    out, _ = capsys.readouterr()
    assert code == 0
    data = json.loads(out)
    # SAM semantics: overrides apply to declared variables only (NEW is not in the template)
    assert data["event"] == {"from": "stdin"} and data["greeting"] == "hi" and data["other"] == "p"
    assert data["new"] is None


def test_invoke_function_error_exit_1_and_json(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["invoke", str(project), "Fail"]) == 1
    out, err = capsys.readouterr()
    assert json.loads(out)["errorType"] == "KeyError" and "[ERROR] KeyError" in err
    assert main(["invoke", str(project), "Fail", "--json"]) == 1
    result = json.loads(capsys.readouterr().out)
    assert result["outcome"] == "function_error" and result["error"]["type"] == "KeyError"
    frame = result["error"]["frames"][-1]
    assert frame["local_path"] == str(project / "src" / "app.py") and frame["function"] == "fail"
    assert result["metrics"]["max_memory_used_mb"] > 0 and "REPORT" in result["log"]


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["Nope"], "no function 'Nope'"),
        (["Echo", "--event", "/nonexistent.json"], "cannot read event file"),
        (["Echo", "--env-vars", "/nonexistent.json"], "cannot read env-vars file"),
    ],
)
def test_invoke_usage_errors_exit_2(
    project: Path, capsys: pytest.CaptureFixture[str], argv: list[str], message: str
) -> None:
    assert main(["invoke", str(project), *argv]) == 2
    assert message in capsys.readouterr().err


def test_invoke_bad_event_and_missing_project(
    project: Path, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    (tmp_path / "bad.json").write_text("{nope")
    assert main(["invoke", str(project), "Echo", "--event", str(tmp_path / "bad.json")]) == 2
    assert "not valid JSON" in capsys.readouterr().err
    assert main(["invoke", str(tmp_path / "missing"), "Echo"]) == 2


def test_select_backend_hook(tmp_path: Path) -> None:
    # Container-only options are dropped for the process backend; its own reach it.
    process = select_backend("process", cache_dir=tmp_path, concurrency=3, project="p", container_image="i")
    assert isinstance(process, ProcessBackend)
    assert (process.cache_dir, process.concurrency) == (tmp_path, 3)
    process.close()
    auto = select_backend("auto", cache_dir=tmp_path, project="p")
    assert isinstance(auto, AutoBackend)
    auto.close()
    with pytest.raises(
        SetupError, match="unknown backend 'nonsense'; choose one of auto, process, container"
    ):
        select_backend("nonsense")


@pytest.fixture(scope="module")
def served(project: Path) -> Iterator[str]:
    port = free_port()
    stop = threading.Event()
    args = argparse.Namespace(project=str(project), port=port, host="127.0.0.1", env_vars=None)
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


def test_boto3_against_serve(served: str) -> None:
    boto3 = pytest.importorskip("boto3")
    client = boto3.client(
        "lambda", endpoint_url=served, region_name="us-east-1",
        aws_access_key_id="x", aws_secret_access_key="x",
    )  # fmt: skip
    resp = client.invoke(FunctionName="echo-fn", Payload=b'{"b": 3}', LogType="Tail")
    assert resp["StatusCode"] == 200 and "FunctionError" not in resp
    assert json.loads(resp["Payload"].read())["event"] == {"b": 3}
    import base64

    assert "echoing {'b': 3}" in base64.b64decode(resp["LogResult"]).decode()
    assert client.invoke(FunctionName="Echo", InvocationType="Event", Payload=b"{}")["StatusCode"] == 202
    assert client.invoke(FunctionName="Echo", InvocationType="DryRun")["StatusCode"] == 204
    failed = client.invoke(FunctionName="Fail", Payload=b"{}")
    assert failed["StatusCode"] == 200 and failed["FunctionError"] == "Unhandled"
    assert json.loads(failed["Payload"].read())["errorType"] == "KeyError"
    with pytest.raises(client.exceptions.ResourceNotFoundException):
        client.invoke(FunctionName="Nope", Payload=b"{}")
