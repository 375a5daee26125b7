"""The local application on the embedded moto endpoint: resources, the functions' SDK calls, start/stop."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import threading
import urllib.request
from pathlib import Path

import pytest

from tests.integration.local_cloud_support import Log, require_moto, running_cloud, wait_until, write_project

pytestmark = pytest.mark.moto

TABLE_TEMPLATE = """\
AWSTemplateFormatVersion: "2010-09-09"
Transform: AWS::Serverless-2016-10-31
Resources:
  Items:
    Type: AWS::DynamoDB::Table
    Properties:
      AttributeDefinitions: [{AttributeName: id, AttributeType: S}]
      KeySchema: [{AttributeName: id, KeyType: HASH}]
      BillingMode: PAY_PER_REQUEST
  Settings:
    Type: AWS::SSM::Parameter
    Properties:
      Name: /app/greeting
      Type: String
      Value: hello
  Writer:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: src/
      Handler: app.handler
      Runtime: python3.11
      Timeout: 20
      Environment:
        Variables:
          TABLE: !Ref Items
          TABLE_ARN: !GetAtt Items.Arn
          PARAM: !Ref Settings
"""

WRITER = """\
import os
import boto3

def handler(event, context):
    boto3.resource("dynamodb").Table(os.environ["TABLE"]).put_item(Item={"id": event["id"], "by": "writer"})
    greeting = boto3.client("ssm").get_parameter(Name=os.environ["PARAM"])["Parameter"]["Value"]
    return {
        "table": os.environ["TABLE"],
        "arn": os.environ["TABLE_ARN"],
        "endpoint": os.environ.get("AWS_ENDPOINT_URL"),
        "greeting": greeting,
    }
