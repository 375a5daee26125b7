"""Schedules: rate() and cron() expressions with time zones, next firing times, and a clock (real or virtual)."""

from __future__ import annotations

import calendar
import re
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from runner.triggers import LogSink

_RATE = re.compile(r"^rate\(\s*(\d+)\s+(minute|minutes|hour|hours|day|days)\s*\)$")
_CRON = re.compile(r"^cron\((.*)\)$")
_AT = re.compile(r"^at\((\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})\)$")
_MONTHS = {name: i for i, name in enumerate(calendar.month_abbr) if name}
_DAYS = {"SUN": 1, "MON": 2, "TUE": 3, "WED": 4, "THU": 5, "FRI": 6, "SAT": 7}
MAX_SEARCH_DAYS = 366 * 5


class ScheduleError(ValueError):
    """The expression is not one EventBridge accepts; the message says why."""


@dataclass
class _Field:
    values: set[int]
    any: bool = False
    last: bool = False  # L in day-of-month
    nth: tuple[int, int] | None = None  # (weekday, n) for d#n in day-of-week


@dataclass
class Expression:
    """A parsed rate(), cron() or at() expression with its time zone."""

    text: str
    tz: ZoneInfo
    rate: timedelta | None = None
    at: datetime | None = None
    fields: list[_Field] = field(default_factory=list)

    def next_after(self, after: datetime, start: datetime | None = None) -> datetime | None:
        """The first firing strictly after ``after`` (UTC); rates count from ``start``."""
        if self.rate is not None:
            origin = start or after
            if after < origin:
                return origin + self.rate
            steps = (after - origin) // self.rate + 1
            return origin + steps * self.rate
        if self.at is not None:
            return self.at if self.at > after else None
        return self._next_cron(after)

    def next_firings(self, after: datetime, count: int, start: datetime | None = None) -> list[datetime]:
        out: list[datetime] = []
        current = after
        while len(out) < count:
            nxt = self.next_after(current, start)
            if nxt is None:
                break
            out.append(nxt)
            current = nxt
        return out

    def _next_cron(self, after: datetime) -> datetime | None:
        minutes, hours, dom, months, dow, years = self.fields
        local = after.astimezone(self.tz)
        day = local.date()
        for _ in range(MAX_SEARCH_DAYS):
            if (
                (years.any or day.year in years.values)
                and day.month in months.values
                and _day_ok(dom, dow, day)
            ):
                for hour in sorted(hours.values):
                    for minute in sorted(minutes.values):
                        candidate = datetime(day.year, day.month, day.day, hour, minute, tzinfo=self.tz)
                        when = candidate.astimezone(UTC)
                        # A wall time the clocks skip (spring forward) does not fire, as EventBridge
                        # Scheduler documents; a repeated one (fall back) fires once, the first time.
                        exists = when.astimezone(self.tz).replace(tzinfo=None) == candidate.replace(
                            tzinfo=None
                        )
                        if exists and when > after:
                            return when
            day += timedelta(days=1)
        return None


def _day_ok(dom: _Field, dow: _Field, day: object) -> bool:
    from datetime import date

    assert isinstance(day, date)
    weekday = (day.isoweekday() % 7) + 1  # AWS: 1 = Sunday ... 7 = Saturday
    if not dom.any:
        last = calendar.monthrange(day.year, day.month)[1]
        if dom.last:
            return day.day == last
        return day.day in dom.values
    if not dow.any:
        if dow.nth is not None:
            wanted, n = dow.nth
            return weekday == wanted and (day.day - 1) // 7 + 1 == n
        return weekday in dow.values
    return True


def parse_expression(text: str, timezone: str | None = None) -> Expression:
    """rate(5 minutes), cron(0 12 * * ? *) or at(2026-01-01T09:00:00); raises ScheduleError."""
    try:
        tz = ZoneInfo(timezone or "UTC")
    except (ZoneInfoNotFoundError, ValueError):
        raise ScheduleError(f"unknown time zone {timezone!r}") from None
    text = text.strip()
    rate = _RATE.match(text)
    if rate:
        value, unit = int(rate.group(1)), rate.group(2)
        if value < 1:
            raise ScheduleError(f"{text}: the rate must be a positive number")
        if (value == 1) != (not unit.endswith("s")):
            right = f"rate(1 {unit.rstrip('s')})" if value == 1 else f"rate({value} {unit.rstrip('s')}s)"
            raise ScheduleError(f"{text}: write {right} (singular unit for 1, plural otherwise)")
        seconds = {"minute": 60, "hour": 3600, "day": 86400}[unit.rstrip("s")]
        return Expression(text, tz, rate=timedelta(seconds=value * seconds))
    at = _AT.match(text)
    if at:
        moment = datetime.fromisoformat(at.group(1)).replace(tzinfo=tz).astimezone(UTC)
        return Expression(text, tz, at=moment)
    cron = _CRON.match(text)
    if not cron:
        raise ScheduleError(f"{text!r} is not rate(...), cron(...) or at(...)")
    parts = cron.group(1).split()
    if len(parts) != 6:
        raise ScheduleError(
            f"{text}: cron takes 6 fields (minutes hours day-of-month month day-of-week year)"
        )
    spec = [(0, 59, {}), (0, 23, {}), (1, 31, {}), (1, 12, _MONTHS), (1, 7, _DAYS), (1970, 2199, {})]
    fields = [
        _parse_field(p, lo, hi, names, i, text)
        for i, (p, (lo, hi, names)) in enumerate(zip(parts, spec, strict=True))
    ]
    if fields[2].any == fields[4].any and not (parts[2] == "?" or parts[4] == "?"):
        raise ScheduleError(f"{text}: one of day-of-month and day-of-week must be '?'")
    if parts[2] == "?" and parts[4] == "?":
        raise ScheduleError(f"{text}: day-of-month and day-of-week cannot both be '?'")
    return Expression(text, tz, fields=fields)


