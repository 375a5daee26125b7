"""The live log of a container invoke never misses a line the result's log has (issue 16's race)."""

from __future__ import annotations

import time

import pytest

from runner.backends.container import backend as container
from runner.backends.container.pool import WarmContainer
from runner.result import InvokeResult, Outcome

RID = "0f0e0d0c-0b0a-0908-0706-050403020100"
LOG = [
    f"START RequestId: {RID} Version: $LATEST",
    "handler output",
    "LAMBDA_RUNTIME Failed to post handler success response. Http response code: 413.",
    f"END RequestId: {RID}",
    f"REPORT RequestId: {RID}\tDuration: 1.00 ms",
]


def _warm() -> WarmContainer:
    now = time.monotonic()
    return WarmContainer(None, "fn", "hash", "emulator", 0, now, now)


@pytest.mark.parametrize("streamed", [0, 1, 2])
def test_lines_the_stream_has_not_delivered_in_time_come_from_the_result(
    monkeypatch: pytest.MonkeyPatch, streamed: int
) -> None:
    monkeypatch.setattr(container, "REPORT_WAIT_S", 0.05)
    seen: list[str] = []
    w = _warm()
    live = container._LiveSink(seen.append)
    w.sink = live
    for line in LOG[:streamed]:  # docker's log stream lags: only these arrived before the answer
        w.on_line(line)
    result = InvokeResult(RID, "fn", Outcome.FUNCTION_ERROR, log_text="\n".join(LOG) + "\n")
    live.finish(w, result)
    w.sink = None
    for line in LOG[streamed:]:  # the stream catches up later: nothing is delivered twice
        w.on_line(line)
        live(line)
    assert seen == LOG


def test_a_stream_that_keeps_up_is_not_duplicated() -> None:
    seen: list[str] = []
    w = _warm()
    live = container._LiveSink(seen.append)
    w.sink = live
    for line in LOG:
        w.on_line(line)
    live.finish(w, InvokeResult(RID, "fn", Outcome.SUCCESS, log_text="\n".join(LOG) + "\n"))
    assert seen == LOG


def test_a_repeated_line_does_not_misplace_the_catch_up() -> None:
    lines = ["START", "tick", "tock", "tick", "done", "END", "REPORT"]
    assert container._missing(["START", "tick"], lines) == lines[2:]
    assert container._missing(["START", "tick", "tock", "tick"], lines) == lines[4:]
    assert container._missing(["unrelated"], lines) == lines
    assert container._missing([], lines) == lines
