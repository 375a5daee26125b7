"""The window refuses an event over Lambda's request limit with the same message as the CLI and serve."""

from __future__ import annotations

import pytest

from app.project.loader import load_project
from runner.backends.process.backend import ProcessBackend
from runner.emulator import MAX_REQUEST_PAYLOAD
from widgets.invoker import Invoker
from widgets.jobs import JobBridge


@pytest.fixture
def bridge():
    b = JobBridge()
    yield b
    assert b.shutdown()


def test_oversized_event_is_a_message_not_an_invoke(qtbot, bridge, example_project, tmp_path):
    backend = ProcessBackend(cache_dir=tmp_path)
    invoker = Invoker(bridge, backend_factory=lambda name: backend)
    invoker.set_project(load_project(example_project))
    lines: list[str] = []
    invoker.log_lines.connect(lines.extend)
    event = b'"' + b"a" * (MAX_REQUEST_PAYLOAD - 1) + b'"'
    try:
        with qtbot.waitSignal(invoker.failed, timeout=10000) as blocker:
            invoker.invoke("OrdersFunction", "", event, "process")
        assert "RequestTooLargeException" in blocker.args[0] and "6291456" in blocker.args[0]
        assert lines == [] and backend._emulators == {}  # nothing started, nothing ran
    finally:
        backend.close()
