"""Inline code (SAM InlineCode, CloudFormation Code.ZipFile) invokes locally from index.py, as in Lambda."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import pytest

from app.cli import main
from app.invoke import inline_code_dir

TEMPLATE = """\
Transform: AWS::Serverless-2016-10-31
Resources:
  Sam:
    Type: AWS::Serverless::Function
    Properties:
      Runtime: python3.11
      Handler: index.handler
      InlineCode: |
        def handler(event, context):
            return {"inline": event["n"] * 2}
  Cfn:
    Type: AWS::Lambda::Function
    Properties:
      Runtime: python3.11
      Handler: app.handler
      Role: arn:aws:iam::123456789012:role/r
      Code:
        ZipFile: |
          def handler(event, context):
              return 1
"""


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("LAMBDA_STUDIO_CACHE", str(tmp_path / "cache"))
    (tmp_path / "proj").mkdir()
    (tmp_path / "proj" / "template.yaml").write_text(TEMPLATE)
    (tmp_path / "event.json").write_text('{"n": 21}')
    return tmp_path


def test_sam_inline_code_runs(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    args = [
        "invoke",
        str(project / "proj"),
        "Sam",
        "--event",
        str(project / "event.json"),
        "--backend",
        "process",
    ]
    assert main(args) == 0
    assert json.loads(capsys.readouterr().out) == {"inline": 42}


def test_zipfile_is_index_py_so_another_module_name_fails_as_in_lambda(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["invoke", str(project / "proj"), "Cfn", "--backend", "process"]) == 1
    error = json.loads(capsys.readouterr().out)
    assert error["errorType"] == "Runtime.ImportModuleError"
    assert "Unable to import module 'app'" in error["errorMessage"]


def test_inline_code_dir_is_stable_per_content(tmp_path: Path) -> None:
    code = textwrap.dedent("def handler(e, c):\n    return 1\n")
    first = inline_code_dir(code, tmp_path)
    assert first == inline_code_dir(code, tmp_path)
    assert (first / "index.py").read_text() == code
    assert inline_code_dir(code + "# changed\n", tmp_path) != first
