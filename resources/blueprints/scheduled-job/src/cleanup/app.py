"""Scheduled job: deletes objects older than the retention period from a bucket prefix."""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3

logger = logging.getLogger()
logger.setLevel(os.environ.get("LOG_LEVEL", "INFO"))

DELETE_BATCH = 1000  # the most keys one DeleteObjects call accepts
REPORTED_KEYS = 20

_client: Any = None


def s3_client() -> Any:
    """The S3 client, created once per execution environment; tests replace this function."""
    global _client
    if _client is None:
        _client = boto3.client("s3")
    return _client


def run_time(event: dict[str, Any]) -> datetime:
    """When the schedule fired (the event's time), so a re-run of an old event decides the same way."""
    stamp = event.get("time")
    if not stamp:
        return datetime.now(UTC)
    return datetime.fromisoformat(stamp.replace("Z", "+00:00"))


def expired_keys(bucket: str, prefix: str, cutoff: datetime) -> Iterator[str]:
    """Keys under the prefix last modified before the cutoff."""
    paginator = s3_client().get_paginator("list_objects_v2")
    for page in paginator.paginate(Bucket=bucket, Prefix=prefix):
        for obj in page.get("Contents", []):
            if obj["LastModified"] < cutoff:
                yield obj["Key"]


def delete_keys(bucket: str, keys: list[str]) -> list[str]:
    """Delete the keys in batches; return those S3 could not delete."""
    failed: list[str] = []
    for start in range(0, len(keys), DELETE_BATCH):
        batch = keys[start : start + DELETE_BATCH]
        response = s3_client().delete_objects(
            Bucket=bucket, Delete={"Objects": [{"Key": key} for key in batch], "Quiet": True}
        )
        for error in response.get("Errors", []):
            logger.error("could not delete %s: %s", error.get("Key"), error.get("Message"))
            failed.append(error["Key"])
    return failed


def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """Entry point for the EventBridge "Scheduled Event"."""
    bucket = os.environ["BUCKET_NAME"]
    prefix = os.environ.get("CLEANUP_PREFIX", "")
    retention = timedelta(days=int(os.environ.get("RETENTION_DAYS", "30")))
    dry_run = os.environ.get("DRY_RUN", "false").lower() == "true"
    cutoff = run_time(event) - retention
    keys = list(expired_keys(bucket, prefix, cutoff))
    logger.info(
        "%d objects under s3://%s/%s are older than %s", len(keys), bucket, prefix, cutoff.isoformat()
    )
    failed = [] if dry_run else delete_keys(bucket, keys)
    return {
        "bucket": bucket,
        "prefix": prefix,
        "cutoff": cutoff.isoformat(),
        "dryRun": dry_run,
        "expired": len(keys),
        "deleted": 0 if dry_run else len(keys) - len(failed),
        "failed": failed,
        "sample": keys[:REPORTED_KEYS],
    }
