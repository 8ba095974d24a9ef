"""The working-day calendar and the arithmetic of elapsed time.

This module owns the answer to "how many (working) days lie between two
instants", and its inverse "when will N working days have elapsed". It is pure
functions: the clock ledger that records who holds an application's clock is
in ``approvals.models.ledger``, and the reports that aggregate figures live in
``approvals.reports``; both use what is defined here.

Calendar. Working days follow the official PRC calendar (State Council
holiday notices, including weekend make-up working days 调休) as published
by the maintained ``chinesecalendar`` package. The package only knows the
years it has a notice for (2004–2026 in version 1.11) and raises
``NotImplementedError`` for any other year. Decision: for a year the package
does not know we fall back to Monday–Friday, and say so — :func:`is_official`
tells whether a day is covered, and :func:`spans_unofficial_days` lets a
report flag a figure as an estimate. Raising instead would make every report
and deadline fail on 1 January of a year whose notice is late (the State
Council usually publishes it in November) or before the package is upgraded.

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
from datetime import date, datetime, time, timedelta

import chinese_calendar
from django.conf import settings
from django.utils import timezone

_ONE_DAY = timedelta(days=1)
_MICROSECONDS_PER_DAY = 86_400 * 1_000_000
_DECIMALS = 6

DateOrDatetime = date | datetime


@functools.lru_cache(maxsize=32_768)
def _official_working_day(day: date) -> bool | None:
    """The official answer for ``day``, or None where the package has no data."""
    try:
        return chinese_calendar.is_workday(day)
    except NotImplementedError:
        return None


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
