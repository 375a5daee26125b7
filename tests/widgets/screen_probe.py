"""Run as a program on a screen of a given size: opens the example, fills the window with long text, prints JSON.

`python -m tests.widgets.screen_probe WIDTH HEIGHT PROJECT [PNG]` — started by test_window_fits_screen.py
with the offscreen platform configured to that one screen (a QApplication's screen is fixed at start).
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
import time
from pathlib import Path

LONG_WORD = "x" * 180
LONG_REQUEST_ID = "req-" + "0123456789abcdef" * 12
MISSING_IMAGE = "127.0.0.1:9/lambda-studio/an-image-nobody-has-with-a-rather-long-name-for-this-test:3.11"


def main(argv: list[str]) -> int:
    width, height, project = int(argv[0]), int(argv[1]), Path(argv[2])
    config = Path(tempfile.mkdtemp(prefix="screen-probe-")) / "screen.json"
    os.environ["LAMBDA_STUDIO_CONFIG_DIR"] = str(config.parent)
    screen = {"name": "probe", "x": 0, "y": 0, "width": width, "height": height, "logicalDpi": 96, "dpr": 1}
    config.write_text(json.dumps({"windowFrameMargins": False, "screens": [screen]}))
    os.environ["QT_QPA_PLATFORM"] = f"offscreen:configfile={config}"
    from PySide6.QtWidgets import QApplication

    from app.settings import Settings
    from runner.result import InvokeMetrics, InvokeResult, Outcome
    from widgets.history_view import HistoryEntry
    from widgets.main_window import MainWindow

    app = QApplication(sys.argv[:1])
    settings = Settings()
    settings.set("aws_endpoint_url", "http://127.0.0.1:9")  # the AWS dock fails at once, and only locally
    settings.set("images", {"python3.11": MISSING_IMAGE})
    window = MainWindow(settings, engine_probe=lambda: "could not connect: " + LONG_WORD)
    window.show()
    assert window.open_project(project)
    window.tree.open_handler("HelloFunction")

    def settle(seconds: float = 0.3) -> None:
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            app.processEvents()
            time.sleep(0.01)

    # a real container invoke that fails with a long message (the image cannot be pulled)
    done: list[object] = []
    window.invoker.finished.connect(done.append)
    window.invoker.failed.connect(done.append)
    window.toolbar.set_backend("container")
    window.toolbar.set_progress("Pulling " + MISSING_IMAGE + " " + LONG_WORD)
    window.toolbar.invoke_action.trigger()
    deadline = time.monotonic() + 120
    while not done and time.monotonic() < deadline:
        settle(0.05)
    failure = str(done[0]) if done else ""
    window.show_message("Could not invoke HelloFunction: " + LONG_WORD)
    settle()
    after_failure = window.width()
    # a result with a long request id, through the window's own finished path
    metrics = InvokeMetrics(duration_ms=1.0, billed_duration_ms=1, memory_size_mb=128, max_memory_used_mb=40)
    result = InvokeResult(
        LONG_REQUEST_ID, "HelloFunction", Outcome.SUCCESS, b'{"a": "' + LONG_WORD.encode() + b'"}'
    )
    result.metrics, result.note = metrics, "note " + LONG_WORD
    window._on_invoke_finished(HistoryEntry("HelloFunction", "event-" + LONG_WORD, result))
    window.toolbar.set_running(True, "invoking " + LONG_WORD)
    for dock in window.docks.values():  # every panel open, AWS (failing against 127.0.0.1:9) too
        if dock.toggleViewAction().isEnabled():
            dock.show()
    window.docks["awsDock"].raise_()
    settle(2.0)
    window.docks["projectDock"].raise_()
    settle()
    geometry = window.frameGeometry()
    available = window.screen().availableGeometry()
    docks = {}
    for name, dock in window.docks.items():
        if not dock.toggleViewAction().isEnabled():
            continue  # not a panel now: the event editor sits beside the code
        visible_region = dock.visibleRegion().boundingRect()
        tabbed = bool(window.tabifiedDockWidgets(dock))
        inside = window.rect().contains(dock.geometry()) or tabbed
        docks[name] = {
            "visible": dock.isVisible(),
            "inside": inside,
            "width": dock.width(),
            "shown_or_tabbed": (not visible_region.isEmpty()) or tabbed,
        }
    out = {
        "screen": [available.width(), available.height()],
        "window": [geometry.width(), geometry.height()],
        "minimum": [window.minimumSizeHint().width(), window.minimumSizeHint().height()],
        "after_failure_width": after_failure,
        "failure": failure[:300],
        "docks": docks,
        "status_width": window.status.width(),
        "event_editor": [window.event_editor.isVisible(), window.event_editor.width()],
    }
    if len(argv) > 3:
        window.grab().save(argv[3])
    window.tabs.ask_unsaved = lambda paths: "discard"
    window.invoker.stop()
    window.close()
    print("PROBE " + json.dumps(out))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
