"""The token gate between containers and the local endpoints, on real moto (and the real docker engine)."""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest

from app.local.endpoint import DUMMY_KEYS, LocalEndpoint
from app.local.gate import HostGate, bridge_address
from runner.backends.container.backend import ContainerBackend
from runner.backends.container.launch import LABEL_PROJECT
from runner.emulator.gate_link import PREAMBLE, Forwarder
from tests.integration import docker_fixtures
from tests.integration.local_cloud_support import Log, require_moto, running_cloud, write_project
from tests.integration.test_local_cloud import TABLE_TEMPLATE

pytestmark = pytest.mark.moto
docker_client = docker_fixtures.docker_client
test_image = docker_fixtures.test_image

AUTH = (
    "AWS4-HMAC-SHA256 Credential=testing/20260101/us-east-1/sqs/aws4_request, SignedHeaders=host, Signature=0"
)
QUERY = b"Action=CreateQueue&QueueName={name}&Version=2012-11-05"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def moto_gate() -> Iterator[tuple[LocalEndpoint, HostGate, Log]]:
    """A real moto endpoint and a gate in front of it on 127.0.0.1 (the bridge needs no docker here)."""
    require_moto()
    endpoint = LocalEndpoint(0)
    endpoint.start()
    log = Log()
    gate = HostGate({"aws": endpoint.port}, "127.0.0.1", log=log)
    gate.start()
    try:
        yield endpoint, gate, log
    finally:
        gate.stop()
        endpoint.stop()


def _raw(port: int, data: bytes) -> bytes:
    """Sends data to 127.0.0.1:port, half-closes, returns everything the other side answered."""
    with socket.create_connection(("127.0.0.1", port), timeout=10) as s:
        s.sendall(data)
        s.shutdown(socket.SHUT_WR)
        out = b""
        while chunk := s.recv(65536):
            out += chunk
    return out


def _create_queue_request(name: str, host: str) -> bytes:
    body = QUERY.replace(b"{name}", name.encode())
    return (
        f"POST / HTTP/1.1\r\nHost: {host}\r\nContent-Type: application/x-www-form-urlencoded\r\n"
        f"Authorization: {AUTH}\r\n"
        f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n"
    ).encode() + body


def test_requests_without_or_with_a_wrong_token_get_403_and_never_reach_moto(
    moto_gate: tuple[LocalEndpoint, HostGate, Log],
) -> None:
    endpoint, gate, log = moto_gate
    host = f"127.0.0.1:{endpoint.port}"
    # the same request straight to moto creates the queue: the refused ones would have, had they passed
    direct = _raw(endpoint.port, _create_queue_request("direct", host))
    assert direct.startswith(b"HTTP/1.1 200"), direct[:200]
    no_token = _raw(gate.port, _create_queue_request("no-token", host))
    wrong = _raw(gate.port, PREAMBLE + b" not-the-token aws\r\n" + _create_queue_request("wrong-token", host))
    unknown = _raw(
        gate.port, PREAMBLE + b" " + gate.token.encode() + b" s3\r\n" + _create_queue_request("t", host)
    )
    too_long = _raw(gate.port, PREAMBLE + b" " + b"x" * 4096 + b" aws\r\n")
    for answer in (no_token, wrong, unknown, too_long):
        assert answer.startswith(b"HTTP/1.1 403 Forbidden"), answer[:200]
    assert b"wrong token" in wrong
    urls = endpoint.client("sqs").list_queues().get("QueueUrls", [])
    assert [u.rsplit("/", 1)[1] for u in urls] == ["direct"]
    assert len(log.wait_for(lambda s: "gate refused" in s, count=4)) == 4


def test_the_forwarder_adds_the_token_and_carries_sdk_calls_and_large_bodies(
    moto_gate: tuple[LocalEndpoint, HostGate, Log],
) -> None:
    endpoint, gate, _log = moto_gate
    port = _free_port()
    forwarder = Forwarder(gate.link({"aws": port}), port, "aws")
    try:
        s3 = boto3.client(
            "s3",
            endpoint_url=f"http://127.0.0.1:{port}",
            region_name="us-east-1",
            aws_access_key_id=DUMMY_KEYS["AWS_ACCESS_KEY_ID"],
            aws_secret_access_key=DUMMY_KEYS["AWS_SECRET_ACCESS_KEY"],
        )
        s3.create_bucket(Bucket="big")
        body = bytes(range(256)) * (9 * 4096)  # 9 MiB: more than any one read or socket buffer
        s3.put_object(Bucket="big", Key="blob", Body=body)
        assert s3.get_object(Bucket="big", Key="blob")["Body"].read() == body
        # path-style presigned URL through the same loopback port
        url = s3.generate_presigned_url("get_object", Params={"Bucket": "big", "Key": "blob"})
        assert url.startswith(f"http://127.0.0.1:{port}/big/blob?")
    finally:
        forwarder.close()
    # moto saw the bucket (the host's own client, straight to moto)
    assert [b["Name"] for b in endpoint.client("s3").list_buckets()["Buckets"]] == ["big"]


