"""Renders the window on a project after one invoke into a PNG.

`screenshot.py PROJECT OUT.png [FUNCTION] [THEME] [--screen WxH] [--image IMAGE] [--local-cloud TAB]`: with
--screen the offscreen platform has one screen of that size and the window fills it; with --image the invoke
runs in the container backend with that image (one that cannot be pulled shows the window after a long
error); with --local-cloud the Local cloud runs on a copy of the project given a bucket and a table (see
LOCAL_CLOUD_EXTRA), an object is uploaded, an item put and an order sent, and the dock shows TAB.
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def _option(argv: list[str], name: str) -> str | None:
    if name in argv:
        i = argv.index(name)
        value = argv[i + 1]
        del argv[i : i + 2]
        return value
    return None


# What --local-cloud adds to the copy of the project, so the dock has a bucket and a table to show.
LOCAL_CLOUD_EXTRA = """
  UploadsBucket:
    Type: AWS::S3::Bucket

  ItemsTable:
    Type: AWS::Serverless::SimpleTable
    Properties:
      PrimaryKey: {Name: id, Type: String}
"""


def _with_bucket_and_table(project: Path) -> Path:
    """A copy of the project whose template also has LOCAL_CLOUD_EXTRA (before its Outputs)."""
    import shutil

    copy = Path(tempfile.mkdtemp(prefix="lambda-studio-shot-project-")) / project.name
    shutil.copytree(project, copy, ignore=shutil.ignore_patterns(".aws-sam", "__pycache__"))
    template = copy / "template.yaml"
    text = template.read_text(encoding="utf-8")
    head, sep, tail = text.partition("\nOutputs:")
    template.write_text(head.rstrip("\n") + "\n" + LOCAL_CLOUD_EXTRA + sep + tail, encoding="utf-8")
    return copy


def _wait(app: object, until: object, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while not until() and time.monotonic() < deadline:  # type: ignore[operator]
        app.processEvents()  # type: ignore[attr-defined]
        time.sleep(0.01)
    return bool(until())  # type: ignore[operator]


def _run_local_cloud(app: object, window: object, tab: str) -> bool:
    """Starts the Local cloud, puts something in the queue, the bucket and the table; shows `tab`."""
    w: Any = window
    w.local_cloud_action.setChecked(True)
    if not _wait(app, lambda: w.local_cloud.state == "running", 180):
        return False
    dock = w.local_cloud_dock
    # as the views' buttons ask (widgets/local_cloud_actions.py runs each as a job)
    dock.buckets.upload_requested.emit(
        "UploadsBucket", "reports/2026-11.csv", b"order,total\no-1,12\no-2,30\n"
    )
    dock.tables.put_requested.emit("ItemsTable", '{"id": "o-1", "customer": "ada", "total": 12}')
    dock.tables.put_requested.emit("ItemsTable", '{"id": "o-2", "customer": "grace", "total": 30}')
    dock.queues.send_requested.emit("OrdersQueue", '{"id": "o-3", "customer": "alan", "quantity": 2}')
    titles = [dock.tabs.tabText(i).replace("&&", "&") for i in range(dock.tabs.count())]
    dock.tabs.setCurrentIndex(titles.index(tab))
    w.docks["localCloudDock"].raise_()
    filled = _wait(app, lambda: dock.tables.items.rowCount() >= 2, 60)
    _wait(app, lambda: len(w.history.entries()) >= 2, 30)  # the invoke, then the order the queue delivered
    return filled


def main(argv: list[str]) -> int:
    argv = list(argv)
    screen, image = _option(argv, "--screen"), _option(argv, "--image")
    cloud_tab = _option(argv, "--local-cloud")
    config_dir = tempfile.mkdtemp(prefix="lambda-studio-shot-")
    if screen:
        width, height = (int(v) for v in screen.lower().split("x"))
        config = Path(config_dir) / "screen.json"
        geometry = {"name": "shot", "x": 0, "y": 0, "width": width, "height": height, "logicalDpi": 96}
        config.write_text(json.dumps({"windowFrameMargins": False, "screens": [geometry]}))
        os.environ["QT_QPA_PLATFORM"] = f"offscreen:configfile={config}"
    project = Path(argv[0] if argv else "examples/hello-sam").resolve()
    if cloud_tab:
        project = _with_bucket_and_table(project)
    out = Path(argv[1] if len(argv) > 1 else "docs/screenshot.png").resolve()
    function_id = argv[2] if len(argv) > 2 else "HelloFunction"
    theme = argv[3] if len(argv) > 3 else "light"
    os.environ["LAMBDA_STUDIO_CONFIG_DIR"] = config_dir
    from PySide6.QtWidgets import QApplication

    from app.settings import Settings
    from widgets.main_window import MainWindow

    app = QApplication.instance() or QApplication(sys.argv[:1])
    settings = Settings()
    settings.set("theme", theme)
    if image:
        settings.set("images", {"python3.11": image, "python3.12": image})
    window = MainWindow(settings)
    if screen:
        window.resize(window.screen().availableGeometry().size())  # as maximized on that screen
    else:
        window.resize(1600, 1000)
    window.show()
    if not window.open_project(project):
        print(f"cannot open {project}", file=sys.stderr)
        return 1
    window.tree.open_handler(function_id)
    window.tree.select_function(function_id)
    events = window.event_editor.event_names()
    if events:
        window.toolbar.select_event(events[0])
    window.toolbar.set_backend("container" if image else "process")
    done: list[object] = []
    window.invoker.finished.connect(done.append)
    window.invoker.failed.connect(done.append)
    window.toolbar.invoke_action.trigger()
    deadline = time.monotonic() + 180
    while not done and time.monotonic() < deadline:
        app.processEvents()
        time.sleep(0.01)
    if cloud_tab and not _run_local_cloud(app, window, cloud_tab):
        print("the local cloud did not start", file=sys.stderr)
    window.status.probe_engine()  # show the real docker state rather than "checking…"
    deadline = time.monotonic() + 10
    while "checking" in window.status.engine_label.text() and time.monotonic() < deadline:
        app.processEvents()
        time.sleep(0.01)
    # The window's own event loop for a moment, as a user's would run before anyone looks: processEvents
    # alone never runs deferred deletions (a dock tab bar Qt discarded while building the docks stayed).
    from PySide6.QtCore import QEventLoop, QTimer

    idle = QEventLoop()
    QTimer.singleShot(300, idle.quit)
    idle.exec()
    out.parent.mkdir(parents=True, exist_ok=True)
    ok = window.grab().save(str(out))
    print(f"{'wrote' if ok else 'could not write'} {out}; invoke: {done[0] if done else 'timed out'}")
    window.tabs.ask_unsaved = lambda paths: "discard"
    window.close()
    return 0 if ok and done else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
