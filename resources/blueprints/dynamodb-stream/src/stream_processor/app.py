"""DynamoDB stream processor: turns INSERT, MODIFY and REMOVE records into product change notices."""

from __future__ import annotations

import json
import logging
import os
from decimal import Decimal
from typing import Any

from boto3.dynamodb.types import TypeDeserializer

logger = logging.getLogger()
logger.setLevel(os.environ.get("LOG_LEVEL", "INFO"))

_deserializer = TypeDeserializer()


def from_dynamodb(image: dict[str, Any] | None) -> dict[str, Any]:
    """A stream image ({"price": {"N": "9.5"}}) as plain Python values ({"price": Decimal("9.5")})."""
    return {key: _deserializer.deserialize(value) for key, value in (image or {}).items()}


def changed_attributes(old: dict[str, Any], new: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Every attribute whose value differs between two images, with its old and new value."""
    return {
        key: {"old": old.get(key), "new": new.get(key)}
        for key in sorted(old.keys() | new.keys())
        if old.get(key) != new.get(key)
    }


def describe_change(record: dict[str, Any]) -> dict[str, Any]:
    """What one stream record means for the product it touches."""
    change = record["dynamodb"]
    keys = from_dynamodb(change.get("Keys"))
    old = from_dynamodb(change.get("OldImage"))
    new = from_dynamodb(change.get("NewImage"))
    kind = record["eventName"]
    if kind == "INSERT":
        return {"action": "created", "keys": keys, "item": new}
    if kind == "MODIFY":
        diff = changed_attributes(old, new)
        notice: dict[str, Any] = {"action": "updated", "keys": keys, "changes": diff}
        if "price" in diff:
            notice["priceChanged"] = True
        if "stock" in diff and (new.get("stock") or 0) <= 0 < (old.get("stock") or 0):
            notice["soldOut"] = True
        return notice
    if kind == "REMOVE":
        return {"action": "deleted", "keys": keys, "item": old}
    raise ValueError(f"unknown stream event {kind!r}")


def publish(notice: dict[str, Any]) -> None:
    """Where a change notice goes; replace with your own (EventBridge, SNS, a search index...)."""
    logger.info("product change %s", json.dumps(notice, default=_json_default, sort_keys=True))


def _json_default(value: Any) -> Any:
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, set):
        return sorted(value, key=str)
    if isinstance(value, bytes | bytearray):
        return value.hex()
    raise TypeError(f"{type(value).__name__} is not JSON serializable")


def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, list[dict[str, str]]]:
    """Handle records in order; on the first failure report it, so the stream retries from there."""
    for record in event.get("Records", []):
        try:
            publish(describe_change(record))
        except Exception:
            sequence_number = record["dynamodb"]["SequenceNumber"]
            logger.exception("record %s failed", sequence_number)
            # Records of a shard must be handled in order: stop here, everything after is retried.
            return {"batchItemFailures": [{"itemIdentifier": sequence_number}]}
    return {"batchItemFailures": []}
