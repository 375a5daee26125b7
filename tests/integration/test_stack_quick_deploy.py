"""The quick (one-function) deploy warns when the function belongs to a CloudFormation stack."""

from __future__ import annotations

from pathlib import Path

import pytest

from app.blueprints import create_project
from app.deploy.connection import Connection
from app.deploy.plan import DeployOptions, make_plan
from app.deploy.stack.model import StackOptions
from app.deploy.stack.operations import execute_plan, plan_stack
from app.project.loader import load_project
from tests.integration.deploy_helpers import cache_dir
from tests.integration.moto_fixtures import conn, moto_server, moto_url  # noqa: F401

pytestmark = pytest.mark.moto


def test_quick_deploy_of_a_stack_function_warns_that_it_drifts_the_stack(
    conn: Connection,  # noqa: F811
    tmp_path: Path,
) -> None:
    project = create_project("hello-world", tmp_path / "quick", "quickwarn")
    opts = StackOptions(stack_name="quickwarn", cache_dir=cache_dir(tmp_path), transform="local", poll_s=0.1)
    assert execute_plan(conn, plan_stack(conn, project, opts)).ok
    fn = load_project(project).function("HelloWorldFunction")
    assert fn is not None and fn.function_name == "quickwarn-dev-hello"
    # CloudFormation tags every resource it creates with the stack's name; moto does not, so the test
    # adds the tag CloudFormation would have added.
    lam = conn.client("lambda")
    arn = lam.get_function(FunctionName=fn.function_name)["Configuration"]["FunctionArn"]
    lam.tag_resource(Resource=arn, Tags={"aws:cloudformation:stack-name": "quickwarn"})
    plan = make_plan(conn, fn, DeployOptions(cache_dir=cache_dir(tmp_path)))
    assert plan.exists and plan.stack_name == "quickwarn"
    assert any("belongs to the CloudFormation stack quickwarn" in n for n in plan.notes)
    assert "drifts" in plan.render() and plan.to_json()["stack"] == "quickwarn"


def test_quick_deploy_of_a_lone_function_says_nothing_about_stacks(
    conn: Connection,  # noqa: F811
    tmp_path: Path,
) -> None:
    project = create_project("hello-world", tmp_path / "lone", "lonefn")
    fn = load_project(project).function("HelloWorldFunction")
    assert fn is not None
    plan = make_plan(conn, fn, DeployOptions(cache_dir=cache_dir(tmp_path), create_role=True))
    assert plan.stack_name is None and not any("stack" in n for n in plan.notes)
