"""The code editor's looks and typing aids: Scintilla set-up, lexer, styles, auto-indent, brace matching."""

from __future__ import annotations

import builtins
import keyword

import lexilla
from PySide6.QtGui import QFontDatabase
from pyside6_scintilla import ScintillaEdit

from widgets import code_editor_lint as lint
from widgets import code_editor_margins as margins
from widgets.editor_styles import BOLD_CATEGORIES, STYLE_MAP
from widgets.themes import Theme, bgr

# Scintilla constants (numeric: the binding's enums are not needed for this handful).
STYLE_DEFAULT, STYLE_BRACELIGHT, STYLE_BRACEBAD = 32, 34, 35


def set_up(sci: ScintillaEdit) -> None:
    """Encoding, indentation, scrolling, idle styling, margins and underlines of a new editor."""
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
    margins.set_up_margins(sci)
    lint.set_up_indicators(sci)
    sci.setCaretLineVisible(True)
    sci.setCaretLineVisibleAlways(True)


def set_lexer(sci: ScintillaEdit, language: str) -> None:
    """Lexilla's lexer for the language, with folding ('text': none)."""
    lexer = None if language == "text" else lexilla.create_lexer(language)
    if lexer is not None:
        lexer.property_set("fold", "1")
        lexer.property_set("fold.compact", "0")
        if language == "python":
            lexer.property_set("fold.quotes.python", "1")
            sci.setILexer(lexer.detach())
            sci.setKeyWords(0, " ".join([*keyword.kwlist, *keyword.softkwlist]))
            sci.setKeyWords(1, " ".join(n for n in dir(builtins) if not n.startswith("_")))
        else:
            sci.setILexer(lexer.detach())
    else:
        sci.setILexer(0)


def apply_styles(sci: ScintillaEdit, t: Theme, language: str, font_size: int) -> None:
    """Every style in the theme: the font, the language's token colours, braces, caret, margins."""
    family = QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont).family()
    sci.styleResetDefault()
    sci.styleSetFont(STYLE_DEFAULT, family)
    sci.styleSetSize(STYLE_DEFAULT, font_size)
    sci.styleSetFore(STYLE_DEFAULT, bgr(t.foreground))
    sci.styleSetBack(STYLE_DEFAULT, bgr(t.background))
    sci.styleClearAll()
    for style, category in STYLE_MAP.get(language, {}).items():
        sci.styleSetFore(style, bgr(getattr(t, category)))
        sci.styleSetBold(style, category in BOLD_CATEGORIES)
        sci.styleSetItalic(style, category == "comment")
    sci.styleSetBack(STYLE_BRACELIGHT, bgr(t.brace))
    sci.styleSetBold(STYLE_BRACELIGHT, True)
    sci.styleSetFore(STYLE_BRACEBAD, bgr(t.error))
    sci.setCaretFore(bgr(t.foreground))
    sci.setCaretLineBack(bgr(t.caret_line))
    sci.setSelBack(True, bgr(t.selection))
    margins.style_margins(sci, t)
    lint.style_indicators(sci, t)


def _line(sci: ScintillaEdit, index: int) -> str:
    return bytes(sci.getLine(index).data()).decode("utf-8", "replace")


def indent_unit(sci: ScintillaEdit, language: str) -> int:
    """Spaces per indent level: the file's own (its smallest indent), else 2 for JSON/YAML, 4 otherwise."""
    smallest = 0
    for index in range(min(sci.lineCount(), 400)):
        line = _line(sci, index)
        width = len(line) - len(line.lstrip(" "))
        if 0 < width <= 8 and line.strip() and (smallest == 0 or width < smallest):
            smallest = width
    if smallest:
        return smallest
    return 2 if language in ("json", "yaml") else 4


def indent_new_line(sci: ScintillaEdit, language: str) -> None:
    """After Enter: the previous line's indent, one level deeper after a block opener."""
    line = sci.lineFromPosition(sci.currentPos())
    if line == 0:
        return
    previous = _line(sci, line - 1).rstrip("\r\n")
    indent = previous[: len(previous) - len(previous.lstrip())]
    stripped = previous.rstrip()
    if stripped.endswith(":") and language in ("python", "yaml") or stripped.endswith(("{", "[", "(")):
        indent += " " * indent_unit(sci, language)
    if indent:
        sci.replaceSel(indent)


def match_braces(sci: ScintillaEdit) -> None:
    """Highlights the brace at (or just before) the caret and its partner, or marks it unmatched."""
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
