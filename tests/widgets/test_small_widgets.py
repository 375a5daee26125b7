"""Run toolbar, settings dialog, status bar, new-project dialog and the theme switch."""

from __future__ import annotations

import threading
from pathlib import Path

from app.messages import Level, Message, MessageQueue
from app.settings import Settings
from widgets.jobs import JobBridge
from widgets.new_project_dialog import NewProjectDialog
from widgets.run_toolbar import RunToolbar
from widgets.settings_dialog import SettingsDialog, parse_images
from widgets.status_bar import StatusBar


def test_run_toolbar_emits_invoke_with_choices(qtbot):
    bar = RunToolbar()
    qtbot.addWidget(bar)
    bar.set_functions([("A", "A"), ("B", "B")])
    bar.select_function("B")
    bar.set_events(["e1", "e2"], select="e2")
    bar.set_backend("process")
    with qtbot.waitSignal(bar.invoke_requested) as blocker:
        bar.invoke_action.trigger()
    assert blocker.args == ["B", "e2", "process"]
    bar.set_running(True, "pulling image")
    assert not bar.invoke_action.isEnabled() and bar.stop_action.isEnabled()
    bar.set_progress("pulling", 0.5)
    assert bar.progress.value() == 50
    with qtbot.waitSignal(bar.stop_requested):
        bar.stop_action.trigger()
    bar.set_running(False)
    assert bar.invoke_action.isEnabled() and bar.progress.isHidden()
    assert bar.invoke_action.shortcut().toString() == "F5"
    assert bar.stop_action.shortcut().toString() == "Shift+F5"
    bar.set_events([])
    assert bar.current_event() == ""


def test_settings_dialog_applies_and_notifies(qtbot, tmp_path: Path):
    settings = Settings(tmp_path)
    changed: list[str] = []
    settings.on_changed(changed.append)
    dialog = SettingsDialog(settings)
    qtbot.addWidget(dialog)
    dialog.theme.setCurrentIndex(dialog.theme.findData("dark"))
    dialog.font_size.setValue(15)
    dialog.region.setText("eu-west-1")
    assert not dialog.local_credentials.isChecked()
    dialog.local_credentials.setChecked(True)
    dialog.images.setPlainText("python3.12 = my/image:3.12  # mine\n\nbad line")
    dialog.accept()
    assert settings.get("theme") == "dark" and settings.get("font_size") == 15
    assert settings.get("aws_region") == "eu-west-1"
    assert settings.get("local_credentials") is True
    assert settings.get("images") == {"python3.12": "my/image:3.12"}
    assert {"theme", "font_size", "aws_region", "images"} <= set(changed)
    assert parse_images("a=b\n# c=d\n") == {"a": "b"}


def test_status_bar_probe_runs_off_thread(qtbot):
    jobs = JobBridge()
    probed_on: list[int] = []

    def probe() -> str:
        probed_on.append(threading.get_ident())
        return "running"

    bar = StatusBar(jobs, probe, lambda: 3)
    qtbot.addWidget(bar)
    bar.probe_engine()
    qtbot.waitUntil(lambda: bar.engine_label.text() == "Docker: running", timeout=5000)
    assert (
        probed_on and threading.get_ident() not in probed_on
    )  # the probe (docker ping) never blocks the GUI
    assert bar.warm_label.text() == "Warm: 3"
    bar.show_cursor(4, 2)
    assert bar.cursor_label.text() == "Ln 4, Col 2"
    bar.stop()
    assert jobs.shutdown()


def test_new_project_dialog_creates_from_blueprint(qtbot, tmp_path: Path):
    dialog = NewProjectDialog(location=str(tmp_path))
    qtbot.addWidget(dialog)
    assert dialog.list.count() >= 1
    dialog.name_edit.setText("Bad Name")
    assert not dialog.make_project()
    assert dialog.problem.text()
    dialog.name_edit.setText("my-service")
    assert dialog.make_project()
    assert dialog.created_path is not None and (dialog.created_path / "template.yaml").is_file()


def test_theme_switch_reaches_the_window(qtbot, tmp_path: Path):
    from PySide6.QtWidgets import QApplication

    from widgets.main_window import MainWindow

    jobs = JobBridge()
    window = MainWindow(Settings(tmp_path), jobs=jobs, engine_probe=lambda: "x")
    qtbot.addWidget(window)
    window.settings.set("theme", "dark")
    assert "background" in QApplication.instance().styleSheet()
    window.settings.set("theme", "light")
    assert QApplication.instance().styleSheet() == ""
    window.settings.set("backend", "container")
    assert window.toolbar.backend() == "container"
    window.close()
    assert jobs.shutdown()


def test_status_bar_shows_messages_posted_before_and_after_it_exists(qtbot):
    queue = MessageQueue()
    early = threading.Thread(target=queue.post, args=(Message(Level.ERROR, "Cannot save settings", "check"),))
    early.start()
    early.join()
    bar = StatusBar(JobBridge(), lambda: "running", queue=queue)
    qtbot.addWidget(bar)
    qtbot.waitUntil(lambda: len(bar.shown) == 1, timeout=3000)
    assert bar.currentMessage() == "⚠ Cannot save settings — check"
    late = threading.Thread(target=queue.post, args=(Message(Level.INFO, "Backed up"),))
    late.start()
    late.join()
    qtbot.waitUntil(lambda: len(bar.shown) == 2, timeout=3000)
    assert bar.currentMessage() == "Backed up"
    bar.stop()
