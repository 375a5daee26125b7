"""The Local cloud views pointed at an account: a real moto_server on 127.0.0.1 stands in for it."""

from __future__ import annotations

import json
import uuid

import boto3
import pytest

from app.local import account
from runner.errors import UserFacingError
from tests.integration.moto_fixtures import REGION, moto_connection, moto_server, moto_url  # noqa: F401

pytestmark = pytest.mark.moto

MOTO_ACCOUNT = "123456789012"


def _names() -> tuple[str, str, str, str]:
    tag = uuid.uuid4().hex[:8]
    return f"orders-{tag}", f"orders-dlq-{tag}", f"uploads-{tag}", f"items-{tag}"


def _seed(url: str) -> tuple[str, str, str, str]:
    queue, dlq, bucket, table = _names()
    conn = moto_connection(url)
    sqs = conn.client("sqs")
    dlq_url = sqs.create_queue(QueueName=dlq)["QueueUrl"]
    dlq_arn = sqs.get_queue_attributes(QueueUrl=dlq_url, AttributeNames=["QueueArn"])["Attributes"][
        "QueueArn"
    ]
    redrive = json.dumps({"deadLetterTargetArn": dlq_arn, "maxReceiveCount": 3})
    queue_url = sqs.create_queue(QueueName=queue, Attributes={"RedrivePolicy": redrive})["QueueUrl"]
    sqs.send_message(QueueUrl=queue_url, MessageBody="one")
    sqs.send_message(QueueUrl=queue_url, MessageBody="two")
    sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=1, VisibilityTimeout=300)
    conn.client("s3").create_bucket(Bucket=bucket)
    conn.client("s3").put_object(Bucket=bucket, Key="a.txt", Body=b"hello")
    ddb = conn.client("dynamodb")
    ddb.create_table(
        TableName=table,
        AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
        KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
        BillingMode="PAY_PER_REQUEST",
    )
    for i in range(5):
        ddb.put_item(TableName=table, Item={"id": {"S": f"o-{i}"}, "total": {"N": str(i * 10)}})
    return queue, dlq, bucket, table


def test_lists_the_accounts_queues_buckets_and_tables(moto_url: str) -> None:  # noqa: F811
    queue, dlq, bucket, table = _seed(moto_url)
    snap = account.snapshot(moto_connection(moto_url), scan_limit=3)
    row = next(q for q in snap.queues if q.logical_id == queue)
    assert (row.depth, row.in_flight, row.dead_letter) == (1, 1, dlq)
    assert row.name.endswith("/" + queue)
    assert next(b for b in snap.buckets if b.logical_id == bucket).objects == [("a.txt", 5)]
    listed = next(t for t in snap.tables if t.logical_id == table)
    assert listed.keys == ["id"]
    assert len(listed.items) == 3  # the scan's limit
    assert all(isinstance(item["total"], int) for item in listed.items)


def test_a_declined_write_sends_nothing_and_an_accepted_one_is_done(moto_url: str) -> None:  # noqa: F811
    queue, _dlq, bucket, table = _seed(moto_url)
    conn = moto_connection(moto_url)
    asked: list[str] = []

    def no(text: str) -> bool:
        asked.append(text)
        return False

    def yes(text: str) -> bool:
        asked.append(text)
        return True

    with pytest.raises(account.WriteDeclined):
        account.send_message(conn, queue, "three", no)
    with pytest.raises(account.WriteDeclined):
        account.upload(conn, bucket, "b.txt", b"bee", no)
    with pytest.raises(account.WriteDeclined):
        account.put_item(conn, table, '{"id": "new", "total": 1.5}', no)
    assert len(asked) == 3
    assert all(MOTO_ACCOUNT in text and REGION in text for text in asked)
    assert queue in asked[0] and bucket in asked[1] and table in asked[2]
    snap = account.snapshot(conn, scan_limit=50)
    assert next(q for q in snap.queues if q.logical_id == queue).depth == 1
    assert [k for k, _ in next(b for b in snap.buckets if b.logical_id == bucket).objects] == ["a.txt"]
    assert "new" not in {i["id"] for i in next(t for t in snap.tables if t.logical_id == table).items}

    account.send_message(conn, queue, "three", yes)
    account.upload(conn, bucket, "b.txt", b"bee", yes)
    account.put_item(conn, table, '{"id": "new", "total": 1.5}', yes)
    snap = account.snapshot(conn, scan_limit=50)
    assert next(q for q in snap.queues if q.logical_id == queue).depth == 2
    assert [k for k, _ in next(b for b in snap.buckets if b.logical_id == bucket).objects] == [
        "a.txt",
        "b.txt",
    ]
    items = {i["id"]: i for i in next(t for t in snap.tables if t.logical_id == table).items}
    assert items["new"]["total"] == 1.5


def test_bad_input_is_refused_before_the_question(moto_url: str) -> None:  # noqa: F811
    _queue, _dlq, _bucket, table = _seed(moto_url)
    asked: list[str] = []

    def yes(text: str) -> bool:
        asked.append(text)
        return True

    with pytest.raises(account.UserFacingError, match="not valid JSON"):
        account.put_item(moto_connection(moto_url), table, "{oops", yes)
    assert asked == []


