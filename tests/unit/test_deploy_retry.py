"""Safe retries of deploy steps: a busy function (ResourceConflict) and a role IAM has not propagated yet."""

from __future__ import annotations

import boto3
from botocore.exceptions import ClientError
from botocore.stub import Stubber

from app.deploy.connection import Connection
from app.deploy.deploy import _with_conflict_retry
from app.deploy.progress import Progress
from app.deploy.roles import is_role_not_ready


def test_update_refused_while_busy_waits_and_retries() -> None:
    session = boto3.Session(aws_access_key_id="a", aws_secret_access_key="b", region_name="us-east-1")
    conn = Connection(session, region="us-east-1")
    lam = conn.client("lambda")
    ready = {"Configuration": {"FunctionName": "f", "State": "Active", "LastUpdateStatus": "Successful"}}
    events: list[Progress] = []
    with Stubber(lam) as stub:
        stub.add_client_error(
            "update_function_configuration",
            "ResourceConflictException",
            "The operation cannot be performed at this time. An update is in progress for resource: f",
        )
        stub.add_response("get_function", ready, {"FunctionName": "f"})
        stub.add_response(
            "update_function_configuration",
            {"FunctionName": "f", "MemorySize": 512},
            {"FunctionName": "f", "MemorySize": 512},
        )
        resp = _with_conflict_retry(
            conn,
            "f",
            lambda: lam.update_function_configuration(FunctionName="f", MemorySize=512),
            events.append,
            None,
        )
        stub.assert_no_pending_responses()
    assert resp["MemorySize"] == 512
    assert [e.step for e in events] == ["wait"]


def test_role_not_yet_assumable_is_recognised() -> None:
    err = ClientError(
        {
            "Error": {
                "Code": "InvalidParameterValueException",
                "Message": "The role defined for the function cannot be assumed by Lambda.",
            }
        },
        "CreateFunction",
    )
    assert is_role_not_ready(err)
    other = ClientError({"Error": {"Code": "InvalidParameterValueException", "Message": "bad handler"}}, "X")
    assert not is_role_not_ready(other)
