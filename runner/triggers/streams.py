"""DynamoDB stream and Kinesis event sources as Lambda runs them: shards in order, retries, bisect,
record age, on-failure destination and ReportBatchItemFailures checkpointing."""

from __future__ import annotations

import base64
import functools
import json
import time
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from runner.result import InvokeResult
from runner.triggers import ClientFactory, InvokeFn, LogSink, Worker, stop_workers
from runner.triggers.patterns import matches

RETRY_PAUSE_S = 0.2


@dataclass
class StreamSource:
    """One stream event source mapping with the properties of the function's DynamoDB/Kinesis event."""

    kind: str  # "dynamodb" or "kinesis"
    function_id: str
    function_arn: str
    stream_arn: str
    region: str = "us-east-1"
    batch_size: int = 100
    starting_position: str = "LATEST"
    starting_position_timestamp: float | None = None  # Unix seconds, for AT_TIMESTAMP (Kinesis only)
    bisect: bool = False
    maximum_retry_attempts: int = -1
    maximum_record_age_s: int = -1
    on_failure: str | None = None
    report_batch_item_failures: bool = False
    filters: list[dict[str, Any]] = field(default_factory=list)
    enabled: bool = True

    @classmethod
    def from_properties(
        cls,
        kind: str,
        function_id: str,
        function_arn: str,
        stream_arn: str,
        props: Mapping[str, Any],
        region: str,
    ) -> StreamSource:
        dest = props.get("DestinationConfig")
        on_failure = dest.get("OnFailure") if isinstance(dest, Mapping) else None
        criteria = props.get("FilterCriteria")
        filters = []
        for entry in (criteria.get("Filters") or []) if isinstance(criteria, Mapping) else []:
            pattern = entry.get("Pattern") if isinstance(entry, Mapping) else None
            filters.append(json.loads(pattern) if isinstance(pattern, str) else dict(pattern or {}))
        position = str(props.get("StartingPosition", "LATEST"))
        timestamp = props.get("StartingPositionTimestamp")
        if position not in ("LATEST", "TRIM_HORIZON", "AT_TIMESTAMP"):
            raise ValueError(f"StartingPosition {position} is not LATEST, TRIM_HORIZON or AT_TIMESTAMP")
        if position == "AT_TIMESTAMP" and kind != "kinesis":
            raise ValueError(
                "StartingPosition AT_TIMESTAMP is for Kinesis streams only (Lambda refuses it here)"
            )
        if position == "AT_TIMESTAMP" and timestamp is None:
            raise ValueError("StartingPosition AT_TIMESTAMP needs StartingPositionTimestamp (Unix seconds)")
        return cls(
            kind=kind,
            function_id=function_id,
            function_arn=function_arn,
            stream_arn=stream_arn,
            region=region,
            batch_size=int(props.get("BatchSize", 100)),
            starting_position=position,
            starting_position_timestamp=float(timestamp)
            if timestamp is not None and position == "AT_TIMESTAMP"
            else None,
            bisect=str(props.get("BisectBatchOnFunctionError", False)).lower() == "true",
            maximum_retry_attempts=int(props.get("MaximumRetryAttempts", -1)),
            maximum_record_age_s=int(props.get("MaximumRecordAgeInSeconds", -1)),
            on_failure=str(on_failure["Destination"])
            if isinstance(on_failure, Mapping) and on_failure.get("Destination")
            else None,
            report_batch_item_failures="ReportBatchItemFailures"
            in (props.get("FunctionResponseTypes") or []),
            filters=filters,
            enabled=str(props.get("Enabled", True)).lower() != "false",
        )


def passes_filters(record: Mapping[str, Any], filters: list[dict[str, Any]]) -> bool:
    """Lambda's filter criteria on a stream record; Kinesis ``data`` is matched decoded when it is JSON."""
    if not filters:
        return True
    view: Any = record
    kinesis = record.get("kinesis")
    if isinstance(kinesis, Mapping) and "data" in kinesis:
        try:
            decoded = json.loads(base64.b64decode(kinesis["data"]))
        except ValueError:
            decoded = None
        if isinstance(decoded, dict):
            view = {**record, "kinesis": {**kinesis, "data": decoded}}
    return any(matches(pattern, view) for pattern in filters)


def _sequence(record: Mapping[str, Any]) -> str:
    inner = record.get("kinesis") or record.get("dynamodb") or {}
    return str(inner.get("sequenceNumber") or inner.get("SequenceNumber") or "")


def _arrival(record: Mapping[str, Any]) -> float:
    inner = record.get("kinesis") or record.get("dynamodb") or {}
    value = (
        inner.get("approximateArrivalTimestamp") or inner.get("ApproximateCreationDateTime") or time.time()
    )
    return value.timestamp() if isinstance(value, datetime) else float(value)


