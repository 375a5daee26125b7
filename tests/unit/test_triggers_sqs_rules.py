"""Lambda's partial batch response rules for SQS, and filter criteria on SQS records."""

from __future__ import annotations

import json

import pytest

from runner.result import InvokeResult, Outcome
from runner.triggers.sqs import SqsSource, batch_failures, passes_filters

IDS = ["m-1", "m-2", "m-3"]


def _result(payload: object | bytes) -> InvokeResult:
    body = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
    return InvokeResult("r", "F", Outcome.SUCCESS, payload=body)


@pytest.mark.parametrize(
    "payload",
    [{"batchItemFailures": []}, {"batchItemFailures": None}, {}, None, b"", b"  ", "done", {"other": 1}],
    ids=[
        "empty-list",
        "null-list",
        "empty-response",
        "null-response",
        "no-payload",
        "blank",
        "string",
        "no-key",
    ],
)
def test_full_success(payload: object) -> None:
    assert batch_failures(_result(payload), IDS) == ([], "")


def test_partial_failure_keeps_only_the_named_ids() -> None:
    failed, reason = batch_failures(
        _result({"batchItemFailures": [{"itemIdentifier": "m-2"}, {"itemIdentifier": "m-2"}]}), IDS
    )
    assert (failed, reason) == (["m-2"], "")


@pytest.mark.parametrize(
    ("payload", "why"),
    [
        (b"{not json", "not valid JSON"),
        ({"batchItemFailures": [{"itemIdentifier": ""}]}, "invalid entry"),
        ({"batchItemFailures": [{"itemIdentifier": None}]}, "invalid entry"),
        ({"batchItemFailures": [{"itemId": "m-1"}]}, "invalid entry"),
        ({"batchItemFailures": [{"itemIdentifier": "m-9"}]}, "not a message of the batch"),
        ({"batchItemFailures": "m-1"}, "not a list"),
    ],
    ids=["invalid-json", "empty-id", "null-id", "bad-key", "unknown-id", "not-a-list"],
)
def test_whole_batch_fails(payload: object, why: str) -> None:
    failed, reason = batch_failures(_result(payload), IDS)
    assert failed == IDS
    assert why in reason


def _record(body: str) -> dict[str, object]:
    return {"messageId": "m", "body": body, "attributes": {"ApproximateReceiveCount": "1"}}


def test_filters_match_json_bodies_field_by_field_and_plain_bodies_as_strings() -> None:
    by_kind = [{"body": {"kind": ["order"], "total": [{"numeric": [">", 10]}]}}]
    assert passes_filters(_record(json.dumps({"kind": "order", "total": 12})), by_kind)
    assert not passes_filters(_record(json.dumps({"kind": "order", "total": 5})), by_kind)
    assert not passes_filters(_record("kind=order"), by_kind)
    plain = [{"body": [{"prefix": "PING"}]}]
    assert passes_filters(_record("PING 1"), plain)
    assert not passes_filters(_record("PONG"), plain)
    either = by_kind + plain
    assert passes_filters(_record("PING"), either)
    assert passes_filters(_record("anything"), [])


def test_source_from_sam_properties() -> None:
    props = {
        "BatchSize": 50,
        "MaximumBatchingWindowInSeconds": 2,
        "FunctionResponseTypes": ["ReportBatchItemFailures"],
        "FilterCriteria": {"Filters": [{"Pattern": '{"body": {"a": [1]}}'}]},
        "ScalingConfig": {"MaximumConcurrency": 3},
    }
    src = SqsSource.from_properties("F", "http://q", "arn:aws:sqs:us-east-1:1:q.fifo", props, "us-east-1")
    assert (src.batch_size, src.batching_window_s, src.report_batch_item_failures) == (50, 2.0, True)
    assert src.filters == [{"body": {"a": [1]}}]
    assert (src.maximum_concurrency, src.fifo, src.enabled) == (3, True, True)


def test_stream_filters_match_kinesis_json_data_decoded_and_dynamodb_typed_images() -> None:
    import base64

    from runner.triggers.streams import passes_filters as stream_filters

    def kinesis(data: bytes) -> dict[str, object]:
        return {"kinesis": {"data": base64.b64encode(data).decode(), "partitionKey": "p"}}

    wants_big = [{"kinesis": {"data": {"amount": [{"numeric": [">", 100]}]}}}]
    assert stream_filters(kinesis(b'{"amount": 150}'), wants_big)
    assert not stream_filters(kinesis(b'{"amount": 50}'), wants_big)
    assert not stream_filters(kinesis(b"not json"), wants_big)
    inserts = [{"eventName": ["INSERT"], "dynamodb": {"NewImage": {"status": {"S": ["open"]}}}}]
    record = {"eventName": "INSERT", "dynamodb": {"NewImage": {"status": {"S": "open"}}}}
    assert stream_filters(record, inserts)
    assert not stream_filters({**record, "eventName": "MODIFY"}, inserts)
