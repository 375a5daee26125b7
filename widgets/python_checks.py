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


class _Collector:
    """The pyflakes reporter interface, collecting instead of printing."""

    def __init__(self) -> None:
        self.problems: list[Problem] = []

    def unexpectedError(self, filename: str, msg: str) -> None:  # noqa: N802 - pyflakes API
        self.problems.append(Problem(1, 1, str(msg), "error"))

    def syntaxError(self, filename: str, msg: str, lineno: int, offset: int, text: str) -> None:  # noqa: N802
        self.problems.append(Problem(lineno or 1, max(offset or 1, 1), str(msg), "error"))

    def flake(self, message: object) -> None:
        text = message.message % message.message_args  # type: ignore[attr-defined]
        line = getattr(message, "lineno", 1) or 1
        col = (getattr(message, "col", 0) or 0) + 1
        self.problems.append(Problem(line, col, text, "warning"))


def check_python(source: str, filename: str = "<editor>") -> list[Problem]:
    """Syntax errors and pyflakes warnings of one Python source text."""
    if len(source) > MAX_CHECK_CHARS:
        return []
    try:
        ast.parse(source, filename)
    except SyntaxError as exc:
        line = exc.lineno or 1
        col = exc.offset or 1
        return [Problem(line, max(col, 1), f"SyntaxError: {exc.msg}", "error")]
    try:
        from pyflakes import api
    except ImportError:  # pragma: no cover - pyflakes is a dependency
        return []
    collector = _Collector()
    api.check(source, filename, collector)
    return collector.problems


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
