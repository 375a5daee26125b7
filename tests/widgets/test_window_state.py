"""Nothing stale on screen: status after debugging or a success, panels after Close Project or a switch."""

from __future__ import annotations

from pathlib import Path

import pytest

from app.settings import Settings
from tests.widgets.window_support import close_window, open_window
from widgets.main_window import MainWindow

pytestmark = [pytest.mark.timeout(120)]

TEMPLATE = """\
AWSTemplateFormatVersion: "2010-09-09"
Transform: AWS::Serverless-2016-10-31
Resources:
  {name}:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: src/
      Handler: app.handler
      Runtime: python3.11
      Timeout: 10
"""
HANDLER = """\
def inner(x):
    y = x * 10
    return y


def handler(event, context):
    x = event.get("n", 3)
    print("running with", x)
    return {"y": inner(x + 1)}
"""
LINE_INNER_RETURN = 3


def _project(root: Path, name: str) -> Path:
    (root / "src").mkdir(parents=True)
    (root / "template.yaml").write_text(TEMPLATE.format(name=name))
    (root / "src" / "app.py").write_text(HANDLER)
    (root / "events" / name).mkdir(parents=True)
    (root / "events" / name / "seven.json").write_text('{"n": 7}')
    return root


@pytest.fixture
def window(qtbot, tmp_path: Path):
    w = open_window(qtbot, Settings(tmp_path / "config"))
    yield w
    close_window(w)


def _invoke(qtbot, w: MainWindow) -> None:
    w.toolbar.set_backend("process")
    with qtbot.waitSignal(w.invoker.finished, timeout=60_000):
        w.toolbar.invoke_action.trigger()


def test_close_project_leaves_no_function_no_invoke_no_warm_runtime(qtbot, window, tmp_path):
    w = window
    assert w.open_project(_project(tmp_path / "a", "AlphaFunction"))
    _invoke(qtbot, w)
    qtbot.waitUntil(lambda: w.status.warm_label.text() == "Warm: 1", timeout=5_000)
    assert w.event_editor.function_id() == "AlphaFunction"
    assert w.close_project()
    assert w.event_editor.function_id() is None
    assert "AlphaFunction" not in w.event_editor.title.text()
    assert w.event_editor.event_names() == [] and w.event_editor.text() == ""
    assert not w.toolbar.invoke_action.isEnabled()  # nothing to invoke: not offered
    assert w.status.warm_label.text() == "Warm: 0"
    assert w.open_project(tmp_path / "a")
    assert w.toolbar.invoke_action.isEnabled()


def test_switching_projects_clears_the_log_and_result(qtbot, window, tmp_path):
    w = window
    assert w.open_project(_project(tmp_path / "a", "AlphaFunction"))
    _invoke(qtbot, w)
    w.log_panel.flush()
    assert any("running with" in line for line in w.log_panel.model.all_lines())
    assert w.result_view.result() is not None
    assert w.open_project(_project(tmp_path / "b", "BetaFunction"))
    w.log_panel.flush()
    assert w.log_panel.model.all_lines() == []
    assert w.result_view.result() is None and w.result_view.badge.text() == "No invocation yet"
    assert w.result_view.payload_text() == ""


def test_an_old_error_leaves_the_status_bar_after_a_success(qtbot, window, tmp_path):
    w = window
    assert w.open_project(_project(tmp_path / "a", "AlphaFunction"))
    w.toolbar.select_event("seven")
    w.event_editor.editor.set_text('{"n": ')  # invalid: the invoke is refused with a message
    assert not w.invoke("AlphaFunction", "seven", "process")
    assert "not valid JSON" in w.status.currentMessage()
    w.event_editor.editor.set_text('{"n": 2}')
    _invoke(qtbot, w)
    assert "not valid JSON" not in w.status.currentMessage()
    assert "AlphaFunction: Success" in w.status.currentMessage()


def _debug_to_inner(qtbot, w: MainWindow, root: Path) -> None:
    app = str((root / "src" / "app.py").resolve())
    editor = w.tabs.open_file(app)
    assert editor is not None
    editor.toggle_breakpoint(LINE_INNER_RETURN)
    w.toolbar.set_backend("process")
    w.toolbar.select_event("seven")
    assert w.debug_invoke()
    qtbot.waitUntil(lambda: w.debug.debugger.is_stopped() and w.debug.call_stack.count() > 1, timeout=60_000)


def test_status_after_a_debug_run_does_not_say_paused(qtbot, window, tmp_path):
    w = window
    root = _project(tmp_path / "a", "AlphaFunction")
    assert w.open_project(root)
    _debug_to_inner(qtbot, w, root)
    qtbot.waitUntil(lambda: "Paused" in w.status.currentMessage(), timeout=5_000)
    assert w.docks["variablesDock"].isVisible()
    with qtbot.waitSignal(w.debug.debugger.finished, timeout=60_000):
        w.debug.toolbar.continue_action.trigger()
    assert "Paused" not in w.status.currentMessage()
    assert "AlphaFunction: Success" in w.status.currentMessage()
    qtbot.waitUntil(lambda: not w.docks["variablesDock"].isVisible(), timeout=5_000)  # debug panels close


def test_watch_is_evaluated_again_for_another_frame(qtbot, window, tmp_path):
    w = window
    root = _project(tmp_path / "a", "AlphaFunction")
    assert w.open_project(root)
    _debug_to_inner(qtbot, w, root)
    console = w.debug.console
    console.add_watch("x")
    qtbot.waitUntil(lambda: console.watch_value("x") == "8", timeout=10_000)  # inner(x + 1): x is 8
    names = w.debug.call_stack.frame_names()
    w.debug.call_stack.setCurrentRow(names.index("handler"))  # the caller's frame: its x is 7
    qtbot.waitUntil(lambda: console.watch_value("x") == "7", timeout=10_000)
    with qtbot.waitSignal(w.debug.debugger.finished, timeout=60_000):
        w.debug.toolbar.continue_action.trigger()
