"""One code editor: it and its helpers (code_editor_*.py) are the only modules that touch Scintilla.

Everything else uses its intention API. The helpers hold one concern each: looks and typing aids,
margins and markers, lint underlines, find and replace.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

import shiboken6
from PySide6.QtCore import QByteArray, QEvent, QObject, QPoint, Qt, QTimer, Signal
from PySide6.QtGui import QContextMenuEvent, QKeySequence, QShortcut
from PySide6.QtWidgets import QVBoxLayout, QWidget
from pyside6_scintilla import ScintillaEdit

from app import text_search
from app.python_checks import Problem, complete
from widgets import code_editor_lint as lint
from widgets import code_editor_looks as looks
from widgets import code_editor_margins as margins
from widgets import code_editor_search as search
from widgets.code_editor_margins import BREAKPOINT_MARKER, LOGPOINT_MARKER, MARGIN_BREAKPOINTS
from widgets.editor_styles import STYLE_MAP
from widgets.themes import LIGHT, Theme

LARGE_FILE_BYTES = 32_000_000  # above this: no lexer, no folding - opening must stay instant


def _b(data: QByteArray) -> bytes:
    return bytes(data.data())


@dataclass(frozen=True)
class CompletionRequest:
    """Source and caret (1-based line, 0-based column) to complete at; `deliver` shows the answer."""

    text: str
    line: int
    column: int
    path: str | None
    deliver: Callable[[list[str]], None]


class CodeEditor(QWidget):
    """A Scintilla editor with highlighting, folding, breakpoints, diagnostics, find and completion."""

    dirty_changed = Signal(bool)
    text_changed = Signal()
    cursor_moved = Signal(int, int)  # 1-based line, 1-based column
    breakpoints_changed = Signal()
    breakpoint_menu_requested = Signal(int, QPoint)  # 1-based line, global position (gutter right-click)
    diagnostics_changed = Signal()

    def __init__(
        self,
        parent: QWidget | None = None,
        *,
        language: str = "text",
        theme: Theme = LIGHT,
        font_size: int = 11,
    ) -> None:
        super().__init__(parent)
        self._sci = ScintillaEdit(self)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self._sci)
        self.setFocusProxy(self._sci)
        self._language = "text"
        self._theme = theme
        self._font_size = font_size
        self._path: str | None = None
        self._lint_problems: list[Problem] = []
        self._external: list[Problem] = []
        self._runtime: list[Problem] = []  # where the last invoke raised (its frames in this file)
        self._large = False
        self.auto_check = True
        # Set by the window: runs jedi on the job bridge (its first call can take seconds).
        self.completion_provider: Callable[[CompletionRequest], None] | None = None
        # Likewise for pyflakes on big files: (text, path, deliver(problems)).
        self.check_provider: Callable[[str, str, Callable[[list[Problem]], None]], None] | None = None
        self._edits = 0
        self._lint_timer = QTimer(self, singleShot=True, interval=400)
        self._lint_timer.timeout.connect(self.run_checks)
        self._complete_timer = QTimer(self, singleShot=True, interval=250)
        self._complete_timer.timeout.connect(self.show_completions)
        looks.set_up(self._sci)
        self.set_language(language)
        sci = self._sci
        sci.savePointChanged.connect(self.dirty_changed.emit)
        sci.modified.connect(self._on_modified)
        sci.charAdded.connect(self._on_char_added)
        sci.updateUi.connect(self._on_update_ui)
        sci.marginClicked.connect(self._on_margin_clicked)
        sci.viewport().installEventFilter(self)  # a right-click in the gutter: the breakpoint menu
        sci.dwellStart.connect(self._on_dwell_start)
        sci.dwellEnd.connect(lambda _x, _y: sci.callTipCancel())
        for keys, slot in (("F9", self.toggle_breakpoint), ("Ctrl+Space", self.show_completions)):
            shortcut = QShortcut(QKeySequence(keys), sci)
            # Set explicitly: the constructor's context keyword is ignored, and a window-wide F9 per editor
            # would be ambiguous (tabs plus the event editor) and fire nowhere.
            shortcut.setContext(Qt.ShortcutContext.WidgetShortcut)
            shortcut.activated.connect(slot)

    # --- set-up and looks -------------------------------------------------------------------------
    def set_theme(self, theme: Theme) -> None:
        self._theme = theme
        self._apply_styles()

    def set_font_size(self, size: int) -> None:
        self._font_size = size
        self._apply_styles()

    def _apply_styles(self) -> None:
        looks.apply_styles(self._sci, self._theme, self._language, self._font_size)
        self._update_margin_width()

    def _update_margin_width(self) -> None:
        margins.update_margin_width(self._sci, not (self._large or self._language == "text"))

    def set_language(self, language: str) -> None:
        """Pick the lexer: 'python', 'json', 'yaml', 'markdown' or 'text'."""
        self._language = language if language in STYLE_MAP else "text"
        looks.set_lexer(self._sci, "text" if self._large else self._language)
        self._apply_styles()

    def language(self) -> str:
        return self._language

    # --- text and files ---------------------------------------------------------------------------
    def set_text(self, text: str, *, path: str | None = None) -> None:
        """Replace the whole buffer (a fresh file: no undo history, not dirty)."""
        self._path = path
        large = len(text) > LARGE_FILE_BYTES
        if large != self._large:
            self._large = large
            self.set_language(self._language)
        self._sci.setText(text)
        self._sci.emptyUndoBuffer()
        self._sci.setSavePoint()
        self._sci.gotoPos(0)
        self._update_margin_width()
        self.schedule_checks(immediate=True)

    def text(self) -> str:
        return _b(self._sci.getText(self._sci.length() + 1)).rstrip(b"\0").decode("utf-8", "replace")

    def replace_all_text(self, text: str) -> None:
        """Replace the whole buffer as one undoable edit (the buffer becomes dirty)."""
        self._sci.setTargetRange(0, self._sci.length())
        self._sci.replaceTarget(len(text.encode("utf-8")), text)

    def is_dirty(self) -> bool:
        return bool(self._sci.modify())

    def mark_saved(self) -> None:
        self._sci.setSavePoint()

    def set_read_only(self, read_only: bool) -> None:
        self._sci.setReadOnly(read_only)

    def set_wrap(self, wrap: bool) -> None:
        self._sci.setWrapMode(1 if wrap else 0)

    def undo(self) -> None:
        self._sci.undo()

    def line_count(self) -> int:
        return int(self._sci.lineCount())

    def insert_at_cursor(self, text: str) -> None:
        self._sci.replaceSel(text)

    # --- navigation -------------------------------------------------------------------------------
    def _pos(self, line: int, column: int = 1) -> int:
        sci = self._sci
        line = max(1, min(line, sci.lineCount()))
        start, end = sci.positionFromLine(line - 1), sci.lineEndPosition(line - 1)
        pos = sci.positionRelative(start, max(column - 1, 0)) if column > 1 else start
        return end if pos < start or pos > end else pos

    def go_to_line(self, line: int, column: int = 1) -> None:
        pos = self._pos(line, column)
        self._sci.ensureVisibleEnforcePolicy(max(line - 1, 0))
        self._sci.gotoPos(pos)
        self._sci.verticalCentreCaret()
        QWidget.setFocus(self._sci)  # ScintillaEdit.setFocus(bool) shadows the Qt one

    def cursor_position(self) -> tuple[int, int]:
        """1-based line and column (in characters) of the caret."""
        sci = self._sci
        pos = sci.currentPos()
        line = sci.lineFromPosition(pos)
        start = sci.positionFromLine(line)
        return line + 1, len(_b(sci.textRange(start, pos)).decode("utf-8", "replace")) + 1

    def selected_text(self) -> str:
        sci = self._sci
        return _b(sci.textRange(sci.selectionStart(), sci.selectionEnd())).decode("utf-8", "replace")

    # --- find and replace -------------------------------------------------------------------------
    def find(  # type: ignore[override]  # QWidget.find(id) is a static lookup nobody calls here
        self, needle: str, *, regex: bool = False, case: bool = False, backwards: bool = False
    ) -> bool:
        """Select the next (or previous) match after the selection, wrapping around; False if none."""
        return search.find(self._sci, needle, regex, case, backwards)

    def replace(self, needle: str, replacement: str, *, regex: bool = False, case: bool = False) -> bool:
        """Replace the selected match (if the selection is one) and select the next match."""
        pattern = text_search.compile_pattern(needle, regex, case)
        if pattern is None:
            return False
        new = text_search.replacement_for(pattern, self.selected_text(), replacement, regex)
        if new is not None:
            self._sci.replaceSel(new)
        return self.find(needle, regex=regex, case=case) or new is not None

    def replace_all(self, needle: str, replacement: str, *, regex: bool = False, case: bool = False) -> int:
        """Replace every match in one undoable step; returns how many were replaced."""
        return search.replace_all(self._sci, needle, replacement, regex, case)

    # --- the debugger's current line -------------------------------------------------------------
    def show_execution_line(self, line: int | None) -> None:
        """Where the debugger stopped: an arrow in the breakpoint margin, caret on the line (None clears)."""
        margins.show_execution_line(self._sci, self._theme, line)
        if line is not None:
            self.go_to_line(line)

    def execution_line(self) -> int | None:
        """The 1-based line of the execution marker, or None."""
        lines = margins.marker_lines(self._sci, margins.EXECUTION_MARKER)
        return lines[0] if lines else None

    # --- breakpoints ------------------------------------------------------------------------------
    def toggle_breakpoint(self, line: int | None = None) -> None:
        """Toggle the breakpoint on a 1-based line (the caret's line when None)."""
        sci = self._sci
        margins.toggle_breakpoint(sci, (line - 1) if line else sci.lineFromPosition(sci.currentPos()))
        self.breakpoints_changed.emit()

    def breakpoints(self) -> list[int]:
        return margins.marker_lines(self._sci, BREAKPOINT_MARKER)

    def set_logpoints(self, lines: Iterable[int]) -> None:
        """Which of the breakpoints are logpoints (they look different: a square, not a circle)."""
        margins.set_logpoints(self._sci, lines)

    def logpoints(self) -> list[int]:
        return margins.marker_lines(self._sci, LOGPOINT_MARKER)

    def set_breakpoints(self, lines: Iterable[int]) -> None:
        margins.set_breakpoints(self._sci, lines)
        self.breakpoints_changed.emit()

    # --- diagnostics ------------------------------------------------------------------------------
    def schedule_checks(self, immediate: bool = False) -> None:
        if self.auto_check and not self._large:
            self._lint_timer.start(0 if immediate else 400)

    def run_checks(self) -> None:
        """Lint now: Python syntax + pyflakes, or JSON syntax; other languages keep external marks only."""
        problems: list[Problem] = []
        if lint.lintable(self._language, self._sci.length()):
            text, path = self.text(), self._path or "<editor>"
            big = len(text) > lint.SYNC_CHECK_CHARS
            if self._language == "python" and self.check_provider is not None and big:
                edit = self._edits
                self.check_provider(text, path, lambda found: self._deliver_checks(edit, found))
                return
            problems = lint.check_text(self._language, text, path)
        self._lint_problems = problems
        self._paint_diagnostics()

    def _deliver_checks(self, edit: int, problems: list[Problem]) -> None:
        if not self._alive():
            return  # the tab closed while the job ran
        if edit == self._edits:  # stale answers (the text changed meanwhile) are dropped
            self._lint_problems = problems
            self._paint_diagnostics()

    def set_external_diagnostics(self, problems: Iterable[Problem]) -> None:
        """Problems found elsewhere (template diagnostics), shown alongside the editor's own."""
        self._external = list(problems)
        self._paint_diagnostics()

    def set_runtime_errors(self, problems: Iterable[Problem]) -> None:
        """The last invoke's exception, underlined on the lines of its frames (hover shows it)."""
        self._runtime = lint.statement_marks(self._sci, problems)
        self._paint_diagnostics()

    def mark_error(self, line: int, column: int, message: str, severity: str = "error") -> None:
        self._external.append(Problem(line, column, message, severity))
        self._paint_diagnostics()

    def clear_marks(self) -> None:
        self._external = []
        self._lint_problems = []
        self._runtime = []
        self._paint_diagnostics()

    def diagnostics(self) -> list[Problem]:
        return self._external + self._lint_problems + self._runtime

    def diagnostic_text_at(self, line: int) -> str | None:
        """The hover text for a 1-based line: every problem on it, one per line."""
        found = [f"{p.severity}: {p.message}" for p in self.diagnostics() if p.line == line]
        return "\n".join(found) or None

    def _paint_diagnostics(self) -> None:
        lint.paint(self._sci, self.diagnostics(), self._pos)
        self.diagnostics_changed.emit()

    def indicator_at(self, line: int, column: int) -> str | None:
        """'error' / 'warning' when an underline covers that spot (for tests and the status bar)."""
        return lint.indicator_at(self._sci, self._pos(line, column))

    def _on_dwell_start(self, x: int, y: int) -> None:
        pos = self._sci.positionFromPointClose(x, y)
        if pos < 0 or not self._sci.indicatorAllOnFor(pos):
            return
        text = self.diagnostic_text_at(self._sci.lineFromPosition(pos) + 1)
        if text:
            self._sci.callTipShow(pos, text)

    # --- completion -------------------------------------------------------------------------------
    def completion_request(self) -> CompletionRequest | None:
        """What a completer needs, with a `deliver(names)` that shows them if the caret has not moved."""
        if self._language != "python" or self._large:
            return None
        line, column = self.cursor_position()
        pos = self._sci.currentPos()
        return CompletionRequest(
            self.text(), line, column - 1, self._path, lambda names: self._deliver(pos, names)
        )

    def completions(self) -> list[str]:
        request = self.completion_request()
        return complete(request.text, request.line, request.column, request.path) if request else []

    def show_completions(self) -> list[str]:
        """With a `completion_provider` (the window's, off the GUI thread) ask it; else complete here."""
        request = self.completion_request()
        if request is None:
            return []
        if self.completion_provider is not None:
            self.completion_provider(request)
            return []
        names = complete(request.text, request.line, request.column, request.path)
        self._deliver(self._sci.currentPos(), names)
        return names

    def _alive(self) -> bool:
        return shiboken6.isValid(self) and shiboken6.isValid(self._sci)

    def _deliver(self, pos: int, names: list[str]) -> None:
        if not self._alive():
            return
        sci = self._sci
        if names and sci.currentPos() == pos:
            entered = pos - sci.wordStartPosition(pos, True)
            sci.autoCSetIgnoreCase(True)
            sci.autoCShow(entered, " ".join(names))

    # --- reactions --------------------------------------------------------------------------------
    def _on_modified(self, kind: int, *_rest: object) -> None:
        if kind & 0x3:
            self._edits += 1
            self.text_changed.emit()
            self.schedule_checks()
            if _rest and _rest[2]:  # lines added or removed
                self._update_margin_width()

    def indent_unit(self) -> int:
        """Spaces per indent level: the file's own (its smallest indent), else 2 for JSON/YAML, 4 otherwise."""
        return looks.indent_unit(self._sci, self._language)

    def _on_char_added(self, ch: int) -> None:
        if ch in (10, 13):
            looks.indent_new_line(self._sci, self._language)
        elif ch == ord(".") and self._language == "python":
            self._complete_timer.start()

    def _on_update_ui(self, _updated: int) -> None:
        looks.match_braces(self._sci)
        self.cursor_moved.emit(*self.cursor_position())

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt override
        if event.type() == QEvent.Type.ContextMenu and isinstance(event, QContextMenuEvent):
            sci = self._sci
            gutter = margins.gutter_width(sci)
            if event.pos().x() < gutter:
                line = sci.lineFromPosition(sci.positionFromPoint(gutter, event.pos().y())) + 1
                self.breakpoint_menu_requested.emit(line, event.globalPos())
                return True
        return super().eventFilter(watched, event)

    def _on_margin_clicked(self, position: int, _modifiers: int, margin: int) -> None:
        if margin == MARGIN_BREAKPOINTS:
            self.toggle_breakpoint(self._sci.lineFromPosition(position) + 1)
