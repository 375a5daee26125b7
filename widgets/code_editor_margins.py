"""The code editor's margins: line numbers, folding, breakpoints, logpoints and the debugger's arrow."""

from __future__ import annotations

from collections.abc import Iterable

from pyside6_scintilla import ScintillaEdit

from widgets.themes import Theme, bgr

STYLE_LINENUMBER = 33
MARGIN_NUMBERS, MARGIN_BREAKPOINTS, MARGIN_FOLD = 0, 1, 2
BREAKPOINT_MARKER = 1
EXECUTION_MARKER = 2  # the debugger's current line
LOGPOINT_MARKER = 3  # drawn over a breakpoint's circle: a square, in another colour (logs, never stops)
BREAKPOINT_MARGIN_MASK = (1 << BREAKPOINT_MARKER) | (1 << EXECUTION_MARKER) | (1 << LOGPOINT_MARKER)
FOLDER_MARKERS = {25: 13, 26: 15, 27: 11, 28: 10, 29: 9, 30: 12, 31: 14}  # marker -> symbol (box tree)
MASK_FOLDERS = 0xFE000000 - (1 << 32)  # as a signed 32-bit int


def set_up_margins(sci: ScintillaEdit) -> None:
    """The three margins (numbers, breakpoints, folding) and their markers."""
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


def style_margins(sci: ScintillaEdit, t: Theme) -> None:
    """The margins' and markers' colours in a theme."""
    sci.styleSetFore(STYLE_LINENUMBER, bgr(t.margin_fore))
    sci.styleSetBack(STYLE_LINENUMBER, bgr(t.margin_back))
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


def update_margin_width(sci: ScintillaEdit, folding: bool) -> None:
    """Line numbers wide enough for the last line; the fold margin only where folding is on."""
    digits = max(3, len(str(sci.lineCount())))
    sci.setMarginWidthN(MARGIN_NUMBERS, sci.textWidth(STYLE_LINENUMBER, "_" + "9" * digits))
    sci.setMarginWidthN(MARGIN_FOLD, 14 if folding else 0)


def gutter_width(sci: ScintillaEdit) -> int:
    """Pixels from the left edge to the text: the numbers and breakpoint margins."""
    return int(sci.marginWidthN(MARGIN_NUMBERS) + sci.marginWidthN(MARGIN_BREAKPOINTS))


def marker_lines(sci: ScintillaEdit, marker: int) -> list[int]:
    """The 1-based lines carrying a marker."""
    out, line = [], sci.markerNext(0, 1 << marker)
    while line >= 0:
        out.append(line + 1)
        line = sci.markerNext(line + 1, 1 << marker)
    return out


def show_execution_line(sci: ScintillaEdit, t: Theme, line: int | None) -> None:
    """The debugger's arrow on a 1-based line in the breakpoint margin (None clears it)."""
    sci.markerDeleteAll(EXECUTION_MARKER)
    if line is None:
        return
    sci.markerDefine(EXECUTION_MARKER, 4)  # SC_MARK_SHORTARROW
    sci.markerSetFore(EXECUTION_MARKER, bgr(t.foreground))
    sci.markerSetBack(EXECUTION_MARKER, bgr(t.warning))
    sci.setMarginMaskN(MARGIN_BREAKPOINTS, BREAKPOINT_MARGIN_MASK)
    sci.markerAdd(line - 1, EXECUTION_MARKER)


def toggle_breakpoint(sci: ScintillaEdit, index: int) -> None:
    """Toggles the breakpoint on a 0-based line (a logpoint goes with its breakpoint)."""
    if sci.markerGet(index) & (1 << BREAKPOINT_MARKER):
        sci.markerDelete(index, BREAKPOINT_MARKER)
        sci.markerDelete(index, LOGPOINT_MARKER)
    else:
        sci.markerAdd(index, BREAKPOINT_MARKER)


def set_logpoints(sci: ScintillaEdit, lines: Iterable[int]) -> None:
    """Which of the breakpoints (1-based lines) are logpoints; other lines are ignored."""
    sci.markerDeleteAll(LOGPOINT_MARKER)
    for line in lines:
        if 1 <= line <= sci.lineCount() and sci.markerGet(line - 1) & (1 << BREAKPOINT_MARKER):
            sci.markerAdd(line - 1, LOGPOINT_MARKER)


def set_breakpoints(sci: ScintillaEdit, lines: Iterable[int]) -> None:
    """Breakpoints on exactly these 1-based lines (those past the end are ignored)."""
    sci.markerDeleteAll(BREAKPOINT_MARKER)
    for line in lines:
        if 1 <= line <= sci.lineCount():
            sci.markerAdd(line - 1, BREAKPOINT_MARKER)
