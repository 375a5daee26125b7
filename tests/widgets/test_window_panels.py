"""Editor and panels: runtime errors marked in the editor, tabs and toolbar, View menu, History, Ctrl+W/Ctrl+P."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from app.settings import Settings
from runner.backends.process.interpreter import find_python
from widgets.main_window import MainWindow
from widgets.window_debugging import DEBUG_DOCKS

pytestmark = [pytest.mark.timeout(120)]

TEMPLATE = """\
AWSTemplateFormatVersion: "2010-09-09"
Transform: AWS::Serverless-2016-10-31
Resources:
  AlphaFunction:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: alpha/
      Handler: app.handler
      Runtime: python3.11
  BetaFunction:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: beta/
      Handler: app.handler
      Runtime: python3.11
"""
ALPHA = """\
def check(event):
    if event.get("fail"):
        raise ValueError("the order has no items")
    return event


def handler(event, context):
    return {"ok": check(event)}
"""
BETA = "def handler(event, context):\n    return {'beta': True}\n"


def _project(root: Path) -> Path:
    for name, code in (("alpha", ALPHA), ("beta", BETA)):
        (root / name).mkdir(parents=True)
        (root / name / "app.py").write_text(code)
    (root / "template.yaml").write_text(TEMPLATE)
    (root / "events" / "AlphaFunction").mkdir(parents=True)
    (root / "events" / "AlphaFunction" / "bad.json").write_text('{"fail": true}')
    (root / "events" / "AlphaFunction" / "good.json").write_text('{"fail": false}')
    return root


def _invoke(qtbot, w: MainWindow, function_id: str, event: str):
    with qtbot.waitSignal(w.invoker.finished, timeout=60_000) as blocker:
        assert w.invoke(function_id, event, "process")
    return blocker.args[0]


def test_a_runtime_exception_marks_its_lines_and_hover_shows_it(qtbot, make_window, tmp_path):
    w = make_window()
    root = _project(tmp_path / "p")
    assert w.open_project(root)
    app_py = root / "alpha" / "app.py"
    editor = w.tabs.open_file(app_py)
    entry = _invoke(qtbot, w, "AlphaFunction", "bad")
    assert entry.result.error is not None
    assert editor.indicator_at(3, 9) == "error"  # raise ValueError(...)
    assert editor.indicator_at(8, 5) == "error"  # the handler's call into check()
    assert "ValueError: the order has no items" in (editor.diagnostic_text_at(3) or "")
    _invoke(qtbot, w, "AlphaFunction", "good")  # a success clears them
    assert editor.indicator_at(3, 9) is None


def test_toolbar_follows_the_active_tab_and_twins_show_their_folder(qtbot, make_window, tmp_path):
    w = make_window()
    root = _project(tmp_path / "p")
    assert w.open_project(root)
    w.tabs.open_file(root / "alpha" / "app.py")
    assert w.toolbar.current_function() == "AlphaFunction"
    w.tabs.open_file(root / "beta" / "app.py")
    assert w.toolbar.current_function() == "BetaFunction"  # F5 runs the code on screen
    labels = sorted(w.tabs.tabText(i) for i in range(w.tabs.count()))
    assert labels == ["app.py — alpha", "app.py — beta"]
    w.menus.actions["close_tab"].trigger()  # Ctrl+W
    assert w.menus.actions["close_tab"].shortcut().toString() == "Ctrl+W"
    assert [w.tabs.tabText(i) for i in range(w.tabs.count())] == ["app.py"]
    assert w.toolbar.current_function() == "AlphaFunction"


@pytest.mark.qt_log_ignore("This plugin does not support")  # a floating dock, offscreen
def test_view_menu_lists_every_panel_and_reset_layout_brings_them_back(qtbot, make_window, tmp_path):
    w = make_window()
    assert w.open_project(_project(tmp_path / "p"))
    for name in w.docks:
        assert w.menus.actions[f"panel:{name}"] in w.menus.panels.actions()
    w.menus.actions["panel:historyDock"].trigger()
    assert not w.docks["historyDock"].isVisible()
    w.docks["projectDock"].setFloating(True)
    w.menus.actions["reset_layout"].trigger()
    assert w.docks["historyDock"].isVisible() and not w.docks["projectDock"].isFloating()
    assert not any(w.docks[name].isVisible() for name in DEBUG_DOCKS)


def test_history_is_kept_across_restarts_and_reruns_on_double_click(qtbot, make_window, tmp_path):
    config = tmp_path / "kept"
    root = _project(tmp_path / "p")
    w = make_window(config)
    assert w.open_project(root)
    _invoke(qtbot, w, "AlphaFunction", "good")
    assert w.close_project()  # as quitting does
    again = make_window(config)
    assert again.open_project(root)
    entries = again.history.entries()
    assert [(e.function_id, e.event_name, e.result.outcome.value) for e in entries] == [
        ("AlphaFunction", "good", "success")
    ]
    assert again.history.item(0, 0).text() == "AlphaFunction"
    from widgets.history_view import HistoryView

    h = HistoryView()  # as wide as a History panel beside a 1280 px window's code
    qtbot.addWidget(h)
    h.set_entries(entries)
    h.resize(340, 200)
    h.show()
    qtbot.wait(20)
    total = sum(h.columnWidth(c) for c in range(h.columnCount()))
    assert total <= h.viewport().width() + 2  # every column in view, no sideways scrolling
    assert h.columnWidth(2) >= h.fontMetrics().horizontalAdvance("00:00:00")  # the time is whole
    with qtbot.waitSignal(again.invoker.finished, timeout=60_000):
        again.toolbar.set_backend("process")
        again.history.cellDoubleClicked.emit(0, 1)
    assert len(again.history.entries()) == 2
    menu = again.history.build_menu(0)
    assert [a.text() for a in menu.actions()] == ["Re-run", "Open Event", "Copy Result"]
    menu.actions()[1].trigger()  # Open Event
    assert again.event_editor.current_event() == "good"
    menu.actions()[2].trigger()  # Copy Result
    from PySide6.QtGui import QGuiApplication

    assert '"outcome": "success"' in QGuiApplication.clipboard().text()


def test_ctrl_p_opens_a_project_file_by_name(qtbot, make_window, tmp_path, monkeypatch):
    from PySide6.QtWidgets import QInputDialog

    w = make_window()
    root = _project(tmp_path / "p")
    assert w.open_project(root)
    offered = []

    def pick(parent, title, label, items, current, editable):
        offered.extend(items)
        return str(Path("beta") / "app.py"), True

    monkeypatch.setattr(QInputDialog, "getItem", staticmethod(pick))
    assert w.menus.actions["quick_open"].shortcut().toString() == "Ctrl+P"
    w.menus.actions["quick_open"].trigger()
    assert str(Path("alpha") / "app.py") in offered and "template.yaml" in offered
    assert w.tabs.current_path() == str((root / "beta" / "app.py").resolve())


def test_one_function_is_singular(qtbot, make_window, tmp_path):
    w = make_window()
    root = tmp_path / "one"
    (root / "src").mkdir(parents=True)
    (root / "template.yaml").write_text(TEMPLATE.split("  BetaFunction:")[0].replace("alpha/", "src/"))
    (root / "src" / "app.py").write_text(BETA)
    assert w.open_project(root)
    assert "1 function," in w.status.currentMessage() and "1 functions" not in w.status.currentMessage()


def test_settings_refuse_a_bad_endpoint_url(qtbot, tmp_path):
    from widgets.settings_dialog import SettingsDialog, endpoint_problem

    settings = Settings(tmp_path / "cfg")
    dialog = SettingsDialog(settings)
    qtbot.addWidget(dialog)
    for bad in ("localhost:4566", "http://", "ftp://example.com", "http://localhost:99999", "http://a b"):
        dialog.endpoint.setText(bad)
        assert not dialog.ok_button.isEnabled() and dialog.endpoint_error.text(), bad
        assert endpoint_problem(bad)
    dialog.endpoint.setText("http://127.0.0.1:4566")
    assert dialog.ok_button.isEnabled() and endpoint_problem("") is None
    dialog.accept()
    assert settings.get("aws_endpoint_url") == "http://127.0.0.1:4566"


def test_aws_panel_lists_again_when_the_region_changes(qtbot, make_window, tmp_path):
    w = make_window()
    w.settings.set("aws_endpoint_url", "http://127.0.0.1:9")  # nothing listens: answers fast, locally
    dock = w.docks["awsDock"]
    dock.show()
    dock.raise_()
    explorer = w.aws.explorer
    identity = explorer.identity
    # the first listing ends (nothing listens there: "not connected"); a refused port answers so fast that
    # the "Checking…" in between may never be seen by a poll, so the end is waited for, not the middle
    qtbot.waitUntil(lambda: identity.text().startswith("AWS ("), timeout=30_000)
    assert "eu-west-3" not in identity.text()
    with qtbot.waitSignal(explorer.identity_changed, timeout=30_000):  # a new listing ran, unasked
        w.settings.set("aws_region", "eu-west-3")
    assert "eu-west-3" in identity.text() and "Checking" not in identity.text()


def test_start_page_when_no_file_is_open(qtbot, make_window, tmp_path, monkeypatch):
    from PySide6.QtWidgets import QFileDialog

    asked = []
    monkeypatch.setattr(QFileDialog, "getExistingDirectory", staticmethod(lambda *a: asked.append(a) or ""))
    w = make_window()
    root = _project(tmp_path / "p")
    w.settings.add_recent_project(root)
    w.tabs.close_all(ask=False)
    w._show_start_page_if_empty()
    assert w.editor_stack.currentWidget() is w.start_page
    assert w.start_page.recent_paths() == [str(root.resolve())]
    w.start_page.open_button.click()
    assert len(asked) == 1  # Open Folder… asked for a folder
    item = w.start_page.recent.item(0)
    w.start_page.recent.itemActivated.emit(item)  # opens the project
    assert w.project is not None and w.project.root == root.resolve()
    w.tabs.open_file(root / "alpha" / "app.py")
    assert w.editor_stack.currentWidget() is w.tabs
    w.menus.actions["close_tab"].trigger()
    assert w.editor_stack.currentWidget() is w.start_page


def test_tree_debug_runs_the_debugger_on_that_function(qtbot, make_window, tmp_path):
    w = make_window()
    root = _project(tmp_path / "p")
    assert w.open_project(root)
    w.toolbar.set_backend("process")
    with qtbot.waitSignal(w.debug.debugger.finished, timeout=60_000) as blocker:
        w.tree.debug_requested.emit("BetaFunction", "")
    assert blocker.args[0].function_id == "BetaFunction" and blocker.args[0].result.ok


def test_a_slow_first_step_says_what_it_does(qtbot, make_window, example_project, tmp_path, monkeypatch):
    monkeypatch.setenv("LAMBDA_STUDIO_CACHE", str(tmp_path / "fresh-cache"))  # requirements not installed yet
    w = make_window()
    assert w.open_project(example_project)
    shown: list[str] = []
    w.invoker.progress.connect(lambda text, fraction: shown.append(text))
    with qtbot.waitSignal(w.invoker.finished, timeout=180_000) as blocker:
        assert w.invoke("HelloFunction", "get-hello", "process")
    assert blocker.args[0].result.ok, blocker.args[0].result.log_text
    assert shown[0] == "starting the backend…"
    assert any(text.startswith("installing") and "requirements.txt" in text for text in shown), shown


def test_a_python312_function_on_this_interpreter_says_so(qtbot, make_window, tmp_path, monkeypatch):
    import sys

    monkeypatch.setenv("LAMBDA_STUDIO_PYTHON_SEARCH", "off")  # as on a machine with no other Python
    here = f"{sys.version_info[0]}.{sys.version_info[1]}"
    other = "3.12" if here != "3.12" else "3.11"
    w = make_window()
    root = _project(tmp_path / "p")
    (root / "template.yaml").write_text(TEMPLATE.replace("python3.11", f"python{other}"))
    assert w.open_project(root)
    entry = _invoke(qtbot, w, "BetaFunction", "")
    assert f"Ran on Python {here}, not python{other}" in (entry.result.note or "")
    assert f"Ran on Python {here}" in w.status.currentMessage()
    assert f"not python{other}" in w.result_view.detail.toolTip()


_HERE = f"{sys.version_info[0]}.{sys.version_info[1]}"
_OTHER = "3.12" if _HERE != "3.12" else "3.11"


@pytest.mark.skipif(  # not a CI dependency: CI installs one Python (see scripts/), so it skips there
    find_python(_OTHER) is None, reason=f"no Python {_OTHER} installed besides this {_HERE}"
)
def test_a_python312_function_runs_on_an_installed_python312(qtbot, make_window, tmp_path):
    other = _OTHER
    w = make_window()
    root = _project(tmp_path / "p")
    (root / "template.yaml").write_text(TEMPLATE.replace("python3.11", f"python{other}"))
    (root / "beta" / "app.py").write_text(
        "import sys\n\n\ndef handler(event, context):\n    return '%d.%d' % sys.version_info[:2]\n"
    )
    assert w.open_project(root)
    entry = _invoke(qtbot, w, "BetaFunction", "")
    assert entry.result.payload_json() == other, entry.result.log_text
    assert "Ran on Python" not in (entry.result.note or "")
    assert "Ran on Python" not in w.status.currentMessage()


def test_settings_pin_the_interpreter_of_a_runtime(qtbot, make_window, tmp_path, monkeypatch):
    import sys

    monkeypatch.setenv("LAMBDA_STUDIO_PYTHON_SEARCH", "off")
    here = f"{sys.version_info[0]}.{sys.version_info[1]}"
    other = "3.12" if here != "3.12" else "3.11"
    w = make_window()
    w.settings.set("pythons", {f"python{other}": sys.executable})
    root = _project(tmp_path / "p")
    (root / "template.yaml").write_text(TEMPLATE.replace("python3.11", f"python{other}"))
    assert w.open_project(root)
    entry = _invoke(qtbot, w, "BetaFunction", "")
    assert f"pinned for it is {sys.executable}" in (entry.result.note or "")


def test_the_local_cloud_dock_scrolls_so_it_can_shrink(qtbot, make_window, tmp_path):
    window = make_window(_project(tmp_path / "p"))
    dock = window.docks["localCloudDock"]
    content = window.local_cloud_dock
    assert content.minimumSizeHint().width() > 150
    assert dock.minimumSizeHint().width() < content.minimumSizeHint().width()  # shrinks below its content
    assert dock.widget().objectName() == "localCloudDockScroll"
    assert "panel:localCloudDock" in window.menus.actions
