"""S3, SNS, EventBridge, schedules and async invokes on the real local endpoint, through the functions."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from runner.triggers.schedule import VirtualClock
from tests.integration.local_cloud_support import running_cloud, wait_until, write_project

pytestmark = pytest.mark.moto

TEMPLATE = """\
Transform: AWS::Serverless-2016-10-31
Resources:
  Uploads:
    Type: AWS::S3::Bucket
  Alerts:
    Type: AWS::SNS::Topic
  Bus:
    Type: AWS::Events::EventBus
    Properties: {Name: shop-bus}
  Failures:
    Type: AWS::SQS::Queue
  Recorder:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: src/
      Handler: app.record
      Runtime: python3.11
      Events:
        Images:
          Type: S3
          Properties:
            Bucket: !Ref Uploads
            Events: s3:ObjectCreated:*
            Filter:
              S3Key:
                Rules:
                  - {Name: prefix, Value: images/}
                  - {Name: suffix, Value: .png}
        Urgent:
          Type: SNS
          Properties:
            Topic: !Ref Alerts
            FilterPolicy:
              level: [urgent]
        Orders:
          Type: EventBridgeRule
          Properties:
            EventBusName: !Ref Bus
            Pattern:
              source: [shop.orders]
              detail:
                total: [{numeric: [">", 100]}]
        Nightly:
          Type: ScheduleV2
          Properties:
            ScheduleExpression: cron(30 2 * * ? *)
            ScheduleExpressionTimezone: Europe/Paris
            Input: '{"job": "nightly"}'
        Every5:
          Type: Schedule
          Properties:
            Schedule: rate(5 minutes)
        Window:
          Type: ScheduleV2
          Properties:
            ScheduleExpression: rate(10 minutes)
            StartDate: "2026-03-28T01:20:00Z"
            EndDate: "2026-03-28T01:45:00Z"
            Input: '{"job": "window"}'
  Failer:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: src/
      Handler: app.fail
      Runtime: python3.11
      EventInvokeConfig:
        MaximumRetryAttempts: 1
        DestinationConfig:
          OnFailure:
            Type: SQS
            Destination: !GetAtt Failures.Arn
"""
CODE = """\
import json

def record(event, context):
    print("GOT " + json.dumps(event, sort_keys=True))

def fail(event, context):
    raise ValueError("cannot do " + json.dumps(event))