class StreamPoller:
    """Reads every shard of a stream in order and invokes the function with its batches."""

    def __init__(
        self,
        source: StreamSource,
        client: ClientFactory,
        invoke: InvokeFn,
        log: LogSink,
        *,
        now: Callable[[], float] = time.time,
    ) -> None:
        self.source = source
        self._client = client
        self._api = client("dynamodbstreams" if source.kind == "dynamodb" else "kinesis")
        self._invoke = invoke
        self._log = log
        self._now = now
        self._workers: list[Worker] = []

    @property
    def label(self) -> str:
        name = (
            self.source.stream_arn.split("/")[1] if "/" in self.source.stream_arn else self.source.stream_arn
        )
        return f"{name} → {self.source.function_id}"

    def start(self) -> None:
        if not self.source.enabled:
            self._log(f"[{self.source.kind}] {self.label}: disabled (Enabled: false)")
            return
        for shard_id in self._shards():
            iterator = self._iterator(shard_id)
            state: dict[str, Any] = {"iterator": iterator, "shard": shard_id}
            step = functools.partial(self._step, state)
            worker = Worker(f"{self.source.kind} {self.label} {shard_id}", step, self._log)
            self._workers.append(worker)
            worker.start()

    def stop(self) -> None:
        stop_workers(self._workers)

    @property
    def _stopping(self) -> bool:
        return any(w.stopping for w in self._workers)

    def _shards(self) -> list[str]:
        if self.source.kind == "dynamodb":
            desc = self._api.describe_stream(StreamArn=self.source.stream_arn)["StreamDescription"]
        else:
            desc = self._api.describe_stream(StreamARN=self.source.stream_arn)["StreamDescription"]
        return [shard["ShardId"] for shard in desc.get("Shards", [])]

    def _iterator(self, shard_id: str) -> str:
        position = self.source.starting_position
        if self.source.kind == "dynamodb":
            return str(
                self._api.get_shard_iterator(
                    StreamArn=self.source.stream_arn, ShardId=shard_id, ShardIteratorType=position
                )["ShardIterator"]
            )
        args: dict[str, Any] = {"StreamARN": self.source.stream_arn, "ShardId": shard_id}
        if self.source.starting_position_timestamp is not None:
            args["Timestamp"] = datetime.fromtimestamp(self.source.starting_position_timestamp, UTC)
        return str(self._api.get_shard_iterator(ShardIteratorType=position, **args)["ShardIterator"])

    def _step(self, state: dict[str, Any]) -> float:
        args: dict[str, Any] = {"ShardIterator": state["iterator"], "Limit": self.source.batch_size}
        if self.source.kind == "kinesis":
            args["StreamARN"] = self.source.stream_arn
        response = self._api.get_records(**args)
        state["iterator"] = response.get("NextShardIterator") or state["iterator"]
        raw = response.get("Records") or []
        if not raw:
            return 0.1
        records = [self._record(r, state["shard"]) for r in raw]
        kept = [r for r in records if passes_filters(r, self.source.filters)]
        if kept:
            self.process(kept, state["shard"])
        return 0.0

    def _record(self, raw: Mapping[str, Any], shard_id: str) -> dict[str, Any]:
        src = self.source
        if src.kind == "dynamodb":
            record = json.loads(json.dumps(raw, default=_json_default))
            record["eventSourceARN"] = src.stream_arn
            return record
        data = raw.get("Data", b"")
        arrival = raw.get("ApproximateArrivalTimestamp")
        return {
            "kinesis": {
                "kinesisSchemaVersion": "1.0",
                "partitionKey": raw.get("PartitionKey"),
                "sequenceNumber": raw.get("SequenceNumber"),
                "data": base64.b64encode(data if isinstance(data, bytes) else str(data).encode()).decode(),
                "approximateArrivalTimestamp": arrival.timestamp()
                if isinstance(arrival, datetime)
                else self._now(),
            },
            "eventSource": "aws:kinesis",
            "eventVersion": "1.0",
            "eventID": f"{shard_id}:{raw.get('SequenceNumber')}",
            "eventName": "aws:kinesis:record",
            "invokeIdentityArn": "arn:aws:iam::123456789012:role/lambda-studio-local",
            "awsRegion": src.region,
            "eventSourceARN": src.stream_arn,
        }

    def process(self, records: list[dict[str, Any]], shard_id: str) -> None:
        """Runs the function on records in order until each is done or given up; blocks."""
        src = self.source
        pending: list[list[dict[str, Any]]] = [records]
        while pending:
            batch = pending.pop(0)
            attempts = 0
            while batch:
                if self._too_old(batch):
                    self._give_up(batch, shard_id, "RecordAgeExceeded", attempts, None)
                    break
                seqs = [_sequence(r) for r in batch]
                self._log(f"[{src.kind}] {self.label}: batch of {len(batch)} record(s) {seqs[0]}..{seqs[-1]}")
                result = self._invoke(src.function_id, json.dumps({"Records": batch}).encode(), self._log)
                attempts += 1
                failed_at = self._failed_index(result, seqs)
                if failed_at is None:
                    self._log(f"[{src.kind}] {self.label}: batch succeeded")
                    break
                if failed_at > 0:
                    self._log(
                        f"[{src.kind}] {self.label}: checkpoint before {seqs[failed_at]}; retrying from there"
                    )
                    batch = batch[failed_at:]
                if src.bisect and len(batch) > 1 and failed_at == 0:
                    half = len(batch) // 2
                    self._log(
                        f"[{src.kind}] {self.label}: function error; bisecting into {half} + {len(batch) - half}"
                    )
                    pending[:0] = [batch[:half], batch[half:]]
                    break
                if 0 <= src.maximum_retry_attempts < attempts:
                    self._give_up(batch, shard_id, "RetryAttemptsExhausted", attempts, result)
                    break
                self._log(f"[{src.kind}] {self.label}: batch failed (attempt {attempts}); retrying")
                if self._stopping:
                    return
                time.sleep(RETRY_PAUSE_S)

    def _failed_index(self, result: InvokeResult, seqs: list[str]) -> int | None:
        """None on success; else the index to resume from (0 = the whole batch failed)."""
        if not result.ok:
            return 0
        if not self.source.report_batch_item_failures or not result.payload.strip():
            return None
        try:
            response = json.loads(result.payload)
        except ValueError:
            return 0
        failures = response.get("batchItemFailures") if isinstance(response, Mapping) else None
        if failures is None:
            return None
        if not isinstance(failures, list):
            return 0
        indexes = []
        for entry in failures:
            ident = entry.get("itemIdentifier") if isinstance(entry, Mapping) else None
            if not isinstance(ident, str) or ident not in seqs:
                return 0  # empty, null or unknown sequence number: the whole batch is retried
            indexes.append(seqs.index(ident))
        return min(indexes) if indexes else None

    def _too_old(self, batch: list[dict[str, Any]]) -> bool:
        limit = self.source.maximum_record_age_s
        return limit >= 0 and self._now() - _arrival(batch[0]) > limit

    def _give_up(
        self,
        batch: list[dict[str, Any]],
        shard_id: str,
        condition: str,
        attempts: int,
        result: InvokeResult | None,
    ) -> None:
        src = self.source
        seqs = [_sequence(r) for r in batch]
        self._log(f"[{src.kind}] {self.label}: {condition}: records {seqs[0]}..{seqs[-1]} skipped")
        if not src.on_failure:
            return
        info_key = "DDBStreamBatchInfo" if src.kind == "dynamodb" else "KinesisBatchInfo"
        arrivals = [_arrival(r) for r in batch]
        body = {
            "requestContext": {
                "requestId": str(uuid.uuid4()),
                "functionArn": src.function_arn,
                "condition": condition,
                "approximateInvokeCount": attempts,
            },
            "responseContext": {"statusCode": 200, "executedVersion": "$LATEST", "functionError": "Unhandled"}
            if result is not None
            else {},
            "version": "1.0",
            "timestamp": datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z"),
            info_key: {
                "shardId": shard_id,
                "startSequenceNumber": seqs[0],
                "endSequenceNumber": seqs[-1],
                "approximateArrivalOfFirstRecord": _iso(min(arrivals)),
                "approximateArrivalOfLastRecord": _iso(max(arrivals)),
                "batchSize": len(batch),
                "streamArn": src.stream_arn,
            },
        }
        service = src.on_failure.split(":")[2]
        if service == "sqs":
            sqs = self._client("sqs")
            url = sqs.get_queue_url(QueueName=src.on_failure.rsplit(":", 1)[1])["QueueUrl"]
            sqs.send_message(QueueUrl=url, MessageBody=json.dumps(body))
        elif service == "sns":
            self._client("sns").publish(TopicArn=src.on_failure, Message=json.dumps(body))
        self._log(f"[{src.kind}] {self.label}: failure record sent to {src.on_failure}")


def _iso(seconds: float) -> str:
    return datetime.fromtimestamp(seconds, UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _json_default(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.timestamp()
    if isinstance(value, bytes):
        return base64.b64encode(value).decode()
    return str(value)
