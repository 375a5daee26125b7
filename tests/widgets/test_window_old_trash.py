"""Opening a project moves its old in-project trash to the per-user trash, where Restore… finds it."""

from __future__ import annotations

import json
from pathlib import Path

from app.settings import Settings
from widgets.jobs import JobBridge
from widgets.main_window import MainWindow

TEMPLATE = """\
AWSTemplateFormatVersion: "2010-09-09"
Transform: AWS::Serverless-2016-10-31
Resources:
  Fn:
    Type: AWS::Serverless::Function
    Properties: {CodeUri: src/, Handler: app.handler, Runtime: python3.11}
"""


def test_opening_a_project_moves_its_old_trash_once(qtbot, tmp_path: Path) -> None:
    root = tmp_path / "p"
    (root / "src").mkdir(parents=True)
    (root / "src" / "app.py").write_text("def handler(event, context):\n    return event\n")
    (root / "template.yaml").write_text(TEMPLATE)
    entry = root / ".lambda-studio" / "trash" / "events" / "20250101T000000000000Z-abcdef"
    entry.mkdir(parents=True)
    (entry / "meta.json").write_text(json.dumps({"function_id": "Fn", "name": "old", "deleted_at": "x"}))
    (entry / "old.json").write_text('{"kept": true}')

    w = MainWindow(Settings(tmp_path / "config"), jobs=JobBridge(), engine_probe=lambda: "-")
    qtbot.addWidget(w)
    w.ask_recover = lambda paths: False
    try:
        assert w.open_project(root)
        assert not (root / ".lambda-studio").exists()
        assert "moved 1 deleted event to your trash" in w.status.currentMessage()
        w.event_editor.pick_trashed = lambda trashed: trashed[0]
        assert w.event_editor.restore_deleted()
        assert json.loads((root / "events" / "Fn" / "old.json").read_text()) == {"kept": True}
        assert w.close_project() and w.open_project(root)
        assert "deleted event" not in w.status.currentMessage()  # once: nothing left to move
    finally:
        w.invoker.close_backends()
        assert w.jobs.shutdown(15_000)
