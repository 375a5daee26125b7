"""A deploy meets a stack in a state moto never reaches: failed create, failed rollback, busy elsewhere.

The cloudformation client is real and talks to a real moto_server; botocore's own `before-call` hook
answers DescribeStacks with a recorded response (shaped as AWS documents it, validated against
botocore's output model) for the first calls only, so what the deploy does next is real again.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import botocore.session
import pytest
from botocore.validate import ParamValidator

from app.blueprints import create_project
from app.deploy.connection import Connection
from app.deploy.errors import DeployError
from app.deploy.stack.model import StackOptions
from app.deploy.stack.operations import plan_stack
from tests.integration.deploy_helpers import cache_dir
from tests.integration.moto_fixtures import CallCounter, moto_connection, moto_server, moto_url  # noqa: F401

pytestmark = pytest.mark.moto
REGION = "af-south-1"


def recorded_stack(name: str, status: str) -> dict[str, Any]:
    response = {
        "Stacks": [
            {
                "StackId": f"arn:aws:cloudformation:us-east-1:123456789012:stack/{name}/5e2b1f40-0b8a-11ef-9d3c-0a1b2c3d4e5f",
                "StackName": name,
                "CreationTime": datetime(2026, 11, 30, 3, 0, tzinfo=UTC),
                "StackStatus": status,
                "StackStatusReason": "The following resource(s) failed to create: [UploadBucket].",
                "DisableRollback": False,
                "NotificationARNs": [],
                "Capabilities": ["CAPABILITY_IAM"],
                "Tags": [],
                "EnableTerminationProtection": False,
                "DriftInformation": {"StackDriftStatus": "NOT_CHECKED"},
            }
        ]
    }
    model = botocore.session.get_session().get_service_model("cloudformation")
    report = ParamValidator().validate(response, model.operation_model("DescribeStacks").output_shape)
    assert not report.has_errors(), report.generate_report()
    return response


def answer_describe_stacks(conn: Connection, response: dict[str, Any], times: int) -> list[int]:
    """The first `times` DescribeStacks calls get `response`; later ones go to moto."""
    used = [0]

    def hook(**_: Any) -> Any:
        if used[0] >= times:
            return None
        used[0] += 1
        return SimpleNamespace(status_code=200, headers={}), response

    conn.client("cloudformation").meta.events.register("before-call.cloudformation.DescribeStacks", hook)
    return used


def options(tmp_path: Path, name: str, **kw: Any) -> StackOptions:
    return StackOptions(stack_name=name, cache_dir=cache_dir(tmp_path), transform="local", poll_s=0.05, **kw)


@dataclass
class Recorded:
    """A connection whose first `times` DescribeStacks calls find the stack in a recorded state."""

    conn: Connection
    used: list[int]  # how many recorded answers were given
    counter: CallCounter
    project: Path
    tmp_path: Path

    def plan(self, name: str, **kw: Any) -> Any:
        return plan_stack(self.conn, self.project, options(self.tmp_path, name, **kw))


@pytest.fixture
def recorded(moto_url: str, tmp_path: Path) -> Callable[[str, str, int], Recorded]:  # noqa: F811
    def make(name: str, status: str, times: int) -> Recorded:
        conn = moto_connection(moto_url, REGION)
        used = answer_describe_stacks(conn, recorded_stack(name, status), times)
        counter = CallCounter().attach(conn.client("cloudformation"))
        project = create_project("sqs-batch", tmp_path / "states", "states")
        return Recorded(conn, used, counter, project, tmp_path)

    return make


def test_rollback_complete_is_refused_with_delete_and_retry(recorded: Callable[..., Recorded]) -> None:
    stack = recorded("failed-once", "ROLLBACK_COMPLETE", times=1)
    with pytest.raises(DeployError) as info:
        stack.plan("failed-once")
    assert info.value.kind == "conflict" and "ROLLBACK_COMPLETE" in info.value.message
    assert "delete it and deploy again" in info.value.hint
    assert stack.counter.count("CreateChangeSet") == 0 and stack.counter.count("DeleteStack") == 0


def test_delete_failed_deletes_the_rolled_back_stack_then_creates(recorded: Callable[..., Recorded]) -> None:
    # plan_stack's look and delete_stack's own check see the failed stack; afterwards moto answers.
    stack = recorded("retry-me", "ROLLBACK_COMPLETE", times=2)
    plan = stack.plan("retry-me", delete_failed=True)
    assert stack.used[0] == 2
    assert stack.counter.calls.index("DeleteStack") < stack.counter.calls.index("CreateChangeSet")
    assert plan.review.change_set_type == "CREATE" and plan.review.changes


def test_update_rollback_failed_is_refused_with_continue_rollback(recorded: Callable[..., Recorded]) -> None:
    stack = recorded("stuck", "UPDATE_ROLLBACK_FAILED", times=1)
    with pytest.raises(DeployError) as info:
        stack.plan("stuck")
    assert info.value.kind == "conflict" and "continue the rollback" in info.value.hint


def test_a_stack_busy_elsewhere_is_waited_for_then_refused(recorded: Callable[..., Recorded]) -> None:
    stack = recorded("busy", "UPDATE_IN_PROGRESS", times=1000)
    with pytest.raises(DeployError) as info:
        stack.plan("busy", in_progress_wait_s=0.3)
    assert info.value.kind == "conflict" and "busy (UPDATE_IN_PROGRESS)" in info.value.message
    assert stack.used[0] >= 2 and stack.counter.count("CreateChangeSet") == 0  # it looked again first


def test_a_stack_that_settles_while_waited_for_is_deployed(recorded: Callable[..., Recorded]) -> None:
    # Busy for the first two looks, then moto's answer (no stack): the deploy goes on and creates it.
    stack = recorded("settles", "UPDATE_IN_PROGRESS", times=2)
    plan = stack.plan("settles", in_progress_wait_s=30)
    assert plan.review.change_set_type == "CREATE"


def test_cancel_while_following_asks_once_and_follows_to_the_end(moto_url: str) -> None:  # noqa: F811
    from app.deploy.progress import CancelToken
    from app.deploy.stack.events import follow

    conn = moto_connection(moto_url, REGION)
    body = '{"Resources": {"Queue": {"Type": "AWS::SQS::Queue"}}}'
    conn.client("cloudformation").create_stack(StackName="cancel-me", TemplateBody=body)
    answer_describe_stacks(conn, recorded_stack("cancel-me", "UPDATE_IN_PROGRESS"), times=3)
    token = CancelToken()
    token.cancel()
    asked: list[str] = []
    status, events, cancelled = follow(
        conn, "cancel-me", since=None, sink=lambda p: None, cancel=token, on_cancel=lambda: asked.append("cancel"),
        poll_s=0.01,
    )  # fmt: skip
    assert asked == ["cancel"] and cancelled  # asked once, though the stack stayed busy for three looks
    assert status == "CREATE_COMPLETE" and events[0].status == "CREATE_COMPLETE"  # then moto's real answer
