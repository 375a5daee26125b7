"""Find and replace over plain text (Qt-free): the editor maps the character offsets to its own."""

from __future__ import annotations

import re


def compile_pattern(needle: str, regex: bool, case: bool) -> re.Pattern[str] | None:
    """The search pattern, or None when the needle is empty or an invalid regular expression."""
    if not needle:
        return None
    try:
        return re.compile(needle if regex else re.escape(needle), 0 if case else re.IGNORECASE)
    except re.error:
        return None


def next_match(
    text: str, pattern: re.Pattern[str], sel_start: int, sel_end: int, backwards: bool = False
) -> tuple[int, int] | None:
    """(start, end) character offsets of the next match after the selection (or before it), wrapping."""
    matches = [m for m in pattern.finditer(text) if m.end() > m.start()]
    if not matches:
        return None
    if backwards:
        before = [m for m in matches if m.start() < sel_start]
        match = before[-1] if before else matches[-1]
    else:
        after = [m for m in matches if m.start() >= sel_end]
        match = after[0] if after else matches[0]
    return match.start(), match.end()


def replacement_for(pattern: re.Pattern[str], selected: str, replacement: str, regex: bool) -> str | None:
    """What the selection becomes when it is exactly one match, else None."""
    match = pattern.fullmatch(selected)
    if match is None:
        return None
    return match.expand(replacement) if regex else replacement


def replace_all(text: str, pattern: re.Pattern[str], replacement: str, regex: bool) -> tuple[str, int]:
    return pattern.subn(replacement if regex else replacement.replace("\\", "\\\\"), text)
