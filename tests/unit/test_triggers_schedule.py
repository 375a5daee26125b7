"""Schedule expressions (rate, cron with time zones) and the scheduler on a virtual clock."""

from __future__ import annotations

import re
import threading
from datetime import UTC, datetime, timedelta

import pytest

from runner.triggers.schedule import ScheduleEntry, ScheduleError, Scheduler, VirtualClock, parse_expression

T0 = datetime(2026, 11, 30, 3, 7, 30, tzinfo=UTC)  # a Monday


def utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)  # type: ignore[misc]


def test_rate_counts_from_creation() -> None:
    expr = parse_expression("rate(5 minutes)")
    assert expr.next_firings(T0, 3, start=T0) == [T0 + timedelta(minutes=m) for m in (5, 10, 15)]
    assert parse_expression("rate(1 hour)").next_after(T0, start=T0) == T0 + timedelta(hours=1)
    assert parse_expression("rate(2 days)").next_after(T0, start=T0) == T0 + timedelta(days=2)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("rate(1 minutes)", "rate(1 minute)"),
        ("rate(5 minute)", "rate(5 minutes)"),
        ("rate(0 minutes)", "positive"),
        ("every 5 minutes", "is not rate"),
        ("cron(0 12 * * *)", "6 fields"),
        ("cron(0 12 * * * *)", "must be '?'"),
        ("cron(0 12 ? * ? *)", "cannot both be '?'"),
        ("cron(61 12 * * ? *)", "not a valid minutes"),
        ("cron(0 12 * FOO ? *)", "not a valid month"),
    ],
)
def test_bad_expressions_say_why(text: str, message: str) -> None:
    with pytest.raises(ScheduleError, match=re.escape(message)):
        parse_expression(text)


def test_cron_in_utc_with_names_lists_ranges_and_steps() -> None:
    weekdays_noon = parse_expression("cron(0 12 ? * MON-FRI *)")
    assert weekdays_noon.next_firings(T0, 6) == [
        utc(2026, 11, 30, 12, 0), utc(2026, 12, 1, 12, 0), utc(2026, 12, 2, 12, 0),
        utc(2026, 12, 3, 12, 0), utc(2026, 12, 4, 12, 0), utc(2026, 12, 7, 12, 0),
    ]  # fmt: skip
    quarter = parse_expression("cron(0/15 3 * * ? *)")
    assert quarter.next_firings(T0, 3) == [
        utc(2026, 11, 30, 3, 15),
        utc(2026, 11, 30, 3, 30),
        utc(2026, 11, 30, 3, 45),
    ]
    assert parse_expression("cron(0 8 L * ? *)").next_after(T0) == utc(2026, 11, 30, 8, 0)
    assert parse_expression("cron(0 8 ? * 2#1 *)").next_after(T0) == utc(2026, 12, 7, 8, 0)  # first Monday
    assert parse_expression("cron(0 0 1 1 ? 2027)").next_firings(T0, 2) == [utc(2027, 1, 1, 0, 0)]


def test_cron_with_a_time_zone_and_daylight_saving() -> None:
    paris = parse_expression("cron(30 2 * * ? *)", "Europe/Paris")
    # Spring forward: no 02:30 on 2026-03-29 in Paris, so that day is skipped.
    assert paris.next_firings(utc(2026, 3, 28, 0, 0), 3) == [
        utc(2026, 3, 28, 1, 30), utc(2026, 3, 30, 0, 30), utc(2026, 3, 31, 0, 30),
    ]  # fmt: skip
    # Fall back: 02:30 happens twice on 2026-10-25 (00:30 and 01:30 UTC); it fires once, the first time.
    assert paris.next_firings(utc(2026, 10, 24, 12, 0), 2) == [
        utc(2026, 10, 25, 0, 30),
        utc(2026, 10, 26, 1, 30),
    ]
    with pytest.raises(ScheduleError, match="unknown time zone"):
        parse_expression("rate(1 day)", "Mars/Olympus")


def test_scheduler_on_a_virtual_clock_fires_each_due_time_and_fire_now() -> None:
    clock = VirtualClock(T0)
    fired: list[tuple[str, bytes]] = []
    done = threading.Event()

    def fire(entry: ScheduleEntry, payload: bytes) -> None:
        fired.append((entry.name, payload))
        if len(fired) >= 3:
            done.set()

    scheduler = Scheduler(fire, lambda line: None, clock)
    expr = parse_expression("rate(1 minute)")
    scheduler.add(ScheduleEntry("tick", "F", expr, lambda when: when.isoformat().encode(), T0))
    assert scheduler.next_firings("tick", 2) == [T0 + timedelta(minutes=1), T0 + timedelta(minutes=2)]
    scheduler.start()
    try:
        assert fired == []
        clock.advance(timedelta(minutes=3, seconds=1))
        assert done.wait(10)
        assert [p for _, p in fired] == [(T0 + timedelta(minutes=m)).isoformat().encode() for m in (1, 2, 3)]
        assert scheduler.next_firings("tick", 1) == [T0 + timedelta(minutes=4)]
        scheduler.fire_now("tick")
        assert len(fired) == 4
    finally:
        scheduler.stop()


def test_end_date_stops_the_firings() -> None:
    clock = VirtualClock(T0)
    fired: list[bytes] = []
    scheduler = Scheduler(lambda entry, payload: fired.append(payload), lambda line: None, clock)
    expr = parse_expression("rate(1 minute)")
    end = T0 + timedelta(minutes=2, seconds=30)
    scheduler.add(ScheduleEntry("short", "F", expr, lambda when: when.isoformat().encode(), T0, end=end))
    assert scheduler.next_firings("short", 5) == [T0 + timedelta(minutes=1), T0 + timedelta(minutes=2)]
    clock.advance(timedelta(minutes=10))
    assert scheduler.run_due() == 2
    assert scheduler.next_firings("short", 5) == []
