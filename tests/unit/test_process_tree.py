"""Children die with the function: timeout, shutdown, signals to the CLI, a kill -9'd serve; memory of the tree."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import textwrap
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from runner.backends.process.backend import ProcessBackend
from runner.ports import free_port
from tests.serve_support import wait_healthy
from tests.unit.sandbox_helpers import (
    code_with,
    config,
    kill_all,
    need_bwrap,
    pids_with,
    wait_gone,
    wait_there,
)

pytestmark = pytest.mark.skipif(sys.platform != "linux", reason="process trees via /proc: Linux")

SPAWNER = """\
import os
import subprocess
import time


def _double_fork(argv):
    if os.fork() == 0:  # child: fork again and leave, so the grandchild is reparented
        if os.fork() == 0:
            os.execvp(argv[0], argv)
        os._exit(0)
    os.wait()


def _started(marker, count):
    # Wait until the children run `sleep` (a frozen runtime would freeze one still between fork and
    # exec, before its command line shows the marker).
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        found = 0
        for entry in os.listdir("/proc"):
            try:
                with open(f"/proc/{entry}/cmdline", "rb") as f:
                    found += ("." + marker).encode() in f.read()
            except OSError:
                pass
        if found >= count:
            return
        time.sleep(0.02)


def spawn(event, context):
    marker = event["marker"]
    subprocess.Popen(["sleep", "300." + marker], start_new_session=True)  # setsid child
    subprocess.Popen(["sleep", "302." + marker])  # a plain child, in the runtime's process group
    _double_fork(["sleep", "301." + marker])
    _started(marker, 3)
    if event.get("wait"):
        time.sleep(event["wait"])
    return "spawned"


def hide(event, context):
    # a grandchild in its own session with an empty environment: no process group, no owner marker
    if os.fork() == 0:
        if os.fork() == 0:
            os.setsid()
            os.execve("/bin/sleep", ["sleep", "303." + event["marker"]], {})
        os._exit(0)
    os.wait()
    _started(event["marker"], 1)
    return "hidden"


def hog(event, context):
    if os.fork() == 0:
        if os.fork() == 0:
            os.setsid()
            block = bytearray(400 * 1024 * 1024)  # touched below: resident, not just reserved
            for i in range(0, len(block), 4096):
                block[i] = 1
            time.sleep(30)
            os._exit(0)
        os._exit(0)
    os.wait()
    time.sleep(5)
    return "survived"
"""

TEMPLATE = """
Transform: AWS::Serverless-2016-10-31
Resources:
  Spawn:
    Type: AWS::Serverless::Function
    Properties:
      Runtime: python3.11
      CodeUri: src/
      Handler: fn.spawn
      Timeout: 30
  Hide:
    Type: AWS::Serverless::Function
    Properties:
      Runtime: python3.11
      CodeUri: src/
      Handler: fn.hide
      Timeout: 30
