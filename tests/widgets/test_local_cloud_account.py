"""The Local cloud dock switched to "AWS account": a real moto_server on 127.0.0.1 stands in for the account."""

from __future__ import annotations

import uuid
from pathlib import Path

import boto3
import pytest

from app.settings import Settings
from tests.integration.moto_fixtures import moto_server, moto_url  # noqa: F401
from widgets.editor_tabs import DISCARD
from widgets.jobs import JobBridge
from widgets.main_window import MainWindow

pytestmark = pytest.mark.moto

REGION = "eu-west-3"  # a region of its own: other tests' queues do not show up here
WAIT_MS = 30_000


def test_the_dock_browses_the_account_and_a_send_asks_first(
    qtbot,
    tmp_path: Path,
    moto_url: str,  # noqa: F811
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    queue = f"jobs-{uuid.uuid4().hex[:8]}"
    sqs = boto3.client(
        "sqs", region_name=REGION, endpoint_url=moto_url, aws_access_key_id="t", aws_secret_access_key="t"
    )
    url = sqs.create_queue(QueueName=queue)["QueueUrl"]
    settings = Settings(tmp_path / "config")
    settings.set("aws_region", REGION)
    settings.set("aws_endpoint_url", moto_url)
    window = MainWindow(settings, jobs=JobBridge(), engine_probe=lambda: "not needed")
    window.tabs.ask_unsaved = lambda paths: DISCARD
    window.ask_recover = lambda paths: False
    qtbot.addWidget(window)
    dock = window.local_cloud_dock
    asked: list[str] = []
    answers = [False, True]

    def ask(text: str) -> bool:
        asked.append(text)
        return answers.pop(0)

    dock.ask = ask
    try:
        dock.source.setCurrentIndex(dock.source.findData("account"))
        queues = dock.queues.table

        def row() -> int:
            names = [queues.item(r, 0).text() for r in range(queues.rowCount())]
            return names.index(queue) if queue in names else -1

        qtbot.waitUntil(lambda: row() >= 0, timeout=WAIT_MS)
        assert dock.tabs.isEnabled()
        assert not dock.tabs.isTabEnabled(dock.tabs.indexOf(dock.schedules))
        queues.selectRow(row())
        dock.queues.body.setText('{"job": 1}')
        dock.queues.send.click()
        qtbot.waitUntil(lambda: dock.status.text().startswith("Not sent"), timeout=WAIT_MS)
        assert "123456789012" in asked[0] and REGION in asked[0] and queue in asked[0]
        depth = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["ApproximateNumberOfMessages"])
        assert depth["Attributes"]["ApproximateNumberOfMessages"] == "0"

        dock.queues.send.click()
        qtbot.waitUntil(lambda: queues.item(row(), 1).text() == "1", timeout=WAIT_MS)
        assert len(asked) == 2
        received = sqs.receive_message(QueueUrl=url, WaitTimeSeconds=1)["Messages"]
        assert [m["Body"] for m in received] == ['{"job": 1}']
    finally:
        window.invoker.close_backends()
        assert window.jobs.shutdown(15_000)


def test_show_more_download_and_a_delete_that_asks_first(
    qtbot,
    tmp_path: Path,
    moto_url: str,  # noqa: F811
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from app.local.account import PAGE

    region = "ap-southeast-3"  # its own region: exactly the queues made here
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    tag = uuid.uuid4().hex[:6]
    keys = {
        "region_name": region,
        "endpoint_url": moto_url,
        "aws_access_key_id": "t",
        "aws_secret_access_key": "t",
    }
    sqs, s3 = boto3.client("sqs", **keys), boto3.client("s3", **keys)
    for i in range(PAGE + 1):
        sqs.create_queue(QueueName=f"q{i:02d}-{tag}")
    bucket = f"files-{tag}"
    s3.create_bucket(Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": region})
    s3.put_object(Bucket=bucket, Key="docs/report.txt", Body=b"quarterly")
    settings = Settings(tmp_path / "config")
    settings.set("aws_region", region)
    settings.set("aws_endpoint_url", moto_url)
    window = MainWindow(settings, jobs=JobBridge(), engine_probe=lambda: "not needed")
    window.tabs.ask_unsaved = lambda paths: DISCARD
    window.ask_recover = lambda paths: False
    qtbot.addWidget(window)
    dock = window.local_cloud_dock
    answers = [False, True]
    asked: list[str] = []
    dock.ask = lambda text: asked.append(text) or answers.pop(0)
    saved = tmp_path / "report.txt"
    dock.buckets.ask_save_path = lambda key: str(saved)
    try:
        dock.source.setCurrentIndex(dock.source.findData("account"))
        qtbot.waitUntil(lambda: dock.queues.table.rowCount() == PAGE, timeout=WAIT_MS)
        assert dock.more_button.isVisibleTo(dock) and "queues" in dock.status.text()
        dock.more_button.click()
        qtbot.waitUntil(lambda: dock.queues.table.rowCount() == PAGE + 1, timeout=WAIT_MS)
        assert not dock.more_button.isVisibleTo(dock)

        tree = dock.buckets.tree
        top = next(
            tree.topLevelItem(i)
            for i in range(tree.topLevelItemCount())
            if bucket in tree.topLevelItem(i).text(0)
        )
        tree.setCurrentItem(top.child(0))
        dock.buckets.download.click()
        qtbot.waitUntil(lambda: saved.exists(), timeout=WAIT_MS)
        assert saved.read_bytes() == b"quarterly" and asked == []  # a read asks nothing

        dock.buckets.delete.click()
        qtbot.waitUntil(lambda: dock.status.text().startswith("Not sent"), timeout=WAIT_MS)
        assert len(asked) == 1 and "docs/report.txt" in asked[0] and region in asked[0]
        assert s3.list_objects_v2(Bucket=bucket).get("KeyCount") == 1
        top = next(
            tree.topLevelItem(i)
            for i in range(tree.topLevelItemCount())
            if bucket in tree.topLevelItem(i).text(0)
        )
        tree.setCurrentItem(top.child(0))
        dock.buckets.delete.click()
        qtbot.waitUntil(lambda: s3.list_objects_v2(Bucket=bucket).get("KeyCount") == 0, timeout=WAIT_MS)
        assert len(asked) == 2
    finally:
        window.invoker.close_backends()
        assert window.jobs.shutdown(15_000)