SDK = ("boto3", "botocore", "jmespath", "s3transfer", "urllib3", "dateutil", "six.py")
# The test image has no boto3 (real Lambda images do): the host's copy goes in as a layer.
TEMPLATE = (
    TABLE_TEMPLATE.replace(  # boto3 from a layer under a loaded machine: room and time for its import
        "      Timeout: 20\n", "      Timeout: 60\n      MemorySize: 512\n      Layers: [!Ref Sdk]\n"
    )
    + """\
  Sdk:
    Type: AWS::Serverless::LayerVersion
    Properties:
      ContentUri: sdk/
  Caller:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: src/
      Handler: caller.handler
      Runtime: python3.11
      Timeout: 90
      MemorySize: 512
      Layers: [!Ref Sdk]
"""
)
CALLER = """\
import json
import boto3

def handler(event, context):
    answer = boto3.client("lambda").invoke(FunctionName="Writer", Payload=json.dumps(event).encode())
    return {"status": answer["StatusCode"], "writer": json.loads(answer["Payload"].read())["greeting"]}
"""


def _sdk_layer(root: Path) -> None:
    """root/python/ with the host's boto3 and what it needs (pure Python, the image's Python 3.11)."""
    site = Path(boto3.__file__).parent.parent
    dest = root / "python"
    dest.mkdir(parents=True)
    for name in SDK:
        if name.endswith(".py"):
            shutil.copy2(site / name, dest / name)
        else:
            shutil.copytree(site / name, dest / name, ignore=shutil.ignore_patterns("__pycache__"))


WRITER = """\
import glob
import json
import os
import boto3

def handler(event, context):
    boto3.resource("dynamodb").Table(os.environ["TABLE"]).put_item(Item={"id": event["id"], "by": "container"})
    greeting = boto3.client("ssm").get_parameter(Name=os.environ["PARAM"])["Parameter"]["Value"]
    seen = []
    for path in glob.glob("/proc/*/environ"):
        try:
            with open(path, "rb") as f:
                seen.append(f.read().decode("utf-8", "replace"))
        except OSError:
            pass
    return {
        "endpoint": os.environ.get("AWS_ENDPOINT_URL"),
        "in_container": os.path.exists("/.dockerenv"),
        "greeting": greeting,
        "environ": json.dumps(dict(os.environ)),
        "proc": "\\n".join(seen),
    }
"""


@pytest.mark.docker
@pytest.mark.parametrize("mode", ["emulator", "image"])
def test_a_container_functions_boto3_call_lands_in_the_local_table_and_stop_leaves_nothing(
    tmp_path: Path, docker_client: Any, test_image: str, mode: str
) -> None:
    project = write_project(
        tmp_path / "writer-app", TEMPLATE, {"src/app.py": WRITER, "src/caller.py": CALLER}
    )
    _sdk_layer(project / "sdk")
    label = f"pytest-cloudgate-{uuid.uuid4().hex[:8]}"
    backend = ContainerBackend(
        docker_client, label, tmp_path / "cache", image_override=test_image, entrypoint_mode=mode
    )

    def containers() -> list[Any]:
        return docker_client.containers.list(all=True, filters={"label": f"{LABEL_PROJECT}={label}"})

    with running_cloud(project, backend=backend) as (cloud, _log):
        gate = cloud.gate
        assert gate is not None and gate.listening
        assert (gate.bind, gate.dial) == bridge_address(docker_client)
        table = cloud.model.resources["Items"]
        result = cloud.functions.invoke("Writer", json.dumps({"id": "c-1"}).encode())
        assert result.ok, result.to_json()
        assert result.backend == "container"
        answer = result.payload_json()
        assert answer["endpoint"] == cloud.url  # the same URL inside the container as on this machine
        assert answer["greeting"] == "hello"
        item = cloud.endpoint.client("dynamodb").get_item(TableName=table.name, Key={"id": {"S": "c-1"}})
        assert item["Item"] == {"id": {"S": "c-1"}, "by": {"S": "container"}}
        # the gate's secret is in no environment the function can read
        assert gate.token not in answer["environ"]
        assert gate.token not in answer["proc"]
        assert "LAMBDA_STUDIO_GATE" not in answer["environ"]
        # a function's lambda.invoke reaches the local Invoke API (AWS_ENDPOINT_URL_LAMBDA) the same way
        called = cloud.functions.invoke("Caller", json.dumps({"id": "c-2"}).encode())
        assert called.ok, called.to_json()
        assert called.payload_json() == {"status": 200, "writer": "hello"}
        item = cloud.endpoint.client("dynamodb").get_item(TableName=table.name, Key={"id": {"S": "c-2"}})
        assert item["Item"]["by"] == {"S": "container"}
        assert containers(), "the function should be running in a container"
        address = (gate.bind, gate.port)
    assert containers() == []
    with pytest.raises(OSError), socket.create_connection(address, timeout=5):
        pass


