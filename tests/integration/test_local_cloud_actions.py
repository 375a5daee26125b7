"""The Local cloud dock's actions on the running local cloud: download, delete an object or item, purge."""

from __future__ import annotations

from pathlib import Path

import pytest

from app.local import inspect
from runner.errors import UserFacingError
from tests.integration.local_cloud_support import running_cloud, write_project

pytestmark = pytest.mark.moto

TEMPLATE = """\
AWSTemplateFormatVersion: "2010-09-09"
Resources:
  Jobs:
    Type: AWS::SQS::Queue
  Files:
    Type: AWS::S3::Bucket
  Items:
    Type: AWS::DynamoDB::Table
    Properties:
      AttributeDefinitions: [{AttributeName: pk, AttributeType: S}, {AttributeName: sk, AttributeType: N}]
      KeySchema: [{AttributeName: pk, KeyType: HASH}, {AttributeName: sk, KeyType: RANGE}]
      BillingMode: PAY_PER_REQUEST
"""


def test_download_delete_and_purge_on_the_local_cloud(tmp_path: Path) -> None:
    project = write_project(tmp_path / "app", TEMPLATE, {})
    with running_cloud(project) as (cloud, _log):
        inspect.upload(cloud, "Files", "in/a.json", b'{"a": 1}')
        inspect.put_item(cloud, "Items", '{"pk": "o", "sk": 1, "note": "keep"}')
        inspect.put_item(cloud, "Items", '{"pk": "o", "sk": 2, "note": "drop"}')
        inspect.send_message(cloud, "Jobs", "one")
        inspect.send_message(cloud, "Jobs", "two")

        target = tmp_path / "out" / "a.json"
        target.parent.mkdir()
        assert inspect.download(cloud, "Files", "in/a.json", target) == 8
        assert target.read_bytes() == b'{"a": 1}'

        inspect.delete_object(cloud, "Files", "in/a.json")
        inspect.delete_item(
            cloud, "Items", '{"pk": "o", "sk": 2, "note": "the other attributes do not matter"}'
        )
        with pytest.raises(UserFacingError, match="no key attribute sk"):
            inspect.delete_item(cloud, "Items", '{"pk": "o"}')
        inspect.purge_queue(cloud, "Jobs")

        snap = inspect.snapshot(cloud)
        assert [b.objects for b in snap.buckets] == [[]]
        assert [[i["note"] for i in t.items] for t in snap.tables] == [["keep"]]
        assert [(q.depth, q.in_flight) for q in snap.queues] == [(0, 0)]
        with pytest.raises(UserFacingError, match="nothing was saved"):
            inspect.download(cloud, "Files", "in/a.json", tmp_path / "out" / "gone.json")
        assert sorted(p.name for p in target.parent.iterdir()) == ["a.json"]
