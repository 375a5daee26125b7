"""Stack deploys against a real moto_server: the example and every blueprint, no-op, edits, refusals, delete.

moto runs change sets synchronously and reports only stack-level events; the per-resource review and
timeline paths are covered from recorded AWS responses in tests/unit/test_stack_review.py.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from app.blueprints import create_project, list_blueprints
from app.cli import main
from app.deploy.connection import Connection
from app.deploy.stack.events import describe_stack
from app.deploy.stack.model import StackOptions
from app.deploy.stack.operations import execute_plan, plan_stack
from tests.integration.deploy_helpers import cache_dir
from tests.integration.moto_fixtures import (  # noqa: F401
    CallCounter,
    aws_env,
    moto_connection,
    moto_server,
    moto_url,
)

pytestmark = [pytest.mark.moto, pytest.mark.slow, pytest.mark.usefixtures("aws_env")]


def aws_args(url: str, region: str, cache_in: Path | None = None, *, quiet: bool = True) -> list[str]:
    """The CLI's options for moto in `region`; with the deploy cache under `cache_in` (and -q) when given."""
    args = ["--endpoint-url", url, "--region", region]
    if cache_in is not None:
        args += ["--cache-dir", str(cache_dir(cache_in))] + (["-q"] if quiet else [])
    return args


def options(tmp_path: Path, name: str, **kw: Any) -> StackOptions:
    return StackOptions(stack_name=name, cache_dir=cache_dir(tmp_path), transform="local", poll_s=0.1, **kw)


def resources_of(conn: Connection, name: str) -> dict[str, dict[str, Any]]:
    pages = conn.client("cloudformation").get_paginator("list_stack_resources").paginate(StackName=name)
    return {r["LogicalResourceId"]: r for page in pages for r in page["StackResourceSummaries"]}


def assert_resources_exist(conn: Connection, name: str) -> dict[str, dict[str, Any]]:
    """Every queue, table, bucket, role, function and event source mapping of the stack exists in its service."""
    found = resources_of(conn, name)
    checked = set()
    for logical, r in found.items():
        pid, rtype = r["PhysicalResourceId"], r["ResourceType"]
        if rtype == "AWS::SQS::Queue":
            conn.client("sqs").get_queue_attributes(QueueUrl=pid, AttributeNames=["QueueArn"])
        elif rtype == "AWS::DynamoDB::Table":
            assert conn.client("dynamodb").describe_table(TableName=pid)["Table"]["TableStatus"] == "ACTIVE"
        elif rtype == "AWS::S3::Bucket":
            conn.client("s3").head_bucket(Bucket=pid)
        elif rtype == "AWS::IAM::Role":
            conn.client("iam").get_role(RoleName=pid)
        elif rtype == "AWS::Lambda::Function":
            conn.client("lambda").get_function(FunctionName=pid)
        elif rtype == "AWS::Lambda::EventSourceMapping":
            conn.client("lambda").get_event_source_mapping(UUID=pid)
        else:
            continue
        checked.add(logical)
    assert checked, f"no checkable resources in {sorted(found)}"
    return found


