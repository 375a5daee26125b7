"""The invoker: backend problems become messages, pull progress reaches the GUI thread, one invoke at a time."""

from __future__ import annotations

import threading

import pytest

from app.project.loader import load_project
from runner.result import InvokeResult, Outcome, SetupError
from widgets.invoker import Invoker
from widgets.jobs import JobBridge


@pytest.fixture
def bridge():
    b = JobBridge()
    yield b
    assert b.shutdown()


class FakeBackend:
    name = "fake"

    def __init__(self) -> None:
        self.release = threading.Event()
        self.warm = 0

    def invoke(self, config, event, sink=None, cancel=None, *, client_context=None, debug=None):
        """The backends' one signature (runner.backends.process.backend / runner.backends.container.backend / runner.backends.auto)."""
        sink("START RequestId: 1")
        assert self.release.wait(5)
        sink("END RequestId: 1")
        self.warm = 1  # its runtime stays warm for the next invoke
        return InvokeResult("1", config.function_id, Outcome.SUCCESS, payload=event)

    def reload(self, config=None):
        pass

    def warm_count(self):
        return self.warm

    def close(self):
        self.warm = 0


def test_backend_that_cannot_start_is_a_message(qtbot, bridge, example_project):
    def factory(name):
        raise SetupError("Docker is not running: start Docker Desktop or pick the Process backend")

    invoker = Invoker(bridge, backend_factory=factory)
    invoker.set_project(load_project(example_project))
    with qtbot.waitSignal(invoker.failed, timeout=5000) as blocker:
        invoker.invoke("OrdersFunction", "", b"{}", "container")
    assert blocker.args[0].startswith("Docker is not running")
    assert not invoker.is_running()


def test_one_invoke_at_a_time_and_container_style_sink(qtbot, bridge, example_project):
    backend = FakeBackend()
    invoker = Invoker(bridge, backend_factory=lambda name: backend)
    invoker.set_project(load_project(example_project))
    lines: list[str] = []
    invoker.log_lines.connect(lines.extend)
    assert invoker.invoke("OrdersFunction", "", b'{"a": 1}', "container") is not None
    with qtbot.waitSignal(invoker.failed) as blocker:
        assert invoker.invoke("OrdersFunction", "", b"{}", "container") is None
    assert "already running" in blocker.args[0]
    with qtbot.waitSignal(invoker.finished, timeout=5000) as done:
        backend.release.set()
    entry = done.args[0]
    assert entry.result.payload == b'{"a": 1}'
    assert entry.log_lines == ["START RequestId: 1", "END RequestId: 1"] == lines
    assert invoker.warm_count() == 1  # what the backend says, summed over the invoker's backends
    invoker.close_backends()
    assert invoker.warm_count() == 0


def test_unknown_function_is_a_message(qtbot, bridge, example_project):
    invoker = Invoker(bridge, backend_factory=lambda name: FakeBackend())
    invoker.set_project(load_project(example_project))
    with qtbot.waitSignal(invoker.failed) as blocker:
        invoker.invoke("Nope", "", b"{}", "process")
    assert "Nope" in blocker.args[0]


def test_pull_progress_from_worker_thread_arrives_in_gui_thread(qtbot, bridge):
    from runner.backends.container.engine import PullProgress

    invoker = Invoker(bridge)
    seen: list[tuple[str, float, int]] = []
    invoker.progress.connect(lambda text, fraction: seen.append((text, fraction, threading.get_ident())))
    worker = threading.Thread(
        target=invoker._pull_progress, args=(PullProgress("img:1", "l1", "Downloading", 5, 10, 50.0),)
    )
    worker.start()
    worker.join()
    qtbot.waitUntil(lambda: bool(seen), timeout=3000)
    text, fraction, thread = seen[0]
    assert "img:1" in text and fraction == 0.5 and thread == threading.get_ident()
