"""Debug invokes in the process backend: real debugpy sessions driven by our DAP client."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from runner.backends.process.backend import ProcessBackend
from runner.config import FunctionConfig
from runner.debug.dap import Breakpoint, DapError
from runner.debug.session import DebugClock, DebugOptions, DebugSession, runtime_rules
from runner.ports import free_port
from runner.result import InvokeResult, Outcome

pytestmark = [pytest.mark.timeout(90)]

HANDLER = """\
def handler(event, context):
    total = 0
    for i in range(event.get("n", 3)):
        total += i
    doubled = total * 2
    return {"total": total, "doubled": doubled}
"""
LINE_DOUBLED = 5  # `doubled = total * 2`
LINE_LOOP_BODY = 4  # `total += i`


@pytest.fixture
def code_dir(tmp_path: Path) -> Path:
    d = tmp_path / "fn"
    d.mkdir()
    (d / "app.py").write_text(HANDLER)
    return d


@pytest.fixture
def backend(tmp_path: Path) -> Iterator[ProcessBackend]:
    b = ProcessBackend(cache_dir=tmp_path / "cache")
    yield b
    b.close()


class DebugRun:
    """A debug invoke on a thread plus the session attached to it."""

    def __init__(self, backend: ProcessBackend, config: FunctionConfig, event: dict[str, Any]) -> None:
        self.port = free_port()
        self.result: InvokeResult | None = None
        self.lines: list[str] = []
        self.cancel = threading.Event()
        self.thread = threading.Thread(
            target=self._run, args=(backend, config, json.dumps(event).encode()), daemon=True
        )
        self.events: list[str] = []
        self.clock = DebugClock()
        self.session = DebugSession(
            "127.0.0.1", self.port, on_event=lambda n, b: self.events.append(n), clock=self.clock
        )

    def _run(self, backend: ProcessBackend, config: FunctionConfig, event: bytes) -> None:
        self.result = backend.invoke(
            config, event, self.lines.append, self.cancel, debug=DebugOptions(self.port, clock=self.clock)
        )

    def start(self, breakpoints: dict[str, list[Breakpoint]]) -> None:
        self.thread.start()
        self.session.start(breakpoints, alive=self.thread.is_alive, rules=runtime_rules("process"))

    def finish(self) -> InvokeResult:
        self.thread.join(30)
        self.session.close()
        assert self.result is not None, "the debug invoke did not end"
        return self.result


def _config(code_dir: Path, timeout_s: float = 1.0) -> FunctionConfig:
    return FunctionConfig("Fn", "Fn", "app.handler", "python3.11", code_dir, timeout_s=timeout_s)


def test_breakpoint_variables_step_evaluate_continue(backend: ProcessBackend, code_dir: Path) -> None:
    run = DebugRun(backend, _config(code_dir, timeout_s=1.0), {"n": 4})
    app = str(code_dir / "app.py")
    run.start({app: [Breakpoint(LINE_DOUBLED)]})
    stop = run.session.wait_stopped(30)
    assert stop is not None, run.lines
    assert stop.reason == "breakpoint"
    assert Path(stop.path or "").resolve() == Path(app).resolve() and stop.line == LINE_DOUBLED
    assert stop.frames[0]["name"] == "handler"
    scopes = run.session.scopes()
    assert scopes and scopes[0]["name"].lower().startswith("locals")
    local_vars = {v["name"]: v for v in run.session.variables(scopes[0]["variablesReference"])}
    assert local_vars["total"]["value"] == "6"  # 0+1+2+3
    event_ref = local_vars["event"]["variablesReference"]
    assert event_ref > 0  # a dict: expandable
    assert any(v["value"] == "4" for v in run.session.variables(event_ref))

    count = run.session.step_over()
    stop = run.session.wait_stopped(20, after=count)
    assert stop is not None and stop.line == LINE_DOUBLED + 1 and stop.reason == "step"
    assert run.session.locals()["doubled"] == "12"
    assert run.session.evaluate("total * 10 + doubled")["result"] == "72"
    with pytest.raises(DapError):
        run.session.evaluate("no_such_name")

    threading.Event().wait(1.5)  # held past the 1 s function timeout: it does not count while paused
    run.session.continue_()
    result = run.finish()
    assert result.outcome is Outcome.SUCCESS, result.log_text
    assert result.payload_json() == {"total": 6, "doubled": 12}
    assert "debug" in (result.note or "")
    assert "stopped" in run.events and "continued" in run.events


def test_conditional_breakpoint_and_live_breakpoints(backend: ProcessBackend, code_dir: Path) -> None:
    run = DebugRun(backend, _config(code_dir), {"n": 6})
    app = str(code_dir / "app.py")
    run.start({app: [Breakpoint(LINE_LOOP_BODY, condition="i == 3")]})
    stop = run.session.wait_stopped(30)
    assert stop is not None and stop.line == LINE_LOOP_BODY
    assert run.session.locals()["i"] == "3"  # stopped only when the condition held
    assert run.session.evaluate("total")["result"] == "3"  # 0+1+2
    # A breakpoint added while the session runs is sent at once; the loop one is cleared.
    run.session.set_breakpoints(app, [Breakpoint(LINE_DOUBLED)])
    count = run.session.continue_()
    stop = run.session.wait_stopped(20, after=count)
    assert stop is not None and stop.line == LINE_DOUBLED, "the loop breakpoint should be gone"
    assert run.session.locals()["total"] == "15"
    run.session.continue_()
    result = run.finish()
    assert result.payload_json() == {"total": 15, "doubled": 30}


def test_logpoint_and_step_in_out(backend: ProcessBackend, tmp_path: Path) -> None:
    d = tmp_path / "fn2"
    d.mkdir()
    (d / "app.py").write_text(
        "def square(x):\n"
        "    y = x * x\n"
        "    return y\n"
        "\n"
        "def handler(event, context):\n"
        "    a = square(event['x'])\n"
        "    return a + 1\n"
    )
    run = DebugRun(backend, _config(d), {"x": 7})
    app = str(d / "app.py")
    run.start({app: [Breakpoint(6), Breakpoint(7, log_message="a is {a}")]})
    stop = run.session.wait_stopped(30)
    assert stop is not None and stop.line == 6
    stop = run.session.wait_stopped(20, after=run.session.step_in())
    assert stop is not None and stop.frames[0]["name"] == "square" and stop.line == 1 + 1
    assert [f["name"] for f in stop.frames] == ["square", "handler"]  # the runtime's frames hidden
    stop = run.session.wait_stopped(20, after=run.session.step_out())
    assert stop is not None and stop.frames[0]["name"] == "handler"
    run.session.continue_()
    run.thread.join(30)
    for _ in range(60):  # the output event may trail the invoke's end
        if any("a is 49" in text for text in run.session.output):
            break
        threading.Event().wait(0.05)
    assert any("a is 49" in text for text in run.session.output), run.session.output  # printed, no stop
    result = run.finish()
    assert result.payload == b"50"


TEMPLATE = """\
AWSTemplateFormatVersion: '2010-09-09'
Transform: AWS::Serverless-2016-10-31
Resources:
  Fn:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: fn/
      Handler: app.handler
      Runtime: python3.11
      Timeout: 1
