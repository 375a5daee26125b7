"""Desktop window benchmarks: start-up with the example open, Invoke clicks, 100,000 log lines, a 10 MB file."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

TITLE = "Desktop window"
REPO = Path(__file__).resolve().parent.parent
EXAMPLE = REPO / "examples" / "hello-sam"
STARTUP_BUDGET_S = 1.0
LOG_BUDGET_S = 1.0
STALL_BUDGET_S = 0.100
OPEN_BUDGET_S = 0.300
FIRST_CLICK_BUDGET_S = 0.030  # Invoke → result shown, first click once the pre-start has finished
WARM_CLICK_BUDGET_S = 0.015
WARM_CLICKS = 9

# Runs in a fresh interpreter per backend: open the example like a user, let the pre-start finish,
# then click Invoke and time it to the result on screen, beside the time inside backend.invoke.
_CLICKS = r"""
import json, os, sys, time
from PySide6.QtCore import QEventLoop, QTimer
from PySide6.QtWidgets import QApplication
from app.invoke import select_backend
from app.settings import Settings
from widgets.jobs import tune_threads_for_gui
from widgets.main_window import MainWindow

backend_name, project, image = sys.argv[1], sys.argv[2], sys.argv[3]
tune_threads_for_gui()  # as widgets/app_main.py does before the window opens
app = QApplication(sys.argv[:1])
inside: list[float] = []


class Timed:
    # the real backend; only the time spent inside its invoke is noted
    def __init__(self, backend):
        self._backend = backend

    def invoke(self, *args, **kwargs):
        started = time.perf_counter()
        try:
            return self._backend.invoke(*args, **kwargs)
        finally:
            inside.append(time.perf_counter() - started)

    def __getattr__(self, name):
        return getattr(self._backend, name)


def factory(name):
    options = {"container_image": image, "project": "bench-gui"} if name != "process" else {}
    return Timed(select_backend(name, **options))


settings = Settings()
settings.set("backend", backend_name)
window = MainWindow(settings, backend_factory=factory, engine_probe=lambda: "bench", prestart=True)
window.tabs.ask_unsaved = lambda paths: "discard"
window.resize(1600, 1000)
window.show()
states = []
window.invoker.prestart_state.connect(lambda fid, state: states.append(state))
window.open_project(project)
window.tree.select_function("HelloFunction")
window.toolbar.select_event("get-hello")
deadline = time.monotonic() + 300
prestart_started = time.perf_counter()
while not any(s != "warming" for s in states) and time.monotonic() < deadline:
    app.processEvents()
    time.sleep(0.005)
prestart_s = time.perf_counter() - prestart_started
# The window idles a moment in its own event loop, as it does before any human click: processEvents
# alone leaves deferred deletions (of the pre-start's relayout) for the first click's loop to run.
idle = QEventLoop()
QTimer.singleShot(300, idle.quit)
idle.exec()
done = []
gui_cpu = []
waiting = QEventLoop()


def arrived(value):
    done.append(value)
    waiting.quit()


window.invoker.finished.connect(arrived)
window.invoker.failed.connect(arrived)


def click():
    # The event loop waits for the result as the app's does (a busy processEvents loop would take the
    # GIL from the worker running the invoke); then one more turn paints the result.
    done.clear()
    started, cpu = time.perf_counter(), time.thread_time()
    window.toolbar.invoke_action.trigger()
    if not done:
        waiting.exec()
    app.processEvents()  # the result view painted its new text
    gui_cpu.append(time.thread_time() - cpu)  # the window's own work, whatever else the machine runs
    return time.perf_counter() - started


first = click()
ok = not isinstance(done[0], str) and done[0].result.ok
first_inside, first_cpu = inside[-1], gui_cpu[-1]
warm, warm_inside, warm_cpu = [], [], []
for _ in range(int(sys.argv[4])):
    warm.append(click())
    warm_inside.append(inside[-1])
    warm_cpu.append(gui_cpu[-1])
