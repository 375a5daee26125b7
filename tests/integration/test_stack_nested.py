"""A nested AWS::Serverless::Application with a local Location, packaged as `sam package` does and
deployed to a real moto_server (moto creates the nested stack from the uploaded child template)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from app.cli import main
from app.deploy.stack.operations import plan_stack, prepare
from tests.integration.deploy_helpers import cache_dir
from tests.integration.moto_fixtures import CallCounter, aws_env, moto_connection, moto_server, moto_url  # noqa: F401
from tests.integration.test_stack_moto import options, resources_of

pytestmark = [pytest.mark.moto, pytest.mark.slow]

ROOT = """\
AWSTemplateFormatVersion: "2010-09-09"
Transform: AWS::Serverless-2016-10-31
Parameters:
  Greeting:
    Type: String
    Default: Hello
Resources:
  FrontFunction:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: src/
      Handler: app.handler
      Runtime: python3.12
  Orders:
    Type: AWS::Serverless::Application
    Properties:
      Location: orders/template.yaml
      Parameters:
        Greeting: !Ref Greeting
Outputs:
  OrdersQueueUrl:
    Value: !GetAtt Orders.Outputs.QueueUrl
"""
CHILD = """\
AWSTemplateFormatVersion: "2010-09-09"
Transform: AWS::Serverless-2016-10-31
Parameters:
  Greeting:
    Type: String
Resources:
  Queue:
    Type: AWS::SQS::Queue
  WorkerFunction:
    Type: AWS::Serverless::Function
    Properties:
      FunctionName: nested-worker
      CodeUri: src/
      Handler: worker.handler
      Runtime: python3.12
      Environment:
        Variables:
          GREETING: !Ref Greeting
          QUEUE_URL: !Ref Queue
Outputs:
  QueueUrl:
    Value: !Ref Queue
"""


@pytest.fixture
def nested_project(tmp_path: Path) -> Path:
    root = tmp_path / "nested"
    (root / "src").mkdir(parents=True)
    (root / "src" / "app.py").write_text("def handler(event, context):\n    return 'front'\n")
    (root / "orders" / "src").mkdir(parents=True)
    (root / "orders" / "src" / "worker.py").write_text("def handler(event, context):\n    return 'worker'\n")
    (root / "template.yaml").write_text(ROOT)
    (root / "orders" / "template.yaml").write_text(CHILD)
    return root


def test_packaged_template_points_at_the_uploaded_child(
    moto_url: str,  # noqa: F811
    nested_project: Path,
    tmp_path: Path,
    aws_env: None,  # noqa: F811
) -> None:
    conn = moto_connection(moto_url, "ap-south-1")
    for transform in ("service", "local"):
        opts = options(tmp_path, "nest")
        opts.transform = transform
        prepared = prepare(conn, nested_project, opts)
        child = prepared.artifacts["Orders"]
        assert child.kind == "template" and child.key.startswith("nest/") and child.key.endswith(".template")
        assert {"FrontFunction", "Orders/WorkerFunction", "Orders"} == set(prepared.artifacts)
        url = f"https://s3.ap-south-1.amazonaws.com/{child.bucket}/{child.key}"
        if transform == "service":  # the SAM template goes as it is, its Location rewritten (sam package)
            assert prepared.sent["Resources"]["Orders"]["Properties"]["Location"] == url
        else:  # translated here: an AWS::CloudFormation::Stack with that TemplateURL
            assert prepared.sent["Resources"]["Orders"]["Type"] == "AWS::CloudFormation::Stack"
            assert prepared.sent["Resources"]["Orders"]["Properties"]["TemplateURL"] == url
        body = json.loads(child.path.read_text())
        worker = prepared.artifacts["Orders/WorkerFunction"]
        if transform == "service":
            assert body["Transform"] == "AWS::Serverless-2016-10-31"
            assert body["Resources"]["WorkerFunction"]["Properties"]["CodeUri"] == worker.uri
        else:  # the child is plain CloudFormation too: the endpoint cannot expand it either
            assert "Transform" not in body
            code = body["Resources"]["WorkerFunction"]["Properties"]["Code"]
            assert code == {"S3Bucket": worker.bucket, "S3Key": worker.key}
        assert "CAPABILITY_IAM" in prepared.capabilities  # the child's role needs it on the parent
        assert "CAPABILITY_AUTO_EXPAND" in prepared.capabilities


def test_nested_application_deploys_noops_and_a_child_edit_modifies_it(
    moto_url: str,  # noqa: F811
    nested_project: Path,
    tmp_path: Path,
    aws_env: None,  # noqa: F811
    capsys: pytest.CaptureFixture[str],
) -> None:
    region = "ap-southeast-2"
    aws = ["--endpoint-url", moto_url, "--region", region, "--cache-dir", str(cache_dir(tmp_path))]
    code = main(["stack", "deploy", str(nested_project), "--stack-name", "nest", *aws, "--yes", "--json"])
    out = json.loads(capsys.readouterr().out)
    assert code == 0, out
    assert out["result"]["status"] == "CREATE_COMPLETE"
    conn = moto_connection(moto_url, region)
    parent = resources_of(conn, "nest")
    assert parent["Orders"]["ResourceType"] == "AWS::CloudFormation::Stack"
    child = resources_of(conn, parent["Orders"]["PhysicalResourceId"])
    assert {"Queue", "WorkerFunction", "WorkerFunctionRole"} <= set(child)
    config = conn.client("lambda").get_function(FunctionName="nested-worker")["Configuration"]
    assert config["Environment"]["Variables"]["GREETING"] == "Hello"  # the parent's parameter reached it
    assert config["Environment"]["Variables"]["QUEUE_URL"] == child["Queue"]["PhysicalResourceId"]

    counters = {s: CallCounter().attach(conn.client(s)) for s in ("s3", "cloudformation")}
    plan = plan_stack(conn, nested_project, options(tmp_path, "nest"))
    assert plan.review.no_changes and counters["s3"].calls == []
    assert "CreateChangeSet" not in counters["cloudformation"].calls

    worker = nested_project / "orders" / "src" / "worker.py"
    worker.write_text(worker.read_text() + "# edited\n")
    assert main(["stack", "plan", str(nested_project), "--stack-name", "nest", *aws, "--json"]) == 0
    review = json.loads(capsys.readouterr().out)
    assert [(c["action"], c["logicalResourceId"]) for c in review["changes"]] == [("Modify", "Orders")]
    assert review["uploaded"] == 1  # the plan uploads the new child template only, never the code
    new_zip = review["artifacts"]["Orders/WorkerFunction"].removeprefix("s3://").split("/", 1)
    with pytest.raises(conn.client("s3").exceptions.ClientError):
        conn.client("s3").head_object(Bucket=new_zip[0], Key=new_zip[1])
