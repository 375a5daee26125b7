"""What the window shows of a running local application, and the actions it offers (all blocking, Qt-free)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

from boto3.dynamodb.types import TypeDeserializer, TypeSerializer

from app.fsutil import atomic_write
from app.local.cloud import LocalCloud
from app.project import resources as r
from runner.errors import UserFacingError

MAX_ROWS = 200


@dataclass
class QueueRow:
    logical_id: str
    name: str
    depth: int
    in_flight: int
    dead_letter: str = ""  # logical id of its DLQ


@dataclass
class BucketRow:
    logical_id: str
    name: str
    objects: list[tuple[str, int]] = field(default_factory=list)  # (key, size)


@dataclass
class TableRow:
    logical_id: str
    name: str
    keys: list[str]
    items: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class Snapshot:
    """The running resources at one moment (refreshed by the dock every few seconds)."""

    queues: list[QueueRow] = field(default_factory=list)
    buckets: list[BucketRow] = field(default_factory=list)
    tables: list[TableRow] = field(default_factory=list)
    topics: list[tuple[str, str]] = field(default_factory=list)  # (logical id, name)
    buses: list[tuple[str, str]] = field(default_factory=list)
    schedules: list[tuple[str, str, list[str]]] = field(default_factory=list)  # (name, expression, next)
    more: list[str] = field(default_factory=list)  # what was cut at the page: "queues", "objects of b"…


def snapshot(cloud: LocalCloud) -> Snapshot:
    """Reads queue depths, objects, items and next firings from the endpoint; blocks."""
    out = Snapshot()
    model = cloud.model
    if model is None:
        return out
    client = cloud.endpoint.client
    deserializer = TypeDeserializer()
    for res in model.resources.values():
        if res.type == r.QUEUE:
            attrs = client("sqs").get_queue_attributes(QueueUrl=res.ref, AttributeNames=["All"])["Attributes"]
            dlq = ""
            policy = res.properties.get("RedrivePolicy")
            if isinstance(policy, dict):
                target = model.find(policy.get("deadLetterTargetArn"))
                dlq = target.logical_id if target is not None else str(policy.get("deadLetterTargetArn"))
            out.queues.append(
                QueueRow(
                    res.logical_id,
                    res.name,
                    int(attrs.get("ApproximateNumberOfMessages", 0)),
                    int(attrs.get("ApproximateNumberOfMessagesNotVisible", 0)),
                    dlq,
                )
            )
        elif res.type == r.BUCKET:
            listed = client("s3").list_objects_v2(Bucket=res.name, MaxKeys=MAX_ROWS).get("Contents", [])
            out.buckets.append(
                BucketRow(res.logical_id, res.name, [(o["Key"], int(o["Size"])) for o in listed])
            )
        elif res.type in (r.TABLE, r.SIMPLE_TABLE):
            dynamodb = client("dynamodb")
            schema = dynamodb.describe_table(TableName=res.name)["Table"]["KeySchema"]
            scanned = dynamodb.scan(TableName=res.name, Limit=MAX_ROWS).get("Items", [])
            items = [{k: _plain(deserializer.deserialize(v)) for k, v in item.items()} for item in scanned]
            out.tables.append(TableRow(res.logical_id, res.name, [k["AttributeName"] for k in schema], items))
        elif res.type == r.TOPIC:
            out.topics.append((res.logical_id, res.name))
        elif res.type == r.BUS:
            out.buses.append((res.logical_id, res.name))
    wiring = cloud.wiring
    if wiring is not None:
        for name, entry in wiring.scheduler.entries.items():
            times = [t.strftime("%Y-%m-%d %H:%M UTC") for t in wiring.scheduler.next_firings(name, 3)]
            out.schedules.append((name, entry.expression.text, times))
    return out


def _plain(value: Any) -> Any:
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list | set):
        return [_plain(v) for v in value]
    if isinstance(value, bytes | bytearray):
        return value.decode("utf-8", "replace")
    return value


def _resource(cloud: LocalCloud, logical_id: str, *types: str) -> r.LocalResource:
    model = cloud.model
    res = model.resources.get(logical_id) if model is not None else None
    if res is None or res.type not in types:
        raise UserFacingError(
            f"{logical_id} is not a running {' or '.join(types)}",
            "turn the local cloud on, or pick another one",
        )
    return res


def send_message(cloud: LocalCloud, queue_id: str, body: str, group_id: str | None = None) -> str:
    """Sends a message to a local queue (a FIFO queue needs a group id); returns its id. Blocks."""
    res = _resource(cloud, queue_id, r.QUEUE)
    args: dict[str, Any] = {"QueueUrl": res.ref, "MessageBody": body}
    if res.name.endswith(".fifo"):
        args["MessageGroupId"] = group_id or "default"
        if str(res.properties.get("ContentBasedDeduplication", "")).lower() != "true":
            import uuid

            args["MessageDeduplicationId"] = str(uuid.uuid4())
    return str(cloud.endpoint.client("sqs").send_message(**args)["MessageId"])


def upload(cloud: LocalCloud, bucket_id: str, key: str, data: bytes) -> None:
    """Puts an object into a local bucket (its S3 triggers fire). Blocks."""
    res = _resource(cloud, bucket_id, r.BUCKET)
    if not key:
        raise UserFacingError("an object needs a key (its name in the bucket)")
    cloud.endpoint.client("s3").put_object(Bucket=res.name, Key=key, Body=data)


def item_from_json(text: str) -> dict[str, Any]:
    """A DynamoDB item typed as plain JSON (numbers kept exact); raises UserFacingError saying what is wrong."""
    try:
        item = json.loads(text, parse_float=Decimal)
    except ValueError as exc:
        raise UserFacingError(f"the item is not valid JSON: {exc}") from None
    if not isinstance(item, dict):
        raise UserFacingError('an item is a JSON object, like {"id": "o-1", "total": 12}')
    return item


def put_item(cloud: LocalCloud, table_id: str, text: str) -> None:
    """Adds or replaces an item given as plain JSON; raises SetupError saying what is wrong. Blocks."""
    res = _resource(cloud, table_id, r.TABLE, r.SIMPLE_TABLE)
    item = item_from_json(text)
    serializer = TypeSerializer()
    try:
        cloud.endpoint.client("dynamodb").put_item(
            TableName=res.name, Item={k: serializer.serialize(v) for k, v in item.items()}
        )
    except Exception as exc:  # botocore's ClientError names the missing key attribute
        raise UserFacingError(f"the item was not added: {exc}") from None


def publish(cloud: LocalCloud, topic_id: str, message: str, attributes: dict[str, str] | None = None) -> str:
    """Publishes to a local topic (string message attributes optional); returns the message id. Blocks."""
    res = _resource(cloud, topic_id, r.TOPIC)
    attrs = {k: {"DataType": "String", "StringValue": v} for k, v in (attributes or {}).items()}
    response = cloud.endpoint.client("sns").publish(
        TopicArn=res.ref, Message=message, MessageAttributes=attrs
    )
    return str(response["MessageId"])


def put_event(cloud: LocalCloud, bus: str, text: str) -> None:
    """Puts one event (JSON with source, detail-type, detail) on a bus ('default' or a bus of the template)."""
    try:
        event = json.loads(text)
    except ValueError as exc:
        raise UserFacingError(f"the event is not valid JSON: {exc}") from None
    if not isinstance(event, dict) or "source" not in event:
        raise UserFacingError(
            'an event is a JSON object with at least "source" (and "detail-type", "detail")'
        )
    model = cloud.model
    res = model.resources.get(bus) if model is not None else None
    name = res.name if res is not None else bus
    entry = {
        "Source": str(event["source"]),
        "DetailType": str(event.get("detail-type", "Local event")),
        "Detail": json.dumps(event.get("detail", {})),
        "EventBusName": name,
    }
    failed = cloud.endpoint.client("events").put_events(Entries=[entry]).get("FailedEntryCount", 0)
    if failed:
        raise UserFacingError(f"the event was not accepted by the bus {name}")


def fire_now(cloud: LocalCloud, schedule: str) -> None:
    """Fires a schedule at once, as the window's "fire now". Blocks only to queue the invoke."""
    wiring = cloud.wiring
    if wiring is None or schedule not in wiring.scheduler.entries:
        raise UserFacingError(f"no running schedule {schedule}")
    wiring.scheduler.fire_now(schedule)


