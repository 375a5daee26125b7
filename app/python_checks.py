"""Qt-free Python smarts for the editor: syntax errors, pyflakes warnings, jedi completions, def lookup."""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass

MAX_CHECK_CHARS = 1_000_000  # bigger files are not linted: a 10 MB file must open without a stall


@dataclass(frozen=True)
class Problem:
    """One finding, 1-based line and column, with how bad it is ('error' or 'warning')."""

    line: int
    column: int
    message: str
    severity: str = "warning"
    length: int = 0


def check_python(source: str, filename: str = "<editor>") -> list[Problem]:
    """Syntax errors and pyflakes warnings of one Python source text."""
    if len(source) > MAX_CHECK_CHARS:
        return []
    try:
        tree = ast.parse(source, filename)
    except SyntaxError as exc:
        line = exc.lineno or 1
        col = exc.offset or 1
        return [Problem(line, max(col, 1), f"SyntaxError: {exc.msg}", "error")]
    except (ValueError, RecursionError, MemoryError) as exc:  # NUL bytes, absurd nesting
        return [Problem(1, 1, f"cannot check this file: {exc}", "warning")]
    try:
        from pyflakes import checker
    except ImportError:  # pragma: no cover - pyflakes is a dependency
        return []
    # Check the tree parsed above (pyflakes' own api.check parses again and hides why it failed).
    problems = []
    lines = source.splitlines()
    for message in checker.Checker(tree, filename=filename).messages:
        text = message.message % message.message_args
        line = getattr(message, "lineno", 1) or 1
        col = (getattr(message, "col", 0) or 0) + 1
        col, length = _name_span(message, lines[line - 1] if 0 < line <= len(lines) else "", col)
        problems.append(Problem(line, col, text, "warning", length))
    return sorted(problems, key=lambda p: (p.line, p.column))


def _name_span(message: object, line_text: str, col: int) -> tuple[int, int]:
    """Underline the name a warning is about (pyflakes points unused imports at the statement)."""
    args = getattr(message, "message_args", ())
    if not args or not isinstance(args[0], str):
        return col, 0
    name = args[0].split(" as ")[-1].split(".")[-1]
    found = re.search(rf"\b{re.escape(name)}\b", line_text[col - 1 :]) if name else None
    return (col + found.start(), len(name)) if found else (col, 0)


def complete(source: str, line: int, column: int, path: str | None = None) -> list[str]:
    """Completion names at 1-based line and 0-based column, via jedi; [] when jedi is missing or fails."""
    try:
        import jedi
    except ImportError:  # pragma: no cover
        return []
    try:
        script = jedi.Script(code=source, path=path)
        return [c.name for c in script.complete(line, column)][:200]
    except Exception:  # jedi raises many kinds on half-typed code; completion must never break typing
        return []


def find_def_line(source: str, name: str) -> int | None:
    """The 1-based line of `def name(` (or `async def`) at any level, or None."""
    pattern = re.compile(rf"^[ \t]*(async[ \t]+)?def[ \t]+{re.escape(name)}[ \t]*\(", re.M)
    match = pattern.search(source)
    return source.count("\n", 0, match.start()) + 1 if match else None
