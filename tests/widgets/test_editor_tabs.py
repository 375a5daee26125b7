"""Editor tabs: open/save/save all, dirty markers, unsaved prompts, external reloads, breakpoints, find bar."""

from __future__ import annotations

import os
import shutil
import stat
from pathlib import Path

import pytest

from app import fsutil
from tests.widgets.window_support import shown
from widgets.editor_tabs import CANCEL, DISCARD, SAVE, EditorTabs
from widgets.find_bar import FindBar


@pytest.fixture
def tabs(qtbot):
    widget = shown(qtbot, EditorTabs(), (700, 500))
    return widget


@pytest.fixture
def files(tmp_path: Path) -> tuple[Path, Path]:
    a = tmp_path / "a.py"
    b = tmp_path / "b.json"
    a.write_text("x = 1\ny = 2\n")
    b.write_text('{"k": 1}\n')
    return a, b


def test_open_edit_save(tabs, files):
    a, b = files
    editor = tabs.open_file(a, line=2)
    tabs.open_file(b)
    assert tabs.count() == 2
    assert tabs.open_file(a) is editor and tabs.count() == 2
    assert editor.cursor_position()[0] == 2
    editor.insert_at_cursor("# new\n")
    assert tabs.dirty_paths() == [str(a.resolve())]
    assert tabs.tabText(tabs.indexOf(editor)).startswith("●")
    assert tabs.save_all()
    assert "# new" in a.read_text()
    assert not tabs.dirty_paths()
    assert tabs.tabText(tabs.indexOf(editor)) == "a.py"


def test_open_missing_file_reports(tabs, tmp_path, qtbot):
    with qtbot.waitSignal(tabs.message) as blocker:
        assert tabs.open_file(tmp_path / "nope.py") is None
    assert "Cannot open" in blocker.args[0]


def test_close_with_unsaved_changes_asks(tabs, files):
    a, _ = files
    editor = tabs.open_file(a)
    editor.insert_at_cursor("z = 3\n")
    tabs.ask_unsaved = lambda paths: CANCEL
    assert not tabs.close_all()
    assert tabs.count() == 1
    tabs.ask_unsaved = lambda paths: SAVE
    assert tabs.close_all()
    assert a.read_text().startswith("z = 3")
    editor = tabs.open_file(a)
    editor.insert_at_cursor("lost\n")
    tabs.ask_unsaved = lambda paths: DISCARD
    assert tabs.close_all()
    assert "lost" not in a.read_text()


def test_external_change_reloads_clean_buffer(tabs, files, qtbot):
    a, _ = files
    editor = tabs.open_file(a)
    a.write_text("changed = True\n")
    qtbot.waitUntil(lambda: editor.text() == "changed = True\n", timeout=3000)


def test_external_change_conflict_prompt(tabs, files):
    a, _ = files
    editor = tabs.open_file(a)
    editor.insert_at_cursor("mine = 1\n")
    asked = []
    tabs.ask_reload = lambda path: asked.append(path) or False
    a.write_text("theirs = 1\n")
    tabs.check_external_changes()
    assert asked and "mine = 1" in editor.text()
    tabs.ask_reload = lambda path: True
    a.write_text("theirs = 2\n")
    tabs.check_external_changes()
    assert editor.text() == "theirs = 2\n" and not editor.is_dirty()


def test_breakpoints_per_file_survive_reopen(tabs, files):
    a, b = files
    tabs.set_breakpoints({str(a): [2]})
    editor = tabs.open_file(a)
    assert editor.breakpoints() == [2]
    editor.toggle_breakpoint(1)
    assert tabs.breakpoints() == {str(a.resolve()): [1, 2]}


def test_restore_buffer_marks_dirty(tabs, files):
    a, _ = files
    tabs.restore_buffer(str(a), "recovered = 1\n")
    editor = tabs.editor_for(a)
    assert editor.text() == "recovered = 1\n" and editor.is_dirty()
    editor.undo()
    assert editor.text() == "x = 1\ny = 2\n"


def test_save_failure_is_reported_not_raised(tabs, files, qtbot):
    a, _ = files
    editor = tabs.open_file(a)
    editor.insert_at_cursor("q = 1\n")
    shutil.rmtree(a.parent)
    with qtbot.waitSignal(tabs.message) as blocker:
        assert not tabs.save()
    assert "Cannot save" in blocker.args[0]
    assert editor.is_dirty()


@pytest.mark.skipif(os.name != "posix", reason="permission bits are POSIX")
def test_save_keeps_the_executable_bit_and_leaves_no_temp_file(tabs, tmp_path):
    script = tmp_path / "deploy.py"
    script.write_text("#!/usr/bin/env python3\n")
    script.chmod(0o755)
    tabs.open_file(script).insert_at_cursor("# edited\n")
    assert tabs.save()
    assert stat.S_IMODE(script.stat().st_mode) == 0o755
    assert script.read_text().startswith("# edited\n")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["deploy.py"]


def test_a_failed_save_keeps_the_file_and_removes_its_temp(tabs, files, qtbot, monkeypatch):
    a, _ = files
    editor = tabs.open_file(a)
    editor.insert_at_cursor("q = 1\n")

    def disk_full(src, dst):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(fsutil.os, "replace", disk_full)
    with qtbot.waitSignal(tabs.message) as blocker:
        assert not tabs.save()
    assert blocker.args[0] == "Cannot save a.py: No space left on device"
    assert a.read_text() == "x = 1\ny = 2\n" and editor.is_dirty()
    assert sorted(p.name for p in a.parent.iterdir()) == ["a.py", "b.json"]


def test_find_bar_drives_current_editor(tabs, files, qtbot):
    a, _ = files
    tabs.open_file(a)
    bar = FindBar(tabs.current_editor)
    qtbot.addWidget(bar)
    bar.find_edit.setText("y")
    assert bar.find_next()
    bar.replace_edit.setText("why")
    assert bar.replace_all() == 1
    assert "why = 2" in tabs.current_editor().text()
    bar.find_edit.setText("nothing-here")
    assert not bar.find_next()
    assert bar.status.text() == "No matches"


def test_find_bar_escape_hides(tabs, files, qtbot):
    from PySide6.QtCore import Qt

    tabs.open_file(files[0])
    bar = FindBar(tabs.current_editor)
    qtbot.addWidget(bar)
    bar.show_bar()
    bar.activateWindow()
    bar.find_edit.setFocus()
    qtbot.waitUntil(bar.find_edit.hasFocus, timeout=2000)
    with qtbot.waitSignal(bar.closed, timeout=2000):
        qtbot.keyClick(bar.find_edit, Qt.Key.Key_Escape)
    assert bar.isHidden()
