"""The Local cloud views pointed at an AWS account: read its queues, buckets and tables; writes only when confirmed."""

from __future__ import annotations

import json
from collections.abc import Callable
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from boto3.dynamodb.types import TypeDeserializer, TypeSerializer

from app.local.inspect import BucketRow, QueueRow, Snapshot, TableRow, _plain
from runner.errors import UserFacingError

if TYPE_CHECKING:
    from app.deploy.connection import Connection

MAX_RESOURCES = 50  # queues, buckets or tables listed per kind: an explorer, not an inventory
MAX_OBJECTS = 100
SCAN_LIMIT = 50  # items read per table (one Scan call with Limit)

Confirm = Callable[[str], bool]


class WriteDeclined(UserFacingError):
    """The user said no to the confirmation: nothing was sent to the account."""


def snapshot(conn: Connection, scan_limit: int = SCAN_LIMIT) -> Snapshot:
    """The account's queues (depth, in flight, DLQ), buckets (objects) and tables (a limited scan); blocks.

    Rows are keyed by the resource's own name (an account has no logical ids). Only reads are sent.
    """
    out = Snapshot()
    sqs = conn.client("sqs")
    urls = sqs.list_queues(MaxResults=MAX_RESOURCES).get("QueueUrls", [])
    for url in urls[:MAX_RESOURCES]:
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
    for bucket in s3.list_buckets().get("Buckets", [])[:MAX_RESOURCES]:
        name = str(bucket["Name"])
        try:
            listed = s3.list_objects_v2(Bucket=name, MaxKeys=MAX_OBJECTS).get("Contents", [])
        except Exception as exc:  # another region's bucket, or no s3:ListBucket: say so, keep the rest
            out.buckets.append(BucketRow(name, f"not listed: {_short(exc)}"))
            continue
        out.buckets.append(BucketRow(name, name, [(o["Key"], int(o["Size"])) for o in listed]))
    dynamodb = conn.client("dynamodb")
    deserializer = TypeDeserializer()
    for table in dynamodb.list_tables(Limit=MAX_RESOURCES).get("TableNames", []):
        schema = dynamodb.describe_table(TableName=table)["Table"]["KeySchema"]
        scanned = dynamodb.scan(TableName=table, Limit=scan_limit).get("Items", [])
        items = [{k: _plain(deserializer.deserialize(v)) for k, v in item.items()} for item in scanned]
        out.tables.append(TableRow(table, table, [k["AttributeName"] for k in schema], items))
    return out


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
    try:
        item = json.loads(text, parse_float=Decimal)
    except ValueError as exc:
        raise UserFacingError(f"the item is not valid JSON: {exc}") from None
    if not isinstance(item, dict):
        raise UserFacingError('an item is a JSON object, like {"id": "o-1", "total": 12}')
    serializer = TypeSerializer()
    wire = {k: serializer.serialize(v) for k, v in item.items()}
    _confirmed(conn, f"Put an item into the table {table}.", confirm)
    try:
        conn.client("dynamodb").put_item(TableName=table, Item=wire)
    except Exception as exc:  # botocore's ClientError names the missing key attribute
        raise UserFacingError(f"the item was not added: {_short(exc)}") from None