"""


def test_a_functions_boto3_call_lands_in_the_local_table(tmp_path: Path) -> None:
    project = write_project(tmp_path / "writer-app", TABLE_TEMPLATE, {"src/app.py": WRITER})
    with running_cloud(project) as (cloud, _log):
        table = cloud.model.resources["Items"]
        assert table.name.startswith("writer-app-Items-")
        result = cloud.functions.invoke("Writer", json.dumps({"id": "k-1"}).encode())
        assert result.ok, result.to_json()
        answer = result.payload_json()
        assert answer == {
            "table": table.name,
            "arn": f"arn:aws:dynamodb:us-east-1:123456789012:table/{table.name}",
            "endpoint": cloud.url,
            "greeting": "hello",
        }
        item = cloud.endpoint.client("dynamodb").get_item(TableName=table.name, Key={"id": {"S": "k-1"}})
        assert item["Item"] == {"id": {"S": "k-1"}, "by": {"S": "writer"}}


def _endpoint_processes(url: str) -> list[int]:
    """Processes on this machine whose environment points at the endpoint (the function runtimes)."""
    marker = f"AWS_ENDPOINT_URL={url}".encode()
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            environ = Path(f"/proc/{entry}/environ").read_bytes()
        except OSError:
            continue
        if marker in environ.split(b"\0"):
            found.append(int(entry))
    return found


def _port_open(port: int) -> bool:
    with socket.socket() as probe:
        probe.settimeout(1)
        return probe.connect_ex(("127.0.0.1", port)) == 0


@pytest.mark.skipif(sys.platform != "linux", reason="reads /proc to find leftover processes")
def test_start_prints_the_table_runs_triggers_and_stop_leaves_nothing_running(example_project: Path) -> None:
    require_moto()
    import boto3

    exe = Path(sys.executable).parent / "lambda-studio"
    proc = subprocess.Popen(
        [str(exe), "start", str(example_project), "--aws-port", "0", "--port", "0", "--backend", "process"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    log = Log()
    reader = threading.Thread(target=lambda: [log(line.rstrip("\n")) for line in proc.stderr], daemon=True)
    reader.start()
    try:
        url = log.wait_for(lambda s: s.startswith("Local AWS endpoint: "), timeout=90)[0].split(": ", 1)[1]
        text = log.text()
        assert "OrdersQueue  AWS::SQS::Queue  hello-sam-OrdersQueue-" in text
        assert "OrdersFunction  Orders  SQS      OrdersQueue" in text
        # The routes go through the local HTTP API (app/local/api.py) on --port.
        (route,) = [line for line in text.splitlines() if "GET /hello/{name}" in line]
        assert "HelloFunction" in route
        hello_url = route.split()[-1].rstrip("/") + "/hello/ada"
        sqs = boto3.client(
            "sqs", endpoint_url=url, region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="x"
        )
        (queue_url,) = sqs.list_queues()["QueueUrls"]
        sqs.send_message(
            QueueUrl=queue_url, MessageBody=json.dumps({"id": "o-1", "customer": "ada", "quantity": 1})
        )
        log.wait_for(lambda s: "batch succeeded, 1 message(s) deleted" in s, timeout=60)
        with urllib.request.urlopen(hello_url, timeout=60) as response:
            assert response.status == 200
            assert "ada" in response.read().decode()
        assert _endpoint_processes(url), "the function's runtime should be running while start runs"
    finally:
        proc.send_signal(signal.SIGTERM)
        code = proc.wait(timeout=60)
    reader.join(10)
    assert code == 0, log.text()
    port = int(url.rsplit(":", 1)[1])
    assert not _port_open(port)
    wait_until(lambda: not _endpoint_processes(url), timeout=10, what="the function runtimes to end")


def test_stop_in_process_ends_pollers_endpoint_and_runtimes(example_project: Path) -> None:
    with running_cloud(example_project) as (cloud, log):
        url, port = cloud.url, cloud.endpoint.port
        sqs = cloud.endpoint.client("sqs")
        queue = cloud.model.resources["OrdersQueue"].ref
        sqs.send_message(
            QueueUrl=queue, MessageBody=json.dumps({"id": "o-2", "customer": "bo", "quantity": 3})
        )
        log.wait_for(lambda s: "batch succeeded" in s)
        assert any(t.name.startswith("sqs ") for t in threading.enumerate())
    assert not [t.name for t in threading.enumerate() if t.name.startswith("sqs ")]
    assert not _port_open(port)
    if sys.platform == "linux":
        assert not _endpoint_processes(url)


def test_seed_items_and_files_are_loaded_and_bad_seed_is_reported(tmp_path: Path) -> None:
    template = TABLE_TEMPLATE + "  Uploads:\n    Type: AWS::S3::Bucket\n"
    files = {
        "src/app.py": WRITER,
        "local-seed/tables/Items.json": json.dumps([{"id": "s-1", "price": 2.5}, {"no-key": True}]),
        "local-seed/buckets/Uploads/docs/readme.txt": "seeded",
        "local-seed/tables/Nope.json": "[]",
    }
    project = write_project(tmp_path / "seeded", template, files)
    with running_cloud(project) as (cloud, log):
        table = cloud.model.resources["Items"].name
        item = cloud.endpoint.client("dynamodb").get_item(TableName=table, Key={"id": {"S": "s-1"}})
        assert item["Item"] == {"id": {"S": "s-1"}, "price": {"N": "2.5"}}
        bucket = cloud.model.resources["Uploads"].name
        body = cloud.endpoint.client("s3").get_object(Bucket=bucket, Key="docs/readme.txt")["Body"].read()
        assert body == b"seeded"
        problems = "\n".join(cloud.problems)
        assert "Nope.json: no table Nope in the template" in problems
        assert 'item {"no-key": true} not added' in problems
        assert "seeded 1 item(s) into Items" in log.text()


INVOKE_TEMPLATE = """\
Transform: AWS::Serverless-2016-10-31
Resources:
  Caller:
    Type: AWS::Serverless::Function
    Properties: {CodeUri: src/, Handler: app.caller, Runtime: python3.11, Timeout: 30}
  Echo:
    Type: AWS::Serverless::Function
    Properties: {CodeUri: src/, Handler: app.echo, Runtime: python3.11, FunctionName: echo-fn}
