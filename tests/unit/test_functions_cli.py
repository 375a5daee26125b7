"""`lambda-studio functions`: text and JSON output, and exit codes."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from app.cli import main
from tests.conftest import EXAMPLE, REPO


def test_json_lists_every_function_field(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["functions", str(EXAMPLE), "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["root"] == str(EXAMPLE)
    hello = data["functions"][0]
    assert hello["id"] == "HelloFunction"
    expected_keys = {"id", "name", "handler", "runtime", "architectures", "code_dir", "memory_size", "timeout",
                     "environment", "layers", "events", "diagnostics", "template", "line", "column"}  # fmt: skip
    assert expected_keys <= set(hello)
    assert hello["layers"][0]["content_dir"] == str(EXAMPLE / "layers" / "common")
    assert hello["events"] == [{"name": "Greet", "type": "HttpApi"}]


def test_text_output(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["functions", str(EXAMPLE)]) == 0
    out = capsys.readouterr().out
    assert "HelloFunction  (hello-sam-dev-hello)" in out
    assert "memory        512 MB" in out
    assert "events        Orders (SQS)" in out


def test_diagnostics_do_not_change_exit_code(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "template.yaml").write_text(
        "Resources:\n  Fn:\n    Type: AWS::Serverless::Function\n    Properties: {Handler: x, Runtime: python3.12, MemorySize: 1}\n"
    )
    assert main(["functions", str(tmp_path), "--json"]) == 0
    diags = json.loads(capsys.readouterr().out)["functions"][0]["diagnostics"]
    assert {d["code"] for d in diags} == {"memory-range", "handler-malformed"}
    assert all(d["line"] == 4 for d in diags)


def test_missing_path_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["functions", str(tmp_path / "missing")]) == 2
    assert "no such file or folder" in capsys.readouterr().err


def test_console_script_runs_in_a_subprocess() -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "app.cli", "functions", str(EXAMPLE), "--json"],
        cwd=REPO, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    assert [f["id"] for f in json.loads(proc.stdout)["functions"]] == ["HelloFunction", "OrdersFunction"]
