"""The resource model of the local application: names CloudFormation would give, Ref/GetAtt, triggers."""

from __future__ import annotations

from pathlib import Path

from app.project.loader import load_project
from app.project.resources import cloudformation_suffix, load_resources

TEMPLATE = """\
AWSTemplateFormatVersion: "2010-09-09"
Transform: AWS::Serverless-2016-10-31
Parameters:
  Stage: {Type: String, Default: dev}
Resources:
  Jobs:
    Type: AWS::SQS::Queue
    Properties:
      FifoQueue: true
      RedrivePolicy:
        deadLetterTargetArn: !GetAtt JobsDlq.Arn
        maxReceiveCount: 3
  JobsDlq:
    Type: AWS::SQS::Queue
    Properties:
      QueueName: !Sub "jobs-dlq-${Stage}.fifo"
      FifoQueue: true
  Uploads:
    Type: AWS::S3::Bucket
  Topic:
    Type: AWS::SNS::Topic
  Role:
    Type: AWS::IAM::Role
    Properties: {AssumeRolePolicyDocument: {}}
  Worker:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: src/
      Handler: app.handler
      Runtime: python3.11
      Environment:
        Variables:
          JOBS_URL: !Ref Jobs
          BUCKET: !Ref Uploads
          TOPIC: !Ref Topic
          DLQ_ARN: !GetAtt JobsDlq.Arn
          SELF: !GetAtt Worker.Arn
      Events:
        FromJobs:
          Type: SQS
          Properties:
            Queue: !GetAtt Jobs.Arn
            BatchSize: 5
  Mapping:
    Type: AWS::Lambda::EventSourceMapping
    Properties:
      FunctionName: !Ref Worker
      EventSourceArn: !GetAtt JobsDlq.Arn
"""


def _model(tmp_path: Path):  # type: ignore[no-untyped-def]
    root = tmp_path / "shop"
    (root / "src").mkdir(parents=True)
    (root / "src" / "app.py").write_text("def handler(e, c):\n    return e\n")
    (root / "template.yaml").write_text(TEMPLATE)
    return load_resources(load_project(root), "http://127.0.0.1:4566")


def test_generated_and_explicit_names_follow_cloudformation(tmp_path: Path) -> None:
    model = _model(tmp_path)
    jobs, dlq, bucket = (model.resources[k] for k in ("Jobs", "JobsDlq", "Uploads"))
    suffix = cloudformation_suffix("shop", "Jobs")
    assert jobs.name == f"shop-Jobs-{suffix}.fifo"  # a generated FIFO name keeps the .fifo suffix
    assert dlq.name == "jobs-dlq-dev.fifo"  # the explicit name, with its !Sub resolved
    assert bucket.name == f"shop-uploads-{cloudformation_suffix('shop', 'Uploads').lower()}"
    assert cloudformation_suffix("shop", "Jobs") != cloudformation_suffix("shop", "JobsDlq")


def test_refs_and_getatts_give_the_local_values(tmp_path: Path) -> None:
    model = _model(tmp_path)
    jobs = model.resources["Jobs"]
    assert jobs.ref == f"http://127.0.0.1:4566/123456789012/{jobs.name}"
    assert jobs.properties["RedrivePolicy"] == {
        "deadLetterTargetArn": "arn:aws:sqs:us-east-1:123456789012:jobs-dlq-dev.fifo",
        "maxReceiveCount": 3,
    }
    env = model.function_environment("Worker")
    assert env == {
        "JOBS_URL": jobs.ref,
        "BUCKET": model.resources["Uploads"].name,
        "TOPIC": f"arn:aws:sns:us-east-1:123456789012:{model.resources['Topic'].name}",
        "DLQ_ARN": "arn:aws:sqs:us-east-1:123456789012:jobs-dlq-dev.fifo",
        "SELF": "arn:aws:lambda:us-east-1:123456789012:function:Worker",
    }


