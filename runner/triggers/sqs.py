"""The SQS event source as Lambda runs it: batches, batching window, filters, partial batch responses."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from runner.result import InvokeResult
from runner.triggers import ClientFactory, InvokeFn, LogSink, Worker, stop_workers
from runner.triggers.patterns import matches

MAX_PAYLOAD = 6 * 1024 * 1024  # a synchronous invoke's request limit bounds a batch too
DEFAULT_POLLERS = 2

# One ReceiveMessage at a time per queue from this process. The local endpoint (moto's threaded server)
# does not receive atomically: two pollers calling at once could both get the same message, or, on a
# FIFO queue, messages of a group another poller still has in flight (seen: a FIFO group's message
# handled twice with three pollers on a loaded machine). Only the receive is serialized; the pollers'
# invokes still run side by side.
_RECEIVE_LOCKS: dict[str, threading.Lock] = {}
_RECEIVE_LOCKS_GUARD = threading.Lock()


def _receive_lock(queue_url: str) -> threading.Lock:
    with _RECEIVE_LOCKS_GUARD:
        return _RECEIVE_LOCKS.setdefault(queue_url, threading.Lock())


@dataclass
class SqsSource:
    """One SQS event source mapping: the queue and the properties of the function's SQS event."""

    function_id: str
    queue_url: str
    queue_arn: str
    region: str = "us-east-1"
    batch_size: int = 10
    batching_window_s: float = 0.0
    report_batch_item_failures: bool = False
    filters: list[dict[str, Any]] = field(default_factory=list)
    maximum_concurrency: int | None = None
    enabled: bool = True

    @classmethod
    def from_properties(
        cls, function_id: str, queue_url: str, queue_arn: str, props: Mapping[str, Any], region: str
    ) -> SqsSource:
        """From a SAM SQS event's (or an EventSourceMapping's) Properties."""
        scaling = props["ScalingConfig"] if isinstance(props.get("ScalingConfig"), Mapping) else {}
        criteria = props["FilterCriteria"] if isinstance(props.get("FilterCriteria"), Mapping) else {}
        filters = []
        for entry in criteria.get("Filters") or []:
            pattern = entry.get("Pattern") if isinstance(entry, Mapping) else None
            filters.append(json.loads(pattern) if isinstance(pattern, str) else dict(pattern or {}))
        concurrency = scaling.get("MaximumConcurrency")
        return cls(
            function_id=function_id,
            queue_url=queue_url,
            queue_arn=queue_arn,
            region=region,
            batch_size=int(props.get("BatchSize", 10)),
            batching_window_s=float(props.get("MaximumBatchingWindowInSeconds", 0)),
            report_batch_item_failures="ReportBatchItemFailures"
            in (props.get("FunctionResponseTypes") or []),
            filters=filters,
            maximum_concurrency=int(concurrency) if concurrency is not None else None,
            enabled=str(props.get("Enabled", True)).lower() != "false",
        )

    @property
    def fifo(self) -> bool:
        return self.queue_arn.endswith(".fifo")


@dataclass
class BatchOutcome:
    """What happened to one batch: delivered ids, the failed ones, filtered-out ones, the invoke result."""

    message_ids: list[str]
    failed_ids: list[str] = field(default_factory=list)
    filtered_ids: list[str] = field(default_factory=list)
    whole_batch_failed: bool = False
    reason: str = ""
    result: InvokeResult | None = None


def sqs_record(message: Mapping[str, Any], queue_arn: str, region: str) -> dict[str, Any]:
    """One record of Lambda's SQS event from a ReceiveMessage message."""
    attributes = {k: str(v) for k, v in (message.get("Attributes") or {}).items()}
    msg_attrs = {}
    for name, value in (message.get("MessageAttributes") or {}).items():
        msg_attrs[name] = {
            "stringValue": value.get("StringValue"),
            "binaryValue": _b64(value.get("BinaryValue")),
            "stringListValues": list(value.get("StringListValues") or []),
            "binaryListValues": [_b64(v) for v in value.get("BinaryListValues") or []],
            "dataType": value.get("DataType"),
        }
        if msg_attrs[name]["binaryValue"] is None:
            del msg_attrs[name]["binaryValue"]
        if msg_attrs[name]["stringValue"] is None:
            del msg_attrs[name]["stringValue"]
    return {
        "messageId": message["MessageId"],
        "receiptHandle": message["ReceiptHandle"],
        "body": message.get("Body", ""),
        "attributes": attributes,
        "messageAttributes": msg_attrs,
        "md5OfBody": message.get("MD5OfBody", ""),
        "eventSource": "aws:sqs",
        "eventSourceARN": queue_arn,
        "awsRegion": region,
    }