@pytest.mark.docker
def test_another_container_on_the_bridge_gets_403_from_the_gate(
    tmp_path: Path, docker_client: Any, test_image: str
) -> None:
    require_moto()
    endpoint = LocalEndpoint(0)
    endpoint.start()
    bind, dial = bridge_address(docker_client)
    gate = HostGate({"aws": endpoint.port}, bind, dial)
    gate.start()
    script = (
        f"import socket;c=socket.create_connection(({dial!r},{gate.port}),timeout=10);"
        "c.sendall(b'POST / HTTP/1.1\\r\\nHost: x\\r\\nContent-Length: 54\\r\\n\\r\\n"
        "Action=CreateQueue&QueueName=sneaky&Version=2012-11-05');"
        "print(c.recv(200).decode().splitlines()[0])"
    )
    try:
        out = docker_client.containers.run(
            test_image, ["-c", script], entrypoint=["python3"], remove=True, labels={"pytest": "cloudgate"}
        )
        assert out.decode().strip() == "HTTP/1.1 403 Forbidden"
        assert endpoint.client("sqs").list_queues().get("QueueUrls", []) == []
    finally:
        gate.stop()
        endpoint.stop()


@pytest.mark.docker
def test_start_runs_functions_in_containers_by_default_and_their_sdk_calls_stay_local(
    tmp_path: Path, docker_client: Any, test_image: str
) -> None:
    require_moto()
    project = write_project(tmp_path / "cli-app", TEMPLATE, {"src/app.py": WRITER, "src/caller.py": CALLER})
    _sdk_layer(project / "sdk")
    exe = Path(sys.executable).parent / "lambda-studio"
    proc = subprocess.Popen(
        [str(exe), "start", str(project), "--aws-port", "0", "--port", "0"],  # no --backend: auto
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "LAMBDA_STUDIO_IMAGE": test_image},  # auto finds the image on this machine
    )
    log = Log()
    reader = threading.Thread(
        target=lambda: [log(line.rstrip("\n")) for line in proc.stderr or ()], daemon=True
    )
    reader.start()

    def mine() -> list[Any]:
        owned = docker_client.containers.list(all=True, filters={"label": "lambda-studio.owner"})
        return [c for c in owned if f":{proc.pid}:" in c.labels.get("lambda-studio.owner", "")]

    try:
        url = log.wait_for(lambda s: s.startswith("Local AWS endpoint: "), timeout=90)[0].split(": ", 1)[1]
        invoke_url = log.wait_for(lambda s: s.startswith("Lambda Invoke API: "))[0].split(": ", 1)[1]
        assert "functions in containers reach it through the token gate on " in log.text()
        keys = {"region_name": "us-east-1", "aws_access_key_id": "x", "aws_secret_access_key": "x"}
        answer = boto3.client("lambda", endpoint_url=invoke_url, **keys).invoke(
            FunctionName="Writer", Payload=json.dumps({"id": "cli-1"}).encode()
        )
        result = json.loads(answer["Payload"].read())
        assert "FunctionError" not in answer, result
        assert result["in_container"] is True and result["endpoint"] == url
        item = boto3.client("dynamodb", endpoint_url=url, **keys).get_item(
            TableName=json.loads(result["environ"])["TABLE"], Key={"id": {"S": "cli-1"}}
        )
        assert item["Item"]["by"] == {"S": "container"}
        assert mine(), "start should run the function in a container"
    finally:
        proc.send_signal(signal.SIGTERM)
        code = proc.wait(timeout=60)
    reader.join(10)
    assert code == 0, log.text()
    assert mine() == []