"""


def _marker() -> str:
    return str(uuid.uuid4().int % 900000 + 100000)  # digits: `sleep 300.<marker>` is a valid duration


@pytest.fixture
def code(tmp_path: Path) -> Path:
    d = code_with(tmp_path / "code", SPAWNER)
    return d


@pytest.fixture(params=["sandbox", "fallback"])
def mode(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    if request.param == "sandbox":
        need_bwrap()
    else:
        monkeypatch.setenv("LAMBDA_STUDIO_SANDBOX", "off")
    return str(request.param)


def _marker_arg(marker: str) -> str:
    return "." + marker  # in the children's argv: "sleep 300.<marker>"


def test_timeout_kills_the_whole_tree(tmp_path: Path, code: Path, mode: str) -> None:
    marker = _marker()
    backend = ProcessBackend(cache_dir=tmp_path / "cache")
    try:
        cfg = config(code, handler="fn.spawn", timeout_s=3)
        results: list[object] = []
        thread = threading.Thread(
            target=lambda: results.append(
                backend.invoke(cfg, json.dumps({"marker": marker, "wait": 30}).encode())
            )
        )
        thread.start()
        assert len(wait_there(_marker_arg(marker), 3, 10)) == 3, "the handler did not start its children"
        thread.join(20)
        assert results and results[0].outcome.value == "timeout"  # type: ignore[attr-defined]
        # Sandboxed, the pid namespace goes as a whole; unsandboxed (Linux) the runtime is a child
        # subreaper, so a setsid'd or double-forked child stays in its tree and goes too.
        assert wait_gone(_marker_arg(marker), 5) == []
    finally:
        backend.close()
        kill_all(_marker_arg(marker))


def test_children_survive_a_return_and_die_with_the_backend(tmp_path: Path, code: Path, mode: str) -> None:
    marker = _marker()
    backend = ProcessBackend(cache_dir=tmp_path / "cache")
    try:
        result = backend.invoke(config(code, handler="fn.spawn"), json.dumps({"marker": marker}).encode())
        assert result.ok, result.to_json()
        # Lambda freezes, it does not kill, between invokes: the children are still there ...
        assert len(wait_there(_marker_arg(marker), 3)) == 3
        backend.close()  # ... until the function shuts down
        assert wait_gone(_marker_arg(marker), 5) == []
    finally:
        backend.close()
        kill_all(_marker_arg(marker))


def test_memory_counts_a_double_forked_grandchild(tmp_path: Path, code: Path, mode: str) -> None:
    backend = ProcessBackend(cache_dir=tmp_path / "cache")
    try:
        result = backend.invoke(config(code, handler="fn.hog", memory_mb=256, timeout_s=20), b"{}")
    finally:
        backend.close()
    assert result.outcome.value == "crash", result.to_json()
    assert result.error is not None and result.error.type == "Runtime.ExitError"
    assert "signal: killed" in result.error.message
    assert result.metrics is not None and result.metrics.max_memory_used_mb == 256


def test_a_fast_cold_invoke_reports_its_memory(tmp_path: Path) -> None:
    """Max Memory Used of an invoke that ends before the first memory poll: the walk taken while the
    sandbox was still starting its runtime (no function process yet) must not be the one kept."""
    code = code_with(tmp_path / "fast", "def handler(event, context):\n    return 1\n")
    for attempt in range(3):  # each a fresh runtime: a cold start
        backend = ProcessBackend(cache_dir=tmp_path / "cache")
        try:
            result = backend.invoke(config(code), b"{}")
        finally:
            backend.close()
        assert result.ok and result.cold_start, result.to_json()
        used = result.metrics.max_memory_used_mb if result.metrics else None
        assert used and used > 5, f"attempt {attempt}: Max Memory Used {used}"
        assert f"Max Memory Used: {used} MB" in result.log_text


@pytest.fixture
def project(tmp_path: Path, code: Path) -> Path:
    root = tmp_path / "proj"
    (root / "src").mkdir(parents=True)
    (root / "src" / "fn.py").write_text(SPAWNER)
    (root / "template.yaml").write_text(TEMPLATE)
    return root


def _cli(args: list[str], env: dict[str, str]) -> subprocess.Popen[bytes]:
    code = "import sys; from app.cli import main; sys.exit(main(sys.argv[1:]))"
    return subprocess.Popen(
        [sys.executable, "-c", code, *args], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )


@pytest.fixture
def cli_env(tmp_path: Path, mode: str) -> Iterator[dict[str, str]]:
    env = dict(os.environ, LAMBDA_STUDIO_CACHE=str(tmp_path / "lscache"))
    yield env


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGHUP])
def test_signal_to_invoke_kills_the_runtime_tree(
    project: Path, cli_env: dict[str, str], mode: str, sig: signal.Signals
) -> None:
    marker = _marker()
    event = project / "event.json"
    event.write_text(json.dumps({"marker": marker, "wait": 60}))
    proc = _cli(["invoke", str(project), "Spawn", "--backend", "process", "--event", str(event)], cli_env)
    try:
        assert len(wait_there(_marker_arg(marker), 3, 20)) == 3, "the handler did not start its children"
        proc.send_signal(sig)
        proc.wait(10)
        assert wait_gone(_marker_arg(marker), 5) == []  # every child, setsid or double-forked too
        assert _runtimes_of(project) == []  # and the runtime
    finally:
        if proc.poll() is None:
            proc.kill()
        kill_all(_marker_arg(marker))


def test_a_child_with_no_group_and_no_environment_is_swept_after_a_kill_9(
    project: Path, tmp_path: Path
) -> None:
    """Without the sandbox's pid namespace: a grandchild that calls setsid() and clears its environment
    carries neither the runtime's group nor the owner marker; the runtime's pid file names it (written
    when the runtime goes idle), so the next start kills it."""
    cli_env = dict(os.environ, LAMBDA_STUDIO_CACHE=str(tmp_path / "lscache"), LAMBDA_STUDIO_SANDBOX="off")
    marker = _marker()
    with _serving(project, cli_env, marker) as (procs, port):
        assert _invoke_served(port, "Hide", marker) == b'"hidden"'
        [hidden] = wait_there(_marker_arg(marker), 1)
        with open(f"/proc/{hidden}/environ", "rb") as f:
            assert f.read() == b""  # nothing for the owner-marker sweep to find
        time.sleep(0.5)  # the runtime idles in /next: frozen, and its tree recorded
        procs[0].kill()
        procs[0].wait(10)
        time.sleep(1.0)
        assert pids_with("303." + marker), "the hidden child should outlive a kill -9 (until the sweep)"
        procs.append(_serve(project, cli_env, free_port()))
        assert wait_gone(_marker_arg(marker), 5) == []


@contextlib.contextmanager
def _serving(project: Path, env: dict[str, str], marker: str) -> Iterator[tuple[list[Any], int]]:
    """A `serve` of the project on a free port: (its processes, to which a test may add the next
    start; the port). Every one is stopped after, and every process of the marker killed."""
    port = free_port()
    procs = [_serve(project, env, port)]
    try:
        yield procs, port
    finally:
        for p in procs:
            if p.poll() is None:
                p.terminate()
                p.wait(10)
        kill_all(_marker_arg(marker))


def _invoke_served(port: int, function: str, marker: str) -> bytes:
    import urllib.request

    body = json.dumps({"marker": marker}).encode()
    url = f"http://127.0.0.1:{port}/2015-03-31/functions/{function}/invocations"
    return bytes(urllib.request.urlopen(urllib.request.Request(url, body), timeout=30).read())


def _runtimes_of(project: Path) -> list[int]:
    """Runtime processes working in the project's code folder (their cwd)."""
    out = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                if os.readlink(f"/proc/{entry}/cwd") == str(project / "src"):
                    with open(f"/proc/{entry}/stat") as f:
                        if f.read().rsplit(")", 1)[1].split()[0] != "Z":
                            out.append(int(entry))
            except OSError:
                pass
    return out


