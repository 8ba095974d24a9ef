"""The working-day calendar and the arithmetic of elapsed time.

This module owns the answer to "how many (working) days lie between two
instants", its inverse "when will N working days have elapsed", and when a
limit of N working days falls due in office hours. It is functions of their
arguments and the calendar (the package, and the supervisors' notices read
from the database): the clock ledger that records who holds an application's
clock is in ``approvals.models.ledger``, and the reports that aggregate
figures live in ``approvals.reports``; both use what is defined here.

Calendar. Working days follow the official PRC calendar (State Council
holiday notices, including weekend make-up working days 调休) as published
by the maintained ``chinesecalendar`` package. The package only knows the
years it has a notice for (2004–2026 in version 1.11) and raises
``NotImplementedError`` for any other year. For such a year a supervisor can
enter the State Council's notice in the admin (``CalendarNotice``); it counts
as official for its year until the package knows that year, and then the
package wins. A year neither covers falls back to Monday–Friday, and says so —
:func:`is_official` tells whether a day is covered, and
:func:`spans_unofficial_days` lets a report flag a figure as an estimate.
Raising instead would make every report and deadline fail on 1 January of a
year whose notice is late (the State Council usually publishes it in
November) or before the package is upgraded. Figures computed on the
fallback are recomputed by ``manage.py recompute_estimates`` once the year is
official.

Notices are read from the database once and kept in the process for
``NOTICE_REFRESH_SECONDS``; saving or deleting one forgets them at once in
the saving process, so other processes see a new notice within that time.

Deadlines (:func:`deadline_after`) are counted in office hours, the
measures of elapsed time (:func:`working_days_between`) in whole 24-hour
working days; see each function for the precise rule.

Conventions shared by the interval functions:

* An interval is half-open, ``[start, end)``.
* Arguments are either dates or datetimes. Aware datetimes are converted to the
  project's time zone (``TIME_ZONE``, Asia/Shanghai); naive ones are taken to
  be local time already; a date stands for local midnight.
* A day is the local calendar day of 24 hours: a working day contributes the
  fraction of its 24 hours that lies in the interval. Asia/Shanghai has had no
  daylight saving time since 1991, so wall-clock and elapsed hours agree.
* ``end < start`` gives the negative of the reverse interval.
* Results are rounded to 6 decimals (well under a second), so that figures
  compare equal across the inverse functions.
"""

from __future__ import annotations

import functools
import math
import time as monotonic_clock
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import chinese_calendar
from django.apps import apps
from django.conf import settings
from django.utils import timezone

_ONE_DAY = timedelta(days=1)
_MICROSECONDS_PER_DAY = 86_400 * 1_000_000
_DECIMALS = 6

DateOrDatetime = date | datetime


NOTICE_REFRESH_SECONDS = 60.0


@functools.lru_cache(maxsize=32_768)
def _package_working_day(day: date) -> bool | None:
    """The package's answer for ``day``, or None where it has no data."""
    try:
        return chinese_calendar.is_workday(day)
    except NotImplementedError:
        return None


@functools.lru_cache(maxsize=64)
def package_knows_year(year: int) -> bool:
    """Whether the calendar package has the State Council's notice for ``year``."""
    return _package_working_day(date(year, 6, 30)) is not None


# year -> (holidays, make-up working days), and when to read them again.
_notices: dict[int, tuple[frozenset[date], frozenset[date]]] = {}
_notices_expire_at = -math.inf


def load_notices() -> None:
    """Read the supervisors' calendar notices from the database now."""
    global _notices, _notices_expire_at
    # By name, not by import: the models import this module's functions.
    notice_model = apps.get_model("approvals", "CalendarNotice")
    _notices = {
        notice.year: (frozenset(notice.holiday_dates()), frozenset(notice.make_up_dates()))
        for notice in notice_model.objects.all()
    }
    _notices_expire_at = monotonic_clock.monotonic() + NOTICE_REFRESH_SECONDS