def _b64(value: Any) -> str | None:
    if value is None:
        return None
    import base64

    return base64.b64encode(value if isinstance(value, bytes) else str(value).encode()).decode()


def passes_filters(record: Mapping[str, Any], filters: list[dict[str, Any]]) -> bool:
    """Lambda's filter criteria on an SQS record: any filter matches; a JSON body is matched as JSON."""
    if not filters:
        return True
    view = dict(record)
    try:
        body = json.loads(record.get("body", ""))
    except ValueError:
        body = None
    # A JSON object body is matched field by field; any other body only as the plain string.
    view["body"] = body if isinstance(body, dict) else record.get("body")
    return any(matches(pattern, view) for pattern in filters)


def batch_failures(result: InvokeResult, batch_ids: list[str]) -> tuple[list[str], str]:
    """The failed message ids of a successful invoke's partial batch response, per AWS's rules.

    Returns (failed ids, reason); failed ids == batch_ids when the response fails the whole batch.
    """
    if not result.payload.strip():
        return [], ""
    try:
        response = json.loads(result.payload)
    except ValueError:
        return list(batch_ids), "the response is not valid JSON"
    if response is None or not isinstance(response, Mapping):
        return [], ""
    failures = response.get("batchItemFailures")
    if failures is None:
        return [], ""
    if not isinstance(failures, list):
        return list(batch_ids), "batchItemFailures is not a list"
    failed: list[str] = []
    for entry in failures:
        ident = entry.get("itemIdentifier") if isinstance(entry, Mapping) else None
        if not isinstance(ident, str) or not ident:
            return list(batch_ids), f"invalid entry {json.dumps(entry)[:80]} in batchItemFailures"
        if ident not in batch_ids:
            return list(batch_ids), f"itemIdentifier {ident!r} is not a message of the batch"
        if ident not in failed:
            failed.append(ident)
    return failed, ""


