"""Runs the benchmarks and writes docs/benchmarks.md with the machine and the date.

Each benchmark module in bench/ defines ``TITLE`` and ``run() -> str`` returning a Markdown
section body (tables, notes). Sections of benchmarks not run this time are kept from the
previous file, so one benchmark can be re-run alone: ``python -m bench invoke``.
"""

from __future__ import annotations

import datetime as dt
import importlib
import os
import platform
import re
import sys
from pathlib import Path

BENCHMARKS = [
    "invoke",
    "container",
    "api",
    "gui",
    "deploy",
    "bundle",
    "load",
    "loading",
    "sandbox",
    "local_app",
    "cloud_gate",
    "interpreter",
]
DOC = Path(__file__).resolve().parent.parent / "docs" / "benchmarks.md"


def machine() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem = ""
    try:
        kb = int(Path("/proc/meminfo").read_text().split()[1])
        mem = f", {kb / 1024 / 1024:.0f} GiB RAM"
    except (OSError, ValueError, IndexError):
        pass
    return f"{platform.system()} {platform.release()}, {cpu}, {os.cpu_count()} cores{mem}, Python {platform.python_version()}"


def _sections(text: str) -> dict[str, str]:
    parts = re.split(r"^## ", text, flags=re.M)
    out = {}
    for part in parts[1:]:
        title, _, body = part.partition("\n")
        out[title.strip()] = body
    return out


def main(argv: list[str]) -> int:
    names = argv or [n for n in BENCHMARKS if (Path(__file__).parent / f"{n}.py").exists()]
    stamp = f"_{dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC on {machine()}_\n\n"
    new: dict[str, str] = {}
    for name in names:
        module = importlib.import_module(f"bench.{name}")
        print(f"== {module.TITLE}", flush=True)
        body = module.run()
        print(body, flush=True)
        new[module.TITLE] = stamp + body.strip() + "\n\n"
    # Read the file only now: a long benchmark must not put back sections others updated meanwhile.
    old = _sections(DOC.read_text()) if DOC.exists() else {}
    merged = {**old, **new}
    lines = [
        "# Benchmarks\n\n",
        "Run them all with `make bench` (or one: `.venv/bin/python -m bench invoke`). ",
        "Each section says when and on what machine it was last measured.\n\n",
    ]
    for title, body in merged.items():
        lines.append(f"## {title}\n{body.strip()}\n\n")
    DOC.parent.mkdir(parents=True, exist_ok=True)
    DOC.write_text("".join(lines).rstrip() + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
