"""One code editor: the only module that touches Scintilla; everything else uses its intention API."""

from __future__ import annotations

import builtins
import json
import keyword
from collections.abc import Callable, Iterable
from dataclasses import dataclass

import lexilla
import shiboken6
from PySide6.QtCore import QByteArray, QEvent, QObject, QPoint, Qt, QTimer, Signal
from PySide6.QtGui import QContextMenuEvent, QFontDatabase, QKeySequence, QShortcut
from PySide6.QtWidgets import QVBoxLayout, QWidget
from pyside6_scintilla import ScintillaEdit

from app import text_search
from app.python_checks import MAX_CHECK_CHARS, Problem, check_python, complete
from widgets.editor_styles import BOLD_CATEGORIES, STYLE_MAP, language_for_path
from widgets.themes import LIGHT, Theme, bgr

# Scintilla constants (numeric: the binding's enums are not needed for this handful).
STYLE_DEFAULT, STYLE_LINENUMBER, STYLE_BRACELIGHT, STYLE_BRACEBAD = 32, 33, 34, 35
MARGIN_NUMBERS, MARGIN_BREAKPOINTS, MARGIN_FOLD = 0, 1, 2
BREAKPOINT_MARKER = 1
EXECUTION_MARKER = 2  # the debugger's current line
LOGPOINT_MARKER = 3  # drawn over a breakpoint's circle: a square, in another colour (logs, never stops)
BREAKPOINT_MARGIN_MASK = (1 << BREAKPOINT_MARKER) | (1 << EXECUTION_MARKER) | (1 << LOGPOINT_MARKER)
INDIC_ERROR, INDIC_WARNING = 8, 9
INDIC_SQUIGGLE = 1
FOLDER_MARKERS = {25: 13, 26: 15, 27: 11, 28: 10, 29: 9, 30: 12, 31: 14}  # marker -> symbol (box tree)
MASK_FOLDERS = 0xFE000000 - (1 << 32)  # as a signed 32-bit int
SYNC_CHECK_CHARS = 40_000  # pyflakes takes ~30 ms per 20 KB: bigger files are linted on the job bridge
LARGE_FILE_BYTES = 32_000_000  # above this: no lexer, no folding - opening must stay instant

__all__ = ["CodeEditor", "language_for_path"]


def _b(data: QByteArray) -> bytes:
    return bytes(data.data())