def use_notices(table: dict[int, tuple[frozenset[date], frozenset[date]]] | None) -> None:
    """Use ``table`` instead of the database (None: read the database on next use).

    Saving or deleting a notice calls ``use_notices(None)``; tests without a
    database pass ``{}``.
    """
    global _notices, _notices_expire_at
    if table is None:
        _notices, _notices_expire_at = {}, -math.inf
    else:
        _notices, _notices_expire_at = dict(table), math.inf


def _notice_for(year: int) -> tuple[frozenset[date], frozenset[date]] | None:
    if monotonic_clock.monotonic() >= _notices_expire_at:
        load_notices()
    return _notices.get(year)


def first_unofficial_year(since: int = 2004) -> int:
    """The first year from ``since`` on that neither the package nor a notice covers."""
    year = since
    while package_knows_year(year) or _notice_for(year) is not None:
        year += 1
    return year


def _official_working_day(day: date) -> bool | None:
    """The official answer for ``day``: the package, else a notice, else None."""
    answer = _package_working_day(day)
    if answer is not None:
        return answer
    notice = _notice_for(day.year)
    if notice is None:
        return None
    holidays, make_up_days = notice
    if day in make_up_days:
        return True
    return day.weekday() < 5 and day not in holidays


def _as_local_date(day: DateOrDatetime) -> date:
    # A datetime would otherwise fill the cache with one entry per instant,
    # and an aware one could belong to another local day.
    if isinstance(day, datetime):
        return _to_local_naive(day).date()
    return day


def is_official(day: DateOrDatetime) -> bool:
    """Whether the official calendar covers ``day`` (otherwise figures are estimates)."""
    return _official_working_day(_as_local_date(day)) is not None


def is_working_day(day: DateOrDatetime) -> bool:
    """Whether ``day`` is a working day: official calendar, else Monday–Friday."""
    local = _as_local_date(day)
    official = _official_working_day(local)
    if official is None:
        return local.weekday() < 5
    return official


def _to_local_naive(value: DateOrDatetime) -> datetime:
    """Local wall-clock time without tzinfo, the frame all arithmetic happens in."""
    if isinstance(value, datetime):
        if timezone.is_aware(value):
            return timezone.localtime(value, timezone.get_default_timezone()).replace(tzinfo=None)
        return value
    if isinstance(value, date):
        return datetime.combine(value, time.min)
    raise TypeError(f"expected a date or a datetime, got {type(value).__name__}")


def _both_plain_dates(start: object, end: object) -> bool:
    return (
        isinstance(start, date)
        and not isinstance(start, datetime)
        and isinstance(end, date)
        and not isinstance(end, datetime)
    )


def _days_in(start: datetime, end: datetime):
    """Each local day that [start, end) touches, as (day, overlap in microseconds)."""
    day = start.date()
    while True:
        day_start = datetime.combine(day, time.min)
        if day_start >= end:
            return
        overlap = min(end, day_start + _ONE_DAY) - max(start, day_start)
        if overlap:
            yield day, overlap // timedelta(microseconds=1)
        day += _ONE_DAY


def working_days_between(start: DateOrDatetime, end: DateOrDatetime) -> float:
    """Working days in ``[start, end)``, fractional for datetimes.

    Monday 10:00 to Tuesday 10:00 is 1.0; Friday 10:00 to the next Monday 10:00
    is also 1.0 when the weekend is an ordinary one; a span inside a holiday
    is 0.0.
    """
    if _both_plain_dates(start, end):
        if end < start:
            return -working_days_between(end, start)
        count = 0
        day = start
        while day < end:
            count += is_working_day(day)
            day += _ONE_DAY
        return float(count)
    local_start, local_end = _to_local_naive(start), _to_local_naive(end)
    if local_end < local_start:
        return -working_days_between(end, start)
    microseconds = sum(
        overlap for day, overlap in _days_in(local_start, local_end) if is_working_day(day)
    )
    return round(microseconds / _MICROSECONDS_PER_DAY, _DECIMALS)


