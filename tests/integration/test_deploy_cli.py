"""`lambda-studio deploy` and `lambda-studio remote` end to end on examples/hello-sam against moto_server."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from app.cli import main
from tests.integration.deploy_helpers import cache_dir
from tests.integration.moto_fixtures import REGION, aws_env, moto_server, moto_url  # noqa: F401

pytestmark = [pytest.mark.moto, pytest.mark.usefixtures("aws_env")]


def test_deploy_then_noop_then_remote(
    moto_url: str,  # noqa: F811
    example_project: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    # A region of its own, so the example's fixed names do not collide with other tests on the shared server.
    aws = ["--endpoint-url", moto_url, "--region", "ap-southeast-2"]
    common = [*aws, "--cache-dir", str(cache_dir(tmp_path)), "-q"]
    assert main(["deploy", str(example_project), "HelloFunction", *common, "--dry-run"]) == 2  # no role yet
    out = capsys.readouterr().out
    assert "create new function" in out and "needs an execution role" in out

    assert main(["deploy", str(example_project), "HelloFunction", *common, "--create-role", "--json"]) == 0
    first = json.loads(capsys.readouterr().out)
    assert first["plan"]["action"] == "create" and first["result"]["created"]
    assert first["result"]["layers_published"] == ["hello-sam-common:1"]

    assert main(["deploy", str(example_project), "HelloFunction", *common]) == 0
    out = capsys.readouterr().out
    assert "no changes" in out and "already up to date" in out

    (example_project / "src" / "hello" / "app.py").write_text("def lambda_handler(e, c):\n    return 1\n")
    assert main(["deploy", str(example_project), "HelloFunction", *common, "--json"]) == 0
    third = json.loads(capsys.readouterr().out)
    assert third["plan"]["code_changed"] and third["result"]["code_updated"]

    assert main(["remote", "list", *aws, "--json"]) == 0
    names = [f["name"] for f in json.loads(capsys.readouterr().out)]
    assert "hello-sam-dev-hello" in names

    assert main(["remote", "invoke", "hello-sam-dev-hello", "--payload", '{"a": 1}', *aws]) == 0
    assert json.loads(capsys.readouterr().out) == {"a": 1}  # moto's simple backend echoes the event

    assert main(["remote", "logs", "hello-sam-dev-hello", *aws]) == 2
    assert "No logs yet" in capsys.readouterr().err

    assert main(["deploy", str(example_project), "NoSuchFunction", *common]) == 2
    assert "HelloFunction" in capsys.readouterr().err