def save_object(s3: Any, bucket: str, key: str, dest: Path) -> int:
    """Streams an object to `dest` (complete or not at all); returns its size. Blocks; raises UserFacingError."""
    try:
        body = s3.get_object(Bucket=bucket, Key=key)["Body"]
    except Exception as exc:  # botocore's ClientError: NoSuchKey, AccessDenied
        raise UserFacingError(f"{key} was not downloaded, nothing was saved: {exc}") from None
    size = 0

    def chunks() -> Iterator[bytes]:
        nonlocal size
        for chunk in body.iter_chunks(1 << 20):
            size += len(chunk)
            yield chunk

    try:
        atomic_write(dest, chunks())
    except OSError as exc:
        raise UserFacingError(f"Cannot save {dest}: {exc.strerror or exc}", "choose another folder") from None
    finally:
        body.close()
    return size


def item_key(dynamodb: Any, table: str, text: str) -> dict[str, Any]:
    """The wire key of the item given as plain JSON (its key attributes only); raises UserFacingError."""
    item = item_from_json(text)
    schema = dynamodb.describe_table(TableName=table)["Table"]["KeySchema"]
    names = [k["AttributeName"] for k in schema]
    missing = [n for n in names if n not in item]
    if missing:
        raise UserFacingError(
            f"the item has no key attribute {', '.join(missing)}: it names no item to delete"
        )
    serializer = TypeSerializer()
    return {n: serializer.serialize(item[n]) for n in names}


def download(cloud: LocalCloud, bucket_id: str, key: str, dest: Path) -> int:
    """Saves an object of a local bucket to `dest`; returns its size. Blocks."""
    res = _resource(cloud, bucket_id, r.BUCKET)
    return save_object(cloud.endpoint.client("s3"), res.name, key, dest)


def delete_object(cloud: LocalCloud, bucket_id: str, key: str) -> None:
    """Deletes an object of a local bucket. Blocks."""
    res = _resource(cloud, bucket_id, r.BUCKET)
    cloud.endpoint.client("s3").delete_object(Bucket=res.name, Key=key)


def delete_item(cloud: LocalCloud, table_id: str, text: str) -> None:
    """Deletes the item (given as plain JSON, its key attributes are used) from a local table. Blocks."""
    res = _resource(cloud, table_id, r.TABLE, r.SIMPLE_TABLE)
    dynamodb = cloud.endpoint.client("dynamodb")
    dynamodb.delete_item(TableName=res.name, Key=item_key(dynamodb, res.name, text))


def purge_queue(cloud: LocalCloud, queue_id: str) -> None:
    """Deletes every message of a local queue. Blocks."""
    res = _resource(cloud, queue_id, r.QUEUE)
    cloud.endpoint.client("sqs").purge_queue(QueueUrl=res.ref)
