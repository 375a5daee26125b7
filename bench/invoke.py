"""Local invoke speed: our process backend next to python-lambda-local and RIE + awslambdaric."""

from __future__ import annotations

import http.client
import importlib.util
import logging
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from bench.load import load_average, load_sentence
from runner.backends.process.backend import ProcessBackend
from runner.config import FunctionConfig
from runner.emulator import InvokeServer
from runner.ports import free_port

TITLE = "Local invoke (process backend)"
WARM_N = 200
COLD_N = 10
RELOAD_N = 10
HANDLER = "def handler(event, context):\n    return {'ok': True, 'n': event.get('n'), 'v': VERSION}\n\nVERSION = 0\n"
EVENT = b'{"n": 1}'


def _ms(seconds: float) -> float:
    return seconds * 1000


def _stats(samples: list[float]) -> tuple[float, float]:
    ordered = sorted(samples)
    p95 = ordered[min(len(ordered) - 1, int(round(0.95 * (len(ordered) - 1))))]
    return statistics.median(ordered), p95


def _config(code: Path) -> FunctionConfig:
    return FunctionConfig(
        function_id="Bench",
        name="bench",
        handler="app.handler",
        runtime="python3.11",
        code_dir=code,
        timeout_s=3,
    )


def _time(fn: Callable[[], object]) -> float:
    t = time.perf_counter()
    fn()
    return _ms(time.perf_counter() - t)


def bench_ours(code: Path, cache: Path) -> dict[str, str]:
    config = _config(code)
    colds = []
    for _ in range(COLD_N):
        backend = ProcessBackend(cache_dir=cache)
        t = time.perf_counter()
        result = backend.invoke(config, EVENT)
        colds.append(_ms(time.perf_counter() - t))
        assert result.ok, result.payload
        backend.close()
    backend = ProcessBackend(cache_dir=cache)
    try:
        backend.invoke(config, EVENT)
        warm = [_time(lambda: backend.invoke(config, EVENT)) for _ in range(WARM_N)]
        reloads = []
        for i in range(1, RELOAD_N + 1):
            (code / "app.py").write_text(HANDLER.replace("VERSION = 0", f"VERSION = {i}"))
            t = time.perf_counter()
            result = backend.invoke(config, EVENT)
            reloads.append(_ms(time.perf_counter() - t))
            assert result.payload_json()["v"] == i, result.payload
        (code / "app.py").write_text(HANDLER)
        # the same emulator over HTTP (what `serve` and the container backend use)
        backend.invoke(config, EVENT)
        emu = backend.emulator_for(config)
        server = InvokeServer(lambda: {"bench": emu}).start()
        conn = http.client.HTTPConnection("127.0.0.1", server.port)

        def over_http() -> None:
            conn.request("POST", "/2015-03-31/functions/bench/invocations", body=EVENT)
            conn.getresponse().read()

        over_http()
        http_warm = [_time(over_http) for _ in range(WARM_N)]
        conn.close()
        server.shutdown()
    finally:
        backend.close()
    wm, wp = _stats(warm)
    hm, hp = _stats(http_warm)
    return {
        "cold": f"{statistics.median(colds):.1f}",
        "warm": f"{wm:.2f}",
        "p95": f"{wp:.2f}",
        "reload": f"{statistics.median(reloads):.1f}",
        "http": f"{hm:.2f} / {hp:.2f}",
    }


