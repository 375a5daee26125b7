"""The job bridge: work runs off the GUI thread, lines arrive batched, results and errors come back."""

from __future__ import annotations

import sys
import threading
import time

import pytest

from app.deploy.progress import Cancelled
from runner.result import SetupError
from widgets.jobs import Failure, JobBridge, tune_threads_for_gui


@pytest.fixture
def bridge(qtbot):
    b = JobBridge()
    yield b
    assert b.shutdown(10_000)


def test_result_and_batched_lines(bridge, qtbot):
    gui_thread = threading.get_ident()
    seen_threads = []

    def work(sink, cancel):
        seen_threads.append(threading.get_ident())
        for i in range(500):
            sink(f"line {i}")
        return 42

    batches = []
    job = bridge.submit(work, "count")
    job.log_lines.connect(batches.append)
    with qtbot.waitSignal(job.finished, timeout=5000) as blocker:
        pass
    assert blocker.args == [42]
    assert seen_threads and seen_threads[0] != gui_thread
    lines = [line for batch in batches for line in batch]
    assert lines == [f"line {i}" for i in range(500)]
    assert len(batches) < 500


def test_error_becomes_message(bridge, qtbot):
    def work(sink, cancel):
        raise RuntimeError("docker is down")

    job = bridge.submit(work)
    with qtbot.waitSignal(job.failed, timeout=5000) as blocker:
        pass
    assert blocker.args == ["RuntimeError: docker is down"]


def test_cancel_reaches_the_work(bridge, qtbot):
    def work(sink, cancel):
        deadline = time.monotonic() + 10
        while not cancel.is_set() and time.monotonic() < deadline:
            time.sleep(0.01)
        return "cancelled" if cancel.is_set() else "timeout"

    job = bridge.submit(work)
    qtbot.wait(50)
    job.cancel()
    with qtbot.waitSignal(job.finished, timeout=5000) as blocker:
        pass
    assert blocker.args == ["cancelled"]


def test_event_loop_keeps_turning_during_blocking_work(bridge, qtbot):
    from PySide6.QtCore import QTimer

    ticks = []
    timer = QTimer(interval=20)
    timer.timeout.connect(lambda: ticks.append(time.monotonic()))
    timer.start()
    job = bridge.submit(lambda sink, cancel: time.sleep(1.0) or "slept")
    with qtbot.waitSignal(job.finished, timeout=5000):
        pass
    timer.stop()
    assert len(ticks) >= 20
    gaps = [b - a for a, b in zip(ticks, ticks[1:], strict=False)]
    # Blocking work would stop the loop for its whole second; a loaded 2-core machine may delay a
    # tick by a few hundred ms (seen: 0.27 s with two CPU burners), which is not what this is about.
    assert max(gaps) < 0.5


def test_user_facing_error_is_message_and_hint_without_traceback(bridge, qtbot):
    def work(sink, cancel):
        sink("before")
        raise SetupError("Docker is not running", "start Docker, or pick the Process backend")

    job = bridge.submit(work, "user-error")
    lines: list[str] = []
    job.log_lines.connect(lines.extend)
    with qtbot.waitSignal(job.failed, timeout=5000) as blocker:
        pass
    assert blocker.args == ["Docker is not running\nstart Docker, or pick the Process backend"]
    assert job.failure == Failure("Docker is not running", "start Docker, or pick the Process backend")
    assert job.failure.expected and lines == ["before"]  # no traceback anywhere


def test_unexpected_exception_keeps_its_traceback(bridge, qtbot):
    def work(sink, cancel):
        return {}["missing"]

    job = bridge.submit(work, "bug")
    lines: list[str] = []
    job.log_lines.connect(lines.extend)
    with qtbot.waitSignal(job.failed, timeout=5000) as blocker:
        pass
    assert blocker.args == ["KeyError: 'missing'"]
    assert job.failure is not None and not job.failure.expected
    assert lines[0] == "Traceback (most recent call last):" and 'return {}["missing"]' in "\n".join(lines)


def test_cancelled_is_a_failure_marked_cancelled(bridge, qtbot):
    def work(sink, cancel):
        raise Cancelled("stopped before updating the code")

    job = bridge.submit(work, "cancelled")
    with qtbot.waitSignal(job.failed, timeout=5000):
        pass
    assert job.failure == Failure("stopped before updating the code", cancelled=True)


def test_constructing_a_bridge_leaves_the_switch_interval_alone(qtbot):
    before = sys.getswitchinterval()
    sys.setswitchinterval(0.004)
    try:
        bridge = JobBridge()
        assert sys.getswitchinterval() == pytest.approx(0.004)
        assert bridge.shutdown()
        tune_threads_for_gui()
        assert sys.getswitchinterval() == pytest.approx(0.001)
    finally:
        sys.setswitchinterval(before)
