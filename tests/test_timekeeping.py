"""Tests for approvals.timekeeping: the official calendar and elapsed-day arithmetic.

The 2025 National Day holiday is the main fixture: by the State Council notice,
1–8 October 2025 are holidays, and Sunday 28 September and Saturday 11 October
are make-up working days. Expected counts below are derived by hand from that
notice, not from the calendar package.
"""

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.test import override_settings
from django.utils import timezone

from approvals.timekeeping import (
    add_working_days,
    benchmark_baseline_days,
    benchmark_target_days,
    calendar_days_between,
    is_official,
    is_working_day,
    spans_unofficial_days,
    working_days_between,
)

SHANGHAI = ZoneInfo("Asia/Shanghai")
UTC = ZoneInfo("UTC")


def local(*args) -> datetime:
    return datetime(*args, tzinfo=SHANGHAI)


# --- The calendar ---------------------------------------------------------------


@pytest.mark.parametrize(
    "day, working",
    [
        (date(2025, 9, 26), True),  # Friday
        (date(2025, 9, 27), False),  # Saturday
        (date(2025, 9, 28), True),  # Sunday, make-up working day
        (date(2025, 9, 30), True),
        *[(date(2025, 10, d), False) for d in range(1, 9)],  # National Day + Mid-Autumn
        (date(2025, 10, 9), True),
        (date(2025, 10, 11), True),  # Saturday, make-up working day
        (date(2025, 10, 12), False),  # Sunday
        (date(2025, 10, 13), True),
    ],
)
def test_official_calendar_around_national_day_2025(day, working):
    assert is_official(day)
    assert is_working_day(day) is working


def test_working_day_of_an_aware_datetime_is_its_local_day():
    # 20:00 UTC on 30 September is 04:00 on 1 October in Shanghai: a holiday.
    assert is_working_day(datetime(2025, 9, 30, 20, tzinfo=UTC)) is False
    assert is_working_day(datetime(2025, 9, 30, 15, tzinfo=UTC)) is True


@pytest.mark.parametrize(
    "day, working",
    [
        (date(2027, 1, 1), True),  # a Friday: the fallback cannot know it is New Year's Day
        (date(2027, 1, 2), False),
        (date(2027, 1, 3), False),
        (date(2027, 1, 4), True),
        (date(2003, 1, 6), True),  # before the package's first year too
        (date(2003, 1, 5), False),
    ],
)
def test_years_without_official_data_fall_back_to_weekdays(day, working):
    assert not is_official(day)
    assert is_working_day(day) is working


# --- working_days_between ------------------------------------------------------


def test_whole_days_across_national_day():
    # Sep 26 (Fri), Sep 28 (Sun, make-up), Sep 29, Sep 30, Oct 9, Oct 10,
    # Oct 11 (Sat, make-up); Oct 13 itself is excluded.
    assert working_days_between(date(2025, 9, 26), date(2025, 10, 13)) == 7.0


@pytest.mark.parametrize(
    "start, end, expected",
    [
        # Half a working day on Sep 30, a quarter on Oct 9, nothing in between.
        (local(2025, 9, 30, 12), local(2025, 10, 9, 6), 0.75),
        (local(2025, 10, 2, 9), local(2025, 10, 6, 17), 0.0),  # inside the holiday
        (local(2025, 10, 10, 18), local(2025, 10, 11, 6), 0.25 + 0.25),  # Fri into make-up Sat
        (local(2025, 6, 16, 10), local(2025, 6, 17, 10), 1.0),  # Monday to Tuesday
        (local(2025, 6, 13, 10), local(2025, 6, 16, 10), 1.0),  # Friday over an ordinary weekend
        (local(2025, 6, 16, 10), local(2025, 6, 16, 10), 0.0),
        (local(2025, 6, 16, 8), local(2025, 6, 16, 8, 30), round(0.5 / 24, 6)),
    ],
)
def test_fractional_working_days(start, end, expected):
    assert working_days_between(start, end) == expected


def test_naive_datetimes_are_local_time():
    assert working_days_between(datetime(2025, 9, 30, 12), datetime(2025, 10, 9, 6)) == 0.75


def test_aware_datetimes_in_another_zone_are_converted():
    # 16:00 UTC = midnight in Shanghai: exactly Tuesday 30 September.
    start = datetime(2025, 9, 29, 16, tzinfo=UTC)
    end = datetime(2025, 9, 30, 16, tzinfo=UTC)
    assert working_days_between(start, end) == 1.0


def test_a_date_mixed_with_a_datetime_is_local_midnight():
    assert working_days_between(date(2025, 9, 30), local(2025, 9, 30, 18)) == 0.75
    assert working_days_between(local(2025, 9, 30, 6), date(2025, 10, 1)) == 0.75