def calendar_days_between(start: DateOrDatetime, end: DateOrDatetime) -> float:
    """Calendar days in ``[start, end)`` counted in 24-hour days, fractional."""
    if _both_plain_dates(start, end):
        return float((end - start).days)
    elapsed = _to_local_naive(end) - _to_local_naive(start)
    return round(elapsed / _ONE_DAY, _DECIMALS)


def add_working_days(start: datetime, days: float) -> datetime:
    """The instant at which ``days`` working days have elapsed since ``start``.

    The inverse of :func:`working_days_between`: for any ``n``,
    ``working_days_between(start, add_working_days(start, n)) == n``. Time on a
    non-working day does not count, so from a Saturday counting begins at the
    next working day's midnight; Friday 15:00 plus one working day is the next
    working day at 15:00. Where several instants qualify (the answer falls at
    the end of a working day followed by holidays) the earliest is returned,
    the latest for negative ``days``. Returns an aware datetime in local time;
    a naive ``start`` is taken as local time.

    This is arithmetic on measured time (it may land at night); a deadline
    given to people is :func:`deadline_after`, which stays in office hours.
    """
    cursor = _to_local_naive(start)
    # Whole microseconds keep the walk exact however many days it crosses.
    remaining = round(days * _MICROSECONDS_PER_DAY)
    step = timedelta(microseconds=1)
    if remaining >= 0:
        while remaining > 0:
            next_midnight = datetime.combine(cursor.date() + _ONE_DAY, time.min)
            if is_working_day(cursor.date()):
                available = (next_midnight - cursor) // step
                if remaining <= available:
                    cursor += remaining * step
                    break
                remaining -= available
            cursor = next_midnight
    else:
        remaining = -remaining
        while remaining > 0:
            # The day the instant just before the cursor belongs to.
            day = (cursor - step).date()
            day_start = datetime.combine(day, time.min)
            if is_working_day(day):
                available = (cursor - day_start) // step
                if remaining <= available:
                    cursor -= remaining * step
                    break
                remaining -= available
            cursor = day_start
    return cursor.replace(tzinfo=timezone.get_default_timezone())


def _office_hours() -> tuple[ZoneInfo, time, time]:
    zone = ZoneInfo(settings.OFFICE_TIMEZONE)
    opens = time.fromisoformat(settings.OFFICE_HOURS_START)
    closes = time.fromisoformat(settings.OFFICE_HOURS_END)
    if closes <= opens:
        raise ValueError("OFFICE_HOURS_END must be later than OFFICE_HOURS_START.")
    return zone, opens, closes


