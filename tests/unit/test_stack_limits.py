"""A stack deploy refuses Lambda's documented limits (app/deploy/limits.py) before any AWS call."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest

from app.cli import main


def closed_port() -> int:
    # A port nothing listens on: any AWS call would fail as a network error (exit 1), not exit 2.
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_limits_are_refused_naming_function_and_field(
    example_project: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    tpl = example_project / "template.yaml"
    text = tpl.read_text()
    text = text.replace("      MemorySize: 512\n", "      MemorySize: 20000\n")
    text = text.replace("      Handler: app.handler\n", "      Handler: apphandler\n")
    tpl.write_text(text)
    url = f"http://127.0.0.1:{closed_port()}"
    code = main(["stack", "deploy", str(example_project), "--stack-name", "lim", "--endpoint-url", url,
                 "--region", "us-east-1", "--cache-dir", str(tmp_path / "cache"), "--yes"])  # fmt: skip
    err = capsys.readouterr().err
    assert code == 2, err
    assert "OrdersFunction.MemorySize: MemorySize 20000 MB is outside 128–10,240 MB" in err
    assert "OrdersFunction.Handler: Handler 'apphandler' must be 'module.function'" in err
    assert "HelloFunction" not in err  # within limits; its logical id is not held to the name rule


def test_a_function_without_function_name_is_not_held_to_the_name_rule(
    example_project: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from app.deploy.stack.operations import refuse_limits
    from app.project.loader import load_project

    tpl = example_project / "template.yaml"
    long_id = "Orders" + "X" * 70 + "Function"  # a valid logical id longer than a function name may be
    tpl.write_text(tpl.read_text().replace("  OrdersFunction:\n", f"  {long_id}:\n"))
    project = load_project(example_project)
    assert any(f.logical_id == long_id for f in project.functions)
    refuse_limits(project.functions)  # CloudFormation names it: no refusal
    tpl.write_text(tpl.read_text().replace(
        f"  {long_id}:\n    Type: AWS::Serverless::Function\n    Properties:\n",
        f"  {long_id}:\n    Type: AWS::Serverless::Function\n    Properties:\n      FunctionName: {'n' * 65}\n",
    ))  # fmt: skip
    from app.deploy.errors import DeployError

    with pytest.raises(DeployError) as info:
        refuse_limits(load_project(example_project).functions)
    assert f"{long_id}.FunctionName:" in info.value.message
    assert info.value.kind == "limit"