@pytest.mark.parametrize(
    "start, end",
    [
        (date(2025, 9, 26), date(2025, 10, 13)),
        (local(2025, 9, 30, 12), local(2025, 10, 9, 6)),
    ],
)
def test_reverse_interval_is_negative(start, end):
    assert working_days_between(end, start) == -working_days_between(start, end)
    assert working_days_between(end, start) < 0


def test_long_span_matches_the_day_by_day_count():
    # A year of whole days counted as dates must equal the datetime measure.
    start, end = date(2025, 1, 1), date(2026, 1, 1)
    by_date = working_days_between(start, end)
    assert by_date == working_days_between(local(2025, 1, 1), local(2026, 1, 1))
    # 2025 per the State Council notice: 261 weekdays, less 18 weekday holidays
    # (Jan 1; Jan 28-31, Feb 3-4; Apr 4; May 1, 2, 5; Jun 2; Oct 1-3, 6-8), plus
    # 5 make-up days (Jan 26, Feb 8, Apr 27, Sep 28, Oct 11) = 248.
    assert by_date == 248.0


def test_rejects_values_that_are_not_dates():
    with pytest.raises(TypeError, match=r"^expected a date or a datetime, got str$"):
        working_days_between("2025-09-30", date(2025, 10, 1))
    with pytest.raises(TypeError, match=r"^expected a date or a datetime, got NoneType$"):
        calendar_days_between(local(2025, 9, 30, 12), None)


# --- calendar_days_between ----------------------------------------------------


@pytest.mark.parametrize(
    "start, end, expected",
    [
        (date(2025, 9, 26), date(2025, 10, 13), 17.0),
        (local(2025, 9, 30, 12), local(2025, 10, 9, 6), 8.75),
        (local(2025, 10, 9, 6), local(2025, 9, 30, 12), -8.75),
        (date(2025, 9, 30), local(2025, 9, 30, 18), 0.75),
        (datetime(2025, 9, 29, 16, tzinfo=UTC), local(2025, 10, 1), 1.0),
    ],
)
def test_calendar_days(start, end, expected):
    assert calendar_days_between(start, end) == expected


# --- add_working_days -------------------------------------------------------------


@pytest.mark.parametrize(
    "start, days, expected",
    [
        (local(2025, 9, 30, 12), 1, local(2025, 10, 9, 12)),
        (local(2025, 6, 13, 15), 1, local(2025, 6, 16, 15)),  # Friday -> Monday
        (local(2025, 6, 14, 15), 1, local(2025, 6, 17, 0)),  # Saturday: starts Monday 00:00
        (local(2025, 10, 3, 9), 0.5, local(2025, 10, 9, 12)),  # inside the holiday
        (local(2025, 9, 26, 0), 2, local(2025, 9, 29, 0)),  # Fri + make-up Sun
        (local(2025, 10, 9, 12), -1, local(2025, 9, 30, 12)),
        (local(2025, 6, 16, 10), 0, local(2025, 6, 16, 10)),
    ],
)
def test_add_working_days(start, days, expected):
    result = add_working_days(start, days)
    assert result == expected
    assert result.tzinfo is not None
    assert result.utcoffset() == timedelta(hours=8)


def test_add_working_days_accepts_another_zone_and_answers_in_local_time():
    start = datetime(2025, 9, 30, 4, tzinfo=UTC)  # 12:00 in Shanghai
    result = add_working_days(start, 1)
    assert result == local(2025, 10, 9, 12)
    assert (result.hour, result.utcoffset()) == (12, timedelta(hours=8))


@pytest.mark.parametrize(
    "start",
    [
        local(2025, 9, 30, 12),
        local(2025, 9, 27, 8, 15),  # ordinary Saturday before the make-up Sunday
        local(2025, 10, 4, 23, 59),  # in the holiday
        local(2025, 12, 31, 17, 30),  # across New Year into 2026
        local(2026, 12, 30, 9),  # across into the fallback year 2027
    ],
)
@pytest.mark.parametrize("days", [0.25, 1, 2.5, 7, 20, -0.5, -3])
def test_add_working_days_is_the_inverse_of_working_days_between(start, days):
    assert working_days_between(start, add_working_days(start, days)) == days


# --- estimates outside the official calendar ---------------------------------


def test_fallback_year_counts_weekdays_and_is_flagged():
    # 4–8 January 2027 is Monday to Friday.
    assert working_days_between(date(2027, 1, 4), date(2027, 1, 11)) == 5.0
    assert working_days_between(local(2027, 1, 8, 12), local(2027, 1, 11, 12)) == 1.0
    assert spans_unofficial_days(date(2027, 1, 4), date(2027, 1, 11))
    assert add_working_days(local(2027, 1, 8, 15), 1) == local(2027, 1, 11, 15)


