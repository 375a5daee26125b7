"""The Local cloud views pointed at an AWS account: read its queues, buckets and tables; writes only when confirmed."""

from __future__ import annotations

import itertools
import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from boto3.dynamodb.types import TypeDeserializer, TypeSerializer

from app.local.inspect import (
    BucketRow,
    QueueRow,
    Snapshot,
    TableRow,
    _plain,
    item_from_json,
    item_key,
    save_object,
)
from runner.errors import UserFacingError

if TYPE_CHECKING:
    from app.deploy.connection import Connection

PAGE = 50  # queues, buckets, tables and items read at first; "Show more" reads one page more of each

Confirm = Callable[[str], bool]


class WriteDeclined(UserFacingError):
    """The user said no to the confirmation: nothing was sent to the account."""


def snapshot(conn: Connection, scan_limit: int | None = None, limit: int = PAGE) -> Snapshot:
    """The account's queues (depth, in flight, DLQ), buckets (objects) and tables (a limited scan); blocks.

    Up to `limit` of each kind, `2 * limit` objects per bucket and `scan_limit` (default `limit`) items
    per table; `more` names what the account holds past that. Rows are keyed by the resource's own name
    (an account has no logical ids). Only reads are sent.
    """
    out = Snapshot()
    items_limit = scan_limit or limit
    sqs = conn.client("sqs")
    pages = sqs.get_paginator("list_queues").paginate(PaginationConfig={"PageSize": 1000})
    urls = _take(out, "queues", (url for page in pages for url in page.get("QueueUrls", [])), limit)
    for url in urls:
        attrs = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
        dlq = ""
        policy = attrs.get("RedrivePolicy")
        if policy:
            try:
                dlq = str(json.loads(policy).get("deadLetterTargetArn", "")).rsplit(":", 1)[-1]
            except ValueError:
                dlq = "?"
        name = url.rstrip("/").rsplit("/", 1)[-1]
        out.queues.append(
            QueueRow(
                name,
                url,
                int(attrs.get("ApproximateNumberOfMessages", 0)),
                int(attrs.get("ApproximateNumberOfMessagesNotVisible", 0)),
                dlq,
            )
        )
    s3 = conn.client("s3")
    for bucket in _take(out, "buckets", iter(s3.list_buckets().get("Buckets", [])), limit):
        name = str(bucket["Name"])
        try:
            listed = s3.list_objects_v2(Bucket=name, MaxKeys=2 * limit)
        except Exception as exc:  # another region's bucket, or no s3:ListBucket: say so, keep the rest
            out.buckets.append(BucketRow(name, f"not listed: {_short(exc)}"))
            continue
        if listed.get("IsTruncated"):
            out.more.append(f"objects of {name}")
        objects = [(o["Key"], int(o["Size"])) for o in listed.get("Contents", [])]
        out.buckets.append(BucketRow(name, name, objects))
    dynamodb = conn.client("dynamodb")
    deserializer = TypeDeserializer()
    pages = dynamodb.get_paginator("list_tables").paginate(PaginationConfig={"PageSize": 100})
    for table in _take(out, "tables", (t for page in pages for t in page.get("TableNames", [])), limit):
        schema = dynamodb.describe_table(TableName=table)["Table"]["KeySchema"]
        scanned = dynamodb.scan(TableName=table, Limit=items_limit)
        if scanned.get("LastEvaluatedKey"):
            out.more.append(f"items of {table}")
        rows = scanned.get("Items", [])
        items = [{k: _plain(deserializer.deserialize(v)) for k, v in item.items()} for item in rows]
        out.tables.append(TableRow(table, table, [k["AttributeName"] for k in schema], items))
    return out


def _take(out: Snapshot, kind: str, names: Iterator[Any], limit: int) -> list[Any]:
    """The first `limit` of `names` (read lazily, page by page); notes in `out.more` when there are more."""
    taken = list(itertools.islice(names, limit + 1))
    if len(taken) > limit:
        out.more.append(kind)
    return taken[:limit]


