"""The code editor: text round-trips, languages, find/replace, breakpoints, diagnostics, completion."""

from __future__ import annotations

import time

import pytest

from widgets.code_editor import CodeEditor
from widgets.code_editor_looks import STYLE_DEFAULT
from widgets.editor_styles import language_for_path
from widgets.themes import DARK, bgr


@pytest.fixture
def editor(qtbot):
    ed = CodeEditor(language="python")
    qtbot.addWidget(ed)
    ed.resize(600, 400)
    ed.show()
    return ed


def test_text_round_trip_and_dirty(editor, qtbot):
    editor.set_text("héllo = 1\n")
    assert editor.text() == "héllo = 1\n"
    assert not editor.is_dirty()
    with qtbot.waitSignal(editor.dirty_changed) as blocker:
        editor.insert_at_cursor("x")
    assert blocker.args == [True]
    assert editor.is_dirty()
    editor.mark_saved()
    assert not editor.is_dirty()


def test_language_for_path():
    assert language_for_path("a/app.py") == "python"
    assert language_for_path("t.YAML") == "yaml"
    assert language_for_path("e.json") == "json"
    assert language_for_path("README.md") == "markdown"
    assert language_for_path("x.txt") == "text"


def test_languages_and_themes_switch(editor):
    for lang in ("json", "yaml", "markdown", "text", "python"):
        editor.set_language(lang)
        assert editor.language() == lang
    sci = editor._sci
    assert sci.styleBack(STYLE_DEFAULT) != bgr(DARK.background)
    editor.set_theme(DARK)
    editor.set_font_size(14)
    # Scintilla's own state: both survive the language switch that restyles everything.
    editor.set_language("json")
    assert sci.styleBack(STYLE_DEFAULT) == bgr(DARK.background)
    assert sci.styleFore(STYLE_DEFAULT) == bgr(DARK.foreground)
    assert sci.styleSize(STYLE_DEFAULT) == 14


def test_find_and_replace(editor):
    editor.set_text("alpha beta\nAlpha gamma\nalpha\n")
    assert editor.find("alpha")
    assert editor.cursor_position() == (1, 6)
    assert editor.find("alpha", case=True)
    assert editor.cursor_position() == (3, 6)
    assert editor.find("ALPHA")  # wraps, case-insensitive
    assert editor.cursor_position()[0] == 1
    assert not editor.find("zzz")
    assert editor.find(r"g\w+a", regex=True)
    assert editor.selected_text() == "gamma"
    assert editor.replace_all("alpha", "omega") == 3
    assert editor.text().count("omega") == 3
    assert editor.replace_all(r"(o)mega", r"\1K", regex=True) == 3
    assert "oK beta" in editor.text()


def test_go_to_line(editor):
    editor.set_text("\n".join(f"line {i}" for i in range(1, 101)))
    editor.go_to_line(50, 3)
    assert editor.cursor_position() == (50, 3)


def test_breakpoints(editor, qtbot):
    editor.set_text("a = 1\nb = 2\nc = 3\n")
    with qtbot.waitSignal(editor.breakpoints_changed):
        editor.toggle_breakpoint(2)
    assert editor.breakpoints() == [2]
    editor.set_breakpoints([1, 3, 99])
    assert editor.breakpoints() == [1, 3]
    editor.toggle_breakpoint(1)
    assert editor.breakpoints() == [3]


def test_syntax_error_and_pyflakes_are_underlined(editor):
    editor.set_text("import os\n\ndef f(:\n    pass\n")
    editor.run_checks()
    errors = [p for p in editor.diagnostics() if p.severity == "error"]
    assert errors and errors[0].line == 3
    assert editor.indicator_at(3, errors[0].column) == "error"
    assert "SyntaxError" in editor.diagnostic_text_at(3)
    editor.set_text("import os\n\nprint(undefined_name)\n")
    editor.run_checks()
    messages = editor.diagnostic_text_at(1) or ""
    assert "imported but unused" in messages
    assert editor.indicator_at(1, 8) == "warning" and editor.indicator_at(1, 2) is None
    assert "undefined name" in (editor.diagnostic_text_at(3) or "")
    assert editor.indicator_at(3, 7) == "warning"


def test_json_validation(editor):
    editor.set_language("json")
    editor.set_text('{\n  "a": 1,\n  "b": \n}\n')
    editor.run_checks()
    (problem,) = editor.diagnostics()
    assert problem.line == 4 and problem.severity == "error"