def _region_connection(url: str, region: str):  # noqa: ANN202 - a Connection
    from app.deploy.connection import Connection

    session = boto3.Session(aws_access_key_id="testing", aws_secret_access_key="testing", region_name=region)
    return Connection(session=session, region=region, endpoint_url=url)


def test_more_than_a_page_of_queues_and_tables_is_read_on_asking(moto_url: str) -> None:  # noqa: F811
    conn = _region_connection(moto_url, "ap-southeast-4")  # a region of its own: only this test's queues
    tag = uuid.uuid4().hex[:6]
    sqs, ddb = conn.client("sqs"), conn.client("dynamodb")
    queues = [f"q{i:02d}-{tag}" for i in range(account.PAGE + 5)]
    for name in queues:
        sqs.create_queue(QueueName=name)
    tables = [f"t{i:02d}-{tag}" for i in range(account.PAGE + 2)]
    for name in tables:
        ddb.create_table(
            TableName=name,
            AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
            KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
            BillingMode="PAY_PER_REQUEST",
        )
    first = account.snapshot(conn)
    assert len(first.queues) == len(first.tables) == account.PAGE
    assert {"queues", "tables"} <= set(first.more)
    both = account.snapshot(conn, limit=2 * account.PAGE)
    assert sorted(q.logical_id for q in both.queues) == sorted(queues)
    assert sorted(t.logical_id for t in both.tables) == sorted(tables)
    assert "queues" not in both.more and "tables" not in both.more


def test_objects_and_items_past_the_page_are_said_and_read_on_asking(moto_url: str) -> None:  # noqa: F811
    conn = _region_connection(moto_url, "ap-southeast-5")
    tag = uuid.uuid4().hex[:6]
    bucket, table = f"many-{tag}", f"many-{tag}"
    s3, ddb = conn.client("s3"), conn.client("dynamodb")
    s3.create_bucket(Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": "ap-southeast-5"})
    for i in range(2 * account.PAGE + 1):
        s3.put_object(Bucket=bucket, Key=f"k{i:03d}", Body=b"x")
    ddb.create_table(
        TableName=table,
        AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
        KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
        BillingMode="PAY_PER_REQUEST",
    )
    for i in range(account.PAGE + 1):
        ddb.put_item(TableName=table, Item={"id": {"S": f"i{i:03d}"}})
    first = account.snapshot(conn)
    objects = next(b for b in first.buckets if b.logical_id == bucket).objects
    assert len(objects) == 2 * account.PAGE
    assert len(next(t for t in first.tables if t.logical_id == table).items) == account.PAGE
    assert f"objects of {bucket}" in first.more and f"items of {table}" in first.more
    more = account.snapshot(conn, limit=2 * account.PAGE)
    assert len(next(b for b in more.buckets if b.logical_id == bucket).objects) == 2 * account.PAGE + 1
    assert len(next(t for t in more.tables if t.logical_id == table).items) == account.PAGE + 1
    assert not [m for m in more.more if bucket in m]


def test_download_saves_the_object_and_deletes_ask_first(moto_url: str, tmp_path) -> None:  # noqa: ANN001, F811
    queue, _dlq, bucket, table = _seed(moto_url)
    conn = moto_connection(moto_url)
    target = tmp_path / "saved" / "a.txt"
    target.parent.mkdir()
    assert account.download(conn, bucket, "a.txt", target) == 5
    assert target.read_bytes() == b"hello"
    assert [p.name for p in target.parent.iterdir()] == ["a.txt"]  # no temp file left beside it
    with pytest.raises(UserFacingError, match="nothing was saved"):
        account.download(conn, bucket, "missing.txt", tmp_path / "saved" / "missing.txt")
    assert [p.name for p in target.parent.iterdir()] == ["a.txt"]

    asked: list[str] = []
    answer = [False]

    def confirm(text: str) -> bool:
        asked.append(text)
        return answer[0]

    item = '{"id": "o-1", "total": 10}'
    for declined in (
        lambda: account.delete_object(conn, bucket, "a.txt", confirm),
        lambda: account.delete_item(conn, table, item, confirm),
        lambda: account.purge_queue(conn, queue, confirm),
    ):
        with pytest.raises(account.WriteDeclined):
            declined()
    assert len(asked) == 3 and all(MOTO_ACCOUNT in text and REGION in text for text in asked)
    snap = account.snapshot(conn)
    assert [k for k, _ in next(b for b in snap.buckets if b.logical_id == bucket).objects] == ["a.txt"]
    assert "o-1" in {i["id"] for i in next(t for t in snap.tables if t.logical_id == table).items}
    assert next(q for q in snap.queues if q.logical_id == queue).depth == 1

    answer[0] = True
    account.delete_object(conn, bucket, "a.txt", confirm)
    account.delete_item(conn, table, item, confirm)
    account.purge_queue(conn, queue, confirm)
    snap = account.snapshot(conn)
    assert next(b for b in snap.buckets if b.logical_id == bucket).objects == []
    assert "o-1" not in {i["id"] for i in next(t for t in snap.tables if t.logical_id == table).items}
    row = next(q for q in snap.queues if q.logical_id == queue)
    assert (row.depth, row.in_flight) == (0, 0)
    with pytest.raises(UserFacingError, match="key attribute id"):
        account.delete_item(conn, table, '{"total": 3}', confirm)
