"""The live log of a container invoke never misses a line the result's log has (issue 16's race)."""

from __future__ import annotations

import time

import pytest

from runner.backends.container import live_log
from runner.backends.container.warm import WarmContainer
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
    monkeypatch.setattr(live_log, "REPORT_WAIT_S", 0.05)
    seen: list[str] = []
    w = _warm()
    live = live_log.LiveSink(seen.append)
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
    live = live_log.LiveSink(seen.append)
    w.sink = live
    for line in LOG:
        w.on_line(line)
    live.finish(w, InvokeResult(RID, "fn", Outcome.SUCCESS, log_text="\n".join(LOG) + "\n"))
    assert seen == LOG


def test_a_repeated_line_does_not_misplace_the_catch_up() -> None:
    lines = ["START", "tick", "tock", "tick", "done", "END", "REPORT"]
    assert live_log._missing(["START", "tick"], lines) == lines[2:]
    assert live_log._missing(["START", "tick", "tock", "tick"], lines) == lines[4:]
    assert live_log._missing(["unrelated"], lines) == lines
    assert live_log._missing([], lines) == lines


def test_a_whole_log_in_the_answer_completes_the_live_log_without_waiting_for_the_stream(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(live_log, "REPORT_WAIT_S", 5.0)  # what waiting for the stream would cost
    seen: list[str] = []
    w = _warm()
    live = live_log.LiveSink(seen.append)
    w.sink = live
    w.on_line(LOG[0])  # docker's stream has delivered START only
    started = time.monotonic()
    live.finish(w, InvokeResult(RID, "fn", Outcome.SUCCESS, log_text="\n".join(LOG) + "\n"))
    assert time.monotonic() - started < 1.0
    assert seen == LOG
    assert w.report_due == f"REPORT RequestId: {RID}"  # the next invoke waits for the stream instead
