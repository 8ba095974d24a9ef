"""Time in a simulation: office hours on the official calendar, and whole seconds."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings
from django.utils import timezone

from approvals import timekeeping


def add_office_hours(start: datetime, hours: float, office: tuple[int, int]) -> datetime:
    """The instant `hours` of office time after `start`, on official working days."""
    zone = ZoneInfo(settings.TIME_ZONE)
    cursor = timezone.localtime(start, zone)
    remaining = timedelta(hours=hours)
    while True:
        day = cursor.date()
        if timekeeping.is_working_day(day):
            opens = datetime.combine(day, time(office[0]), zone)
            closes = (
                datetime.combine(day + timedelta(days=1), time.min, zone)
                if office[1] == 24
                else datetime.combine(day, time(office[1]), zone)
            )
            begin = max(cursor, opens)
            if begin < closes:
                if remaining <= closes - begin:
                    return _to_second(begin + remaining)
                remaining -= closes - begin
        cursor = datetime.combine(day + timedelta(days=1), time.min, zone)


def _to_second(moment: datetime) -> datetime:
    # Whole seconds keep the records readable and the figures free of float dust.
    return (moment + timedelta(microseconds=500_000)).replace(microsecond=0)


def _after(moment: datetime, hours: float) -> datetime:
    return _to_second(moment + timedelta(hours=hours))
