"""The process backend on another Python version: first invoke (SDK folder made), cold and warm invokes."""

from __future__ import annotations

import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

from runner.backends.process.backend import ProcessBackend
from runner.backends.process.interpreter import find_python
from runner.config import FunctionConfig

TITLE = "Process backend: a function on its own Python version"
HANDLER = (
    "import sys\nimport boto3\n\n\ndef handler(event, context):\n    return '%d.%d' % sys.version_info[:2]\n"
)
COLD_RUNS = 3
WARM_RUNS = 9


def _measure(version: str, root: Path) -> tuple[str, float, float, float, float]:
    """(interpreter, first invoke ms, median cold init ms, median cold invoke ms, median warm ms)."""
    code = root / f"code{version}"
    code.mkdir()
    (code / "fn.py").write_text(HANDLER)
    backend = ProcessBackend(cache_dir=root / f"cache{version}")  # fresh: the first invoke sets up
    try:
        config = FunctionConfig(f"Fn{version}", "fn", "fn.handler", f"python{version}", code)
        start = time.perf_counter()
        first = backend.invoke(config, b"{}")
        first_ms = (time.perf_counter() - start) * 1000
        assert first.ok and first.payload == f'"{version}"'.encode(), first.to_json()
        inits, colds = [], []
        for _ in range(COLD_RUNS):
            backend.reload(config)
            start = time.perf_counter()
            result = backend.invoke(config, b"{}")
            colds.append((time.perf_counter() - start) * 1000)
            inits.append(result.metrics.init_duration_ms or 0.0 if result.metrics else 0.0)
        warms = []
        for _ in range(WARM_RUNS):
            start = time.perf_counter()
            backend.invoke(config, b"{}")
            warms.append((time.perf_counter() - start) * 1000)
        chosen = backend.interpreter(config)
        return (
            chosen.path,
            first_ms,
            statistics.median(inits),
            statistics.median(colds),
            statistics.median(warms),
        )
    finally:
        backend.close()


def run() -> str:
    here = f"{sys.version_info[0]}.{sys.version_info[1]}"
    other = "3.12" if here != "3.12" else "3.11"
    versions = [here] + ([other] if find_python(other) else [])
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for version in versions:
            path, first, init, cold, warm = _measure(version, Path(tmp))
            rows.append(
                f"| python{version} | `{path}` | {first:.0f} | {init:.0f} | {cold:.0f} | {warm:.1f} |"
            )
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    lines = [
        f"A handler importing boto3, fresh cache; load average (1 min) at the end: {load:.2f}. Medians of "
        f"{COLD_RUNS} cold starts (after a reload) and {WARM_RUNS} warm invokes; times are click-free "
        "(backend.invoke).",
        "",
        "| runtime | interpreter | first invoke (ms) | cold init (ms) | cold invoke (ms) | warm invoke (ms) |",
        "|---|---|---|---|---|---|",
        *rows,
    ]
    if len(versions) == 1:
        lines += ["", f"No Python {other} is installed here: only this interpreter's row."]
    return "\n".join(lines) + "\n"