def test_triggers_and_skipped_types_with_their_lines(tmp_path: Path) -> None:
    model = _model(tmp_path)
    by_name = {t.name: t for t in model.triggers}
    assert by_name["FromJobs"].type == "SQS"
    assert by_name["FromJobs"].properties == {"Queue": model.resources["Jobs"].arn, "BatchSize": 5}
    assert by_name["FromJobs"].line == 39
    assert by_name["Mapping"].function_id == "Worker"
    assert by_name["Mapping"].properties["Queue"] == model.resources["JobsDlq"].arn
    assert [(s.logical_id, s.type, s.line) for s in model.skipped] == [("Role", "AWS::IAM::Role", 22)]


PLAIN_CFN = """\
AWSTemplateFormatVersion: "2010-09-09"
Resources:
  Worker:
    Type: AWS::Lambda::Function
    Properties:
      Runtime: python3.11
      Handler: index.handler
      Role: arn:aws:iam::123456789012:role/r
      Code: {ZipFile: "def handler(e, c):\\n    return e\\n"}
  Topic:
    Type: AWS::SNS::Topic
  Sub:
    Type: AWS::SNS::Subscription
    Properties:
      TopicArn: !Ref Topic
      Protocol: lambda
      Endpoint: !GetAtt Worker.Arn
      FilterPolicy: {kind: [a]}
  Hourly:
    Type: AWS::Events::Rule
    Properties:
      ScheduleExpression: rate(1 hour)
      Targets: [{Id: W, Arn: !GetAtt Worker.Arn, Input: '{"x": 1}'}]
  OnOrder:
    Type: AWS::Events::Rule
    Properties:
      EventPattern: {source: [shop]}
      Targets: [{Id: W, Arn: !GetAtt Worker.Arn}]
  Files:
    Type: AWS::S3::Bucket
    Properties:
      NotificationConfiguration:
        LambdaConfigurations:
          - Event: s3:ObjectCreated:*
            Function: !GetAtt Worker.Arn
            Filter: {S3Key: {Rules: [{Name: suffix, Value: .csv}]}}
  Permission:
    Type: AWS::Lambda::Permission
    Properties: {Action: lambda:InvokeFunction, FunctionName: !Ref Worker, Principal: s3.amazonaws.com}
  Async:
    Type: AWS::Lambda::EventInvokeConfig
    Properties:
      FunctionName: !Ref Worker
      Qualifier: $LATEST
      MaximumRetryAttempts: 0
"""


def test_plain_cloudformation_wiring_becomes_triggers(tmp_path: Path) -> None:
    root = tmp_path / "plain"
    root.mkdir()
    (root / "template.yaml").write_text(PLAIN_CFN)
    model = load_resources(load_project(root), "http://127.0.0.1:4566")
    found = {(t.function_id, t.name, t.type): t.properties for t in model.triggers}
    assert found == {
        ("Worker", "Sub", "SNS"): {"Topic": model.resources["Topic"].ref, "FilterPolicy": {"kind": ["a"]}},
        ("Worker", "Hourly.W", "Schedule"): {"Schedule": "rate(1 hour)", "Input": '{"x": 1}'},
        ("Worker", "OnOrder.W", "EventBridgeRule"): {"Pattern": {"source": ["shop"]}},
        ("Worker", "Files.Notification0", "S3"): {
            "Bucket": model.resources["Files"].name,
            "Events": "s3:ObjectCreated:*",
            "Filter": {"S3Key": {"Rules": [{"Name": "suffix", "Value": ".csv"}]}},
        },
    }
    assert model.invoke_configs["Worker"]["MaximumRetryAttempts"] == 0
    assert model.skipped == []  # a permission and an EventInvokeConfig are parts of the function


def test_env_vars_file_wins_over_the_local_values(tmp_path: Path) -> None:
    from app.local.cloud import function_overrides

    model = _model(tmp_path)
    local = model.function_environment("Worker")
    assert function_overrides(model, None)["Worker"] == local
    mine = function_overrides(model, {"Worker": {"BUCKET": "my-bucket"}, "Parameters": {"TOPIC": "t"}})
    assert mine["Worker"]["BUCKET"] == "my-bucket"
    assert "TOPIC" not in mine["Worker"]  # left to the user's Parameters section
    assert mine["Parameters"] == {"TOPIC": "t"}
    assert mine["Worker"]["JOBS_URL"] == local["JOBS_URL"]
