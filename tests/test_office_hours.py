"""Deadlines fall inside office hours on working days (timekeeping.deadline_after).

Expected instants are worked out by hand from the rule in deadline_after's
docstring: only 09:00–17:30 (8.5 h) of working days count, half a day is
4 h 15 min. Calendar facts used (State Council notices for 2026): 1–7
October are holidays and Saturday 10 October a make-up working day;
Saturday 14 February is a make-up working day before the Spring Festival.
"""

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine

from approvals import services
from approvals.timekeeping import add_working_days, deadline_after, is_working_day
from tests import journey

SH = ZoneInfo("Asia/Shanghai")
UTC = ZoneInfo("UTC")


def local(*args) -> datetime:
    return datetime(*args, tzinfo=SH)


@pytest.mark.parametrize(
    "start, days, expected",
    [
        # Monday 16:00: 1.5 h left today, 2 h 45 min on Tuesday morning.
        (local(2026, 11, 16, 16), 0.5, local(2026, 11, 17, 11, 45)),
        # Friday 16:00 across an ordinary weekend.
        (local(2026, 11, 20, 16), 0.5, local(2026, 11, 23, 11, 45)),
        # Before opening: counting starts at 09:00 the same day.
        (local(2026, 11, 16, 8), 0.5, local(2026, 11, 16, 13, 15)),
        (local(2026, 11, 16, 8), 1, local(2026, 11, 16, 17, 30)),
        (local(2026, 11, 16, 9), 1, local(2026, 11, 16, 17, 30)),
        # After closing, at closing time, on a Sunday: the next working morning.
        (local(2026, 11, 16, 18), 0.5, local(2026, 11, 17, 13, 15)),
        (local(2026, 11, 16, 17, 30), 0.5, local(2026, 11, 17, 13, 15)),
        (local(2026, 11, 22, 10), 0.5, local(2026, 11, 23, 13, 15)),
        # Inside office hours a whole day is the same time the next working day.
        (local(2026, 11, 16, 10), 1, local(2026, 11, 17, 10)),
        (local(2026, 11, 20, 10), 2, local(2026, 11, 24, 10)),
        # Across the National Day holiday (1–7 October 2026).
        (local(2026, 9, 30, 16), 0.5, local(2026, 10, 8, 11, 45)),
        # Into the make-up working Saturday 10 October 2026.
        (local(2026, 10, 9, 16), 0.5, local(2026, 10, 10, 11, 45)),
        # And Saturday 14 February 2026, also a make-up working day.
        (local(2026, 2, 13, 16), 0.5, local(2026, 2, 14, 11, 45)),
        # A quarter day is 2 h 7 min 30 s.
        (local(2026, 11, 16, 9), 0.25, local(2026, 11, 16, 11, 7, 30)),
        # No time at all: the start, or the next opening when outside hours.
        (local(2026, 11, 16, 10), 0, local(2026, 11, 16, 10)),
        (local(2026, 11, 16, 20), 0, local(2026, 11, 17, 9)),
    ],
)
def test_deadline_in_office_hours(start, days, expected):
    result = deadline_after(start, days)
    assert result == expected
    assert result.utcoffset() == timedelta(hours=8)


def test_a_start_in_another_zone_counts_in_office_time():
    # 08:00 UTC is 16:00 in Shanghai.
    assert deadline_after(datetime(2026, 11, 16, 8, tzinfo=UTC), 0.5) == local(2026, 11, 17, 11, 45)


def test_a_naive_start_is_office_time():
    assert deadline_after(datetime(2026, 11, 16, 16), 0.5) == local(2026, 11, 17, 11, 45)


@pytest.mark.parametrize("minute", range(0, 24 * 60, 37))
@pytest.mark.parametrize("days", [0.1, 0.5, 1.5, 2.25])
def test_no_deadline_falls_at_night_or_on_a_day_off(minute, days):
    start = local(2026, 10, 9) + timedelta(minutes=minute)  # Friday before a make-up Saturday
    due = deadline_after(start, days)
    assert is_working_day(due.date())
    assert time(9) <= due.time() <= time(17, 30)
    assert due > start


@pytest.mark.parametrize(
    "start",
    [local(2026, 11, 16, 9, 1), local(2026, 11, 16, 12, 34), local(2026, 9, 30, 17, 30)],
)
@pytest.mark.parametrize("days", [1, 3, 20])
def test_whole_days_from_inside_office_hours_agree_with_add_working_days(start, days):
    assert deadline_after(start, days) == add_working_days(start, days)


def test_office_hours_come_from_the_settings(settings):
    settings.OFFICE_HOURS_START, settings.OFFICE_HOURS_END = "08:00", "12:00"
    # Half of a 4-hour office day is 2 hours; from 11:00 one hour is left today.
    assert deadline_after(local(2026, 11, 16, 11), 0.5) == local(2026, 11, 17, 9)
    settings.OFFICE_HOURS_END = "07:00"
    with pytest.raises(ValueError, match="OFFICE_HOURS_END must be later"):
        deadline_after(local(2026, 11, 16, 11), 0.5)


