"""Renders the window on a project after one invoke into a PNG: `screenshot.py PROJECT OUT.png [FUNCTION] [THEME]`."""

from __future__ import annotations

import os
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def main(argv: list[str]) -> int:
    project = Path(argv[0] if argv else "examples/hello-sam").resolve()
    out = Path(argv[1] if len(argv) > 1 else "docs/screenshot.png").resolve()
    function_id = argv[2] if len(argv) > 2 else "HelloFunction"
    theme = argv[3] if len(argv) > 3 else "light"
    os.environ["LAMBDA_STUDIO_CONFIG_DIR"] = tempfile.mkdtemp(prefix="lambda-studio-shot-")
    from PySide6.QtWidgets import QApplication

    from app.settings import Settings
    from widgets.main_window import MainWindow

    app = QApplication.instance() or QApplication(sys.argv[:1])
    settings = Settings()
    settings.set("theme", theme)
    window = MainWindow(settings)
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
    window.toolbar.set_backend("process")
    done: list[object] = []
    window.invoker.finished.connect(done.append)
    window.invoker.failed.connect(done.append)
    window.toolbar.invoke_action.trigger()
    deadline = time.monotonic() + 180
    while not done and time.monotonic() < deadline:
        app.processEvents()
        time.sleep(0.01)
    window.status.probe_engine()  # show the real docker state rather than "checking…"
    deadline = time.monotonic() + 10
    while "checking" in window.status.engine_label.text() and time.monotonic() < deadline:
        app.processEvents()
        time.sleep(0.01)
    for _ in range(30):
        app.processEvents()
        time.sleep(0.01)
    out.parent.mkdir(parents=True, exist_ok=True)
    ok = window.grab().save(str(out))
    print(f"{'wrote' if ok else 'could not write'} {out}; invoke: {done[0] if done else 'timed out'}")
    window.tabs.ask_unsaved = lambda paths: "discard"
    window.close()
    return 0 if ok and done else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
