"""Qt-free find/replace helpers."""

from __future__ import annotations

from app import text_search as ts


def test_compile_and_match():
    assert ts.compile_pattern("", False, False) is None
    assert ts.compile_pattern("(", True, False) is None
    pattern = ts.compile_pattern("a.c", False, False)  # case-insensitive
    assert pattern is not None
    assert ts.next_match("xxA.Cxx a.c", pattern, 0, 0) == (2, 5)
    assert ts.next_match("xxA.Cxx a.c", pattern, 2, 5) == (8, 11)
    assert ts.next_match("xxA.Cxx a.c", pattern, 8, 11) == (2, 5)  # wraps
    assert ts.next_match("xxA.Cxx a.c", pattern, 8, 11, backwards=True) == (2, 5)


def test_replacements():
    pattern = ts.compile_pattern(r"(\w+)@", True, True)
    assert pattern is not None
    assert ts.replacement_for(pattern, "bob@", r"<\1>", True) == "<bob>"
    assert ts.replacement_for(pattern, "bob", r"<\1>", True) is None
    literal = ts.compile_pattern("x", False, True)
    assert literal is not None
    assert ts.replace_all("x-x", literal, "\\n", False) == ("\\n-\\n", 2)
