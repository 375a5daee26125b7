"""Lambda's documented limits are checked locally, before any AWS call, by deploy and remote alike."""

from __future__ import annotations

import socketserver
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from app.cli import main
from app.deploy.errors import DeployError
from app.deploy.limits import function_name_problem, function_problems, handler_problem, refuse_function
from app.project.loader import load_project
from app.project.model import FunctionSpec, LayerSpec

TEMPLATE = """\
Resources:
  Fn:
    Type: AWS::Serverless::Function
    Properties:
      FunctionName: {name}
      Handler: app.handler
      Runtime: python3.12
      CodeUri: .
"""


class _Counter(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True
    connections = 0


class _Handler(socketserver.BaseRequestHandler):
    def handle(self) -> None:
        assert isinstance(self.server, _Counter)
        self.server.connections += 1  # and close: any call made would fail


@pytest.fixture
def endpoint() -> Iterator[_Counter]:
    """A real listener on 127.0.0.1 that counts connections: a local refusal must make none."""
    server = _Counter(("127.0.0.1", 0), _Handler)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()
    thread.join(5)


def _url(server: _Counter) -> str:
    return f"http://127.0.0.1:{server.server_address[1]}"


@pytest.mark.parametrize(
    "name",
    [
        "a",
        "x" * 64,
        "my-function_1",
        "my-function:prod",
        "123456789012:function:my-function",
        "arn:aws:lambda:us-west-2:123456789012:function:my-function",
        "arn:aws-us-gov:lambda:us-gov-west-1:123456789012:function:my-function:$LATEST",
    ],
)
def test_valid_names_and_arns(name: str) -> None:
    assert function_name_problem(name) is None


@pytest.mark.parametrize(
    "name,says",
    [
        ("x" * 65, "65 characters; Lambda allows at most 64"),
        ("bad name!", "not a function name or ARN"),
        ("", "empty"),
        ("a/b", "not a function name or ARN"),
        ("arn:aws:lambda:us-west-2:123456789012:function:" + "y" * 65, "at most 64"),
        ("z" * 141, "allows 140"),
    ],
)
def test_invalid_names_are_explained(name: str, says: str) -> None:
    problem = function_name_problem(name)
    assert problem is not None and "FunctionName" in problem and says in problem


@pytest.mark.parametrize(
    "handler,says",
    [(None, "no Handler"), ("nodot", "module.function"), ("app .h", "spaces"), ("a." + "b" * 127, "128")],
)
def test_bad_handlers(handler: str | None, says: str) -> None:
    problem = handler_problem(handler)
    assert problem is not None and says in problem
    assert handler_problem("pkg/mod.handler") is None


def test_every_setting_limit_names_the_field_and_the_limit(tmp_path: Path) -> None:
    fn = FunctionSpec("F", "f", "app.handler", "python3.12", None, code_dir=tmp_path)
    assert function_problems(fn) == []
    fn.memory_size, fn.timeout, fn.ephemeral_storage = 10_241, 0, 511
    fn.layers = [LayerSpec(None, arn=f"arn:aws:lambda:us-east-1:123456789012:layer:l{i}:1") for i in range(6)]
    fn.environment = {"K": "v" * 4096}
    found = {p.field: p.message for p in function_problems(fn)}
    assert found == {
        "MemorySize": "MemorySize 10241 MB is outside 128–10,240 MB",
        "Timeout": "Timeout 0 s is outside 1–900 s",
        "EphemeralStorage": "EphemeralStorage 511 MB is outside 512–10,240 MB",
        "Layers": "6 layers; Lambda allows at most 5",
        "Environment": "environment variables take 4,097 bytes; Lambda allows 4 KB (4,096 bytes) in total",
    }
    with pytest.raises(DeployError) as info:
        refuse_function(fn)
    assert info.value.kind == "limit" and "EphemeralStorage 511 MB" in info.value.message


def test_the_template_reports_a_bad_function_name(tmp_path: Path) -> None:
    (tmp_path / "template.yaml").write_text(TEMPLATE.format(name="'bad name!'"))
    (tmp_path / "app.py").write_text("def handler(e, c):\n    return 1\n")
    fn = load_project(tmp_path).functions[0]
    assert [(d.code, d.line) for d in fn.diagnostics] == [("function-name", 5)]


def test_cli_deploy_refuses_a_long_name_without_calling_aws(
    tmp_path: Path, endpoint: _Counter, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "template.yaml").write_text(TEMPLATE.format(name="n" * 65))
    (tmp_path / "app.py").write_text("def handler(e, c):\n    return 1\n")
    args = ["deploy", str(tmp_path), "Fn", "--region", "us-east-1", "--endpoint-url", _url(endpoint)]
    assert main([*args, "--cache-dir", str(tmp_path / "cache"), "--dry-run"]) == 2
    err = capsys.readouterr().err
    assert "65 characters; Lambda allows at most 64" in err and "Traceback" not in err
    assert endpoint.connections == 0
    assert not (tmp_path / "cache").exists()  # refused before packaging, too


@pytest.mark.parametrize("command", ["show", "invoke", "logs", "download"])
def test_remote_refuses_a_bad_name_without_calling_aws(
    tmp_path: Path, endpoint: _Counter, capsys: pytest.CaptureFixture[str], command: str
) -> None:
    extra = [str(tmp_path / "out")] if command == "download" else []
    argv = ["remote", command, "bad name!", *extra, "--region", "us-east-1", "--endpoint-url", _url(endpoint)]
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert "not a function name or ARN" in err and "<html" not in err.lower()
    assert endpoint.connections == 0
    assert not (tmp_path / "out").exists()
