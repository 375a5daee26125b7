"""The code editor's problem marks: what the linter finds in a text, and the underlines that show problems."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable

from pyside6_scintilla import ScintillaEdit

from app.python_checks import MAX_CHECK_CHARS, Problem, check_python
from widgets.themes import Theme, bgr

INDIC_ERROR, INDIC_WARNING = 8, 9
INDIC_SQUIGGLE = 1
SYNC_CHECK_CHARS = 40_000  # pyflakes takes ~30 ms per 20 KB: bigger files are linted on the job bridge


def set_up_indicators(sci: ScintillaEdit) -> None:
    sci.indicSetStyle(INDIC_ERROR, INDIC_SQUIGGLE)
    sci.indicSetStyle(INDIC_WARNING, INDIC_SQUIGGLE)


def style_indicators(sci: ScintillaEdit, t: Theme) -> None:
    sci.indicSetFore(INDIC_ERROR, bgr(t.error))
    sci.indicSetFore(INDIC_WARNING, bgr(t.warning))


def lintable(language: str, length: int) -> bool:
    """Whether the editor lints this language at this size (Python and JSON, up to MAX_CHECK_CHARS)."""
    return language in ("python", "json") and length <= MAX_CHECK_CHARS


def check_text(language: str, text: str, path: str) -> list[Problem]:
    """Python syntax + pyflakes, or JSON syntax; nothing for other languages."""
    if language == "python":
        return check_python(text, path)
    if language == "json" and text.strip():
        try:
            json.loads(text)
        except json.JSONDecodeError as exc:
            return [Problem(exc.lineno, exc.colno, f"Invalid JSON: {exc.msg}", "error")]
    return []


def statement_marks(sci: ScintillaEdit, problems: Iterable[Problem]) -> list[Problem]:
    """The problems re-placed to underline their whole statement, from its first character."""
    out = []
    for problem in problems:
        raw = sci.getLine(max(problem.line - 1, 0))
        text = bytes(raw.data()).decode("utf-8", "replace").rstrip("\r\n")
        indent = len(text) - len(text.lstrip())
        length = len(text.strip()) or 1
        out.append(Problem(problem.line, indent + 1, problem.message, problem.severity, length))
    return out


def paint(sci: ScintillaEdit, problems: Iterable[Problem], pos: Callable[[int, int], int]) -> None:
    """Replaces the underlines by one per problem; `pos(line, column)` is the editor's position."""
    for indicator in (INDIC_ERROR, INDIC_WARNING):
        sci.setIndicatorCurrent(indicator)
        sci.indicatorClearRange(0, sci.length())
    for problem in problems:
        start = pos(problem.line, problem.column)
        end = sci.positionRelative(start, problem.length) if problem.length else 0
        if end <= start:
            end = sci.wordEndPosition(start, True)
        line_end = sci.lineEndPosition(sci.lineFromPosition(start))
        if end <= start:
            start, end = (start, start + 1) if start < line_end else (max(start - 1, 0), start)
        sci.setIndicatorCurrent(INDIC_ERROR if problem.severity == "error" else INDIC_WARNING)
        sci.indicatorFillRange(start, max(end - start, 1))


def indicator_at(sci: ScintillaEdit, position: int) -> str | None:
    """'error' / 'warning' when an underline covers that position."""
    mask = sci.indicatorAllOnFor(position)
    if mask & (1 << INDIC_ERROR):
        return "error"
    return "warning" if mask & (1 << INDIC_WARNING) else None
