"""Handlers that flood the log (one huge line, many 1 KB lines), for the emulator and container result tests."""

from __future__ import annotations

import textwrap
from pathlib import Path

FLOODS = """
def big_line(event, context):
    sys.stdout.write("x" * event["n"] + ("\\n" if event.get("newline", True) else ""))
    sys.stdout.flush()
    return "done"

def many_lines(event, context):
    line = "y" * 1023
    for _ in range(event["n"]):
        print(line)
    return "done"
"""


def write_app(root: Path, handlers: str) -> Path:
    """Writes root/app.py with `handlers` (dedented) plus big_line and many_lines; returns root."""
    code = "import sys, time\n" + textwrap.dedent(handlers) + FLOODS
    (root / "app.py").write_text(code)
    return root
