"""What the process backend's sandbox costs: cold start and warm invoke with bubblewrap, freezing, neither."""

from __future__ import annotations

import os
import shutil
import statistics
import tempfile
import time
from pathlib import Path

from bench.load import load_average, load_sentence
from runner.backends.process.backend import ProcessBackend
from runner.backends.process.sandbox import SANDBOX_ENV
from runner.config import FunctionConfig

TITLE = "Process backend sandbox (bubblewrap, freezing between invokes)"
COLD_N = 10
WARM_N = 200
HANDLER = "def handler(event, context):\n    return {'ok': True}\n"
EVENT = b"{}"


def _config(code: Path) -> FunctionConfig:
    return FunctionConfig(
        function_id="Bench", name="bench", handler="app.handler", runtime="python3.11", code_dir=code
    )


def _measure(code: Path, cache: Path, sandbox: bool, freeze: bool) -> dict[str, float]:
    previous = os.environ.get(SANDBOX_ENV)
    os.environ[SANDBOX_ENV] = "on" if sandbox else "off"
    try:
        config = _config(code)
        colds = []
        for _ in range(COLD_N):
            backend = ProcessBackend(cache_dir=cache)
            t = time.perf_counter()
            result = backend.invoke(config, EVENT)
            colds.append((time.perf_counter() - t) * 1000)
            assert result.ok, result.payload
            assert ("bubblewrap" in (result.note or "")) == sandbox, result.note
            backend.close()
        backend = ProcessBackend(cache_dir=cache)
        try:
            backend.emulator_for(config).freeze_idle = freeze
            backend.invoke(config, EVENT)
            warm = []
            for _ in range(WARM_N):
                t = time.perf_counter()
                backend.invoke(config, EVENT)
                warm.append((time.perf_counter() - t) * 1000)
        finally:
            backend.close()
    finally:
        if previous is None:
            os.environ.pop(SANDBOX_ENV, None)
        else:
            os.environ[SANDBOX_ENV] = previous
    ordered = sorted(warm)
    return {
        "cold": statistics.median(colds),
        "warm": statistics.median(ordered),
        "p95": ordered[int(round(0.95 * (len(ordered) - 1)))],
    }


def run() -> str:
    if shutil.which("bwrap") is None:
        return "Not measured: bwrap is not installed (scripts/sandbox-tools.sh)."
    load_before = load_average()
    root = Path(tempfile.mkdtemp(prefix="bench-sandbox-"))
    code = root / "code"
    code.mkdir()
    (code / "app.py").write_text(HANDLER)
    try:
        rows = [
            ("bubblewrap + frozen between invokes (default)", _measure(code, root / "cache", True, True)),
            ("bubblewrap, not frozen", _measure(code, root / "cache", True, False)),
            (f"no sandbox ({SANDBOX_ENV}=off), frozen", _measure(code, root / "cache", False, True)),
            ("no sandbox, not frozen", _measure(code, root / "cache", False, False)),
        ]
    finally:
        shutil.rmtree(root, ignore_errors=True)
    load_after = load_average()
    lines = [
        f"A trivial handler. Cold = new backend → first result (median of {COLD_N}); warm = median and "
        f"p95 of {WARM_N} invokes of one warm runtime. Times in ms.",
        "",
        "| runtime | cold | warm median | warm p95 |",
        "|---|---|---|---|",
    ]
    for name, r in rows:
        lines.append(f"| {name} | {r['cold']:.1f} | {r['warm']:.2f} | {r['p95']:.2f} |")
    lines += ["", load_sentence(load_before, load_after)]
    return "\n".join(lines)


if __name__ == "__main__":
    print(run())
