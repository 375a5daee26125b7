"""Event invokes: queued (bounded by bytes), retried twice on a function error, never lost silently."""

from __future__ import annotations

import json
import os
import sys
import textwrap
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from runner.emulator import Emulator, InvokeServer
from tests.unit.test_emulator_api import _http

REPO = Path(__file__).resolve().parents[2]
BOOTSTRAP = REPO / "runner" / "backends" / "process" / "bootstrap.py"
CODE = """
import os, time

def slow(event, context):
    time.sleep(event.get("sleep", 0.3))
    open(os.path.join(os.environ["MARKS"], "ran-%s" % event["i"]), "w").close()
    return "ok"

def flaky(event, context):
    path = os.path.join(os.environ["MARKS"], "try-%s" % event["i"])
    with open(path, "a") as f:
        f.write("x")
    if os.path.getsize(path) < event["succeed_on"]:
        raise RuntimeError("not yet")
    return "ok"
"""


def _served(
    tmp_path: Path, handler: str, **server_kw: object
) -> tuple[InvokeServer, Emulator, list[str], Path]:
    code, marks = tmp_path / "code", tmp_path / "marks"
    code.mkdir()
    marks.mkdir()
    (code / "app.py").write_text(textwrap.dedent(CODE))
    env = {"PATH": os.environ.get("PATH", ""), "MARKS": str(marks)}
    emu = Emulator(
        function_name="fn", handler=handler, runtime_cmd=[sys.executable, "-u", str(BOOTSTRAP)],
        cwd=str(code), env=env, timeout_s=5, concurrency=2,
    )  # fmt: skip
    log: list[str] = []
    server = InvokeServer(lambda: {"fn": emu}, log=log.append, **server_kw).start()  # type: ignore[arg-type]
    return server, emu, log, marks


def _event(port: int, body: dict[str, object]) -> tuple[int, dict[str, str]]:
    status, headers, _ = _http(
        port, "POST", "/2015-03-31/functions/fn/invocations", json.dumps(body).encode(),
        {"X-Amz-Invocation-Type": "Event"},
    )  # fmt: skip
    return status, headers


def test_events_at_a_busy_function_all_run(tmp_path: Path) -> None:
    server, emu, log, marks = _served(tmp_path, "app.slow")
    try:
        with ThreadPoolExecutor(10) as pool:
            answers = list(pool.map(lambda i: _event(server.port, {"i": i, "sleep": 0.1}), range(40)))
        assert [status for status, _ in answers] == [202] * 40
        assert server.async_queue.join(60)
        assert sorted(p.name for p in marks.iterdir()) == sorted(f"ran-{i}" for i in range(40))
        assert server.async_queue.ran == 40 and server.async_queue.failed == 0
    finally:
        server.shutdown()
        emu.close()


def test_function_errors_are_retried_twice_then_reported(tmp_path: Path) -> None:
    server, emu, log, marks = _served(tmp_path, "app.flaky", retry_delays=(0.05, 0.1))
    try:
        assert _event(server.port, {"i": "third", "succeed_on": 3})[0] == 202  # fails twice, then runs
        status, headers = _event(server.port, {"i": "never", "succeed_on": 99})
        assert status == 202
        assert server.async_queue.join(30)
        assert (marks / "try-third").read_text() == "xxx"
        assert (marks / "try-never").read_text() == "xxx"  # 1 attempt + 2 retries, as Lambda
        gave_up = [line for line in log if "was not run successfully" in line]
        assert len(gave_up) == 1 and headers["x-amzn-requestid"] in gave_up[0]
        assert "RuntimeError: not yet" in gave_up[0]
        assert server.async_queue.ran == 1 and server.async_queue.failed == 1
    finally:
        server.shutdown()
        emu.close()


def test_a_full_queue_refuses_instead_of_dropping(tmp_path: Path) -> None:
    server, emu, log, marks = _served(tmp_path, "app.slow", async_queue_bytes=200)
    try:
        statuses = [_event(server.port, {"i": i, "sleep": 1.0, "pad": "p" * 40})[0] for i in range(6)]
        assert statuses[0] == 202 and 429 in statuses
        accepted = statuses.count(202)
        assert server.async_queue.join(30)
        assert len(list(marks.iterdir())) == accepted
    finally:
        server.shutdown()
        emu.close()


def test_events_still_queued_at_shutdown_are_reported(tmp_path: Path) -> None:
    server, emu, log, marks = _served(tmp_path, "app.slow")
    try:
        for i in range(6):
            assert _event(server.port, {"i": i, "sleep": 1.0})[0] == 202
    finally:
        server.shutdown()
        emu.close()
    assert server.async_queue.join(15)
    queue = server.async_queue
    reported = [line for line in log if "was not run successfully" in line]
    assert queue.ran + queue.failed == 6 and len(reported) == queue.failed >= 1