def _serve(project: Path, env: dict[str, str], port: int) -> subprocess.Popen[bytes]:
    proc = _cli(["serve", str(project), "--port", str(port), "--backend", "process"], env)
    assert wait_healthy(f"http://127.0.0.1:{port}", 30, lambda: proc.poll() is None), "serve did not start"
    return proc


def test_kill_9_of_serve_leaves_nothing_after_the_next_start(
    project: Path, cli_env: dict[str, str], mode: str
) -> None:
    marker = _marker()
    with _serving(project, cli_env, marker) as (procs, port):
        assert _invoke_served(port, "Spawn", marker) == b'"spawned"'
        assert len(wait_there(_marker_arg(marker), 3)) == 3
        procs[0].kill()
        procs[0].wait(10)
        if mode == "sandbox":  # the sandbox dies with its parent: nothing is left at all
            assert wait_gone(_marker_arg(marker), 5) == []
            return
        time.sleep(1.0)
        assert pids_with("302." + marker), "the group's child should outlive a kill -9 (until the sweep)"
        assert pids_with("300." + marker), "the setsid child should outlive a kill -9 (until the sweep)"
        procs.append(_serve(project, cli_env, free_port()))  # the next start sweeps what the dead one left
        # every child: the group's, the double-forked one and the setsid'd one (its own session and
        # group, found by the owner marker it inherited in its environment)
        assert wait_gone(_marker_arg(marker), 5) == []


FREEZER = textwrap.dedent(
    """\
    import threading
    import time

    COUNT = [0]


    def _tick():
        while True:
            COUNT[0] += 1
            time.sleep(0.01)


    def handler(event, context):
        if event.get("start"):
            threading.Thread(target=_tick, daemon=True).start()
            time.sleep(0.1)
        return COUNT[0]
    """
)


def test_background_threads_are_frozen_between_invokes(tmp_path: Path) -> None:
    need_bwrap()
    code = code_with(tmp_path / "freeze", FREEZER)
    backend = ProcessBackend(cache_dir=tmp_path / "cache")
    try:
        cfg = config(code)
        first = backend.invoke(cfg, b'{"start": true}').payload_json()
        time.sleep(1.0)  # 100 ticks if the runtime ran on between invokes
        second = backend.invoke(cfg, b"{}").payload_json()
    finally:
        backend.close()
    assert first > 0
    assert second - first < 20, f"the thread ran {second - first} times between invokes"


