"""`stack plan` changes nothing beyond the review against a real moto_server: no upload, no bucket, nothing left."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from app.cli import main
from app.deploy.errors import DeployError
from app.deploy.stack.events import describe_stack
from app.deploy.stack.operations import execute_plan, plan_stack
from tests.integration.deploy_helpers import cache_dir
from tests.integration.moto_fixtures import CallCounter, aws_env, moto_connection, moto_server, moto_url  # noqa: F401
from tests.integration.test_stack_moto import options

pytestmark = [pytest.mark.moto, pytest.mark.slow]


def test_plan_of_a_new_stack_uploads_nothing_and_leaves_nothing(
    moto_url: str,  # noqa: F811
    example_project: Path,
    tmp_path: Path,
    aws_env: None,  # noqa: F811
    capsys: pytest.CaptureFixture[str],
) -> None:
    region = "sa-east-1"
    conn = moto_connection(moto_url, region)
    counters = {s: CallCounter().attach(conn.client(s)) for s in ("s3", "cloudformation")}
    plan = plan_stack(conn, example_project, options(tmp_path, "planned", upload_artifacts=False))
    assert not plan.review.no_changes and plan.uploaded == 0
    assert {c.action for c in plan.review.changes} == {"Add"}
    assert counters["s3"].calls == []  # no bucket made, nothing uploaded
    assert "CreateChangeSet" in counters["cloudformation"].calls
    with pytest.raises(DeployError, match="without uploading the code"):
        execute_plan(conn, plan)

    aws = ["--endpoint-url", moto_url, "--region", region, "--cache-dir", str(cache_dir(tmp_path))]
    assert main(["stack", "plan", str(example_project), "--stack-name", "planned2", *aws, "--json"]) == 0
    review = json.loads(capsys.readouterr().out)
    assert review["noChanges"] is False and review["uploaded"] == 0
    assert (
        describe_stack(conn, "planned2") is None
    )  # the REVIEW_IN_PROGRESS stack was deleted with its change set
    names = [b["Name"] for b in conn.client("s3").list_buckets()["Buckets"]]
    assert f"lambda-studio-artifacts-123456789012-{region}" not in names  # not even the managed bucket


def test_plan_help_says_what_it_does(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["stack", "plan", "--help"])
    text = " ".join(capsys.readouterr().out.split())
    assert "No code is uploaded and no bucket made (only templates go" in text
    assert "sam deploy --no-execute-changeset" in text