def _parse_field(part: str, lo: int, hi: int, names: dict[str, int], index: int, text: str) -> _Field:
    label = ("minutes", "hours", "day-of-month", "month", "day-of-week", "year")[index]
    if part in ("*", "?"):
        if part == "?" and index not in (2, 4):
            raise ScheduleError(f"{text}: '?' is only allowed in day-of-month or day-of-week")
        return _Field(set(range(lo, hi + 1)), any=True)
    if index == 2 and part == "L":
        return _Field(set(), last=True)
    if index == 4 and "#" in part:
        day, _, n = part.partition("#")
        return _Field(set(), nth=(_value(day, names, lo, hi, label, text), int(n) if n.isdigit() else 0))
    values: set[int] = set()
    for item in part.split(","):
        base, _, step_text = item.partition("/")
        step = int(step_text) if step_text.isdigit() and int(step_text) > 0 else None
        if step_text and step is None:
            raise ScheduleError(f"{text}: bad step {item!r} in {label}")
        if base in ("*", ""):
            start, end = lo, hi
        elif "-" in base:
            a, b = base.split("-", 1)
            start, end = _value(a, names, lo, hi, label, text), _value(b, names, lo, hi, label, text)
        else:
            start = _value(base, names, lo, hi, label, text)
            end = hi if step else start
        values.update(range(start, end + 1, step or 1))
    return _Field(values)


def _value(token: str, names: dict[str, int], lo: int, hi: int, label: str, text: str) -> int:
    token = token.upper()
    if token in names:
        return names[token]
    if not token.isdigit() or not lo <= int(token) <= hi:
        raise ScheduleError(f"{text}: {token!r} is not a valid {label} ({lo}-{hi})")
    return int(token)


class SystemClock:
    """Wall-clock time; waits on the stop event."""

    def now(self) -> datetime:
        return datetime.now(UTC)

    def wait_until(self, moment: datetime, stop: threading.Event) -> None:
        stop.wait(max(0.0, min(60.0, (moment - self.now()).total_seconds())))


class VirtualClock:
    """A clock tests move by hand: ``advance`` wakes the scheduler, which fires what became due."""

    def __init__(self, start: datetime) -> None:
        self._now = start
        self._cond = threading.Condition()

    def now(self) -> datetime:
        with self._cond:
            return self._now

    def advance(self, delta: timedelta) -> None:
        with self._cond:
            self._now += delta
            self._cond.notify_all()

    def wait_until(self, moment: datetime, stop: threading.Event) -> None:
        with self._cond:
            self._cond.wait_for(lambda: self._now >= moment or stop.is_set(), timeout=0.2)


@dataclass
class ScheduleEntry:
    """One schedule of a function: its expression, its payload, and when it was created."""

    name: str
    function_id: str
    expression: Expression
    payload: Callable[[datetime], bytes]
    created: datetime
    enabled: bool = True
    last: datetime | None = None
    end: datetime | None = None  # ScheduleV2 EndDate: no firing after it

    def next_due(self) -> datetime | None:
        due = self.expression.next_after(self.last or self.created, start=self.created)
        return None if due is None or (self.end is not None and due > self.end) else due


class Scheduler:
    """Fires each entry at its times on a thread; ``fire_now`` fires one at once (the window's button)."""

    def __init__(
        self, fire: Callable[[ScheduleEntry, bytes], None], log: LogSink, clock: object = None
    ) -> None:
        self._fire = fire
        self._log = log
        self.clock: SystemClock | VirtualClock = clock if isinstance(clock, VirtualClock) else SystemClock()
        self.entries: dict[str, ScheduleEntry] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="schedules", daemon=True)

    def add(self, entry: ScheduleEntry) -> None:
        self.entries[entry.name] = entry

    def next_firings(self, name: str, count: int = 5) -> list[datetime]:
        entry = self.entries[name]
        after = max(entry.last or entry.created, self.clock.now())
        times = entry.expression.next_firings(after, count, start=entry.created)
        return [t for t in times if entry.end is None or t <= entry.end]

    def fire_now(self, name: str) -> None:
        entry = self.entries[name]
        self._log(f"[schedule] {name}: fired now (by hand)")
        self._fire(entry, entry.payload(self.clock.now()))

    def start(self) -> None:
        if self.entries:
            self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(10)

    def run_due(self, limit: int = 100) -> int:
        """Fires every entry whose next time has come (each missed time once, at most limit); returns the count."""
        now, fired = self.clock.now(), 0
        for entry in list(self.entries.values()):
            if not entry.enabled:
                continue
            while fired < limit:
                due = entry.next_due()
                if due is None or due > now:
                    break
                entry.last = due
                fired += 1
                self._log(f"[schedule] {entry.name}: fired for {due.isoformat().replace('+00:00', 'Z')}")
                self._fire(entry, entry.payload(due))
        return fired

    def _run(self) -> None:
        while not self._stop.is_set():
            self.run_due()
            upcoming = [e.next_due() for e in self.entries.values() if e.enabled]
            soonest = min((u for u in upcoming if u is not None), default=None)
            if soonest is None:
                self._stop.wait(1.0)
            else:
                self.clock.wait_until(soonest, self._stop)