def test_external_diagnostics(editor):
    editor.set_language("yaml")
    editor.set_text("Resources:\n  Fn:\n    Type: Foo\n")
    editor.mark_error(3, 11, "unknown type", "warning")
    assert editor.indicator_at(3, 11) == "warning"
    editor.clear_marks()
    assert editor.indicator_at(3, 11) is None


def test_auto_indent(editor, qtbot):
    editor.set_text("")
    editor.setFocus()
    qtbot.keyClicks(editor._sci, "def f():")
    qtbot.keyClick(editor._sci, "\r")
    qtbot.keyClicks(editor._sci, "x")
    assert editor.text().splitlines()[1] == "    x"


@pytest.mark.qt_log_ignore("This plugin does not support")
def test_jedi_completion(editor):
    editor.set_text("import json\njson.du")
    editor.go_to_line(2, 8)
    names = editor.show_completions()
    assert "dumps" in names


def test_ten_megabyte_file_opens_fast(editor):
    line = "value = {'key': [1, 2, 3], 'text': 'some words here'}  # comment\n"
    big = line * (10_000_000 // len(line))
    started = time.perf_counter()
    editor.set_text(big)
    elapsed = time.perf_counter() - started
    assert editor.line_count() > 100_000
    assert elapsed < 1.0


@pytest.mark.qt_log_ignore("This plugin does not support")
def test_hover_over_underline_shows_the_message(editor):
    editor.set_text("import os\n")
    editor.run_checks()
    sci = editor._sci
    shown: list[tuple[int, str]] = []
    show = sci.callTipShow
    sci.callTipShow = lambda at, text: (shown.append((at, text)), show(at, text))  # records the text
    pos = sci.positionFromLine(0) + 8  # on "os": the unused name is what is underlined
    x, y = sci.pointXFromPosition(pos), sci.pointYFromPosition(pos)
    sci.dwellStart.emit(x, y)
    assert sci.callTipActive()
    assert [text for _, text in shown] == [editor.diagnostic_text_at(1)]
    assert "'os' imported but unused" in shown[0][1]
    sci.dwellEnd.emit(x, y)
    assert not sci.callTipActive()


def test_replace_all_keeps_breakpoints_and_the_caret(editor):
    editor.set_text("a = 1\nb = a\nc = a + a\nd = 4\ne = a\n")
    editor.set_breakpoints([2, 4, 5])
    editor.go_to_line(4)
    assert editor.replace_all("a", "alpha", case=True) == 5
    assert editor.text() == "alpha = 1\nb = alpha\nc = alpha + alpha\nd = 4\ne = alpha\n"
    assert editor.breakpoints() == [2, 4, 5]
    assert editor.cursor_position()[0] == 4  # not sent back to line 1
    editor.undo()  # one step brings the whole text back
    assert editor.text() == "a = 1\nb = a\nc = a + a\nd = 4\ne = a\n"
    assert editor.breakpoints() == [2, 4, 5]


def test_breakpoints_follow_their_lines_through_edits(editor):
    editor.set_text("x = 1\ny = 2\nz = 3\n")
    editor.set_breakpoints([3])
    editor.go_to_line(1)
    editor.insert_at_cursor("import os\n\n")
    assert editor.breakpoints() == [5]


def test_return_in_a_two_space_json_file_indents_two(qtbot):
    ed = CodeEditor(language="json")
    qtbot.addWidget(ed)
    ed.show()
    ed.set_text('{\n  "a": {\n    "b": 1\n  }\n}\n')
    assert ed.indent_unit() == 2
    ed.set_text("{")
    ed.setFocus()
    ed._sci.gotoPos(1)
    qtbot.keyClick(ed._sci, "\r")
    assert ed.text().splitlines()[1] == "  "


def test_logpoints_are_marked_apart_from_breakpoints(editor):
    from widgets.code_editor_margins import BREAKPOINT_MARKER, LOGPOINT_MARKER

    editor.set_text("a = 1\nb = 2\nc = 3\n")
    editor.set_breakpoints([1, 3])
    editor.set_logpoints([3, 2])  # line 2 has no breakpoint: no logpoint either
    assert editor.logpoints() == [3] and editor.breakpoints() == [1, 3]
    assert (
        editor._sci.markerGet(2) & (1 << LOGPOINT_MARKER)
        and editor._sci.markerGet(0) == 1 << BREAKPOINT_MARKER
    )
    editor.toggle_breakpoint(3)  # removing the breakpoint removes its logpoint look
    assert editor.logpoints() == []
