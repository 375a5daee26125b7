"""Unit tests of CleanupFunction against moto's S3, driven by the saved scheduled event."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
import pytest
from conftest import PROJECT, LambdaContext, load_handler_module
from moto import mock_aws

app = load_handler_module("cleanup")
EVENTS = PROJECT / "events" / "CleanupFunction"
BUCKET = "data-test"


def scheduled_event(days_from_now: float) -> dict[str, Any]:
    """The saved event, firing the given number of days after the objects were written."""
    event = json.loads((EVENTS / "nightly-run.json").read_text(encoding="utf-8"))
    fired = datetime.now(UTC) + timedelta(days=days_from_now)
    event["time"] = fired.strftime("%Y-%m-%dT%H:%M:%SZ")
    return event


def keys_in(s3: Any) -> list[str]:
    return sorted(obj["Key"] for obj in s3.list_objects_v2(Bucket=BUCKET).get("Contents", []))


@pytest.fixture
def s3(aws_credentials: None, monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """A moto bucket with objects in and out of the cleanup prefix; the handler pointed at it."""
    with mock_aws():
        client = boto3.client("s3", region_name="us-east-1")
        client.create_bucket(Bucket=BUCKET)
        for key in ("tmp/a.csv", "tmp/b.csv", "tmp/nested/c.json", "reports/keep.pdf"):
            client.put_object(Bucket=BUCKET, Key=key, Body=b"x")
        monkeypatch.setattr(app, "s3_client", lambda: client)
        monkeypatch.setenv("BUCKET_NAME", BUCKET)
        monkeypatch.setenv("CLEANUP_PREFIX", "tmp/")
        monkeypatch.setenv("RETENTION_DAYS", "30")
        monkeypatch.setenv("DRY_RUN", "false")
        yield client


def test_saved_event_parses() -> None:
    event = json.loads((EVENTS / "nightly-run.json").read_text(encoding="utf-8"))
    assert event["detail-type"] == "Scheduled Event"
    assert app.run_time(event) == datetime(2026, 11, 23, 3, 0, tzinfo=UTC)


def test_recent_objects_are_kept(s3: Any, lambda_context: LambdaContext) -> None:
    result = app.lambda_handler(scheduled_event(1), lambda_context)
    assert result["expired"] == 0
    assert len(keys_in(s3)) == 4


def test_expired_objects_under_the_prefix_are_deleted(s3: Any, lambda_context: LambdaContext) -> None:
    result = app.lambda_handler(scheduled_event(31), lambda_context)
    assert result["expired"] == 3
    assert result["deleted"] == 3
    assert result["failed"] == []
    assert sorted(result["sample"]) == ["tmp/a.csv", "tmp/b.csv", "tmp/nested/c.json"]
    assert keys_in(s3) == ["reports/keep.pdf"]


def test_dry_run_deletes_nothing(
    s3: Any, monkeypatch: pytest.MonkeyPatch, lambda_context: LambdaContext
) -> None:
    monkeypatch.setenv("DRY_RUN", "true")
    result = app.lambda_handler(scheduled_event(31), lambda_context)
    assert (result["dryRun"], result["expired"], result["deleted"]) == (True, 3, 0)
    assert len(keys_in(s3)) == 4


def test_deletes_in_batches(s3: Any, monkeypatch: pytest.MonkeyPatch, lambda_context: LambdaContext) -> None:
    monkeypatch.setattr(app, "DELETE_BATCH", 2)
    assert app.lambda_handler(scheduled_event(31), lambda_context)["deleted"] == 3
    assert keys_in(s3) == ["reports/keep.pdf"]


def test_event_without_time_uses_now(s3: Any, lambda_context: LambdaContext) -> None:
    assert app.lambda_handler({}, lambda_context)["expired"] == 0
