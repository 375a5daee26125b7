"""The clients of bench/load.py: boto3 (threads, or threads in several processes) and raw keep-alive HTTP."""

from __future__ import annotations

import json
import statistics
import subprocess
import sys
import threading
import time
from typing import Any

CLIENTS = 50
PROCS = 5  # client processes of the "boto3 in processes" row


def boto3_client(url: str) -> Any:
    import boto3
    from botocore.config import Config

    config = Config(retries={"max_attempts": 0, "mode": "standard"}, max_pool_connections=1, read_timeout=60)
    return boto3.client(
        "lambda",
        endpoint_url=url,
        region_name="us-east-1",
        aws_access_key_id="x",
        aws_secret_access_key="x",
        config=config,
    )


class HttpClient:
    """A keep-alive raw HTTP client: shows what the server costs without boto3's client-side CPU."""

    class exceptions:  # noqa: N801 - shaped like a boto3 client's
        TooManyRequestsException = type("TooManyRequestsException", (Exception,), {})

    def __init__(self, url: str) -> None:
        import http.client

        self.conn = http.client.HTTPConnection("127.0.0.1", int(url.rsplit(":", 1)[1]), timeout=60)

    def invoke(self, FunctionName: str, InvocationType: str, Payload: bytes) -> dict[str, Any]:  # noqa: N803
        path = f"/2015-03-31/functions/{FunctionName}/invocations"
        self.conn.request("POST", path, body=Payload, headers={"X-Amz-Invocation-Type": InvocationType})
        resp = self.conn.getresponse()
        body = resp.read()
        if resp.status == 429:
            raise self.exceptions.TooManyRequestsException()
        if resp.status >= 300:
            raise RuntimeError(f"HTTP {resp.status}")
        return {"Payload": Body(body)}


class Body:
    def __init__(self, data: bytes) -> None:
        self.data = data

    def read(self) -> bytes:
        return self.data


def load(
    url: str,
    function: str,
    total: int,
    kind: str,
    payload: Any,
    raw: bool = False,
    clients: int = CLIENTS,
    gate: Any = None,
) -> dict[str, Any]:
    """total invokes from `clients` threads, each its own boto3 client (retries off) or raw HTTP; `gate`
    runs once every client is built, before the first invoke. Blocks."""
    latencies: list[float] = []
    throttles, errors, lock = [0], [], threading.Lock()
    per = total // clients
    cpu_start = [0.0]

    def released() -> None:  # every client built (boto3's client set-up is not the invokes' CPU)
        if gate is not None:
            gate()
        cpu_start[0] = time.process_time()

    barrier = threading.Barrier(clients, action=released)

    def worker(t: int) -> None:
        client = HttpClient(url) if raw else boto3_client(url)
        barrier.wait(120)
        for i in range(per):
            body = json.dumps(payload(t * per + i)).encode()
            start = time.perf_counter()
            try:
                resp = client.invoke(FunctionName=function, InvocationType=kind, Payload=body)
                resp["Payload"].read()
                with lock:
                    latencies.append((time.perf_counter() - start) * 1000)
            except client.exceptions.TooManyRequestsException:
                with lock:
                    throttles[0] += 1
            except Exception as exc:  # noqa: BLE001 - what the benchmark counts
                with lock:
                    errors.append(type(exc).__name__)

    threads = [threading.Thread(target=worker, args=(t,)) for t in range(clients)]
    start = time.perf_counter()
    for th in threads:
        th.start()
    for th in threads:
        th.join(600)
    result = summary(latencies, throttles[0], errors, time.perf_counter() - start)
    result["client_cpu_s"] = time.process_time() - cpu_start[0]  # this process: the clients' own CPU
    return result


def summary(latencies: list[float], throttles: int, errors: list[str], wall_s: float) -> dict[str, Any]:
    ordered = sorted(latencies) or [float("nan")]
    return {
        "ok": len(latencies),
        "throttles": throttles,
        "errors": len(errors),
        "error_kinds": sorted(set(errors)),
        "error_list": errors,
        "latencies": latencies,
        "p50": statistics.median(ordered),
        "p99": ordered[min(len(ordered) - 1, int(0.99 * (len(ordered) - 1) + 0.5))],
        "wall_s": wall_s,
    }


def load_procs(url: str, total: int, procs: int = PROCS) -> dict[str, Any]:
    """total invokes of Fast from CLIENTS boto3 clients spread over `procs` client processes (so the
    clients do not share one GIL), started together once every process has built its clients. Blocks."""
    threads = CLIENTS // procs
    code = "import sys; from bench.load_clients import client_main; client_main(*sys.argv[1:])"
    args = [url, str(total // procs), str(threads)]
    kids = [
        subprocess.Popen([sys.executable, "-c", code, *args], stdin=subprocess.PIPE, stdout=subprocess.PIPE)
        for _ in range(procs)
    ]
    try:
        for kid in kids:
            assert kid.stdout is not None and kid.stdout.readline().strip() == b"ready"
        start = time.perf_counter()
        for kid in kids:
            assert kid.stdin is not None
            kid.stdin.write(b"go\n")
            kid.stdin.flush()
        outs = [json.loads(kid.communicate(timeout=600)[0]) for kid in kids]
    finally:
        for kid in kids:
            if kid.poll() is None:
                kid.kill()
    wall = time.perf_counter() - start
    result = summary(
        [x for o in outs for x in o["latencies"]],
        sum(o["throttles"] for o in outs),
        [e for o in outs for e in o["error_list"]],
        wall,
    )
    result["client_cpu_s"] = sum(o["client_cpu_s"] for o in outs)
    return result


def client_main(url: str, total: str, threads: str) -> None:
    """One client process of _load_procs: says ready when its clients are built, waits for go."""

    def gate() -> None:
        sys.stdout.write("ready\n")
        sys.stdout.flush()
        sys.stdin.readline()

    r = load(url, "Fast", int(total), "RequestResponse", lambda n: {"n": n}, clients=int(threads), gate=gate)
    sys.stdout.write(json.dumps(r) + "\n")
