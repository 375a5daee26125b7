"""End to end through the main window: open the example, pick a function and event, invoke, see results."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest
from PySide6.QtCore import QTimer

from app.settings import Settings
from runner.result import Outcome
from widgets.editor_tabs import CANCEL, DISCARD, SAVE
from widgets.jobs import JobBridge
from widgets.main_window import MainWindow

SLOW_TEMPLATE = """\
AWSTemplateFormatVersion: "2010-09-09"
Transform: AWS::Serverless-2016-10-31
Resources:
  SlowFunction:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: src/
      Handler: app.handler
      Runtime: python3.11
      Timeout: 20
"""
SLOW_HANDLER = """\
import time


def handler(event, context):
    print("sleeping")
    time.sleep(2)
    return {"slept": 2}
"""


@pytest.fixture
def make_window(qtbot, tmp_path):
    made = []

    def make(config: Path | None = None) -> MainWindow:
        jobs = JobBridge()
        window = MainWindow(
            Settings(config or tmp_path / "config"), jobs=jobs, engine_probe=lambda: "not needed"
        )
        window.tabs.ask_unsaved = lambda paths: DISCARD
        window.ask_recover = lambda paths: False
        qtbot.addWidget(window)
        window.resize(1200, 800)
        window.show()
        made.append(window)
        return window

    yield make
    for window in made:
        window.invoker.close_backends()
        assert window.jobs.shutdown(15_000)


def _invoke_and_wait(qtbot, window, function_id, event, timeout=60_000):
    with qtbot.waitSignal(window.invoker.finished, timeout=timeout) as blocker:
        window.toolbar.select_function(function_id)
        if event:
            window.toolbar.select_event(event)
        window.toolbar.set_backend("process")
        window.toolbar.invoke_action.trigger()
    return blocker.args[0]


def test_open_select_invoke_shows_payload_report_and_logs(qtbot, make_window, example_project):
    window = make_window()
    assert window.open_project(example_project)
    assert set(window.tree.function_ids()) == {"HelloFunction", "OrdersFunction"}
    window.tree.select_function("OrdersFunction")
    assert window.toolbar.current_function() == "OrdersFunction"
    assert window.event_editor.current_event() == "two-orders"
    entry = _invoke_and_wait(qtbot, window, "OrdersFunction", "two-orders")
    assert entry.result.ok, entry.result.to_json()
    payload = json.loads(window.result_view.payload_text())
    assert "batchItemFailures" in payload
    assert window.result_view.badge.text() == "Success"
    labels = {k: v.text() for k, v in window.result_view.metric_labels.items()}
    assert labels["Duration"].endswith(" ms") and labels["Billed Duration"].endswith(" ms")
    assert labels["Memory Size"] == "512 MB"
    lines = window.log_panel.lines()
    assert any(line.startswith("START RequestId") for line in lines)
    assert any(line.startswith("END RequestId") for line in lines)
    assert any(line.startswith("REPORT RequestId") for line in lines)
    assert window.history.rowCount() == 1


def test_history_row_brings_back_result_and_logs(qtbot, make_window, example_project):
    window = make_window()
    window.open_project(example_project)
    first = _invoke_and_wait(qtbot, window, "OrdersFunction", "two-orders")
    _invoke_and_wait(qtbot, window, "OrdersFunction", "")
    window.log_panel.clear()
    window.history.select_row(1)
    assert window.result_view.result() is first.result
    assert any(line.startswith("START") for line in window.log_panel.lines())


def test_event_loop_turns_during_two_second_invoke(qtbot, make_window, tmp_path):
    project = tmp_path / "slow"
    (project / "src").mkdir(parents=True)
    (project / "template.yaml").write_text(SLOW_TEMPLATE)
    (project / "src" / "app.py").write_text(SLOW_HANDLER)
    window = make_window()
    assert window.open_project(project)
    ticks: list[float] = []
    timer = QTimer(interval=20)
    timer.timeout.connect(lambda: ticks.append(time.perf_counter()))
    timer.start()
    entry = _invoke_and_wait(qtbot, window, "SlowFunction", "")
    timer.stop()
    assert entry.result.ok, entry.result.to_json()
    assert entry.result.metrics.duration_ms >= 1900
    gaps = [b - a for a, b in zip(ticks, ticks[1:], strict=False)]
    assert len(ticks) >= 50, "the timer must keep ticking while the function sleeps"
    assert max(gaps) < 1.0  # not blocked by the 2 s invoke (a loaded machine may delay a tick)


def test_stop_cancels_a_running_invoke(qtbot, make_window, tmp_path):
    project = tmp_path / "slow"
    (project / "src").mkdir(parents=True)
    (project / "template.yaml").write_text(SLOW_TEMPLATE.replace("Timeout: 20", "Timeout: 60"))
    (project / "src" / "app.py").write_text(SLOW_HANDLER.replace("sleep(2)", "sleep(30)"))
    window = make_window()
    window.open_project(project)
    window.toolbar.set_backend("process")
    window.toolbar.invoke_action.trigger()
    qtbot.waitUntil(lambda: window.toolbar.stop_action.isEnabled(), timeout=5000)
    qtbot.wait(500)
    started = time.perf_counter()
    with qtbot.waitSignal(window.invoker.finished, timeout=20_000) as blocker:
        window.toolbar.stop_action.trigger()
    assert time.perf_counter() - started < 20  # stopped, not waited out (the handler sleeps 30 s)
    entry = blocker.args[0]
    assert entry.result.outcome is Outcome.CANCELLED, entry.result.to_json()
    assert window.toolbar.invoke_action.isEnabled() and not window.invoker.is_running()
    assert window.history.rowCount() == 1


def test_open_handler_opens_editor_at_def(qtbot, make_window, example_project):
    window = make_window()
    window.open_project(example_project)
    window.tree.open_handler("HelloFunction")
    editor = window.tabs.current_editor()
    assert window.tabs.current_path().endswith("hello/app.py")
    line, _ = editor.cursor_position()
    assert editor.text().splitlines()[line - 1].startswith("def lambda_handler")


def test_unsaved_changes_prompt_on_close(qtbot, make_window, example_project):
    window = make_window()
    window.open_project(example_project)
    handler = example_project / "src" / "orders" / "app.py"
    editor = window.tabs.open_file(handler)
    editor.insert_at_cursor("# edited\n")
    asked = []
    window.tabs.ask_unsaved = lambda paths: asked.append(paths) or CANCEL
    assert not window.close()
    assert window.isVisible() and asked
    window.tabs.ask_unsaved = lambda paths: SAVE
    assert window.close()
    assert handler.read_text().startswith("# edited")


def test_crash_recovery_offers_backup(qtbot, make_window, example_project, tmp_path):
    config = tmp_path / "shared-config"
    first = make_window(config)
    first.open_project(example_project)
    handler = example_project / "src" / "orders" / "app.py"
    first.tabs.open_file(handler).insert_at_cursor("# not saved yet\n")
    first.backup_now()
    # A crash: the window never closes, nothing is saved. A new window starts on the same project.
    first._backup_timer.stop()
    second = make_window(config)
    offered = []
    second.ask_recover = lambda paths: offered.append(paths) or True
    second.open_project(example_project)
    assert offered and str(handler.resolve()) in offered[0]
    editor = second.tabs.editor_for(handler)
    assert editor.text().startswith("# not saved yet") and editor.is_dirty()
    assert not handler.read_text().startswith("# not saved yet")


def test_crash_recovery_keeps_unsaved_event_text(qtbot, make_window, example_project, tmp_path):
    config = tmp_path / "event-config"
    first = make_window(config)
    first.open_project(example_project)
    first._select_function("OrdersFunction")
    assert first.event_editor.current_event() == "two-orders"
    first.event_editor.editor.insert_at_cursor('{"edited": true}\n')
    first.backup_now()
    first._backup_timer.stop()
    second = make_window(config)
    offered = []
    second.ask_recover = lambda paths: offered.append(paths) or True
    second.open_project(example_project)
    saved = example_project / "events" / "OrdersFunction" / "two-orders.json"
    assert offered and str(saved.resolve()) in offered[0]
    assert second.tabs.editor_for(saved) is None  # back into the Event editor, not a code tab
    ee = second.event_editor
    assert (ee.function_id(), ee.current_event()) == ("OrdersFunction", "two-orders")
    assert ee.text().startswith('{"edited": true}') and ee.is_dirty()
    assert "●" in ee.title.text()
    assert not saved.read_text().startswith('{"edited"')


def test_layout_tabs_and_breakpoints_restored(qtbot, make_window, example_project, tmp_path):
    config = tmp_path / "cfg2"
    window = make_window(config)
    window.open_project(example_project)
    handler = example_project / "src" / "hello" / "app.py"
    window.tabs.open_file(handler).toggle_breakpoint(12)
    window.tabs.open_file(example_project / "template.yaml")
    assert window.close()
    again = make_window(config)
    again.open_project(example_project)
    assert len(again.tabs.open_paths()) == 2
    assert again.tabs.current_path().endswith("template.yaml")
    assert again.tabs.editor_for(handler).breakpoints() == [12]
    assert again.settings.recent_projects()[0] == str(example_project.resolve())
    again.fill_recent_menu(again.recent_menu)
    assert [a.text() for a in again.recent_menu.actions()] == [str(example_project.resolve())]


def test_bad_folder_is_a_message_not_a_crash(qtbot, make_window, tmp_path, monkeypatch):
    from PySide6.QtWidgets import QMessageBox

    monkeypatch.setattr(QMessageBox, "warning", lambda *a, **k: QMessageBox.StandardButton.Ok)
    window = make_window()
    assert not window.open_project(tmp_path / "does-not-exist")
    assert "Cannot open" in window.status.currentMessage()


def test_saving_the_template_reloads_tree_and_shows_diagnostics(qtbot, make_window, example_project):
    window = make_window()
    window.open_project(example_project)
    editor = window.tabs.open_file(example_project / "template.yaml")
    text = editor.text().replace("Handler: app.handler", "Handler: app.nope")
    editor.replace_all_text(text)
    assert window.tabs.save()
    item = window.tree.function_item("OrdersFunction")
    assert "⚠ 1" in item.text(0)
    assert "handler function 'nope' not found" in item.toolTip(0)
    line = next(i for i, t in enumerate(text.splitlines(), 1) if "Handler: app.nope" in t)
    assert "not found" in (editor.diagnostic_text_at(line) or "")
    assert editor.indicator_at(line, 16) == "error"


def test_keyboard_shortcuts_work_from_the_editor(qtbot, make_window, example_project):
    from PySide6.QtCore import Qt

    window = make_window()
    window.open_project(example_project)
    handler = example_project / "src" / "orders" / "app.py"
    editor = window.tabs.open_file(handler, line=13)
    window.activateWindow()
    editor.setFocus()
    qtbot.waitUntil(lambda: editor._sci.hasFocus(), timeout=2000)
    qtbot.keyClick(editor._sci, Qt.Key.Key_F9)
    assert editor.breakpoints() == [13]
    qtbot.keyClicks(editor._sci, "# x")
    qtbot.keyClick(editor._sci, Qt.Key.Key_S, Qt.KeyboardModifier.ControlModifier)
    assert "# x" in handler.read_text()
    window.toolbar.select_function("OrdersFunction")
    window.toolbar.set_backend("process")
    with qtbot.waitSignal(window.toolbar.invoke_requested, timeout=2000):
        qtbot.keyClick(editor._sci, Qt.Key.Key_F5)
    qtbot.waitUntil(lambda: not window.invoker.is_running(), timeout=60_000)


def test_unsaved_event_edits_are_asked_about_on_close(qtbot, make_window, example_project):
    window = make_window()
    window.open_project(example_project)
    window.tree.select_function("HelloFunction")
    window.event_editor.editor.replace_all_text('{"pathParameters": {"name": "lin"}}')
    asked = []
    window.tabs.ask_unsaved = lambda paths: asked.append(paths) or CANCEL
    assert not window.close()
    assert asked == [["event HelloFunction/get-hello"]]
    window.tabs.ask_unsaved = lambda paths: SAVE
    assert window.close()
    saved = example_project / "events" / "HelloFunction" / "get-hello.json"
    assert json.loads(saved.read_text())["pathParameters"]["name"] == "lin"


def test_folder_without_template_lists_plain_handlers(qtbot, make_window, tmp_path):
    folder = tmp_path / "plain"
    folder.mkdir()
    (folder / "handler.py").write_text("def lambda_handler(event, context):\n    return {'ok': True}\n")
    window = make_window()
    assert window.open_project(folder)
    assert window.project is not None
    assert window.tree.function_ids() == [f.logical_id for f in window.project.functions]


def test_invoke_uses_unsaved_event_text(qtbot, make_window, example_project):
    window = make_window()
    window.open_project(example_project)
    window.tree.select_function("OrdersFunction")
    window.event_editor.editor.replace_all_text('{"Records": []}')
    entry = _invoke_and_wait(qtbot, window, "OrdersFunction", "two-orders")
    assert entry.result.payload_json() == {"batchItemFailures": []}
    window.event_editor.editor.replace_all_text('{"Records": [')
    assert not window.invoke("OrdersFunction", "two-orders", "process")
    assert "not valid JSON" in window.status.currentMessage()


@pytest.mark.qt_log_ignore("This plugin does not support")
def test_completion_runs_off_the_gui_thread(qtbot, make_window, example_project):
    window = make_window()
    window.open_project(example_project)
    scratch = example_project / "src" / "orders" / "scratch.py"
    scratch.write_text("import json\njson.du")
    editor = window.tabs.open_file(scratch, line=2, column=8)
    started = time.perf_counter()
    assert editor.show_completions() == []  # returns at once; jedi answers through the job bridge
    assert time.perf_counter() - started < 0.1
    qtbot.waitUntil(editor._sci.autoCActive, timeout=30_000)


def test_big_python_files_are_linted_off_the_gui_thread(qtbot, make_window, example_project, monkeypatch):
    import threading

    import widgets.main_window as main_window_module

    real_check = main_window_module.check_python
    release, entered = threading.Event(), []

    def gated_check(text, path):  # records where it runs, and holds until the test lets it go
        entered.append(threading.current_thread())
        release.wait(30)
        return real_check(text, path)

    monkeypatch.setattr(main_window_module, "check_python", gated_check)
    window = make_window()
    window.open_project(example_project)
    big = example_project / "src" / "orders" / "big.py"
    body = "".join(f"def f{i}(x):\n    return x + {i}\n\n\n" for i in range(3000))
    big.write_text("import os\n\n\n" + body)
    editor = window.tabs.open_file(big)
    entered.clear()
    editor.run_checks()
    qtbot.waitUntil(lambda: bool(entered), timeout=20_000)
    assert all(thread is not threading.main_thread() for thread in entered)
    assert editor.diagnostic_text_at(1) is None  # nothing delivered before the check finishes
    release.set()
    qtbot.waitUntil(lambda: editor.diagnostic_text_at(1) is not None, timeout=20_000)
    assert "imported but unused" in editor.diagnostic_text_at(1)


def test_invoke_with_event_and_go_to_line_dialogs(qtbot, make_window, example_project, monkeypatch):
    from PySide6.QtWidgets import QInputDialog

    window = make_window()
    window.open_project(example_project)
    monkeypatch.setattr(QInputDialog, "getItem", lambda *a, **k: ("two-orders", True))
    window.toolbar.set_backend("process")
    with qtbot.waitSignal(window.invoker.finished, timeout=60_000) as blocker:
        window.tree.invoke_with_event_requested.emit("OrdersFunction")
    assert blocker.args[0].event_name == "two-orders"
    editor = window.tabs.open_file(example_project / "src" / "orders" / "app.py")
    monkeypatch.setattr(QInputDialog, "getInt", lambda *a, **k: (13, True))
    window.go_to_line_dialog()
    assert editor.cursor_position()[0] == 13


KEY_HANDLER = """\
import os


def handler(event, context):
    return {"key": os.environ["AWS_ACCESS_KEY_ID"]}
"""


@pytest.mark.parametrize("share", [False, True])
def test_local_invokes_get_profile_credentials_only_when_asked(
    qtbot, make_window, tmp_path, monkeypatch, share
):
    credentials = tmp_path / "aws-credentials"
    credentials.write_text(
        "[dev]\naws_access_key_id = AKIAREALKEYFORTEST01\naws_secret_access_key = s3cret\n"
    )
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(credentials))
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "aws-config-none"))
    project = tmp_path / "creds"
    (project / "src").mkdir(parents=True)
    (project / "template.yaml").write_text(SLOW_TEMPLATE)
    (project / "src" / "app.py").write_text(KEY_HANDLER)
    window = make_window()
    window.settings.set("aws_profile", "dev")
    window.settings.set("local_credentials", share)
    assert window.open_project(project)
    entry = _invoke_and_wait(qtbot, window, "SlowFunction", "")
    assert entry.result.ok, entry.result.to_json()
    key = json.loads(window.result_view.payload_text())["key"]
    assert (key == "AKIAREALKEYFORTEST01") is share
