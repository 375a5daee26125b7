"""Colour themes (light and dark) shared by the editor, the log panel and the window style sheet."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Theme:
    """One coherent palette: editor token colours plus the chrome around them (hex '#rrggbb')."""

    name: str
    background: str
    foreground: str
    comment: str
    keyword: str
    string: str
    number: str
    definition: str
    operator: str
    decorator: str
    builtin: str
    error: str
    warning: str
    margin_back: str
    margin_fore: str
    caret_line: str
    selection: str
    brace: str
    breakpoint: str
    info: str
    success: str


LIGHT = Theme(
    name="light",
    background="#ffffff",
    foreground="#1f2328",
    comment="#6a737d",
    keyword="#cf222e",
    string="#0a3069",
    number="#0550ae",
    definition="#8250df",
    operator="#24292f",
    decorator="#953800",
    builtin="#0550ae",
    error="#d1242f",
    warning="#bf8700",
    margin_back="#f6f8fa",
    margin_fore="#8c959f",
    caret_line="#f3f6fb",
    selection="#b6d7ff",
    brace="#c8f0c8",
    breakpoint="#e5534b",
    info="#0969da",
    success="#1a7f37",
)

DARK = Theme(
    name="dark",
    background="#1e1f22",
    foreground="#d4d7dd",
    comment="#7f848e",
    keyword="#c678dd",
    string="#98c379",
    number="#d19a66",
    definition="#61afef",
    operator="#abb2bf",
    decorator="#e5c07b",
    builtin="#56b6c2",
    error="#f47067",
    warning="#e0af68",
    margin_back="#26282c",
    margin_fore="#5c6370",
    caret_line="#2a2d33",
    selection="#3e4451",
    brace="#3b5b3b",
    breakpoint="#f47067",
    info="#61afef",
    success="#7ec16e",
)

THEMES = {"light": LIGHT, "dark": DARK}


def theme_named(name: str) -> Theme:
    return THEMES.get(name, LIGHT)


def bgr(colour: str) -> int:
    """'#rrggbb' as the 0xBBGGRR integer Scintilla wants."""
    value = colour.lstrip("#")
    r, g, b = int(value[0:2], 16), int(value[2:4], 16), int(value[4:6], 16)
    return (b << 16) | (g << 8) | r


def style_sheet(theme: Theme) -> str:
    """A small application style sheet; the light theme keeps the platform look."""
    if theme.name == "light":
        return ""
    return f"""
QWidget {{ background: #2b2d31; color: {theme.foreground}; }}
QPlainTextEdit, QTextBrowser, QListView, QTreeView, QTableView, QLineEdit, QComboBox, QSpinBox {{
    background: {theme.background}; color: {theme.foreground}; selection-background-color: {theme.selection};
}}
QHeaderView::section {{ background: {theme.margin_back}; color: {theme.foreground}; border: 0; padding: 3px; }}
QTabBar::tab {{ background: {theme.margin_back}; padding: 4px 10px; }}
QTabBar::tab:selected {{ background: {theme.background}; }}
QToolBar {{ border: 0; }}
QWidget:disabled, QToolButton:disabled {{ color: {theme.margin_fore}; }}
QMenu::item:disabled {{ color: {theme.margin_fore}; }}
"""