window.invoker.close_backends()
window.close()
print(json.dumps({"prestart": prestart_s, "state": [s for s in states if s != "warming"][:1],
                  "first": first, "first_inside": first_inside, "ok": ok,
                  "warm": sorted(warm)[len(warm) // 2], "warm_inside": sorted(warm_inside)[len(warm_inside) // 2],
                  "first_cpu": first_cpu, "warm_cpu": sorted(warm_cpu)[len(warm_cpu) // 2]}))
"""

# Runs in a fresh interpreter: measures from before `import PySide6` to the first painted window.
_STARTUP = r"""
import json, os, sys, time
t0 = time.perf_counter()
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication
from widgets.app_main import build_window
app = QApplication(sys.argv[:1])
t_imported = time.perf_counter()
window = build_window(sys.argv[1])
window.show()
app.processEvents()
window.repaint()
t_shown = time.perf_counter()
ok = len(window.tree.function_ids()) == 2
window.tabs.ask_unsaved = lambda paths: "discard"
print(json.dumps({"imports": t_imported - t0, "shown": t_shown - t0, "ok": ok}))
window.close()
"""


def _startup(config_dir: str) -> dict[str, float]:
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "LAMBDA_STUDIO_CONFIG_DIR": config_dir}
    env["PYTHONPATH"] = str(REPO) + os.pathsep + env.get("PYTHONPATH", "")
    started = time.perf_counter()
    proc = subprocess.run(
        [sys.executable, "-c", _STARTUP, str(EXAMPLE)], env=env, capture_output=True, text=True, timeout=120
    )
    wall = time.perf_counter() - started
    line = [x for x in proc.stdout.splitlines() if x.startswith("{")]
    if proc.returncode != 0 or not line:
        raise RuntimeError(f"start-up run failed: {proc.stderr[-2000:]}")
    data = json.loads(line[-1])
    data["process"] = wall
    return data


def _clicks(backend: str, config_dir: str) -> dict[str, object]:
    """One fresh window per backend; the container backend uses the test image (`make services`)."""
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "LAMBDA_STUDIO_CONFIG_DIR": config_dir}
    env["PYTHONPATH"] = str(REPO) + os.pathsep + env.get("PYTHONPATH", "")
    image = os.environ.get("LAMBDA_STUDIO_TEST_IMAGE", "lambda-studio-test/python:3.11")
    args = [sys.executable, "-c", _CLICKS, backend, str(EXAMPLE), image, str(WARM_CLICKS)]
    proc = subprocess.run(args, env=env, capture_output=True, text=True, timeout=600)
    line = [x for x in proc.stdout.splitlines() if x.startswith("{")]
    if proc.returncode != 0 or not line:
        raise RuntimeError(f"click run ({backend}) failed: {proc.stderr[-2000:]}")
    return dict(json.loads(line[-1]))


def _click_rows(backend: str, data: dict[str, object]) -> list[str]:
    def ms(key: str) -> float:
        return float(data[key])  # type: ignore[arg-type]

    if not data.get("ok"):
        return [f"| {backend}: the first click did not succeed ({data.get('state')}) | — | | ❌ |"]
    inside = (
        f"(backend.invoke: {ms('first_inside') * 1000:.0f} ms; window CPU: {ms('first_cpu') * 1000:.1f} ms)"
    )
    warm_inside = (
        f"(backend.invoke: {ms('warm_inside') * 1000:.0f} ms; window CPU: {ms('warm_cpu') * 1000:.1f} ms)"
    )
    return [
        f"| {backend}: pre-start after opening the example, until warm | {ms('prestart') * 1000:.0f} ms | — | |",
        _row(
            f"{backend}: first Invoke click → result shown, after the pre-start {inside}",
            ms("first"),
            FIRST_CLICK_BUDGET_S,
        ),
        _row(
            f"{backend}: warm click → result shown, median of {WARM_CLICKS} {warm_inside}",
            ms("warm"),
            WARM_CLICK_BUDGET_S,
        ),
    ]


def _run_in_app() -> dict[str, float]:
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtCore import QElapsedTimer, QTimer
    from PySide6.QtWidgets import QApplication

    from widgets.editor_tabs import EditorTabs
    from widgets.jobs import JobBridge
    from widgets.log_panel import LogPanel

    app = QApplication.instance() or QApplication(sys.argv[:1])
    out: dict[str, float] = {}

    # 100,000 log lines: a worker prints them as fast as it can; they travel through the job bridge.
    panel = LogPanel()
    panel.resize(900, 400)
    panel.show()
    bridge = JobBridge()
    ticks: list[float] = []
    ticker = QTimer(interval=5)
    ticker.timeout.connect(lambda: ticks.append(time.perf_counter()))
    ticker.start()

    def chatty(sink, cancel):  # type: ignore[no-untyped-def]
        for i in range(100_000):
            sink(f"[INFO] 2026-11-23T10:00:00Z request {i:06d} processed order {i * 7} in 3 ms")
        return "done"

    started = time.perf_counter()
    job = bridge.submit(chatty, "chatty")
    job.log_lines.connect(panel.append_log_lines)
    while panel.model.rowCount() < 100_000 and time.perf_counter() - started < 30:
        app.processEvents()
    out["log_bridge_s"] = time.perf_counter() - started
    app.processEvents()
    ticks.append(time.perf_counter())
    gaps = [b - a for a, b in zip(ticks, ticks[1:], strict=False)]
    out["log_bridge_stall_s"] = max(gaps, default=0.0)

    # The same 100,000 lines handed over in one call (a pasted or loaded log).
    panel.clear()
    lines = [f"[WARNING] line {i} of a long log with some text" for i in range(100_000)]
    ticks.clear()
    started = time.perf_counter()
    panel.append_log_lines(lines)
    while panel.model.rowCount() < 100_000 and time.perf_counter() - started < 30:
        app.processEvents()
    out["log_burst_s"] = time.perf_counter() - started
    ticks.append(time.perf_counter())
    gaps = [b - a for a, b in zip(ticks, ticks[1:], strict=False)]
    out["log_burst_stall_s"] = max(gaps, default=0.0)
    ticker.stop()
    bridge.shutdown()

    # A 10 MB Python file opened in a tab, measured to its first paint.
    with tempfile.TemporaryDirectory() as tmp:
        big = Path(tmp) / "big.py"
        source = (EXAMPLE / "src" / "hello" / "app.py").read_text()
        big.write_text((source * (10_000_000 // len(source) + 1))[:10_000_000])
        tabs = EditorTabs()
        tabs.resize(1000, 700)
        tabs.show()
        app.processEvents()
        clock = QElapsedTimer()
        clock.start()
        editor = tabs.open_file(big)
        app.processEvents()
        editor.repaint()
        out["open_10mb_s"] = clock.nsecsElapsed() / 1e9
        out["open_10mb_lines"] = float(editor.line_count())
        editor.go_to_line(editor.line_count() // 2)
        clock.restart()
        editor.repaint()
        out["scroll_middle_paint_s"] = clock.nsecsElapsed() / 1e9
        clock.restart()
        editor.go_to_line(editor.line_count())
        editor.repaint()
        out["scroll_end_paint_s"] = clock.nsecsElapsed() / 1e9
        tabs.close_all(ask=False)
    panel.close()
    return out


def _row(name: str, value: float, budget: float) -> str:
    verdict = "✅" if value <= budget else "❌"
    return f"| {name} | {value * 1000:.0f} ms | ≤ {budget * 1000:.0f} ms | {verdict} |"


def run() -> str:
    load_before = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    with tempfile.TemporaryDirectory() as config:
        runs = [_startup(config) for _ in range(3)]
    best = min(runs, key=lambda r: r["shown"])
    clicks = {}
    for backend in ("process", "container"):
        with tempfile.TemporaryDirectory() as config:
            try:
                clicks[backend] = _clicks(backend, config)
            except RuntimeError as exc:
                clicks[backend] = {"ok": False, "state": str(exc)[-300:]}
    app = _run_in_app()
    rows = [
        "| measure | result | budget | |",
        "|---|---|---|---|",
        _row(
            "start-up to the window with examples/hello-sam open (best of 3, imports included)",
            best["shown"],
            STARTUP_BUDGET_S,
        ),
        _row("— of which importing PySide6 and creating the QApplication", best["imports"], STARTUP_BUDGET_S),
        _row("whole process: interpreter start to window painted, then exit", best["process"], 2.0),
        *_click_rows("process", clicks["process"]),
        *_click_rows("container", clicks["container"]),
        _row(
            "100,000 log lines from a worker thread, through the job bridge, all shown",
            app["log_bridge_s"],
            LOG_BUDGET_S,
        ),
        _row("— longest event-loop stall meanwhile (5 ms timer)", app["log_bridge_stall_s"], STALL_BUDGET_S),
        _row("100,000 log lines handed over in one call, all shown", app["log_burst_s"], LOG_BUDGET_S),
        _row("— longest event-loop stall meanwhile", app["log_burst_stall_s"], STALL_BUDGET_S),
        _row(
            f"a 10 MB Python file ({app['open_10mb_lines']:.0f} lines) opened in a tab (highlighted) and painted",
            app["open_10mb_s"],
            OPEN_BUDGET_S,
        ),
        _row("— jump to its middle and repaint", app["scroll_middle_paint_s"], STALL_BUDGET_S),
        _row("— jump to its end and repaint", app["scroll_end_paint_s"], STALL_BUDGET_S),
    ]
    notes = (
        "\n\nMeasured offscreen (`QT_QPA_PLATFORM=offscreen`) with a scratch settings folder. "
        "Clicks: HelloFunction with get-hello, one fresh window per backend (the container backend on the "
        "test image); in parentheses the time spent inside the backend's invoke (the rest is the window and "
        "the hand-over between threads) and the CPU time the window's thread used for the click (what "
        "the window costs, however busy the machine is). "
        "Log lines reach the panel in 50 ms batches from the job bridge and are added at most "
        "5,000 per event-loop turn; the editor styles only what is visible (the rest in idle time) and skips lint above 1 MB."
    )
    load_after = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    notes += (
        f" Load average (1 min) on this {os.cpu_count()}-core machine: {load_before:.1f} before, "
        f"{load_after:.1f} after — other work was running, so these are not quiet-machine numbers."
        if max(load_before, load_after) > (os.cpu_count() or 1) / 2
        else f" Load average (1 min): {load_before:.1f} before, {load_after:.1f} after."
    )
    return "\n".join(rows) + notes
