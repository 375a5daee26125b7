"""Which language a file is, and which theme colour each lexer style of each language gets (data only)."""

from __future__ import annotations

from pathlib import Path

LANGUAGE_BY_SUFFIX = {
    ".py": "python",
    ".pyi": "python",
    ".json": "json",
    ".yaml": "yaml",
    ".yml": "yaml",
    ".md": "markdown",
    ".markdown": "markdown",
}

# lexer style number -> theme attribute, per language
STYLE_MAP: dict[str, dict[int, str]] = {
    "python": {
        1: "comment", 12: "comment", 2: "number", 3: "string", 4: "string", 6: "string", 7: "string",
        16: "string", 17: "string", 18: "string", 19: "string", 5: "keyword", 8: "definition",
        9: "definition", 10: "operator", 13: "error", 14: "builtin", 15: "decorator",
    },
    "json": {
        1: "number", 2: "string", 3: "error", 4: "definition", 5: "keyword", 6: "comment",
        7: "comment", 8: "operator", 9: "string", 11: "keyword", 13: "error",
    },
    "yaml": {1: "comment", 2: "definition", 3: "keyword", 4: "number", 5: "builtin", 6: "decorator",
             7: "string", 8: "error", 9: "operator"},
    "markdown": {
        2: "keyword", 3: "keyword", 4: "string", 5: "string", 6: "definition", 7: "definition",
        8: "definition", 9: "definition", 10: "definition", 11: "definition", 12: "comment",
        13: "operator", 14: "operator", 15: "comment", 16: "comment", 17: "comment", 18: "builtin",
        19: "string", 20: "string", 21: "string",
    },
}  # fmt: skip
BOLD_CATEGORIES = {"keyword", "definition"}


def language_for_path(path: str | Path) -> str:
    return LANGUAGE_BY_SUFFIX.get(Path(path).suffix.lower(), "text")