@pytest.mark.parametrize(
    "start, end, unofficial",
    [
        (date(2026, 12, 28), date(2027, 1, 5), True),
        (date(2027, 1, 5), date(2026, 12, 28), True),
        (date(2026, 12, 1), date(2027, 1, 1), False),  # 1 January excluded
        (local(2026, 12, 31, 12), local(2027, 1, 1, 0), False),
        (local(2026, 12, 31, 12), local(2027, 1, 1, 0, 1), True),
        (local(2025, 9, 26), local(2025, 10, 13), False),
        (date(2003, 12, 30), date(2004, 1, 2), True),
    ],
)
def test_spans_unofficial_days(start, end, unofficial):
    assert spans_unofficial_days(start, end) is unofficial


# --- benchmarks ------------------------------------------------------------------


def test_benchmarks_come_from_settings():
    assert benchmark_baseline_days() == 7.0
    assert benchmark_target_days() == 2.0
    with override_settings(BENCHMARK_BASELINE_DAYS="18", BENCHMARK_TARGET_DAYS=3):
        assert benchmark_baseline_days() == 18.0
        assert benchmark_target_days() == 3.0
        assert isinstance(benchmark_target_days(), float)


# --- What a mutation run showed the tests above did not pin down ---------------


@pytest.mark.parametrize(
    "day",
    [date(2025, 9, 30), date(2025, 10, 1), date(2025, 9, 27), date(2027, 1, 4)],
)
def test_an_empty_interval_of_dates_is_zero_days(day):
    # A working day, a holiday, a Saturday, and a fallback year: [d, d) holds nothing.
    assert working_days_between(day, day) == 0.0
    assert calendar_days_between(day, day) == 0.0
    assert spans_unofficial_days(day, day) is False


def test_one_day_of_dates_counts_that_day_only():
    assert working_days_between(date(2025, 9, 30), date(2025, 10, 1)) == 1.0
    assert working_days_between(date(2025, 10, 1), date(2025, 9, 30)) == -1.0
    assert working_days_between(date(2025, 9, 28), date(2025, 9, 29)) == 1.0  # make-up Sunday
    assert working_days_between(date(2025, 9, 27), date(2025, 9, 28)) == 0.0  # Saturday


def test_the_project_time_zone_decides_whatever_zone_a_request_activated():
    # A user's browser may activate another time zone for display; the
    # arithmetic still runs on Shanghai's calendar. 16:00 UTC on 30 September
    # is midnight in Shanghai, so the interval is exactly the working day of
    # 1 October in UTC but of 30 September in Shanghai.
    start = datetime(2025, 9, 29, 16, tzinfo=UTC)
    end = datetime(2025, 9, 30, 16, tzinfo=UTC)
    with timezone.override(UTC):
        assert working_days_between(start, end) == 1.0
        assert is_working_day(datetime(2025, 9, 30, 20, tzinfo=UTC)) is False
        assert working_days_between(end, datetime(2025, 10, 1, 16, tzinfo=UTC)) == 0.0
    with timezone.override(ZoneInfo("America/New_York")):
        # 23:00 in New York on 30 September is 11:00 on 1 October in Shanghai.
        assert is_working_day(datetime(2025, 9, 30, 23, tzinfo=ZoneInfo("America/New_York"))) is (
            False
        )


@pytest.mark.parametrize(
    "start, end, working, calendar",
    [
        # Friday 10:00 over an ordinary weekend to Monday 10:00 (2026-06-12..15).
        (local(2026, 6, 12, 10), local(2026, 6, 15, 10), 1.0, 3.0),
        # Across the Dragon Boat Festival, Friday 19 June 2026: Thursday 10:00 to
        # Monday 11:00 is 14 h of Thursday and 11 h of Monday.
        (local(2026, 6, 18, 10), local(2026, 6, 22, 11), 25 / 24, 4 + 1 / 24),
        # Into Saturday 9 May 2026, a make-up working day after Labour Day:
        # Friday 16:00 to Saturday 16:00 is a whole working day.
        (local(2026, 5, 8, 16), local(2026, 5, 9, 16), 1.0, 1.0),
        # Labour Day 2026 (1-5 May): Thursday 30 April 16:00 to Wednesday 6 May
        # 16:00 is 8 h of 30 April and 16 h of 6 May.
        (local(2026, 4, 30, 16), local(2026, 5, 6, 16), 1.0, 6.0),
        # New Year 2026: 1-2 January off, Sunday 4 January a make-up working day.
        (date(2025, 12, 31), date(2026, 1, 6), 3.0, 6.0),
    ],
)
def test_2026_calendar_in_working_and_calendar_days(start, end, working, calendar):
    assert working_days_between(start, end) == pytest.approx(working, abs=1e-6)
    assert calendar_days_between(start, end) == pytest.approx(calendar, abs=1e-6)