def test_a_negative_limit_is_refused():
    with pytest.raises(ValueError, match="cannot lie before its start"):
        deadline_after(local(2026, 11, 16, 11), -0.5)


@pytest.mark.django_db
def test_a_half_day_review_accepted_at_16_00_is_due_next_morning(world):
    # The bug: a 0.5-day limit from 16:00 gave 04:00 the next night.
    part = world.matters["market"]
    part.review_limit_days = 0.5
    part.save()
    with time_machine.travel(local(2026, 11, 16, 16), tick=False):
        app = journey.submitted(world)
        services.application_accept(actor=world.clerk, application=app)
    review = journey.review_of(app, "market")
    assert review.due_at == local(2026, 11, 17, 11, 45)
    assert review.due_estimated is False


def test_a_date_start_counts_from_that_days_opening():
    # Monday 16 November 2026 as a date: counting starts at 09:00; 4 h 15 min -> 13:15.
    assert deadline_after(date(2026, 11, 16), 0.5) == local(2026, 11, 16, 13, 15)
    # Sunday 22 November: nothing counts until Monday 09:00; a whole office day -> 17:30.
    assert deadline_after(date(2026, 11, 22), 1) == local(2026, 11, 23, 17, 30)


def test_a_start_that_is_neither_a_date_nor_a_datetime_is_refused():
    with pytest.raises(TypeError, match=r"^expected a date or a datetime, got str$"):
        deadline_after("2026-11-16", 0.5)


def test_the_refusals_say_exactly_what_is_wrong(settings):
    with pytest.raises(ValueError, match=r"^a deadline cannot lie before its start$"):
        deadline_after(local(2026, 11, 16, 11), -0.5)
    settings.OFFICE_HOURS_END = "07:00"
    with pytest.raises(
        ValueError, match=r"^OFFICE_HOURS_END must be later than OFFICE_HOURS_START\.$"
    ):
        deadline_after(local(2026, 11, 16, 11), 0.5)


def test_an_office_that_closes_when_it_opens_is_refused(settings):
    # 09:00-09:00 is an office day of no time: no limit could ever be met.
    settings.OFFICE_HOURS_START, settings.OFFICE_HOURS_END = "09:00", "09:00"
    with pytest.raises(ValueError, match=r"^OFFICE_HOURS_END must be later"):
        deadline_after(local(2026, 11, 16, 11), 0.5)


def test_an_office_in_another_zone_counts_in_its_own_time(settings):
    # Tokyo is UTC+9, Shanghai (the project's TIME_ZONE) UTC+8.
    settings.OFFICE_TIMEZONE = "Asia/Tokyo"
    tokyo = ZoneInfo("Asia/Tokyo")
    # 07:00 UTC is 16:00 in Tokyo: 1 h 30 min left on Monday, 2 h 45 min on Tuesday -> 11:45 Tokyo.
    due = deadline_after(datetime(2026, 11, 16, 7, tzinfo=UTC), 0.5)
    assert due == datetime(2026, 11, 17, 11, 45, tzinfo=tokyo)
    assert due.utcoffset() == timedelta(hours=9)
    # A naive start is office (Tokyo) time, not the project's Shanghai time: same answer.
    assert deadline_after(datetime(2026, 11, 16, 16), 0.5) == datetime(
        2026, 11, 17, 11, 45, tzinfo=tokyo
    )


def test_a_deadline_keeps_the_microsecond_of_its_start():
    # From 16:00:00.000001, 1 h 29 min 59.999999 s are left on Monday; 4 h 15 min minus that
    # is 2 h 45 min 0.000001 s on Tuesday -> 11:45:00.000001.
    start = local(2026, 11, 16, 16, 0, 0, 1)
    assert deadline_after(start, 0.5) == local(2026, 11, 17, 11, 45, 0, 1)


def test_no_time_from_closing_time_is_due_at_closing_time():
    # Monday 17:30 is the last instant of office hours: a limit of nothing ends there,
    # not at Tuesday's opening.
    assert deadline_after(local(2026, 11, 16, 17, 30), 0) == local(2026, 11, 16, 17, 30)


ONE_MICROSECOND_OF_A_DAY = 1 / 86_400_000_000


def test_adding_no_working_days_on_a_day_off_stays_put():
    # Saturday 21 November 2026, 10:00: the earliest instant with 0 working days elapsed is
    # the start itself, not Monday's midnight.
    saturday = local(2026, 11, 21, 10)
    assert add_working_days(saturday, 0) == saturday


def test_add_working_days_is_exact_to_the_microsecond():
    # Saturday 21 November 2026: the first working microsecond is Monday 23's first.
    assert add_working_days(local(2026, 11, 21, 10), ONE_MICROSECOND_OF_A_DAY) == local(
        2026, 11, 23, 0, 0, 0, 1
    )
    # Back 1 µs from Monday 00:00: the weekend does not count, so Friday 20, 23:59:59.999999.
    assert add_working_days(local(2026, 11, 23), -ONE_MICROSECOND_OF_A_DAY) == local(
        2026, 11, 20, 23, 59, 59, 999_999
    )
