"""Unit tests of BatchConsumerFunction, driven by the saved events under events/BatchConsumerFunction."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

import pytest
from conftest import PROJECT, LambdaContext, load_handler_module

app = load_handler_module("batch_consumer")
EVENTS = PROJECT / "events" / "BatchConsumerFunction"


def load_event(name: str) -> dict[str, Any]:
    return json.loads((EVENTS / name).read_text(encoding="utf-8"))


def test_valid_batch_reports_no_failures(lambda_context: LambdaContext) -> None:
    assert app.lambda_handler(load_event("all-valid.json"), lambda_context) == {"batchItemFailures": []}


def test_partial_failure_reports_only_the_bad_messages(lambda_context: LambdaContext) -> None:
    event = load_event("partial-failure.json")
    result = app.lambda_handler(event, lambda_context)
    records = event["Records"]
    assert result == {
        "batchItemFailures": [
            {"itemIdentifier": records[1]["messageId"]},
            {"itemIdentifier": records[3]["messageId"]},
        ]
    }


def test_unexpected_error_fails_one_message_not_the_batch(
    monkeypatch: pytest.MonkeyPatch, lambda_context: LambdaContext
) -> None:
    event = load_event("all-valid.json")
    first_id = event["Records"][0]["messageId"]

    def explode_on_first(order: Any) -> None:
        if order.order_id == "o-1001":
            raise RuntimeError("downstream service unavailable")

    monkeypatch.setattr(app, "process_order", explode_on_first)
    result = app.lambda_handler(event, lambda_context)
    assert result == {"batchItemFailures": [{"itemIdentifier": first_id}]}


def test_parse_order_totals_items() -> None:
    body = json.dumps({"orderId": 7, "customer": "c", "items": [{"quantity": 3, "price": "0.10"}]})
    order = app.parse_order(body)
    assert order.order_id == "7"
    assert order.total == Decimal("0.30")


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        ("not json", "not JSON"),
        ("[1, 2]", "not a JSON object"),
        ('{"orderId": "x"}', "missing customer, items"),
        ('{"orderId": "x", "customer": "c", "items": [{"quantity": "two", "price": 1}]}', "item 0"),
        ('{"orderId": "x", "customer": "c", "items": [{"quantity": 0, "price": 1}]}', "non-positive"),
    ],
)
def test_parse_order_rejects_bad_bodies(body: str, reason: str) -> None:
    with pytest.raises(app.InvalidOrder, match=reason):
        app.parse_order(body)


def test_empty_event_is_a_no_op(lambda_context: LambdaContext) -> None:
    assert app.lambda_handler({"Records": []}, lambda_context) == {"batchItemFailures": []}
