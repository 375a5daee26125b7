"""Debugging through the window: a real debugpy session driven by the toolbar, keys and panels."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
from PySide6.QtCore import QPoint, Qt
from PySide6.QtGui import QContextMenuEvent
from PySide6.QtWidgets import QApplication

from app.settings import Settings
from bench.projects import write_project
from tests.widgets.window_support import close_window, open_window
from widgets.main_window import MainWindow

pytestmark = [pytest.mark.timeout(120)]

TEMPLATE = """\
AWSTemplateFormatVersion: "2010-09-09"
Transform: AWS::Serverless-2016-10-31
Resources:
  SumFunction:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: src/
      Handler: app.handler
      Runtime: python3.11
      Timeout: 1
"""
HANDLER = """\
def handler(event, context):
    total = 0
    for i in range(event.get("n", 3)):
        total += i
    doubled = total * 2
    return {"total": total, "doubled": doubled}
"""


@pytest.fixture
def window(qtbot, tmp_path: Path):
    files = {"src/app.py": HANDLER, "events/SumFunction/four.json": '{"n": 4}'}
    project = write_project(tmp_path / "proj", TEMPLATE, files)
    w = open_window(qtbot, Settings(tmp_path / "config"), size=(1300, 850))
    assert w.open_project(project)
    w.toolbar.select_function("SumFunction")
    w.toolbar.select_event("four")
    w.toolbar.set_backend("process")
    yield w
    close_window(w)


def _wait_paused(qtbot, w: MainWindow, line: int) -> None:
    qtbot.waitUntil(lambda: w.debug.debugger.is_stopped() and w.debug.call_stack.count() > 0, timeout=30_000)
    editor = w.tabs.current_editor()
    assert editor is not None
    qtbot.waitUntil(lambda: editor.execution_line() == line, timeout=5_000)


def test_debug_invoke_through_the_panels(qtbot, window: MainWindow) -> None:
    w = window
    app = str(Path(w.project.root, "src", "app.py").resolve())  # type: ignore[union-attr]
    editor = w.tabs.open_file(app)
    assert editor is not None
    editor.toggle_breakpoint(5)  # doubled = total * 2
    assert not w.debug.toolbar.continue_action.isEnabled()
    jobs: list[str] = []
    w.jobs.job_started.connect(lambda job: jobs.append(job.name))
    w.debug.toolbar.debug_action.trigger()  # Ctrl+F5's action
    assert w.docks["variablesDock"].isVisible()
    _wait_paused(qtbot, w, 5)
    dt = w.debug.toolbar
    assert dt.continue_action.isEnabled() and dt.step_over_action.isEnabled()
    assert w.debug.call_stack.frame_names() == ["handler"]  # the runtime's frames hidden
    assert w.tabs.current_path() == app

    # variables: Locals expanded (fetched), then the event dict expanded lazily
    panel = w.debug.variables
    qtbot.waitUntil(lambda: panel.find_item("Locals", "total") is not None, timeout=10_000)
    assert panel.find_item("Locals", "total").text(1) == "6"  # type: ignore[union-attr]
    event_row = panel.find_item("Locals", "event")
    assert event_row is not None and event_row.childCount() == 1  # the placeholder until expanded
    event_row.setExpanded(True)
    qtbot.waitUntil(lambda: panel.find_item("Locals", "event", "'n'") is not None, timeout=10_000)
    assert panel.find_item("Locals", "event", "'n'").text(1) == "4"  # type: ignore[union-attr]

    # a watch, then step over (F10): the watch follows, the marker moves
    w.debug.console.add_watch("total * 100")
    qtbot.waitUntil(lambda: w.debug.console.watch_value("total * 100") == "600", timeout=10_000)
    qtbot.keyClick(editor._sci, Qt.Key.Key_F10)
    _wait_paused(qtbot, w, 6)
    qtbot.waitUntil(lambda: panel.find_item("Locals", "doubled") is not None, timeout=10_000)
    assert panel.find_item("Locals", "doubled").text(1) == "12"  # type: ignore[union-attr]

    # the console evaluates in the paused frame
    console = w.debug.console
    console.input.setText("doubled + total")
    qtbot.keyClick(console.input, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: "18" in console.output_text(), timeout=10_000)
    console.input.setText("missing_name")
    qtbot.keyClick(console.input, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: "! " in console.output_text(), timeout=10_000)

    # F5 continues while paused (it invokes when idle); the result reaches the result view and history
    qtbot.wait(1200)  # past the 1 s timeout: not enforced while debugging
    with qtbot.waitSignal(w.debug.debugger.finished, timeout=30_000) as blocker:
        qtbot.keyClick(editor._sci, Qt.Key.Key_F5)
    result = blocker.args[0].result
    assert result.ok and result.payload_json() == {"total": 6, "doubled": 12}
    # Every DAP call (attach, scopes, variables, evaluate, step, continue) ran as a job on the one bridge,
    # never on a thread pool of the debugger's own.
    assert jobs.count("dap-call") >= 8, jobs
    assert not [t.name for t in threading.enumerate() if t.name.startswith("dap-calls")]
    assert editor.execution_line() is None
    assert w.debug.call_stack.count() == 0
    assert not dt.stop_action.isEnabled() and dt.debug_action.isEnabled()
    assert w.toolbar.invoke_action.shortcut().toString() == "F5"


def test_breakpoint_added_while_running_and_stop(qtbot, window: MainWindow) -> None:
    w = window
    app = str(Path(w.project.root, "src", "app.py").resolve())  # type: ignore[union-attr]
    editor = w.tabs.open_file(app)
    assert editor is not None
    editor.toggle_breakpoint(2)
    w.debug_invoke()
    _wait_paused(qtbot, w, 2)
    editor.toggle_breakpoint(4)  # sent at once to the running session
    w.debug.toolbar.continue_action.trigger()
    _wait_paused(qtbot, w, 4)
    qtbot.waitUntil(lambda: w.debug.variables.find_item("Locals", "i") is not None, timeout=10_000)
    assert w.debug.variables.find_item("Locals", "i").text(1) == "0"  # type: ignore[union-attr]
    assert w.debug.toolbar.stop_action.isEnabled() and w.toolbar.stop_action.isEnabled()
    assert w.menus.actions["step_over"] is w.debug.toolbar.step_over_action
    assert w.debug.toolbar.step_over_action in w.menus.run.actions()
    with qtbot.waitSignal(w.debug.debugger.finished, timeout=30_000) as blocker:
        w.toolbar.stop_action.trigger()  # Shift+F5 ends a debug invoke too
    assert blocker.args[0].result.outcome.value == "cancelled"
    assert editor.execution_line() is None


def _menu_action(menu, text: str):
    found = [a for a in menu.actions() if a.text() == text]
    assert found, [a.text() for a in menu.actions()]
    return found[0]


def test_conditional_breakpoint_and_logpoint_from_the_gutter_menu(qtbot, window: MainWindow) -> None:
    w = window
    app = str(Path(w.project.root, "src", "app.py").resolve())  # type: ignore[union-attr]
    editor = w.tabs.open_file(app)
    assert editor is not None
    # a right-click in the gutter on line 4 opens the breakpoint menu there
    w.tabs.breakpoint_menu_requested.disconnect(w._breakpoint_menu)  # no real popup offscreen
    viewport = editor._sci.viewport()
    y = editor._sci.pointYFromPosition(editor._sci.positionFromLine(3)) + 2
    with qtbot.waitSignal(w.tabs.breakpoint_menu_requested, timeout=2000) as asked:
        click = QContextMenuEvent(
            QContextMenuEvent.Reason.Mouse, QPoint(3, y), viewport.mapToGlobal(QPoint(3, y))
        )
        QApplication.sendEvent(viewport, click)
    assert asked.args[:2] == [app, 4]

    def set_marker(line: int):
        return lambda on: editor.toggle_breakpoint(line) if (line in editor.breakpoints()) != on else None

    answers = iter(["i == 2", "total is {total}"])
    w.debug.ask_text = lambda title, label, text: next(answers)
    menu = w.debug.breakpoint_menu(app, 4, False, set_marker(4))
    assert "Add Breakpoint" in [a.text() for a in menu.actions()]
    _menu_action(menu, "Conditional Breakpoint…").trigger()
    menu = w.debug.breakpoint_menu(app, 5, False, set_marker(5))
    _menu_action(menu, "Logpoint…").trigger()
    assert editor.breakpoints() == [4, 5]
    assert editor.logpoints() == [5]  # drawn differently from the breakpoint on line 4
    menu = w.debug.breakpoint_menu(app, 4, True, set_marker(4))
    assert "Edit Condition…" in [a.text() for a in menu.actions()]

    w.debug_invoke()
    _wait_paused(qtbot, w, 4)
    qtbot.waitUntil(lambda: w.debug.variables.find_item("Locals", "i") is not None, timeout=10_000)
    assert w.debug.variables.find_item("Locals", "i").text(1) == "2"  # only when the condition held
    with qtbot.waitSignal(w.debug.debugger.finished, timeout=30_000) as blocker:
        w.debug.toolbar.continue_action.trigger()
    assert blocker.args[0].result.payload_json() == {"total": 6, "doubled": 12}
    qtbot.waitUntil(lambda: "total is 6" in w.debug.console.output_text(), timeout=5_000)  # logged, no stop