def _char_to_byte(text: str, index: int) -> int:
    return index if text.isascii() else len(text[:index].encode("utf-8"))


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
        self._setup()
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
    def _setup(self) -> None:
        sci = self._sci
        sci.setCodePage(65001)
        sci.setTabWidth(4)
        sci.setUseTabs(False)
        sci.setIndent(4)
        sci.setTabIndents(True)
        sci.setBackSpaceUnIndents(True)
        sci.setIndentationGuides(3)  # look both ways
        sci.setScrollWidthTracking(True)
        sci.setScrollWidth(1)
        sci.setMouseDwellTime(400)
        # Style only up to what is visible, the rest in idle time: jumping to the end of a 10 MB file
        # costs a few ms instead of lexing everything in one go.
        sci.setIdleStyling(1)
        sci.setModEventMask(0x3)  # insert and delete only
        sci.setMarginTypeN(MARGIN_NUMBERS, 1)
        sci.setMarginTypeN(MARGIN_BREAKPOINTS, 0)
        sci.setMarginMaskN(MARGIN_BREAKPOINTS, BREAKPOINT_MARGIN_MASK)
        sci.setMarginWidthN(MARGIN_BREAKPOINTS, 14)
        sci.setMarginSensitiveN(MARGIN_BREAKPOINTS, True)
        sci.setMarginTypeN(MARGIN_FOLD, 0)
        sci.setMarginMaskN(MARGIN_FOLD, MASK_FOLDERS)
        sci.setMarginSensitiveN(MARGIN_FOLD, True)
        sci.setAutomaticFold(7)  # show, click, change
        sci.setFoldFlags(16)  # line after contracted
        sci.markerDefine(BREAKPOINT_MARKER, 0)  # circle
        sci.markerDefine(LOGPOINT_MARKER, 3)  # SC_MARK_SMALLRECT
        for marker, symbol in FOLDER_MARKERS.items():
            sci.markerDefine(marker, symbol)
        sci.indicSetStyle(INDIC_ERROR, INDIC_SQUIGGLE)
        sci.indicSetStyle(INDIC_WARNING, INDIC_SQUIGGLE)
        sci.setCaretLineVisible(True)
        sci.setCaretLineVisibleAlways(True)

    def set_theme(self, theme: Theme) -> None:
        self._theme = theme
        self._apply_styles()

    def set_font_size(self, size: int) -> None:
        self._font_size = size
        self._apply_styles()

    def _apply_styles(self) -> None:
        sci, t = self._sci, self._theme
        family = QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont).family()
        sci.styleResetDefault()
        sci.styleSetFont(STYLE_DEFAULT, family)
        sci.styleSetSize(STYLE_DEFAULT, self._font_size)
        sci.styleSetFore(STYLE_DEFAULT, bgr(t.foreground))
        sci.styleSetBack(STYLE_DEFAULT, bgr(t.background))
        sci.styleClearAll()
        for style, category in STYLE_MAP.get(self._language, {}).items():
            sci.styleSetFore(style, bgr(getattr(t, category)))
            sci.styleSetBold(style, category in BOLD_CATEGORIES)
            sci.styleSetItalic(style, category == "comment")
        sci.styleSetFore(STYLE_LINENUMBER, bgr(t.margin_fore))
        sci.styleSetBack(STYLE_LINENUMBER, bgr(t.margin_back))
        sci.styleSetBack(STYLE_BRACELIGHT, bgr(t.brace))
        sci.styleSetBold(STYLE_BRACELIGHT, True)
        sci.styleSetFore(STYLE_BRACEBAD, bgr(t.error))
        sci.setCaretFore(bgr(t.foreground))
        sci.setCaretLineBack(bgr(t.caret_line))
        sci.setSelBack(True, bgr(t.selection))
        sci.setFoldMarginColour(True, bgr(t.margin_back))
        sci.setFoldMarginHiColour(True, bgr(t.margin_back))
        sci.setMarginBackN(MARGIN_BREAKPOINTS, bgr(t.margin_back))
        for marker in FOLDER_MARKERS:
            sci.markerSetFore(marker, bgr(t.margin_back))
            sci.markerSetBack(marker, bgr(t.margin_fore))
        sci.markerSetFore(BREAKPOINT_MARKER, bgr(t.breakpoint))
        sci.markerSetBack(BREAKPOINT_MARKER, bgr(t.breakpoint))
        sci.markerSetFore(LOGPOINT_MARKER, bgr(t.info))
        sci.markerSetBack(LOGPOINT_MARKER, bgr(t.info))
        sci.indicSetFore(INDIC_ERROR, bgr(t.error))
        sci.indicSetFore(INDIC_WARNING, bgr(t.warning))
        self._update_margin_width()

    def _update_margin_width(self) -> None:
        digits = max(3, len(str(self._sci.lineCount())))
        self._sci.setMarginWidthN(MARGIN_NUMBERS, self._sci.textWidth(STYLE_LINENUMBER, "_" + "9" * digits))
        self._sci.setMarginWidthN(MARGIN_FOLD, 0 if self._large or self._language == "text" else 14)

    def set_language(self, language: str) -> None:
        """Pick the lexer: 'python', 'json', 'yaml', 'markdown' or 'text'."""
        self._language = language if language in STYLE_MAP else "text"
        lexer = None if self._large or self._language == "text" else lexilla.create_lexer(self._language)
        if lexer is not None:
            lexer.property_set("fold", "1")
            lexer.property_set("fold.compact", "0")
            if self._language == "python":
                lexer.property_set("fold.quotes.python", "1")
                self._sci.setILexer(lexer.detach())
                self._sci.setKeyWords(0, " ".join([*keyword.kwlist, *keyword.softkwlist]))
                self._sci.setKeyWords(1, " ".join(n for n in dir(builtins) if not n.startswith("_")))
            else:
                self._sci.setILexer(lexer.detach())
        else:
            self._sci.setILexer(0)
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
        pattern = text_search.compile_pattern(needle, regex, case)
        if pattern is None:
            return False
        sci = self._sci
        raw = _b(sci.getText(sci.length() + 1))
        text = raw.decode("utf-8", "replace")
        sel_start = len(raw[: sci.selectionStart()].decode("utf-8", "replace"))
        sel_end = len(raw[: sci.selectionEnd()].decode("utf-8", "replace"))
        found = text_search.next_match(text, pattern, sel_start, sel_end, backwards)
        if found is None:
            return False
        start, end = _char_to_byte(text, found[0]), _char_to_byte(text, found[1])
        sci.setSel(start, end)
        sci.scrollRange(end, start)
        return True

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
        pattern = text_search.compile_pattern(needle, regex, case)
        if pattern is None:
            return 0
        text = self.text()
        matches = [m for m in pattern.finditer(text) if m.end() > m.start()]
        if not matches:
            return 0
        # Match by match, from the end, as one undo step: lines that are not touched keep their
        # breakpoints and logpoints (replacing the whole buffer would drop every marker) and the caret
        # stays where it was.
        sci = self._sci
        caret_line = sci.lineFromPosition(sci.currentPos())
        caret_column = sci.currentPos() - sci.positionFromLine(caret_line)
        starts, ends, offset, at = {}, {}, 0, 0
        for m in matches:  # character offsets → Scintilla's byte positions, in one pass
            offset += len(text[at : m.start()].encode("utf-8"))
            starts[m.start()] = offset
            offset += len(text[m.start() : m.end()].encode("utf-8"))
            ends[m.end()] = offset
            at = m.end()
        sci.beginUndoAction()
        try:
            for m in reversed(matches):
                new = m.expand(replacement) if regex else replacement
                sci.setTargetRange(starts[m.start()], ends[m.end()])
                sci.replaceTarget(len(new.encode("utf-8")), new)
        finally:
            sci.endUndoAction()
        line_start = sci.positionFromLine(caret_line)
        sci.gotoPos(min(line_start + caret_column, sci.lineEndPosition(caret_line)))
        return len(matches)

    # --- the debugger's current line -------------------------------------------------------------
    def show_execution_line(self, line: int | None) -> None:
        """Where the debugger stopped: an arrow in the breakpoint margin, caret on the line (None clears)."""
        sci = self._sci
        sci.markerDeleteAll(EXECUTION_MARKER)
        if line is None:
            return
        sci.markerDefine(EXECUTION_MARKER, 4)  # SC_MARK_SHORTARROW
        sci.markerSetFore(EXECUTION_MARKER, bgr(self._theme.foreground))
        sci.markerSetBack(EXECUTION_MARKER, bgr(self._theme.warning))
        sci.setMarginMaskN(MARGIN_BREAKPOINTS, BREAKPOINT_MARGIN_MASK)
        sci.markerAdd(line - 1, EXECUTION_MARKER)
        self.go_to_line(line)

    def execution_line(self) -> int | None:
        """The 1-based line of the execution marker, or None."""
        line = self._sci.markerNext(0, 1 << EXECUTION_MARKER)
        return None if line < 0 else line + 1

    # --- breakpoints ------------------------------------------------------------------------------
    def toggle_breakpoint(self, line: int | None = None) -> None:
        """Toggle the breakpoint on a 1-based line (the caret's line when None)."""
        sci = self._sci
        index = (line - 1) if line else sci.lineFromPosition(sci.currentPos())
        if sci.markerGet(index) & (1 << BREAKPOINT_MARKER):
            sci.markerDelete(index, BREAKPOINT_MARKER)
            sci.markerDelete(index, LOGPOINT_MARKER)
        else:
            sci.markerAdd(index, BREAKPOINT_MARKER)
        self.breakpoints_changed.emit()

    def breakpoints(self) -> list[int]:
        out, line = [], self._sci.markerNext(0, 1 << BREAKPOINT_MARKER)
        while line >= 0:
            out.append(line + 1)
            line = self._sci.markerNext(line + 1, 1 << BREAKPOINT_MARKER)
        return out

    def set_logpoints(self, lines: Iterable[int]) -> None:
        """Which of the breakpoints are logpoints (they look different: a square, not a circle)."""
        sci = self._sci
        sci.markerDeleteAll(LOGPOINT_MARKER)
        for line in lines:
            if 1 <= line <= sci.lineCount() and sci.markerGet(line - 1) & (1 << BREAKPOINT_MARKER):
                sci.markerAdd(line - 1, LOGPOINT_MARKER)

    def logpoints(self) -> list[int]:
        out, line = [], self._sci.markerNext(0, 1 << LOGPOINT_MARKER)
        while line >= 0:
            out.append(line + 1)
            line = self._sci.markerNext(line + 1, 1 << LOGPOINT_MARKER)
        return out

    def set_breakpoints(self, lines: Iterable[int]) -> None:
        self._sci.markerDeleteAll(BREAKPOINT_MARKER)
        for line in lines:
            if 1 <= line <= self._sci.lineCount():
                self._sci.markerAdd(line - 1, BREAKPOINT_MARKER)
        self.breakpoints_changed.emit()

    # --- diagnostics ------------------------------------------------------------------------------
    def schedule_checks(self, immediate: bool = False) -> None:
        if self.auto_check and not self._large:
            self._lint_timer.start(0 if immediate else 400)

    def run_checks(self) -> None:
        """Lint now: Python syntax + pyflakes, or JSON syntax; other languages keep external marks only."""
        problems: list[Problem] = []
        if self._language == "python" and self._sci.length() <= MAX_CHECK_CHARS:
            text, path = self.text(), self._path or "<editor>"
            if self.check_provider is not None and len(text) > SYNC_CHECK_CHARS:
                edit = self._edits
                self.check_provider(text, path, lambda found: self._deliver_checks(edit, found))
                return
            problems = check_python(text, path)
        elif self._language == "json" and self._sci.length() <= MAX_CHECK_CHARS:
            text = self.text()
            if text.strip():
                try:
                    json.loads(text)
                except json.JSONDecodeError as exc:
                    problems = [Problem(exc.lineno, exc.colno, f"Invalid JSON: {exc.msg}", "error")]
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
        self._runtime = []
        for problem in problems:  # the whole statement underlined, from its first character
            text = _b(self._sci.getLine(max(problem.line - 1, 0))).decode("utf-8", "replace").rstrip("\r\n")
            indent = len(text) - len(text.lstrip())
            length = len(text.strip()) or 1
            self._runtime.append(Problem(problem.line, indent + 1, problem.message, problem.severity, length))
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
        sci = self._sci
        for indicator in (INDIC_ERROR, INDIC_WARNING):
            sci.setIndicatorCurrent(indicator)
            sci.indicatorClearRange(0, sci.length())
        for problem in self.diagnostics():
            start = self._pos(problem.line, problem.column)
            end = sci.positionRelative(start, problem.length) if problem.length else 0
            if end <= start:
                end = sci.wordEndPosition(start, True)
            line_end = sci.lineEndPosition(sci.lineFromPosition(start))
            if end <= start:
                start, end = (start, start + 1) if start < line_end else (max(start - 1, 0), start)
            sci.setIndicatorCurrent(INDIC_ERROR if problem.severity == "error" else INDIC_WARNING)
            sci.indicatorFillRange(start, max(end - start, 1))
        self.diagnostics_changed.emit()

    def indicator_at(self, line: int, column: int) -> str | None:
        """'error' / 'warning' when an underline covers that spot (for tests and the status bar)."""
        mask = self._sci.indicatorAllOnFor(self._pos(line, column))
        if mask & (1 << INDIC_ERROR):
            return "error"
        return "warning" if mask & (1 << INDIC_WARNING) else None

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
        sci = self._sci
        smallest = 0
        for index in range(min(sci.lineCount(), 400)):
            line = _b(sci.getLine(index)).decode("utf-8", "replace")
            width = len(line) - len(line.lstrip(" "))
            if 0 < width <= 8 and line.strip() and (smallest == 0 or width < smallest):
                smallest = width
        if smallest:
            return smallest
        return 2 if self._language in ("json", "yaml") else 4

    def _on_char_added(self, ch: int) -> None:
        sci = self._sci
        if ch in (10, 13):
            line = sci.lineFromPosition(sci.currentPos())
            if line == 0:
                return
            previous = _b(sci.getLine(line - 1)).decode("utf-8", "replace").rstrip("\r\n")
            indent = previous[: len(previous) - len(previous.lstrip())]
            stripped = previous.rstrip()
            if (
                stripped.endswith(":")
                and self._language in ("python", "yaml")
                or stripped.endswith(("{", "[", "("))
            ):
                indent += " " * self.indent_unit()
            if indent:
                sci.replaceSel(indent)
        elif ch == ord(".") and self._language == "python":
            self._complete_timer.start()

    def _on_update_ui(self, _updated: int) -> None:
        sci = self._sci
        pos = sci.currentPos()
        brace = -1
        for candidate in (pos - 1, pos):
            if 0 <= candidate < sci.length() and chr(sci.charAt(candidate) & 0xFF) in "()[]{}":
                brace = candidate
                break
        if brace < 0:
            sci.braceHighlight(-1, -1)
        else:
            match = sci.braceMatch(brace, 0)
            sci.braceBadLight(brace) if match < 0 else sci.braceHighlight(brace, match)
        self.cursor_moved.emit(*self.cursor_position())

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt override
        if event.type() == QEvent.Type.ContextMenu and isinstance(event, QContextMenuEvent):
            sci = self._sci
            gutter = sci.marginWidthN(MARGIN_NUMBERS) + sci.marginWidthN(MARGIN_BREAKPOINTS)
            if event.pos().x() < gutter:
                line = sci.lineFromPosition(sci.positionFromPoint(gutter, event.pos().y())) + 1
                self.breakpoint_menu_requested.emit(line, event.globalPos())
                return True
        return super().eventFilter(watched, event)

    def _on_margin_clicked(self, position: int, _modifiers: int, margin: int) -> None:
        if margin == MARGIN_BREAKPOINTS:
            self.toggle_breakpoint(self._sci.lineFromPosition(position) + 1)