FORKING_FREEZER = textwrap.dedent(
    """\
    import os
    import subprocess
    import sys
    import time

    # each count replaces the file whole: a reader never sees it empty between truncate and write
    TICKER = "import os, time\\nn = 0\\nwhile True:\\n    n += 1\\n    open('/tmp/ticks.new', 'w').write(str(n))\\n    os.replace('/tmp/ticks.new', '/tmp/ticks')\\n    time.sleep(0.01)\\n"


    def _ticks():
        try:
            return int(open("/tmp/ticks").read() or 0)
        except (OSError, ValueError):
            return 0


    def handler(event, context):
        if event.get("start"):  # a child, and a grandchild of it, each ticking on its own
            code = f"import subprocess, sys, time; subprocess.Popen([sys.executable, '-c', {TICKER!r}]); time.sleep(3600)"
            subprocess.Popen([sys.executable, "-c", code])
            deadline = time.monotonic() + 10
            while _ticks() < 5 and time.monotonic() < deadline:
                time.sleep(0.01)
        before = _ticks()
        time.sleep(event.get("sleep", 0))
        return [before, _ticks()]
    """
)


def test_children_and_grandchildren_are_frozen_between_invokes_and_run_during_them(tmp_path: Path) -> None:
    """One walk from the top stops the whole tree (each process before its children are read), and
    what was stopped runs again during the next invoke."""
    need_bwrap()
    code = code_with(tmp_path / "forks", FORKING_FREEZER)
    backend = ProcessBackend(cache_dir=tmp_path / "cache")
    try:
        cfg = config(code)
        _, started = backend.invoke(cfg, b'{"start": true}').payload_json()
        time.sleep(1.0)  # 100 ticks if the grandchild ran on between invokes
        before, after = backend.invoke(cfg, b'{"sleep": 0.5}').payload_json()
    finally:
        backend.close()
    assert started >= 5
    assert before - started < 20, f"the grandchild ticked {before - started} times between invokes"
    assert after - before >= 10, f"thawed, it should tick during the invoke (ticked {after - before} times)"


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGHUP])
def test_signal_to_serve_kills_every_runtime_tree(
    project: Path, cli_env: dict[str, str], mode: str, sig: signal.Signals
) -> None:
    marker = _marker()
    with _serving(project, cli_env, marker) as (procs, port):
        assert _invoke_served(port, "Spawn", marker) == b'"spawned"'
        assert len(wait_there(_marker_arg(marker), 3)) == 3
        procs[0].send_signal(sig)
        assert procs[0].wait(15) == 0  # a clean stop, not a death by signal
        assert wait_gone(_marker_arg(marker), 5) == []
        assert _runtimes_of(project) == []


def test_sweep_kills_marked_processes_only_of_dead_owners(tmp_path: Path) -> None:
    from runner.emulator.process_tree import OWNER_ENV, _start_time, owner_marker, sweep_runtimes

    gone = subprocess.Popen(["true"])  # an owner that has ended: its pid and start time name no live process
    gone_start = _start_time(gone.pid)
    gone.wait()
    marker = _marker()
    live_owner = owner_marker()
    assert live_owner is not None and gone_start is not None
    env = {**os.environ}
    orphan = subprocess.Popen(
        ["sleep", "303." + marker], env={**env, OWNER_ENV: f"{gone.pid}:{gone_start}"}, start_new_session=True
    )
    kept = subprocess.Popen(
        ["sleep", "304." + marker], env={**env, OWNER_ENV: live_owner}, start_new_session=True
    )
    unmarked = subprocess.Popen(["sleep", "305." + marker], start_new_session=True)
    try:
        assert len(wait_there(_marker_arg(marker), 3)) == 3
        killed = sweep_runtimes(str(tmp_path / "no-pid-files"))
        assert orphan.wait(5) == -signal.SIGKILL and orphan.pid in killed
        assert kept.poll() is None and unmarked.poll() is None  # a live owner's, and not ours at all
    finally:
        kill_all(_marker_arg(marker))
        for p in (orphan, kept, unmarked):
            p.wait(5)
