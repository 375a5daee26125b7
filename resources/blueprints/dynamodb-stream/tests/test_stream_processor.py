"""Unit tests of StreamProcessorFunction, driven by the saved events under events/StreamProcessorFunction."""

from __future__ import annotations

import copy
import json
from decimal import Decimal
from typing import Any

import pytest
from conftest import PROJECT, LambdaContext, load_handler_module

app = load_handler_module("stream_processor")
EVENTS = PROJECT / "events" / "StreamProcessorFunction"


def load_event(name: str) -> dict[str, Any]:
    return json.loads((EVENTS / name).read_text(encoding="utf-8"))


@pytest.fixture
def published(monkeypatch: pytest.MonkeyPatch) -> list[dict[str, Any]]:
    """The notices the handler publishes, collected instead of logged."""
    notices: list[dict[str, Any]] = []
    monkeypatch.setattr(app, "publish", notices.append)
    return notices


def test_insert_creates_a_product(published: list[dict[str, Any]], lambda_context: LambdaContext) -> None:
    assert app.lambda_handler(load_event("insert.json"), lambda_context) == {"batchItemFailures": []}
    (notice,) = published
    assert notice["action"] == "created"
    assert notice["keys"] == {"sku": "BOOK-42"}
    assert notice["item"]["price"] == Decimal("39.95")
    assert notice["item"]["tags"] == {"books", "software"}


def test_modify_reports_changed_attributes(
    published: list[dict[str, Any]], lambda_context: LambdaContext
) -> None:
    app.lambda_handler(load_event("modify.json"), lambda_context)
    (notice,) = published
    assert notice["action"] == "updated"
    assert notice["changes"] == {
        "price": {"old": Decimal("39.95"), "new": Decimal("34.95")},
        "stock": {"old": Decimal(12), "new": Decimal(0)},
    }
    assert notice["priceChanged"] is True
    assert notice["soldOut"] is True


def test_remove_keeps_the_old_item(published: list[dict[str, Any]], lambda_context: LambdaContext) -> None:
    app.lambda_handler(load_event("remove.json"), lambda_context)
    (notice,) = published
    assert notice["action"] == "deleted"
    assert notice["keys"] == {"sku": "MUG-1"}
    assert notice["item"]["dimensions"] == {"heightCm": Decimal("9.5"), "diameterCm": Decimal(8)}
    assert notice["item"]["discontinued"] is None


def test_mixed_batch_is_handled_in_order(
    published: list[dict[str, Any]], lambda_context: LambdaContext
) -> None:
    assert app.lambda_handler(load_event("mixed-batch.json"), lambda_context) == {"batchItemFailures": []}
    assert [notice["action"] for notice in published] == ["created", "updated", "deleted"]


def test_first_failure_is_reported_and_the_rest_left_for_retry(
    published: list[dict[str, Any]], lambda_context: LambdaContext
) -> None:
    event = load_event("mixed-batch.json")
    broken = copy.deepcopy(event)
    broken["Records"][1]["eventName"] = "TRUNCATE"
    result = app.lambda_handler(broken, lambda_context)
    failed = event["Records"][1]["dynamodb"]["SequenceNumber"]
    assert result == {"batchItemFailures": [{"itemIdentifier": failed}]}
    assert [notice["action"] for notice in published] == ["created"]


def test_default_publish_logs_json(caplog: pytest.LogCaptureFixture, lambda_context: LambdaContext) -> None:
    caplog.set_level("INFO")
    app.lambda_handler(load_event("remove.json"), lambda_context)
    line = next(r.getMessage() for r in caplog.records if r.getMessage().startswith("product change "))
    notice = json.loads(line.removeprefix("product change "))
    assert notice["item"]["price"] == 9.99
    assert notice["item"]["stock"] == 140


def test_changed_attributes_sees_added_and_removed_keys() -> None:
    assert app.changed_attributes({"a": 1, "b": 2}, {"b": 2, "c": 3}) == {
        "a": {"old": 1, "new": None},
        "c": {"old": None, "new": 3},
    }