"""
INVOKE_CODE = """\
import json
import boto3

def caller(event, context):
    client = boto3.client("lambda")
    sync = client.invoke(FunctionName="echo-fn", Payload=json.dumps({"n": 1}))
    queued = client.invoke(FunctionName="Echo", InvocationType="Event", Payload=json.dumps({"n": 2}))
    return {"sync": json.loads(sync["Payload"].read()), "status": queued["StatusCode"]}

def echo(event, context):
    print("ECHO " + json.dumps(event))
    return {"echoed": event}
"""


def test_functions_invoke_each_other_through_the_local_invoke_api(tmp_path: Path) -> None:
    require_moto()
    import boto3

    project = write_project(tmp_path / "callers", INVOKE_TEMPLATE, {"src/app.py": INVOKE_CODE})
    with running_cloud(project) as (cloud, log):
        result = cloud.functions.invoke("Caller", b"{}", log)
        assert result.ok, result.to_json()
        assert result.payload_json() == {"sync": {"echoed": {"n": 1}}, "status": 202}
        log.wait_for(lambda s: s == 'ECHO {"n": 2}')
        client = boto3.client(
            "lambda",
            endpoint_url=cloud.invoke_api.url,
            region_name="us-east-1",
            aws_access_key_id="x",
            aws_secret_access_key="x",
        )
        with pytest.raises(client.exceptions.ResourceNotFoundException):
            client.invoke(FunctionName="nope", Payload=b"{}")
        answer = client.invoke(FunctionName="echo-fn", Payload=b'{"n": 3}')
        assert json.loads(answer["Payload"].read()) == {"echoed": {"n": 3}}


BAD_TEMPLATE = """\
Transform: AWS::Serverless-2016-10-31
Resources:
  Good:
    Type: AWS::SQS::Queue
  NoKeys:
    Type: AWS::DynamoDB::Table
    Properties: {BillingMode: PAY_PER_REQUEST}
  Role:
    Type: AWS::IAM::Role
    Properties: {AssumeRolePolicyDocument: {}}
  Worker:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: src/
      Handler: app.handler
      Runtime: python3.11
      Events:
        FromGood: {Type: SQS, Properties: {Queue: !GetAtt Good.Arn}}
        BadPattern: {Type: EventBridgeRule, Properties: {Pattern: {source: "not-a-list"}}}
        BadCron: {Type: Schedule, Properties: {Schedule: "cron(0 12 * * *)"}}
        Elsewhere: {Type: SQS, Properties: {Queue: "arn:aws:sqs:us-east-1:123456789012:not-here"}}
"""


def test_bad_resources_and_triggers_are_reported_and_the_rest_runs(tmp_path: Path) -> None:
    handler = "def handler(event, context):\n    print('GOT', len(event['Records']))\n"
    project = write_project(tmp_path / "bad", BAD_TEMPLATE, {"src/app.py": handler})
    with running_cloud(project) as (cloud, log):
        problems = "\n".join(cloud.problems)
        assert "NoKeys (AWS::DynamoDB::Table) was not created" in problems
        assert (
            "Worker.BadPattern (template line 19): PatternError: source: a pattern value must be a list"
            in problems
        )
        assert (
            "Worker.BadCron (template line 20): ScheduleError: cron(0 12 * * *): cron takes 6 fields"
            in problems
        )
        assert (
            "Worker.Elsewhere (template line 21): queue 'arn:aws:sqs:us-east-1:123456789012:not-here'"
            in problems
        )
        assert [(s.logical_id, s.line) for s in cloud.model.skipped] == [("Role", 8)]
        sqs = cloud.endpoint.client("sqs")
        sqs.send_message(QueueUrl=cloud.model.resources["Good"].ref, MessageBody="x")
        log.wait_for(lambda s: s == "GOT 1")
