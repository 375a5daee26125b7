"""The container gate's cost: SDK calls to the local endpoint straight, and through the forwarder and gate."""

from __future__ import annotations

import socket
import statistics
import time
from typing import Any

from bench.load import load_average, load_sentence

TITLE = "Local endpoint through the container gate"
CALLS = 300
BLOB_MB = 8
BLOB_ROUNDS = 5


def _client(service: str, url: str) -> Any:
    import boto3

    return boto3.client(
        service, endpoint_url=url, region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="x"
    )


def _latencies(clients: list[Any], table: str) -> list[list[float]]:
    """Per client, CALLS timed get_item calls, the clients taking turns (both see the same load)."""
    out: list[list[float]] = [[] for _ in clients]
    for i in range(CALLS):
        for n, client in enumerate(clients):
            started = time.perf_counter()
            client.get_item(TableName=table, Key={"id": {"S": f"k-{i % 10}"}})
            out[n].append((time.perf_counter() - started) * 1000)
    return out


def _blob_mb_s(s3: Any, body: bytes) -> float:
    started = time.perf_counter()
    for i in range(BLOB_ROUNDS):
        s3.put_object(Bucket="bench", Key=f"b{i}", Body=body)
        s3.get_object(Bucket="bench", Key=f"b{i}")["Body"].read()
    return 2 * BLOB_ROUNDS * len(body) / (time.perf_counter() - started) / 1e6


def run() -> str:
    from app.local.endpoint import LocalEndpoint
    from app.local.gate import HostGate
    from runner.emulator.gate_link import Forwarder

    endpoint = LocalEndpoint(0)
    endpoint.start()
    gate = HostGate({"aws": endpoint.port}, "127.0.0.1")
    gate.start()
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    forwarder = Forwarder(gate.link({"aws": port}), port, "aws")
    try:
        load_before = load_average()
        setup = _client("dynamodb", endpoint.url)
        setup.create_table(
            TableName="bench",
            AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
            KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
            BillingMode="PAY_PER_REQUEST",
        )
        for i in range(10):
            setup.put_item(TableName="bench", Item={"id": {"S": f"k-{i}"}})
        _client("s3", endpoint.url).create_bucket(Bucket="bench")
        body = bytes(range(256)) * (BLOB_MB * 4096)
        paths = (("straight to moto", endpoint.url), ("forwarder + gate", f"http://127.0.0.1:{port}"))
        clients = [_client("dynamodb", url) for _, url in paths]
        for ddb in clients:  # the connections are open before timing
            ddb.get_item(TableName="bench", Key={"id": {"S": "k-0"}})
        latencies = _latencies(clients, "bench")
        rows = []
        for (label, url), lat in zip(paths, latencies, strict=True):
            lat.sort()
            rate = _blob_mb_s(_client("s3", url), body)
            p95 = lat[int(len(lat) * 0.95) - 1]
            rows.append(f"| {label} | {statistics.median(lat):.2f} ms (p95 {p95:.2f} ms) | {rate:.0f} MB/s |")
        load_after = load_average()
    finally:
        forwarder.close()
        gate.stop()
        endpoint.stop()
    return "\n".join(
        [
            f"| path | DynamoDB `get_item`, median of {CALLS} (keep-alive, the two paths taking turns) "
            f"| S3 {BLOB_MB} MiB put + get, {BLOB_ROUNDS} rounds |",
            "|---|---|---|",
            *rows,
            "",
            load_sentence(load_before, load_after)
            + " Both on 127.0.0.1 of this machine: the forwarder that runs in a container's emulator, and "
            "the gate that listens on the docker bridge, without docker's bridge hop (not measured here).",
        ]
    )
