"""Time in a simulation: the simulated present, office hours, and whole seconds.

The engine reads the time from ``approvals.clock.now()``; a run passes its
:class:`SimulatedClock` there (``with sim_clock.running():``) for its own
context only, so nothing in the process is patched and other threads keep the
real time. The clock moves event by event.

viewflow stamps its own rows with ``django.utils.timezone.now`` (a task's
``created``, ``assigned``, ``started``, ``finished``, a process's ``created``
and ``finished``). The engine reads ``Task.created`` for the ledger (a step
opens, and a review's deadline runs, from it), and timers fire on
``scheduled``, which is that deadline. So, while a clock runs, a viewflow row
about to be saved has every stamp taken from the real clock during the
current event replaced by the simulated moment: a receiver of ``pre_save``
that does nothing outside a simulation and costs no query.
"""

from __future__ import annotations

import contextvars
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db.models.signals import pre_save
from django.utils import timezone
from viewflow.workflow.models import Process, Task

from approvals import clock, timekeeping
from approvals.models import ApplicationProcess

_running: contextvars.ContextVar[SimulatedClock | None] = contextvars.ContextVar(
    "approvals_simulated_clock", default=None
)

# The stamps viewflow takes from the real clock. Not ``scheduled``: the flow's
# SLA timers are scheduled at the review's deadline, computed on our clock.
VIEWFLOW_STAMPS = ("created", "assigned", "started", "finished")


class SimulatedClock:
    """The simulated present of one run, moved event by event."""

    def __init__(self, start: datetime):
        self.moment = start
        self._event_began = timezone.now()

    def __call__(self) -> datetime:
        return self.moment

    def move_to(self, when: datetime) -> None:
        """The next event happens at `when`.

        Usually later than the last one; earlier only for an SLA timer the run
        planned after its due moment (sequential routing plans a department's
        review when the case reaches it): the timer fires when it was due, as
        the sweep would have fired it.
        """
        self.moment = when
        self._event_began = timezone.now()

    @contextmanager
    def running(self) -> Iterator[None]:
        """Within this block, in this context only, the engine's time is this clock's."""
        token = _running.set(self)
        try:
            with clock.use(self):
                yield
        finally:
            _running.reset(token)

    def restamp(self, row) -> None:
        """Give `row` the simulated moment for each stamp taken from the real clock
        since the current event began (stamps of earlier events stay)."""
        real_now = timezone.now()
        for name in VIEWFLOW_STAMPS:
            value = getattr(row, name, None)
            if value is not None and self._event_began <= value <= real_now:
                setattr(row, name, self.moment)


def _viewflow_rows_on_the_simulated_clock(sender, instance, raw=False, **kwargs) -> None:
    running = _running.get()
    if running is None or raw:
        return
    running.restamp(instance)


# Connected to viewflow's rows only (a signal is sent for the class saved, so
# the flow's own process class too), not to every save of the process.
for _model in (Task, Process, ApplicationProcess):
    pre_save.connect(
        _viewflow_rows_on_the_simulated_clock,
        sender=_model,
        dispatch_uid=f"approvals.simulation.viewflow_stamps.{_model.__name__}",
    )


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


def after(moment: datetime, hours: float) -> datetime:
    """`hours` of calendar time after `moment`, to the second."""
    return _to_second(moment + timedelta(hours=hours))