def bench_lambda_local(code: Path) -> dict[str, str] | None:
    exe = shutil.which("python-lambda-local") or str(Path(sys.executable).parent / "python-lambda-local")
    if not os.path.exists(exe) or importlib.util.find_spec("lambda_local") is None:
        return None
    event = code / "event.json"
    event.write_bytes(EVENT)
    cmd = [exe, "-f", "handler", "-t", "3", str(code / "app.py"), str(event)]
    colds = [_time(lambda: subprocess.run(cmd, capture_output=True, check=True)) for _ in range(COLD_N)]
    from lambda_local.context import Context
    from lambda_local.main import call

    # Loaded under its own name: `app` is also this project's package.
    spec = importlib.util.spec_from_file_location("bench_invoke_handler", code / "app.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    handler = module.handler
    try:
        logging.disable(logging.CRITICAL)
        call(handler, {"n": 1}, Context(3))
        warm = [_time(lambda: call(handler, {"n": 1}, Context(3))) for _ in range(WARM_N)]
    finally:
        logging.disable(logging.NOTSET)
    wm, wp = _stats(warm)
    return {
        "cold": f"{statistics.median(colds):.1f}",
        "warm": f"{wm:.2f}",
        "p95": f"{wp:.2f}",
        "reload": "n/a (no warm state)",
        "http": "n/a",
    }


def bench_rie(code: Path) -> dict[str, str] | None:
    rie = os.environ.get("LAMBDA_STUDIO_RIE")
    if not rie or not os.access(rie, os.X_OK) or importlib.util.find_spec("awslambdaric") is None:
        return None

    def start() -> tuple[subprocess.Popen[bytes], http.client.HTTPConnection]:
        port = free_port()
        env = {"PATH": os.environ.get("PATH", ""), "AWS_LAMBDA_FUNCTION_TIMEOUT": "3"}
        cmd = [
            rie,
            "--runtime-interface-emulator-address",
            f"127.0.0.1:{port}",
            sys.executable,
            "-m",
            "awslambdaric",
            "app.handler",
        ]
        proc = subprocess.Popen(cmd, cwd=code, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                time.sleep(0.002)
        return proc, http.client.HTTPConnection("127.0.0.1", port)

    def invoke(conn: http.client.HTTPConnection) -> bytes:
        conn.request("POST", "/2015-03-31/functions/function/invocations", body=EVENT)
        return conn.getresponse().read()

    colds = []
    for _ in range(COLD_N):
        t = time.perf_counter()
        proc, conn = start()
        invoke(conn)
        colds.append(_ms(time.perf_counter() - t))
        proc.kill()
        proc.wait()
    proc, conn = start()
    try:
        invoke(conn)
        warm = [_time(lambda: invoke(conn)) for _ in range(WARM_N)]
    finally:
        proc.kill()
        proc.wait()
    wm, wp = _stats(warm)
    return {
        "cold": f"{statistics.median(colds):.1f}",
        "warm": f"{wm:.2f}",
        "p95": f"{wp:.2f}",
        "reload": "n/a (restart: = cold)",
        "http": f"{wm:.2f} / {wp:.2f}",
    }


def _target(label: str, value: str, goal: float) -> str:
    number = float(value.split()[0])
    return f"| {label} | {number:.2f} ms | ≤ {goal:g} ms | {'✅' if number <= goal else '❌'} |"


def run() -> str:
    load_before = load_average()
    root = Path(tempfile.mkdtemp(prefix="bench-invoke-"))
    code = root / "code"
    code.mkdir()
    (code / "app.py").write_text(HANDLER)
    try:
        ours = bench_ours(code, root / "cache")
        others = {
            "python-lambda-local (CLI cold; `call()` warm)": bench_lambda_local(code),
            "RIE + awslambdaric (HTTP)": bench_rie(code),
        }
    finally:
        shutil.rmtree(root, ignore_errors=True)
    rows = [("Lambda Studio process backend (in-process API)", ours)]
    rows += [(name, r) for name, r in others.items() if r is not None]
    missing = [name for name, r in others.items() if r is None]
    load_after = load_average()
    lines = [
        f"Same trivial handler for every tool. Cold = nothing running → result (median of {COLD_N}); "
        f"warm = median and p95 of {WARM_N} invokes; hot reload = edit the handler file → first result "
        f"with the new code (median of {RELOAD_N}). Times in ms.",
        "",
        "| tool | cold | warm median | warm p95 | hot reload | warm over HTTP (median / p95) |",
        "|---|---|---|---|---|---|",
    ]
    for name, r in rows:
        lines.append(f"| {name} | {r['cold']} | {r['warm']} | {r['p95']} | {r['reload']} | {r['http']} |")
    lines += [
        "",
        "| target (process backend) | measured | goal | |",
        "|---|---|---|---|",
        _target("warm median", ours["warm"], 2),
        _target("cold (nothing running → result)", ours["cold"], 150),
        _target("hot reload (edit → new result)", ours["reload"], 150),
        "",
        load_sentence(load_before, load_after) + " The 'over HTTP' column is the path `serve` and the "
        "container backend use (our emulator's Invoke API, one keep-alive connection).",
        "Our REPORT lines carry measured Max Memory Used and Init Duration; RIE's do not (it prints Memory Size).",
        "python-lambda-local forks a process per invoke, so it has no warm state to reuse.",
    ]
    if missing:
        lines.append(f"Not measured here: {', '.join(missing)} (not installed / LAMBDA_STUDIO_RIE unset).")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    print(run())