"""


def test_cli_debug_port_waits_for_an_external_debugger(code_dir: Path, tmp_path: Path) -> None:
    (tmp_path / "template.yaml").write_text(TEMPLATE)
    (tmp_path / "event.json").write_text('{"n": 3}')
    port = free_port()
    cmd = [sys.executable, "-m", "app.cli", "invoke", str(tmp_path), "Fn", "-e", str(tmp_path / "event.json")]
    env = {**os.environ, "LAMBDA_STUDIO_CACHE": str(tmp_path / "cache")}
    proc = subprocess.Popen(
        [*cmd, "--backend", "process", "--debug-port", str(port)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=Path(__file__).resolve().parents[2],
        env=env,
    )
    try:
        assert proc.stderr is not None
        head = "".join(proc.stderr.readline() for _ in range(3))
        assert f"127.0.0.1:{port}" in head and "launch.json" in head
        session = DebugSession("127.0.0.1", port)  # what VS Code would do
        session.start(
            {str(code_dir / "app.py"): [Breakpoint(LINE_DOUBLED)]}, alive=lambda: proc.poll() is None
        )
        stop = session.wait_stopped(30)
        assert stop is not None and session.locals()["total"] == "3"
        session.continue_()
        out, err = proc.communicate(timeout=30)
        session.close()
        assert proc.returncode == 0, err
        assert json.loads(out) == {"total": 3, "doubled": 6}
    finally:
        if proc.poll() is None:
            proc.terminate()
            proc.wait(10)


def test_the_timeout_counts_while_the_function_runs(backend: ProcessBackend, tmp_path: Path) -> None:
    d = tmp_path / "slow"
    d.mkdir()
    (d / "app.py").write_text(
        "import time\n\n\ndef handler(event, context):\n    x = 1\n    time.sleep(3)\n    return x\n"
    )
    run = DebugRun(backend, _config(d, timeout_s=1.0), {})
    run.start({str(d / "app.py"): [Breakpoint(5)]})
    stop = run.session.wait_stopped(30)
    assert stop is not None and stop.line == 5
    threading.Event().wait(1.2)  # paused: not counted
    run.session.continue_()  # the 3 s sleep runs past the 1 s timeout: counted
    result = run.finish()
    assert result.outcome is Outcome.TIMEOUT, result.log_text
    assert "Task timed out after" in result.log_text