def deadline_after(start: DateOrDatetime, days: float) -> datetime:
    """The deadline of a limit of ``days`` working days that starts at ``start``.

    The precise rule: only office hours (``OFFICE_HOURS_START`` to
    ``OFFICE_HOURS_END``, default 09:00–17:30, in ``OFFICE_TIMEZONE``,
    default Asia/Shanghai) of working days count, and one working day is one
    whole office day (8.5 hours by default), so half a day is 4 h 15 min of
    office time. Counting begins at ``start`` if that is inside office hours
    on a working day; before opening it begins at opening time that day;
    after closing, or on a day off, at the next working day's opening. The
    deadline is the earliest instant at which that much office time has
    passed, so it always lies inside office hours (a limit that uses up a
    day ends at its closing time, never at the next morning's opening).

    Examples with the default hours: a 0.5-day limit from Monday 16:00 ends
    Tuesday 11:45; from Friday 16:00 it ends Monday 11:45; one day from
    Monday 10:00 ends Tuesday 10:00; one day from Monday 08:00 (or Sunday)
    ends Monday 17:30. From a start after opening and up to closing, a whole
    number of days ends at the same instant as :func:`add_working_days` gives
    (from 09:00 exactly, one day ends at 17:30 the same day).

    A date stands for the start of that day. Returns an aware datetime in
    the office time zone. ``days`` must not be negative.
    """
    if days < 0:
        raise ValueError("a deadline cannot lie before its start")
    zone, opens, closes = _office_hours()
    if isinstance(start, datetime):
        cursor = start.astimezone(zone).replace(tzinfo=None) if timezone.is_aware(start) else start
    elif isinstance(start, date):
        cursor = datetime.combine(start, time.min)
    else:
        raise TypeError(f"expected a date or a datetime, got {type(start).__name__}")
    step = timedelta(microseconds=1)
    office_day = datetime.combine(date.min, closes) - datetime.combine(date.min, opens)
    remaining = round(days * (office_day // step))
    while True:
        day = cursor.date()
        day_closes = datetime.combine(day, closes)
        if is_working_day(day) and cursor <= day_closes:
            cursor = max(cursor, datetime.combine(day, opens))
            available = (day_closes - cursor) // step
            if remaining <= available:
                return (cursor + remaining * step).replace(tzinfo=zone)
            remaining -= available
        cursor = datetime.combine(day + _ONE_DAY, time.min)


def spans_unofficial_days(start: DateOrDatetime, end: DateOrDatetime) -> bool:
    """Whether any day in the interval lies outside the official calendar.

    A figure over such an interval relies on the Monday–Friday fallback and
    should be shown as an estimate.
    """
    if _both_plain_dates(start, end):
        first, last = sorted((start, end))
        days = (first + timedelta(days=i) for i in range((last - first).days))
    else:
        local_start, local_end = sorted((_to_local_naive(start), _to_local_naive(end)))
        days = (day for day, _ in _days_in(local_start, local_end))
    return any(not is_official(day) for day in days)


def benchmark_baseline_days() -> float:
    """End-to-end days an application took before the reform (``BENCHMARK_BASELINE_DAYS``)."""
    return float(settings.BENCHMARK_BASELINE_DAYS)


def benchmark_target_days() -> float:
    """End-to-end days the reform promised (``BENCHMARK_TARGET_DAYS``)."""
    return float(settings.BENCHMARK_TARGET_DAYS)


@dataclass(frozen=True)
class PathStep:
    """One matter in the critical-path computation.

    `days` is its promised limit in working days; `needs` the keys of the
    matters it waits for; `started` when its review opened (None: not yet);
    `finished` when it settled (None: not yet)."""

    key: str
    days: float
    needs: tuple[str, ...] = ()
    started: datetime | None = None
    finished: datetime | None = None


def expected_completion(steps: list[PathStep], start: DateOrDatetime) -> tuple[datetime, list[str]]:
    """When the last matter is expected to finish, and the chain of matters that decides it.

    A matter starts when the last matter it needs finishes (or at `start`, the
    acceptance), or when its review actually opened; it is expected to finish
    its promised working days later (office hours, the official calendar), or
    finishes when it actually did. The answer is the latest finish: the
    longest path through the graph. A matter finished late moves every date
    after it. The graph must be acyclic (the catalogue's check)."""
    by_key = {s.key: s for s in steps}
    finish: dict[str, datetime] = {}
    via: dict[str, str | None] = {}

    def end_of(key: str, trail: tuple[str, ...] = ()) -> datetime:
        if key in finish:
            return finish[key]
        if key in trail:
            raise ValueError(f"the matters' graph has a cycle through {key}")
        step = by_key[key]
        needed = [n for n in step.needs if n in by_key]
        ready, before = deadline_after(start, 0), None
        for other in needed:
            other_end = end_of(other, (*trail, key))
            if other_end > ready:
                ready, before = other_end, other
        if step.finished is not None:
            done = step.finished
        else:
            done = deadline_after(step.started or ready, step.days)
        finish[key], via[key] = done, before
        return done

    if not steps:
        return deadline_after(start, 0), []
    last = max(by_key, key=lambda k: (end_of(k), k))
    path, key = [], last
    while key is not None:
        path.append(key)
        key = via[key]
    return finish[last], list(reversed(path))
