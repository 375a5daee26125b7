"""The review and the timeline from recorded CloudFormation responses.

moto describes change sets without property details or replacement, and reports only stack-level
events, so these paths are fed with responses shaped exactly as AWS documents DescribeChangeSet
(with IncludePropertyValues) and DescribeStackEvents. Each recorded response is first validated
against botocore's model of the operation's output, so a field AWS does not send cannot creep in.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import botocore.session
import pytest
from botocore.validate import ParamValidator

from app.deploy.stack.changeset import review_from_response
from app.deploy.stack.events import event_from, explain_failure, hint_for

STACK = "shop"
STACK_ID = "arn:aws:cloudformation:us-east-1:123456789012:stack/shop/1c2fa620-982a-11e3-aff7-50e2416294e0"
T0 = datetime(2026, 11, 30, 4, 0, 0, tzinfo=UTC)


def _validate(operation: str, response: dict[str, Any]) -> None:
    model = botocore.session.get_session().get_service_model("cloudformation")
    report = ParamValidator().validate(response, model.operation_model(operation).output_shape)
    assert not report.has_errors(), report.generate_report()


def detail(path: str, before: str | None, after: str | None, recreation: str = "Never") -> dict[str, Any]:
    target: dict[str, Any] = {
        "Attribute": "Properties",
        "Name": path.split("/")[2],
        "RequiresRecreation": recreation,
        "Path": path,
        "AttributeChangeType": "Modify",
    }
    if before is not None:
        target["BeforeValue"] = before
    if after is not None:
        target["AfterValue"] = after
    return {"Target": target, "Evaluation": "Static", "ChangeSource": "DirectModification"}


DESCRIBE_CHANGE_SET: dict[str, Any] = {
    "ChangeSetName": "lambda-studio-20261130040000-001",
    "ChangeSetId": "arn:aws:cloudformation:us-east-1:123456789012:changeSet/lambda-studio-20261130040000-001/9edc39b0",
    "StackId": STACK_ID,
    "StackName": STACK,
    "Parameters": [{"ParameterKey": "Stage", "ParameterValue": "prod"}],
    "CreationTime": T0,
    "ExecutionStatus": "AVAILABLE",
    "Status": "CREATE_COMPLETE",
    "Capabilities": ["CAPABILITY_IAM"],
    "IncludeNestedStacks": False,
    "Changes": [
        {
            "Type": "Resource",
            "ResourceChange": {
                "Action": "Modify",
                "LogicalResourceId": "HelloFunction",
                "PhysicalResourceId": "shop-HelloFunction-AbCdEf",
                "ResourceType": "AWS::Lambda::Function",
                "Replacement": "False",
                "Scope": ["Properties"],
                "Details": [
                    detail("/Properties/MemorySize", "256", "512"),
                    detail("/Properties/Code/S3Key", "shop/aaa.zip", "shop/bbb.zip"),
                ],
                "BeforeContext": '{"Properties":{"MemorySize":"256"}}',
                "AfterContext": '{"Properties":{"MemorySize":"512"}}',
            },
        },
        {
            "Type": "Resource",
            "ResourceChange": {
                "Action": "Modify",
                "LogicalResourceId": "OrdersTable",
                "PhysicalResourceId": "shop-OrdersTable-XYZ",
                "ResourceType": "AWS::DynamoDB::Table",
                "Replacement": "True",
                "Scope": ["Properties"],
                "Details": [detail("/Properties/KeySchema", None, None, "Always")],
            },
        },
        {
            "Type": "Resource",
            "ResourceChange": {
                "Action": "Modify",
                "LogicalResourceId": "KeptBucket",
                "PhysicalResourceId": "shop-keptbucket-1",
                "ResourceType": "AWS::S3::Bucket",
                "Replacement": "True",
                "Scope": ["Properties"],
                "Details": [detail("/Properties/BucketName", "old-name", "new-name", "Always")],
            },
        },
        {
            "Type": "Resource",
            "ResourceChange": {
                "Action": "Remove",
                "LogicalResourceId": "OrdersQueue",
                "PhysicalResourceId": "https://sqs.us-east-1.amazonaws.com/123456789012/shop-OrdersQueue-1",
                "ResourceType": "AWS::SQS::Queue",
                "Scope": [],
                "Details": [],
            },
        },
        {
            "Type": "Resource",
            "ResourceChange": {
                "Action": "Add",
                "LogicalResourceId": "AuditLog",
                "ResourceType": "AWS::Logs::LogGroup",
                "Scope": [],
                "Details": [],
            },
        },
    ],
}

NEW_TEMPLATE = {
    "Resources": {
        "OrdersTable": {"Type": "AWS::DynamoDB::Table"},
        "KeptBucket": {
            "Type": "AWS::S3::Bucket",
            "UpdateReplacePolicy": "Retain",
            "DeletionPolicy": "Retain",
        },
        "AuditLog": {"Type": "AWS::Logs::LogGroup"},
    }
}
OLD_TEMPLATE = {"Resources": {"OrdersQueue": {"Type": "AWS::SQS::Queue"}}}


def test_review_lists_actions_replacements_and_before_after_values() -> None:
    _validate("DescribeChangeSet", DESCRIBE_CHANGE_SET)
    review = review_from_response(
        STACK, DESCRIBE_CHANGE_SET["Changes"], change_set_type="UPDATE",
        new_template=NEW_TEMPLATE, old_template=OLD_TEMPLATE,
    )  # fmt: skip
    assert not review.no_changes
    rows = [(c.action, c.logical_id, c.resource_type, c.replacement) for c in review.changes]
    assert rows == [
        ("Modify", "HelloFunction", "AWS::Lambda::Function", "False"),
        ("Modify", "OrdersTable", "AWS::DynamoDB::Table", "True"),
        ("Modify", "KeptBucket", "AWS::S3::Bucket", "True"),
        ("Remove", "OrdersQueue", "AWS::SQS::Queue", None),
        ("Add", "AuditLog", "AWS::Logs::LogGroup", None),
    ]
    hello = review.changes[0]
    assert [d.label() for d in hello.details] == [
        "/Properties/MemorySize: 256 → 512",
        "/Properties/Code/S3Key: shop/aaa.zip → shop/bbb.zip",
    ]
    assert hello.details[0].to_json()["requiresRecreation"] == "Never"


def test_dangerous_marks_stateful_replacement_or_removal_without_retain() -> None:
    review = review_from_response(
        STACK, DESCRIBE_CHANGE_SET["Changes"], new_template=NEW_TEMPLATE, old_template=OLD_TEMPLATE
    )
    danger = {c.logical_id: c.danger for c in review.changes if c.dangerous}
    assert set(danger) == {"OrdersTable", "OrdersQueue"}  # KeptBucket has UpdateReplacePolicy Retain
    assert "REPLACED" in danger["OrdersTable"] and "DELETED" in danger["OrdersQueue"]
    text = review.render()
    assert "!! Modify  OrdersTable (AWS::DynamoDB::Table) replacement=True" in text
    assert "   Modify  KeptBucket" in text and "   Add     AuditLog" in text


def test_removal_of_a_retained_table_is_not_dangerous() -> None:
    change = {"Type": "Resource", "ResourceChange": {"Action": "Remove", "LogicalResourceId": "T",
                                                      "ResourceType": "AWS::DynamoDB::Table"}}  # fmt: skip
    old = {"Resources": {"T": {"Type": "AWS::DynamoDB::Table", "DeletionPolicy": "Retain"}}}
    assert not review_from_response(STACK, [change], old_template=old).changes[0].dangerous
    assert review_from_response(STACK, [change], old_template={"Resources": {}}).changes[0].dangerous


def test_plan_json_has_the_documented_keys() -> None:
    review = review_from_response(STACK, DESCRIBE_CHANGE_SET["Changes"][:1])
    data = review.to_json()
    assert data["noChanges"] is False
    assert set(data["changes"][0]) >= {
        "action",
        "logicalResourceId",
        "resourceType",
        "replacement",
        "details",
    }
    assert review_from_response(STACK, []).to_json()["noChanges"] is True


def ev(n: int, logical: str, rtype: str, status: str, reason: str = "") -> dict[str, Any]:
    event: dict[str, Any] = {
        "StackId": STACK_ID,
        "EventId": f"{logical}-{status}-{n}",
        "StackName": STACK,
        "LogicalResourceId": logical,
        "PhysicalResourceId": "" if logical != STACK else STACK_ID,
        "ResourceType": rtype,
        "Timestamp": T0 + timedelta(seconds=n),
        "ResourceStatus": status,
    }
    if reason:
        event["ResourceStatusReason"] = reason
    return event


# A create where the bucket's name is taken: CloudFormation cancels the other resources and rolls back.
DESCRIBE_STACK_EVENTS: dict[str, Any] = {
    "StackEvents": list(
        reversed(
            [
                ev(0, STACK, "AWS::CloudFormation::Stack", "CREATE_IN_PROGRESS", "User Initiated"),
                ev(1, "UploadBucket", "AWS::S3::Bucket", "CREATE_IN_PROGRESS"),
                ev(1, "OrdersQueue", "AWS::SQS::Queue", "CREATE_IN_PROGRESS"),
                ev(2, "UploadBucket", "AWS::S3::Bucket", "CREATE_FAILED",
                   "shop-uploads already exists in stack arn:aws:cloudformation:us-east-1:123456789012:stack/other/1"),
                ev(3, "OrdersQueue", "AWS::SQS::Queue", "CREATE_FAILED", "Resource creation cancelled"),
                ev(4, STACK, "AWS::CloudFormation::Stack", "ROLLBACK_IN_PROGRESS",
                   "The following resource(s) failed to create: [OrdersQueue, UploadBucket]. Rollback requested by user."),
                ev(5, "OrdersQueue", "AWS::SQS::Queue", "DELETE_COMPLETE"),
                ev(6, STACK, "AWS::CloudFormation::Stack", "ROLLBACK_COMPLETE"),
            ]
        )
    )
}  # fmt: skip


def test_failure_names_the_first_failed_resource_not_the_cancelled_ones() -> None:
    _validate("DescribeStackEvents", DESCRIBE_STACK_EVENTS)
    events = [event_from(e) for e in DESCRIBE_STACK_EVENTS["StackEvents"]]
    assert events[0].status == "ROLLBACK_COMPLETE"  # AWS returns newest first; the timeline keeps that order
    text = explain_failure(events, STACK)
    assert text.startswith("UploadBucket (AWS::S3::Bucket) could not be created: shop-uploads already exists")
    assert "delete it and deploy again" in hint_for("ROLLBACK_COMPLETE", STACK)
    assert "continue the rollback" in hint_for("UPDATE_ROLLBACK_FAILED", STACK)
    assert events[4].line().endswith("UploadBucket (AWS::S3::Bucket) - " + events[4].reason)


def test_a_stack_level_failure_is_explained_when_no_resource_failed() -> None:
    events = [
        event_from(ev(1, STACK, "AWS::CloudFormation::Stack", "UPDATE_ROLLBACK_FAILED", "Role is gone"))
    ]
    assert explain_failure(events, STACK) == f"The stack {STACK} failed: Role is gone"
    assert explain_failure([], STACK) == ""


@pytest.mark.parametrize("status", ["CREATE_COMPLETE", "UPDATE_COMPLETE"])
def test_no_hint_after_success(status: str) -> None:
    assert hint_for(status, STACK) == ""


def test_the_shape_check_rejects_what_aws_does_not_send() -> None:
    bad = {
        "StackEvents": [{**ev(0, STACK, "AWS::CloudFormation::Stack", "CREATE_COMPLETE"), "Colour": "green"}]
    }
    with pytest.raises(AssertionError, match="Colour"):
        _validate("DescribeStackEvents", bad)