def test_example_deploys_then_noop_then_edit_then_delete(
    moto_url: str,  # noqa: F811
    example_project: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    region = "eu-west-3"  # the example's fixed function names collide with other tests' in a shared region
    aws = aws_args(moto_url, region)
    common = aws_args(moto_url, region, tmp_path)
    assert (
        main(["stack", "deploy", str(example_project), "--stack-name", "hello", *common, "--yes", "--json"])
        == 0
    )
    out = json.loads(capsys.readouterr().out)
    assert out["result"]["status"] == "CREATE_COMPLETE" and out["result"]["ok"]
    assert {c["action"] for c in out["plan"]["changes"]} == {"Add"}
    assert "CAPABILITY_IAM" in out["plan"]["capabilities"]

    conn = moto_connection(moto_url, region)
    found = assert_resources_exist(conn, "hello")
    assert {
        "OrdersQueue",
        "HelloFunction",
        "OrdersFunction",
        "OrdersFunctionRole",
        "OrdersFunctionOrders",
    } <= set(found)
    queue_arn = conn.client("sqs").get_queue_attributes(
        QueueUrl=found["OrdersQueue"]["PhysicalResourceId"], AttributeNames=["QueueArn"]
    )["Attributes"]["QueueArn"]
    mapping = conn.client("lambda").get_event_source_mapping(
        UUID=found["OrdersFunctionOrders"]["PhysicalResourceId"]
    )
    assert mapping["EventSourceArn"] == queue_arn
    config = conn.client("lambda").get_function(FunctionName="hello-sam-dev-hello")["Configuration"]
    assert config["Environment"]["Variables"]["GREETING"] == "Hello"
    assert any(r["ResourceType"] == "AWS::Lambda::LayerVersion" for r in found.values())
    layers = conn.client("lambda").list_layers()["Layers"]
    # moto names stack layers STACK-LOGICALID-SUFFIX instead of honouring LayerName
    assert [la["LayerName"].split("-")[0] for la in layers] == ["hello"]

    # A no-op deploy: no upload, no change set; said as information (exit 0).
    counters = {s: CallCounter().attach(conn.client(s)) for s in ("s3", "cloudformation")}
    plan = plan_stack(conn, example_project, options(tmp_path, "hello"))
    assert plan.review.no_changes and plan.uploaded == 0
    assert counters["s3"].calls == []
    assert counters["cloudformation"].calls == ["DescribeStacks", "GetTemplate"]  # no change set
    assert main(["stack", "deploy", str(example_project), "--stack-name", "hello", *common]) == 0
    assert "no changes to deploy" in capsys.readouterr().out

    # A code edit: the plan modifies that function only (and leaves no change set behind).
    app = example_project / "src" / "hello" / "app.py"
    app.write_text(app.read_text() + "\n# edited\n")
    assert main(["stack", "plan", str(example_project), "--stack-name", "hello", *common, "--json"]) == 0
    review = json.loads(capsys.readouterr().out)
    assert review["noChanges"] is False
    assert [(c["action"], c["logicalResourceId"]) for c in review["changes"]] == [("Modify", "HelloFunction")]
    left = conn.client("cloudformation").list_change_sets(StackName="hello")["Summaries"]
    assert [c["ChangeSetName"] for c in left if c["ExecutionStatus"] == "AVAILABLE"] == []

    assert main(["stack", "list", *aws, "--json"]) == 0
    assert [s["StackName"] for s in json.loads(capsys.readouterr().out)] == ["hello"]

    assert main(["stack", "delete", "hello", *aws, "--yes", "--json"]) == 0
    deleted = json.loads(capsys.readouterr().out)
    assert deleted["status"] == "DELETE_COMPLETE"
    assert {r["LogicalResourceId"] for r in deleted["deleted"]} >= {"OrdersQueue", "HelloFunction"}
    assert describe_stack(conn, "hello") is None
    with pytest.raises(conn.client("lambda").exceptions.ResourceNotFoundException):
        conn.client("lambda").get_function(FunctionName="hello-sam-dev-hello")
    assert main(["stack", "delete", "hello", *aws, "--yes"]) == 2  # no such stack: refused


BLUEPRINTS = [b.id for b in list_blueprints()]
MOTO_CANNOT = {
    # moto's AWS::ApiGateway::RestApi ignores the OpenAPI Body SAM writes, so its Deployment fails
    # with "The REST API doesn't contain any methods"; real CloudFormation imports the Body.
    "api-handler": "moto ignores RestApi Body",
}


@pytest.mark.parametrize("blueprint", BLUEPRINTS)
def test_every_blueprint_deploys_and_a_code_edit_modifies_only_its_function(
    blueprint: str,
    moto_url: str,  # noqa: F811
    tmp_path: Path,
    request: pytest.FixtureRequest,
) -> None:
    if blueprint in MOTO_CANNOT:
        request.applymarker(pytest.mark.xfail(reason=MOTO_CANNOT[blueprint], strict=True))
    name = f"bp-{blueprint}"[:30].rstrip("-")
    project = create_project(blueprint, tmp_path / name, name)
    conn = moto_connection(moto_url, "us-west-2")
    opts = options(tmp_path, name)
    plan = plan_stack(conn, project, opts)
    assert plan.review.change_set_type == "CREATE" and plan.review.changes
    result = execute_plan(conn, plan)
    assert result.status == "CREATE_COMPLETE", result.summary()
    found = assert_resources_exist(conn, name)
    functions = [k for k, r in found.items() if r["ResourceType"] == "AWS::Lambda::Function"]
    assert len(functions) == 1
    assert any(r["ResourceType"] == "AWS::IAM::Role" for r in found.values())

    code = next(project.glob("src/*/app.py"))
    code.write_text(code.read_text() + "\n# edited\n")
    plan = plan_stack(conn, project, opts)
    assert [(c.action, c.logical_id) for c in plan.review.changes] == [("Modify", functions[0])]
    assert execute_plan(conn, plan).status == "UPDATE_COMPLETE"


def test_refused_parameter_creates_nothing(
    moto_url: str,  # noqa: F811
    example_project: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    region = "ca-central-1"
    aws = aws_args(moto_url, region, tmp_path, quiet=False)
    code = main(["stack", "deploy", str(example_project), "--stack-name", "refused", *aws, "--yes",
                 "--parameter-overrides", "Stage=qa"])  # fmt: skip
    assert code == 2
    err = capsys.readouterr().err
    assert "Stage='qa' is not one of its AllowedValues: dev, prod" in err
    conn = moto_connection(moto_url, region)
    assert describe_stack(conn, "refused") is None
    names = [b["Name"] for b in conn.client("s3").list_buckets()["Buckets"]]
    assert f"lambda-studio-artifacts-123456789012-{region}" not in names  # not even the artifacts bucket
    assert main(["stack", "deploy", str(example_project), "--stack-name", "refused", *aws, "--yes",
                 "--parameter-overrides", "Nope=1"]) == 2  # fmt: skip
    assert "Nope is not a parameter of the template" in capsys.readouterr().err


def test_failing_resource_surfaces_its_reason(
    moto_url: str,  # noqa: F811
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    project = create_project("s3-thumbnail", tmp_path / "clash", "clash")  # a fixed upload bucket name
    aws = aws_args(moto_url, "eu-north-1", tmp_path)
    assert main(["stack", "deploy", str(project), "--stack-name", "clash-one", *aws, "--yes"]) == 0
    capsys.readouterr()
    assert main(["stack", "deploy", str(project), "--stack-name", "clash-two", *aws, "--yes"]) == 1
    err = capsys.readouterr().err
    assert "BucketAlreadyExists" in err and "clash-two" in err


def test_service_transform_sends_the_sam_template_with_auto_expand(
    moto_url: str,  # noqa: F811
    tmp_path: Path,
) -> None:
    project = create_project("sqs-batch", tmp_path / "svc", "svc")
    conn = moto_connection(moto_url, "ap-south-1")
    counter = CallCounter().attach(conn.client("cloudformation"))
    opts = StackOptions(stack_name="svc", cache_dir=cache_dir(tmp_path), transform="service", poll_s=0.1)
    plan_stack(conn, project, opts)  # moto stores SAM resources unexpanded; the request is what is checked
    [sent] = counter.params_of("CreateChangeSet")
    body = json.loads(str(sent["TemplateBody"]))
    assert body["Transform"] == "AWS::Serverless-2016-10-31"
    assert body["Resources"]["BatchConsumerFunction"]["Type"] == "AWS::Serverless::Function"
    assert str(body["Resources"]["BatchConsumerFunction"]["Properties"]["CodeUri"]).startswith("s3://")
    assert sent["Capabilities"] == ["CAPABILITY_AUTO_EXPAND", "CAPABILITY_IAM"]
    assert sent["ChangeSetType"] == "CREATE"


def test_samconfig_choices_are_saved_and_used_by_the_next_deploy(
    moto_url: str,  # noqa: F811
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    project = create_project("sqs-batch", tmp_path / "cfg", "cfg")
    (project / "samconfig.toml").unlink()
    aws = aws_args(moto_url, "sa-east-1", tmp_path)
    assert main(["stack", "deploy", str(project), "--stack-name", "cfg", *aws, "--yes", "--save-config",
                 "--parameter-overrides", "BatchSize=5", "--config-env", "staging"]) == 0  # fmt: skip
    text = (project / "samconfig.toml").read_text()
    assert text.startswith("version = 0.1") and "[staging.deploy.parameters]" in text
    assert 'stack_name = "cfg"' in text and 'parameter_overrides = "BatchSize=5"' in text
    capsys.readouterr()
    # No --stack-name, no overrides: samconfig.toml's staging environment supplies them, so nothing changed.
    assert main(["stack", "deploy", str(project), *aws, "--config-env", "staging"]) == 0
    assert "no changes to deploy" in capsys.readouterr().out


def test_outputs_and_events_of_a_stack(
    moto_url: str,  # noqa: F811
    capsys: pytest.CaptureFixture[str],
) -> None:
    # moto fills Outputs only for stacks made with CreateStack (not through a change set), so this one is.
    region = "ap-northeast-2"
    conn = moto_connection(moto_url, region)
    body = {
        "Resources": {"Queue": {"Type": "AWS::SQS::Queue"}},
        "Outputs": {
            "QueueUrl": {"Description": "send here", "Value": {"Ref": "Queue"}},
            "Name": {"Value": {"Fn::GetAtt": ["Queue", "QueueName"]}},
        },
    }
    conn.client("cloudformation").create_stack(StackName="made", TemplateBody=json.dumps(body))
    aws = aws_args(moto_url, region)
    assert main(["stack", "outputs", "made", *aws, "--json"]) == 0
    shown = {o["OutputKey"]: o for o in json.loads(capsys.readouterr().out)["outputs"]}
    assert set(shown) == {"QueueUrl", "Name"} and shown["QueueUrl"]["Description"] == "send here"
    assert shown["QueueUrl"]["OutputValue"].startswith("https://") and shown["QueueUrl"][
        "OutputValue"
    ].endswith(shown["Name"]["OutputValue"])
    assert main(["stack", "outputs", "made", *aws]) == 0
    assert "QueueUrl\thttps://" in capsys.readouterr().out
    assert main(["stack", "events", "made", *aws, "--json"]) == 0
    events = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert events[0]["status"] == "CREATE_COMPLETE" and events[0]["logicalResourceId"] == "made"
    assert main(["stack", "events", "made", *aws, "--follow"]) == 0  # settled: prints, then returns
    assert "CREATE_COMPLETE" in capsys.readouterr().out.splitlines()[0]
    assert main(["stack", "outputs", "missing", *aws]) == 2


def test_without_yes_nothing_runs_unless_confirmed(
    moto_url: str,  # noqa: F811
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    # pytest's stdin is not a terminal: every question is answered "no".
    project = create_project("sqs-batch", tmp_path / "ask", "ask")
    region = "eu-central-2"
    aws = aws_args(moto_url, region, tmp_path)
    assert main(["stack", "deploy", str(project), "--stack-name", "ask", *aws]) == 0
    captured = capsys.readouterr()
    assert "5 change(s) to create" in captured.out and "Not deployed" in captured.err
    conn = moto_connection(moto_url, region)
    assert describe_stack(conn, "ask") is None  # the change set and the empty stack it made are gone
    assert main(["stack", "deploy", str(project), "--stack-name", "ask", *aws, "--yes"]) == 0
    capsys.readouterr()
    assert main(["stack", "delete", "ask", *aws[:4]]) == 0
    assert "Not deleted" in capsys.readouterr().err
    # samconfig's confirm_changeset = false deploys without the question, as SAM CLI does.
    text = (
        (project / "samconfig.toml")
        .read_text()
        .replace("confirm_changeset = true", "confirm_changeset = false")
    )
    (project / "samconfig.toml").write_text(text)
    app = next(project.glob("src/*/app.py"))
    app.write_text(app.read_text() + "\n# edited\n")
    assert main(["stack", "deploy", str(project), "--stack-name", "ask", *aws]) == 0
    assert "UPDATE_COMPLETE" in capsys.readouterr().out
    assert main(["stack", "delete", "ask", *aws[:4]]) == 0
    assert "Not deleted" in capsys.readouterr().err
    assert describe_stack(conn, "ask") is not None


def test_a_named_bucket_that_does_not_exist_is_refused_not_created(
    moto_url: str,  # noqa: F811
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    project = create_project("sqs-batch", tmp_path / "nob", "nob")
    aws = aws_args(moto_url, "il-central-1", tmp_path)
    code = main(
        ["stack", "deploy", str(project), "--stack-name", "nob", *aws, "--yes", "--s3-bucket", "no-such-bkt"]
    )
    assert code == 2
    assert "no-such-bkt" in capsys.readouterr().err
    conn = moto_connection(moto_url, "il-central-1")
    assert describe_stack(conn, "nob") is None
    assert "no-such-bkt" not in [b["Name"] for b in conn.client("s3").list_buckets()["Buckets"]]
