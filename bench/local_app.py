"""The local application: SQS send_message to the function starting, and messages per second through a queue."""

from __future__ import annotations

import statistics
import tempfile
import threading
import time
from pathlib import Path

from bench.load import load_average, load_sentence
from bench.projects import started_cloud, write_project

TITLE = "Local application (start)"
LATENCY_N = 100
THROUGHPUT_N = 300
TEMPLATE = """\
Transform: AWS::Serverless-2016-10-31
Resources:
  Jobs:
    Type: AWS::SQS::Queue
  Bulk:
    Type: AWS::SQS::Queue
  Starter:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: src/
      Handler: app.started
      Runtime: python3.11
      Events:
        One: {Type: SQS, Properties: {Queue: !GetAtt Jobs.Arn, BatchSize: 1}}
  Trivial:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: src/
      Handler: app.trivial
      Runtime: python3.11
      Events:
        Many: {Type: SQS, Properties: {Queue: !GetAtt Bulk.Arn, BatchSize: 10}}
"""
CODE = """\
import time

def started(event, context):
    print(f"STARTED {event['Records'][0]['body']} {time.time():.6f}")

def trivial(event, context):
    return None
"""


class _Lines:
    def __init__(self) -> None:
        self.cond = threading.Condition()
        self.started: dict[str, float] = {}
        self.deleted = 0

    def __call__(self, line: str) -> None:
        with self.cond:
            if line.startswith("STARTED "):
                _, tag, at = line.split()
                self.started[tag] = float(at)
            elif "Bulk" in line and "batch succeeded" in line:
                self.deleted += int(line.rsplit(", ", 1)[1].split()[0])
            else:
                return
            self.cond.notify_all()

    def wait(self, predicate: object, timeout: float) -> bool:
        with self.cond:
            return self.cond.wait_for(predicate, timeout)  # type: ignore[arg-type]


def run() -> str:
    with tempfile.TemporaryDirectory() as tmp:
        root = write_project(Path(tmp) / "bench-app", TEMPLATE, {"src/app.py": CODE})
        lines = _Lines()
        load_before = load_average()
        with started_cloud(root, lines) as cloud:
            assert cloud.model is not None
            sqs = cloud.endpoint.client("sqs")
            jobs, bulk = cloud.model.resources["Jobs"].ref, cloud.model.resources["Bulk"].ref
            # Warm the runtime (its cold start is measured by the invoke benchmark, not here).
            sqs.send_message(QueueUrl=jobs, MessageBody="warm")
            lines.wait(lambda: "warm" in lines.started, 60)
            latencies = []
            for i in range(LATENCY_N):
                tag = f"m{i}"
                sent = time.time()
                sqs.send_message(QueueUrl=jobs, MessageBody=tag)
                if not lines.wait(lambda t=tag: t in lines.started, 30):  # type: ignore[misc]
                    raise RuntimeError(f"message {tag} did not start the function within 30 s")
                latencies.append((lines.started[tag] - sent) * 1000)
            sqs.send_message(QueueUrl=bulk, MessageBody="warm")
            lines.wait(lambda: lines.deleted >= 1, 60)
            base = lines.deleted
            t0 = time.perf_counter()
            for start in range(0, THROUGHPUT_N, 10):
                entries = [{"Id": str(i), "MessageBody": f"b{start + i}"} for i in range(10)]
                sqs.send_message_batch(QueueUrl=bulk, Entries=entries)
            if not lines.wait(lambda: lines.deleted - base >= THROUGHPUT_N, 300):
                raise RuntimeError("the bulk queue was not drained within 300 s")
            elapsed = time.perf_counter() - t0
        load_after = load_average()
    ordered = sorted(latencies)
    median = statistics.median(ordered)
    p95 = ordered[int(round(0.95 * (len(ordered) - 1)))]
    rate = THROUGHPUT_N / elapsed
    return "\n".join(
        [
            "| measure | result | target | |",
            "|---|---|---|---|",
            f"| `send_message` → handler starts (warm, BatchSize 1, no batching window), median of {LATENCY_N} "
            f"| {median:.1f} ms (p95 {p95:.1f} ms) | ≤ 50 ms | {'✅' if median <= 50 else '❌'} |",
            f"| messages/s through a queue, trivial function, BatchSize 10, {THROUGHPUT_N} messages "
            f"| {rate:.0f} msg/s ({elapsed:.1f} s) | - | |",
            "",
            load_sentence(load_before, load_after)
            + " Process backend; the endpoint is moto in the same process as the pollers, the function "
            "in its own warm process. Latency is the wall clock from before `send_message` to the "
            "handler's first line.",
        ]
    )
