"""Renders the window on a project after one invoke into a PNG.

`screenshot.py PROJECT OUT.png [FUNCTION] [THEME] [--screen WxH] [--image IMAGE]`: with --screen the
offscreen platform has one screen of that size and the window fills it; with --image the invoke runs in
the container backend with that image (one that cannot be pulled shows the window after a long error).
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def _option(argv: list[str], name: str) -> str | None:
    if name in argv:
        i = argv.index(name)
        value = argv[i + 1]
        del argv[i : i + 2]
        return value
    return None


def main(argv: list[str]) -> int:
    argv = list(argv)
    screen, image = _option(argv, "--screen"), _option(argv, "--image")
    config_dir = tempfile.mkdtemp(prefix="lambda-studio-shot-")
    if screen:
        width, height = (int(v) for v in screen.lower().split("x"))
        config = Path(config_dir) / "screen.json"
        geometry = {"name": "shot", "x": 0, "y": 0, "width": width, "height": height, "logicalDpi": 96}
        config.write_text(json.dumps({"windowFrameMargins": False, "screens": [geometry]}))
        os.environ["QT_QPA_PLATFORM"] = f"offscreen:configfile={config}"
    project = Path(argv[0] if argv else "examples/hello-sam").resolve()
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
