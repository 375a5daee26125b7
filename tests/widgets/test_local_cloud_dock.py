"""The window's "Local cloud" toggle and dock against the real embedded endpoint."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from app.settings import Settings
from tests.integration.local_cloud_support import require_moto, write_project
from tests.widgets.window_support import close_window, open_window
from widgets.main_window import MainWindow

pytestmark = pytest.mark.moto

TEMPLATE = """\
Transform: AWS::Serverless-2016-10-31
Resources:
  Orders:
    Type: AWS::SQS::Queue
    Properties:
      RedrivePolicy: {deadLetterTargetArn: !GetAtt OrdersDlq.Arn, maxReceiveCount: 3}
  OrdersDlq:
    Type: AWS::SQS::Queue
  Uploads:
    Type: AWS::S3::Bucket
  Items:
    Type: AWS::DynamoDB::Table
    Properties:
      AttributeDefinitions: [{AttributeName: id, AttributeType: S}]
      KeySchema: [{AttributeName: id, KeyType: HASH}]
      BillingMode: PAY_PER_REQUEST
  Nightly:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: src/
      Handler: app.handler
      Runtime: python3.11
      Events:
        Every:
          Type: ScheduleV2
          Properties:
            ScheduleExpression: cron(0 2 * * ? *)
            ScheduleExpressionTimezone: Europe/Paris
"""
SEED = '[{"id": "o-1", "customer": "ada", "total": 12}, {"id": "o-2", "customer": "grace", "total": 30}]'
HANDLER = "def handler(event, context):\n    print('nightly job ran')\n"


def test_toggle_runs_the_application_and_the_dock_shows_and_changes_it(qtbot, tmp_path: Path) -> None:
    require_moto()
    project = write_project(
        tmp_path / "shop", TEMPLATE, {"src/app.py": HANDLER, "local-seed/tables/Items.json": SEED}
    )
    window = open_window(qtbot, Settings(tmp_path / "config"))
    try:
        assert window.open_project(project)
        window.toolbar.set_backend("process")
        dock = window.local_cloud_dock
        assert not dock.tabs.isEnabled()
        assert "State lives only while the local cloud runs" in dock.note.text()
        window.local_cloud_action.setChecked(True)
        qtbot.waitUntil(lambda: window.local_cloud.state == "running", timeout=90_000)
        qtbot.waitUntil(lambda: dock.queues.table.rowCount() == 2, timeout=30_000)
        assert dock.tabs.isEnabled()
        assert dock.status.text().startswith("Local AWS endpoint: http://127.0.0.1:")

        # Send a message from the Queues view: its depth shows 1, its DLQ is named.
        queues = dock.queues
        row = next(r for r in range(2) if queues.table.item(r, 0).text() == "Orders")
        queues.table.selectRow(row)
        queues.body.setText('{"id": "o-3"}')
        queues.send.click()
        qtbot.waitUntil(lambda: queues.table.item(row, 1).text() == "1", timeout=30_000)
        assert queues.table.item(row, 3).text() == "OrdersDlq"

        # Upload (as a drop or the file dialog would), and put an item from the editor.
        dock.tabs.setCurrentWidget(dock.buckets)
        dock.buckets.upload_requested.emit("Uploads", "report.csv", b"a,b\n1,2\n")
        qtbot.waitUntil(lambda: dock.buckets.tree.topLevelItem(0).childCount() == 1, timeout=30_000)
        assert dock.buckets.tree.topLevelItem(0).child(0).text(0) == "report.csv"
        tables = dock.tables
        qtbot.waitUntil(lambda: tables.items.rowCount() == 2, timeout=30_000)
        tables.editor.setPlainText('{"id": "o-9", "customer": "alan", "total": 7}')
        tables.put.click()
        qtbot.waitUntil(lambda: tables.items.rowCount() == 3, timeout=30_000)
        tables.editor.setPlainText('{"customer": "no key"}')
        tables.put.click()
        qtbot.waitUntil(lambda: "the item was not added" in dock.status.text(), timeout=30_000)

        # Schedules: next firings in the time zone, and fire now runs the function.
        sched = dock.schedules.table
        qtbot.waitUntil(lambda: sched.rowCount() == 1, timeout=30_000)
        assert sched.item(0, 1).text() == "cron(0 2 * * ? *)"
        assert sched.item(0, 2).text().count("UTC") == 3
        dock.schedules.table.selectRow(0)
        dock.schedules.fire.click()
        qtbot.waitUntil(lambda: "nightly job ran" in window.log_panel.text(), timeout=60_000)
        qtbot.waitUntil(lambda: window.history.rowCount() == 1, timeout=30_000)
        assert window.history.item(0, 1).text() == "⚡ schedule Nightly.Every"

        # Topics & buses: the event editor's event is put on the default bus.
        window.event_editor.editor.set_text('{"source": "shop", "detail-type": "Order", "detail": {"n": 1}}')
        dock.publish.from_editor.click()
        assert dock.publish.text.toPlainText().startswith('{"source": "shop"')
        dock.publish.target.setCurrentIndex(dock.publish.target.findText("event bus: default"))
        dock.publish.send.click()
        qtbot.waitUntil(lambda: dock.status.text() == "Event put on default", timeout=30_000)

        tables.editor.setPlainText('{"id": "o-9", "customer": "alan", "total": 7}')
        dock.status.setText("Local AWS endpoint: " + window.local_cloud.cloud.url)
        if os.environ.get("LAMBDA_STUDIO_SHOT"):
            _screenshot(window, dock, qtbot, os.environ["LAMBDA_STUDIO_SHOT"])

        window.local_cloud_action.setChecked(False)
        qtbot.waitUntil(lambda: window.local_cloud.state == "stopped", timeout=60_000)
        assert window.local_cloud.cloud is None
        assert dock.queues.table.rowCount() == 0

        # Closing the project stops its local cloud too.
        window.local_cloud_action.setChecked(True)
        qtbot.waitUntil(lambda: window.local_cloud.state == "running", timeout=90_000)
        assert window.close_project()
        qtbot.waitUntil(lambda: window.local_cloud.state == "stopped", timeout=60_000)
        assert not window.local_cloud_action.isChecked()
    finally:
        close_window(window, 30_000)


def _screenshot(window: MainWindow, dock, qtbot, path: str) -> None:  # type: ignore[no-untyped-def]
    """The window with the Queues tab, and under it the dock's Buckets and Tables tabs (docs/)."""
    from PySide6.QtGui import QColor, QImage, QPainter

    shots = []
    for view in (dock.queues, dock.buckets, dock.tables):
        dock.tabs.setCurrentWidget(view)
        qtbot.wait(200)
        shots.append(window.grab() if view is dock.queues else dock.grab())
    full, bucket, table = shots
    height = full.height() + max(bucket.height(), table.height()) + 8
    image = QImage(full.width(), height, QImage.Format.Format_RGB32)
    image.fill(QColor("white"))
    painter = QPainter(image)
    painter.drawPixmap(0, 0, full)
    painter.drawPixmap(0, full.height() + 8, bucket)
    painter.drawPixmap(bucket.width() + 8, full.height() + 8, table)
    painter.end()
    image.save(path)