"""


def _got(lines: list[str]) -> list[dict]:  # type: ignore[type-arg]
    return [json.loads(line[4:]) for line in lines]


def test_s3_sns_eventbridge_schedules_and_async_failure_destination(tmp_path: Path) -> None:
    project = write_project(tmp_path / "shop", TEMPLATE, {"src/app.py": CODE})
    clock = VirtualClock(datetime(2026, 3, 28, 1, 0, tzinfo=UTC))
    with running_cloud(project, clock=clock) as (cloud, log):
        res = cloud.model.resources
        s3, sns, events, sqs = (cloud.endpoint.client(s) for s in ("s3", "sns", "events", "sqs"))

        # S3: only keys under images/ ending in .png reach the function.
        for key in ("images/cat.png", "images/cat.jpg", "docs/cat.png"):
            s3.put_object(Bucket=res["Uploads"].name, Key=key, Body=b"x")
        (s3_event,) = _got(log.wait_for(lambda s: s.startswith("GOT ") and "aws:s3" in s))
        record = s3_event["Records"][0]
        assert record["eventName"] == "ObjectCreated:Put"
        assert record["s3"]["bucket"]["name"] == res["Uploads"].name
        assert record["s3"]["object"]["key"] == "images/cat.png"

        # SNS with a filter policy on message attributes.
        for level in ("info", "urgent"):
            sns.publish(
                TopicArn=res["Alerts"].ref,
                Message=f"disk {level}",
                MessageAttributes={"level": {"DataType": "String", "StringValue": level}},
            )
        (sns_event,) = _got(log.wait_for(lambda s: s.startswith("GOT ") and "aws:sns" in s))
        assert sns_event["Records"][0]["Sns"]["Message"] == "disk urgent"
        assert sns_event["Records"][0]["Sns"]["MessageAttributes"]["level"] == {
            "Type": "String",
            "Value": "urgent",
        }

        # EventBridge: the numeric pattern lets only the big order through.
        events.put_events(
            Entries=[
                {
                    "Source": "shop.orders",
                    "DetailType": "Order",
                    "Detail": json.dumps({"total": t}),
                    "EventBusName": "shop-bus",
                }
                for t in (50, 150)
            ]
        )
        (eb_event,) = _got(log.wait_for(lambda s: s.startswith("GOT ") and "shop.orders" in s))
        assert eb_event["detail"] == {"total": 150}
        assert eb_event["detail-type"] == "Order"

        # Schedules: 02:30 in Paris on 2026-03-28 is 01:30 UTC; rate(5 minutes) fires 6 times by then.
        wiring = cloud.wiring
        assert wiring.scheduler.next_firings("Recorder.Nightly", 2) == [
            datetime(2026, 3, 28, 1, 30, tzinfo=UTC),
            # Paris has no 02:30 on the 29th (the clocks go forward): skipped, as EventBridge Scheduler does.
            datetime(2026, 3, 30, 0, 30, tzinfo=UTC),
        ]
        clock.advance(timedelta(minutes=31))
        nightly = _got(log.wait_for(lambda s: s.startswith("GOT ") and "nightly" in s))
        assert nightly == [{"job": "nightly"}]
        scheduled = _got(log.wait_for(lambda s: s.startswith("GOT ") and "Scheduled Event" in s, count=6))
        assert sorted(e["time"] for e in scheduled) == [
            f"2026-03-28T01:{m:02d}:00Z" for m in (5, 10, 15, 20, 25, 30)
        ]
        # ScheduleV2 with StartDate/EndDate: fires at its start, then every 10 minutes until its end.
        window = _got(log.wait_for(lambda s: s.startswith("GOT ") and "window" in s, count=2))
        assert window == [{"job": "window"}, {"job": "window"}]
        assert wiring.scheduler.next_firings("Recorder.Window", 3) == [
            datetime(2026, 3, 28, 1, 40, tzinfo=UTC)
        ]
        wiring.scheduler.fire_now("Recorder.Nightly")
        log.wait_for(lambda s: s.startswith("GOT ") and "nightly" in s, count=2)

        # Async invoke of a failing function: 1 retry, then the record goes to the OnFailure queue.
        request_id = wiring.invoke_async("Failer", json.dumps({"order": 7}).encode())
        messages = wait_until(
            lambda: sqs.receive_message(QueueUrl=res["Failures"].ref, WaitTimeSeconds=1).get("Messages"),
            timeout=60,
            what="the OnFailure record",
        )
        failure = json.loads(messages[0]["Body"])
        assert failure["requestContext"] == {
            "requestId": request_id,
            "functionArn": "arn:aws:lambda:us-east-1:123456789012:function:Failer:$LATEST",
            "condition": "RetriesExhausted",
            "approximateInvokeCount": 2,
        }
        assert failure["requestPayload"] == {"order": 7}
        assert failure["responseContext"]["functionError"] == "Unhandled"
        assert failure["responsePayload"]["errorMessage"] == 'cannot do {"order": 7}'
        assert "attempt 1 failed" in log.text() and "retries exhausted" in log.text()
        # What the filters left out never reached the function (seconds have passed since it was sent).
        got = [line for line in log.lines if line.startswith("GOT ")]
        assert not [line for line in got if "cat.jpg" in line or "docs/cat.png" in line]
        assert not [line for line in got if "disk info" in line]
        assert not [line for line in got if '"total": 50' in line]


def test_async_invoker_success_destination_event_age_and_retry_count(tmp_path: Path) -> None:
    from app.local.endpoint import LocalEndpoint
    from runner.result import InvokeError, InvokeResult, Outcome
    from runner.triggers.async_invoke import AsyncConfig, AsyncInvoker
    from tests.integration.local_cloud_support import Log, require_moto

    require_moto()
    endpoint = LocalEndpoint(0)
    endpoint.start()
    calls: list[str] = []

    def invoke(function_id: str, event: bytes, sink: object) -> InvokeResult:
        calls.append(function_id)
        if function_id == "Bad":
            return InvokeResult(
                "r", function_id, Outcome.FUNCTION_ERROR, error=InvokeError("ValueError", "no")
            )
        return InvokeResult("r", function_id, Outcome.SUCCESS, payload=b'{"ok": true}')

    try:
        sqs = endpoint.client("sqs")
        url = sqs.create_queue(QueueName="destinations")["QueueUrl"]
        arn = "arn:aws:sqs:us-east-1:123456789012:destinations"
        configs = {
            "Good": AsyncConfig("arn:aws:lambda:us-east-1:123456789012:function:Good", on_success=arn),
            "Old": AsyncConfig(
                "arn:aws:lambda:us-east-1:123456789012:function:Old", maximum_event_age_s=-1, on_failure=arn
            ),
            "Bad": AsyncConfig("arn:aws:lambda:us-east-1:123456789012:function:Bad"),  # default: 2 retries
        }
        log = Log()
        invoker = AsyncInvoker(invoke, endpoint.client, log, configs, retry_delays=(0.05, 0.05))
        try:
            invoker.submit("Good", b'{"n": 1}')
            invoker.submit("Old", b'{"n": 2}')
            invoker.submit("Bad", b'{"n": 3}')
            wait_until(invoker.idle, timeout=30, what="the async queue to drain")
            wait_until(lambda: calls.count("Bad") == 3, timeout=30, what="three attempts of Bad")
        finally:
            invoker.stop()
        records = []
        while len(records) < 2:
            got = (
                sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=1).get("Messages")
                or []
            )
            assert got or len(records) == 2, "expected two destination records"
            records += [json.loads(m["Body"]) for m in got]
        by_condition = {r["requestContext"]["condition"]: r for r in records}
        assert set(by_condition) == {"Success", "EventAgeExceeded"}
        assert by_condition["Success"]["responsePayload"] == {"ok": True}
        assert by_condition["Success"]["requestPayload"] == {"n": 1}
        assert "responseContext" not in by_condition["EventAgeExceeded"]  # never ran
        assert "Old" not in calls
        assert calls.count("Bad") == 3  # the first attempt and Lambda's default 2 retries
        assert "attempt 3 failed (no); retries exhausted" in log.text()
    finally:
        endpoint.stop()
