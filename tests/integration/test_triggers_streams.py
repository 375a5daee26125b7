"""DynamoDB stream and Kinesis event sources on the real local endpoint: bisect, on-failure, checkpoints."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.integration.local_cloud_support import running_cloud, wait_until, write_project

pytestmark = pytest.mark.moto

TEMPLATE = """\
Transform: AWS::Serverless-2016-10-31
Resources:
  Orders:
    Type: AWS::DynamoDB::Table
    Properties:
      AttributeDefinitions: [{AttributeName: id, AttributeType: S}]
      KeySchema: [{AttributeName: id, KeyType: HASH}]
      BillingMode: PAY_PER_REQUEST
      StreamSpecification: {StreamViewType: NEW_IMAGE}
  Clicks:
    Type: AWS::Kinesis::Stream
    Properties: {ShardCount: 1}
  StreamFailures:
    Type: AWS::SQS::Queue
  Picky:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: src/
      Handler: app.picky
      Runtime: python3.11
      Events:
        Changes:
          Type: DynamoDB
          Properties:
            Stream: !GetAtt Orders.StreamArn
            StartingPosition: TRIM_HORIZON
            BatchSize: 4
            BisectBatchOnFunctionError: true
            MaximumRetryAttempts: 0
            DestinationConfig:
              OnFailure:
                Destination: !GetAtt StreamFailures.Arn
  Counter:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: src/
      Handler: app.count
      Runtime: python3.11
      Events:
        FromClicks:
          Type: Kinesis
          Properties:
            Stream: !GetAtt Clicks.Arn
            StartingPosition: LATEST
            BatchSize: 10
            FunctionResponseTypes: [ReportBatchItemFailures]
            TumblingWindowInSeconds: 60  # not run locally: a warning, the trigger still runs
            ParallelizationFactor: 1  # the default: no warning
"""
CODE = """\
import base64

def picky(event, context):
    ids = [r["dynamodb"]["NewImage"]["id"]["S"] for r in event["Records"]]
    if "o-3" in ids:
        raise ValueError("o-3 is poison")
    print("DONE " + " ".join(ids))

failed_once = set()

def count(event, context):
    failures = []
    for record in event["Records"]:
        data = base64.b64decode(record["kinesis"]["data"]).decode()
        print("KIN " + data)
        if data == "two" and data not in failed_once:
            failed_once.add(data)
            failures.append({"itemIdentifier": record["kinesis"]["sequenceNumber"]})
    return {"batchItemFailures": failures}
"""


def test_dynamodb_stream_bisects_to_the_poison_record_and_kinesis_resumes_from_the_failed_one(
    tmp_path: Path,
) -> None:
    seed = json.dumps([{"id": f"o-{n}"} for n in (1, 2, 3, 4)])
    project = write_project(
        tmp_path / "streams", TEMPLATE, {"src/app.py": CODE, "local-seed/tables/Orders.json": seed}
    )
    with running_cloud(project) as (cloud, log):
        # The four seeded items are one batch; bisecting isolates o-3, which goes to the on-failure queue.
        done = log.wait_for(lambda s: s.startswith("DONE "), count=2, timeout=60)
        assert sorted(done) == ["DONE o-1 o-2", "DONE o-4"]
        text = log.text()
        assert "batch of 4 record(s)" in text
        assert "bisecting into 2 + 2" in text and "bisecting into 1 + 1" in text
        sqs = cloud.endpoint.client("sqs")
        messages = wait_until(
            lambda: sqs.receive_message(
                QueueUrl=cloud.model.resources["StreamFailures"].ref, WaitTimeSeconds=1
            ).get("Messages"),
            what="the on-failure record",
        )
        body = json.loads(messages[0]["Body"])
        assert body["requestContext"]["condition"] == "RetryAttemptsExhausted"
        info = body["DDBStreamBatchInfo"]
        assert info["batchSize"] == 1
        assert info["streamArn"] == cloud.model.resources["Orders"].attributes["StreamArn"]

        # Kinesis: "two" is reported failed once; processing resumes from it, "one" is not sent again.
        kinesis = cloud.endpoint.client("kinesis")
        kinesis.put_records(
            StreamName=cloud.model.resources["Clicks"].name,
            Records=[{"Data": word.encode(), "PartitionKey": "p"} for word in ("one", "two", "three")],
        )
        seen = log.wait_for(lambda s: s.startswith("KIN "), count=5, timeout=60)
        assert seen == ["KIN one", "KIN two", "KIN three", "KIN two", "KIN three"]
        assert "checkpoint before" in log.text()
        assert (
            "warning: Counter.FromClicks: TumblingWindowInSeconds 60: tumbling windows are not run"
            in log.text()
        )
        assert "ParallelizationFactor" not in log.text()


def test_kinesis_at_timestamp_starts_at_the_first_record_from_that_time() -> None:
    import time

    from app.local.endpoint import LocalEndpoint
    from runner.result import InvokeResult, Outcome
    from runner.triggers.streams import StreamPoller, StreamSource
    from tests.integration.local_cloud_support import Log, require_moto

    require_moto()
    endpoint = LocalEndpoint(0)
    endpoint.start()
    batches: list[list[str]] = []

    def invoke(function_id: str, event: bytes, sink: object) -> InvokeResult:
        import base64

        batches.append(
            [base64.b64decode(r["kinesis"]["data"]).decode() for r in json.loads(event)["Records"]]
        )
        return InvokeResult("r", function_id, Outcome.SUCCESS, payload=b"null")

    poller = None
    try:
        kinesis = endpoint.client("kinesis")
        kinesis.create_stream(StreamName="clicks", ShardCount=1)
        arn = kinesis.describe_stream(StreamName="clicks")["StreamDescription"]["StreamARN"]
        for word in ("before-1", "before-2"):
            kinesis.put_record(StreamName="clicks", Data=word.encode(), PartitionKey="p")
        time.sleep(1.1)
        since = time.time()
        time.sleep(0.1)
        for word in ("after-1", "after-2"):
            kinesis.put_record(StreamName="clicks", Data=word.encode(), PartitionKey="p")
        props = {"StartingPosition": "AT_TIMESTAMP", "StartingPositionTimestamp": since, "BatchSize": 10}
        source = StreamSource.from_properties("kinesis", "Fn", "arn:fn", arn, props, "us-east-1")
        poller = StreamPoller(source, endpoint.client, invoke, Log())
        poller.start()
        wait_until(lambda: batches, timeout=30, what="the first batch")
        assert batches[0] == ["after-1", "after-2"]
        with pytest.raises(ValueError, match="Kinesis streams only"):
            StreamSource.from_properties("dynamodb", "Fn", "arn:fn", arn, props, "us-east-1")
        with pytest.raises(ValueError, match="needs StartingPositionTimestamp"):
            StreamSource.from_properties(
                "kinesis", "Fn", "arn:fn", arn, {"StartingPosition": "AT_TIMESTAMP"}, "us-east-1"
            )
    finally:
        if poller is not None:
            poller.stop()
        endpoint.stop()