def _short(exc: Exception) -> str:
    text = str(exc)
    return text if len(text) < 120 else text[:117] + "…"


def confirmation(conn: Connection, what: str) -> str:
    """The question asked before a write, naming the account and region (asks STS who we are); blocks."""
    identity = conn.identity()
    return (
        f"{what}\n\nThis writes to the AWS account {identity.account} in {conn.region_name} "
        f"(as {identity.arn}), not to the local cloud. Send it?"
    )


def _confirmed(conn: Connection, what: str, confirm: Confirm) -> None:
    if not confirm(confirmation(conn, what)):
        raise WriteDeclined(f"Not sent: {what[0].lower() + what[1:]}", "the confirmation was declined")


def send_message(
    conn: Connection, queue: str, body: str, confirm: Confirm, group_id: str | None = None
) -> str:
    """Sends a message to the account's queue `queue` (its name) after `confirm` says yes; blocks."""
    sqs = conn.client("sqs")
    url = sqs.get_queue_url(QueueName=queue)["QueueUrl"]
    _confirmed(conn, f"Send a message to the queue {queue}.", confirm)
    args: dict[str, Any] = {"QueueUrl": url, "MessageBody": body}
    if queue.endswith(".fifo"):
        import uuid

        args["MessageGroupId"] = group_id or "default"
        args["MessageDeduplicationId"] = str(uuid.uuid4())
    return str(sqs.send_message(**args)["MessageId"])


def upload(conn: Connection, bucket: str, key: str, data: bytes, confirm: Confirm) -> None:
    """Puts an object into the account's bucket after `confirm` says yes; blocks."""
    if not key:
        raise UserFacingError("an object needs a key (its name in the bucket)")
    _confirmed(conn, f"Upload {key} ({len(data)} bytes) to the bucket {bucket}.", confirm)
    conn.client("s3").put_object(Bucket=bucket, Key=key, Body=data)


def put_item(conn: Connection, table: str, text: str, confirm: Confirm) -> None:
    """Adds or replaces an item (plain JSON) in the account's table after `confirm` says yes; blocks."""
    item = item_from_json(text)
    serializer = TypeSerializer()
    wire = {k: serializer.serialize(v) for k, v in item.items()}
    _confirmed(conn, f"Put an item into the table {table}.", confirm)
    try:
        conn.client("dynamodb").put_item(TableName=table, Item=wire)
    except Exception as exc:  # botocore's ClientError names the missing key attribute
        raise UserFacingError(f"the item was not added: {_short(exc)}") from None


def download(conn: Connection, bucket: str, key: str, dest: Path) -> int:
    """Saves an object of the account's bucket to `dest` (a read: nothing to confirm); returns its size."""
    return save_object(conn.client("s3"), bucket, key, dest)


def delete_object(conn: Connection, bucket: str, key: str, confirm: Confirm) -> None:
    """Deletes an object of the account's bucket after `confirm` says yes; blocks."""
    _confirmed(conn, f"Delete {key} from the bucket {bucket}.", confirm)
    conn.client("s3").delete_object(Bucket=bucket, Key=key)


def delete_item(conn: Connection, table: str, text: str, confirm: Confirm) -> None:
    """Deletes the item (plain JSON; its key attributes name it) from the account's table, if confirmed."""
    dynamodb = conn.client("dynamodb")
    key = item_key(dynamodb, table, text)
    shown = ", ".join(f"{k}={v}" for k, v in item_from_json(text).items() if k in key)
    _confirmed(conn, f"Delete the item {shown} from the table {table}.", confirm)
    dynamodb.delete_item(TableName=table, Key=key)


def purge_queue(conn: Connection, queue: str, confirm: Confirm) -> None:
    """Deletes every message of the account's queue after `confirm` says yes; blocks."""
    sqs = conn.client("sqs")
    url = sqs.get_queue_url(QueueName=queue)["QueueUrl"]
    _confirmed(conn, f"Purge the queue {queue}: every message in it is deleted.", confirm)
    sqs.purge_queue(QueueUrl=url)
