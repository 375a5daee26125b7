"""Find and replace in the code editor's Scintilla buffer (the matching itself is app.text_search)."""

from __future__ import annotations

from PySide6.QtCore import QByteArray
from pyside6_scintilla import ScintillaEdit

from app import text_search


def _b(data: QByteArray) -> bytes:
    return bytes(data.data())


def _char_to_byte(text: str, index: int) -> int:
    return index if text.isascii() else len(text[:index].encode("utf-8"))


def find(sci: ScintillaEdit, needle: str, regex: bool, case: bool, backwards: bool) -> bool:
    """Select the next (or previous) match after the selection, wrapping around; False if none."""
    pattern = text_search.compile_pattern(needle, regex, case)
    if pattern is None:
        return False
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


def replace_all(sci: ScintillaEdit, needle: str, replacement: str, regex: bool, case: bool) -> int:
    """Replace every match in one undoable step; returns how many were replaced."""
    pattern = text_search.compile_pattern(needle, regex, case)
    if pattern is None:
        return 0
    text = _b(sci.getText(sci.length() + 1)).rstrip(b"\0").decode("utf-8", "replace")
    matches = [m for m in pattern.finditer(text) if m.end() > m.start()]
    if not matches:
        return 0
    # Match by match, from the end, as one undo step: lines that are not touched keep their
    # breakpoints and logpoints (replacing the whole buffer would drop every marker) and the caret
    # stays where it was.
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
