"""Deploying against a real moto_server: create with a new role, no-op redeploy, code and config changes."""

from __future__ import annotations

from pathlib import Path

import pytest

from app.deploy.deploy import deploy_function
from app.deploy.progress import Progress
from tests.integration.deploy_helpers import make_function, options
from tests.integration.moto_fixtures import CallCounter, conn, moto_server, moto_url  # noqa: F401

pytestmark = pytest.mark.moto


def test_first_deploy_creates_role_and_function(conn, tmp_path: Path) -> None:  # noqa: F811
    fn = make_function(tmp_path)
    events: list[Progress] = []
    plan, result = deploy_function(conn, fn, options(tmp_path, create_role=True), sink=events.append)
    assert plan.action == "create"
    assert result is not None and result.created
    assert result.role_created and result.role_created.endswith(":role/lambda-studio-studio-hello")
    cfg = conn.client("lambda").get_function(FunctionName="studio-hello")["Configuration"]
    assert cfg["CodeSha256"] == plan.package.sha256
    assert cfg["Runtime"] == "python3.12" and cfg["MemorySize"] == 256 and cfg["Timeout"] == 10
    assert cfg["Environment"]["Variables"] == {"STAGE": "dev"}
    assert cfg["Role"] == result.role_created
    role = conn.client("iam").list_attached_role_policies(RoleName="lambda-studio-studio-hello")
    assert [p["PolicyName"] for p in role["AttachedPolicies"]] == ["AWSLambdaBasicExecutionRole"]
    steps = [e.step for e in events]
    assert steps[0] == "package" and "create" in steps and steps[-1] == "done"


def test_noop_redeploy_sends_no_upload_and_no_update(conn, tmp_path: Path) -> None:  # noqa: F811
    fn = make_function(tmp_path)
    deploy_function(conn, fn, options(tmp_path, create_role=True))
    counter = CallCounter().attach(conn.client("lambda"))
    plan, result = deploy_function(conn, fn, options(tmp_path))
    assert plan.action == "none" and not plan.changes and not plan.code_changed
    assert result is not None and not result.changed
    assert counter.calls == ["GetFunction"], counter.calls
    assert "no changes" in plan.render()