class SqsPoller:
    """Polls one queue and invokes the function with batches; ``poll_once`` is one receive + invoke."""

    def __init__(self, source: SqsSource, client: ClientFactory, invoke: InvokeFn, log: LogSink) -> None:
        self.source = source
        self._sqs = client("sqs")
        self._invoke = invoke
        self._log = log
        self._workers: list[Worker] = []
        self._stopping = threading.Event()
        self.max_receive_count: int | None = None
        self.dlq_arn: str | None = None
        attrs = self._sqs.get_queue_attributes(QueueUrl=source.queue_url, AttributeNames=["RedrivePolicy"])
        policy = attrs.get("Attributes", {}).get("RedrivePolicy")
        if policy:
            data = json.loads(policy)
            self.max_receive_count = int(data.get("maxReceiveCount", 0)) or None
            self.dlq_arn = data.get("deadLetterTargetArn")

    @property
    def label(self) -> str:
        return f"{self.source.queue_arn.rsplit(':', 1)[-1]} → {self.source.function_id}"

    def start(self) -> None:
        """Starts the pollers (up to the maximum concurrency); each runs one batch at a time."""
        if not self.source.enabled:
            self._log(f"[sqs] {self.label}: disabled (Enabled: false)")
            return
        self._stopping.clear()
        count = min(self.source.maximum_concurrency or DEFAULT_POLLERS, 10)
        for i in range(count):
            worker = Worker(f"sqs {self.label} #{i + 1}", self._step, self._log)
            self._workers.append(worker)
            worker.start()

    def stop(self) -> None:
        self._stopping.set()  # a poller waiting for the queue's receive lock gives up (no 1 s wait each)
        stop_workers(self._workers)

    def _step(self) -> float:
        outcome = self.poll_once(wait_s=1)
        return 0.0 if outcome is not None else 0.05

    def receive(self, wait_s: float) -> list[dict[str, Any]]:
        """Up to batch_size messages, waiting up to the batching window once the first one is in."""
        src = self.source
        limit = src.batch_size if not src.fifo else min(src.batch_size, 10)
        messages: list[dict[str, Any]] = []
        size = 0
        deadline: float | None = None
        while len(messages) < limit:
            if deadline is None:
                wait = wait_s
            else:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    break
                wait = max(0, min(20, int(remaining + 0.999)))
            with _receive_lock(src.queue_url):
                if self._stopping.is_set():
                    return messages  # not received: nothing to hand back
                response = self._sqs.receive_message(
                    QueueUrl=src.queue_url,
                    MaxNumberOfMessages=min(10, limit - len(messages)),
                    WaitTimeSeconds=int(wait),
                    AttributeNames=["All"],
                    MessageAttributeNames=["All"],
                )
            got = response.get("Messages") or []
            if not got:
                if deadline is None:
                    return messages
                continue
            messages.extend(got)
            size += sum(len(m.get("Body", "")) for m in got)
            if src.batching_window_s <= 0 or size >= MAX_PAYLOAD:
                break
            if deadline is None:
                deadline = time.monotonic() + src.batching_window_s
        return messages

    def poll_once(self, wait_s: float = 0) -> BatchOutcome | None:
        """Receives one batch and runs the function on it; None when the queue had nothing. Blocks."""
        messages = self.receive(wait_s)
        if not messages:
            return None
        src = self.source
        records = [sqs_record(m, src.queue_arn, src.region) for m in messages]
        kept = [r for r in records if passes_filters(r, src.filters)]
        dropped = [r for r in records if r not in kept]
        if dropped:
            # Lambda deletes the messages its filter criteria leave out.
            self._delete(dropped)
            self._log(f"[sqs] {self.label}: {len(dropped)} message(s) filtered out and deleted")
        outcome = BatchOutcome([r["messageId"] for r in kept], filtered_ids=[r["messageId"] for r in dropped])
        if not kept:
            return outcome
        ids = outcome.message_ids
        self._log(f"[sqs] {self.label}: batch of {len(ids)} message(s) {', '.join(i[:8] for i in ids)}")
        event = json.dumps({"Records": kept}).encode()
        result = self._invoke(src.function_id, event, self._log)
        outcome.result = result
        if not result.ok:
            outcome.failed_ids, outcome.whole_batch_failed = list(ids), True
            message = result.error.message if result.error else result.outcome.value
            outcome.reason = f"the function failed ({result.outcome.value}: {message})"
        elif src.report_batch_item_failures:
            outcome.failed_ids, outcome.reason = batch_failures(result, ids)
            outcome.whole_batch_failed = bool(outcome.reason)
        succeeded = [r for r in kept if r["messageId"] not in outcome.failed_ids]
        self._delete(succeeded)
        self._report(outcome, kept)
        return outcome

    def _delete(self, records: list[dict[str, Any]]) -> None:
        for start in range(0, len(records), 10):
            chunk = records[start : start + 10]
            entries = [{"Id": str(i), "ReceiptHandle": r["receiptHandle"]} for i, r in enumerate(chunk)]
            self._sqs.delete_message_batch(QueueUrl=self.source.queue_url, Entries=entries)

    def _report(self, outcome: BatchOutcome, records: list[dict[str, Any]]) -> None:
        label = self.label
        if not outcome.failed_ids:
            self._log(f"[sqs] {label}: batch succeeded, {len(records)} message(s) deleted")
            return
        if outcome.whole_batch_failed:
            self._log(f"[sqs] {label}: whole batch failed: {outcome.reason}")
        else:
            self._log(
                f"[sqs] {label}: partially failed, {len(outcome.failed_ids)} of {len(records)}: "
                + ", ".join(outcome.failed_ids)
            )
        for record in records:
            if record["messageId"] not in outcome.failed_ids:
                continue
            count = int(record["attributes"].get("ApproximateReceiveCount", "1"))
            if self.max_receive_count is not None and count >= self.max_receive_count:
                where = f"goes to the dead-letter queue {self.dlq_arn}"
            else:
                where = "returns after the visibility timeout"
            self._log(f"[sqs] {label}: message {record['messageId']} (received {count}x) {where}")
