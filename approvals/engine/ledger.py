"""The time ledger: steps finished and the clock switched between government and investor."""

from __future__ import annotations

from datetime import datetime

from viewflow.workflow.models import Task

from approvals import (
    timekeeping,
)
from approvals.models import (
    Application,
    ClockInterval,
    Step,
)

# --- the ledger -----------------------------------------------------------


def _days(start: datetime, end: datetime) -> tuple[float, float, bool]:
    return (
        timekeeping.calendar_days_between(start, end),
        timekeeping.working_days_between(start, end),
        timekeeping.spans_unofficial_days(start, end),
    )


def step_finish(step: Step, *, actor, at: datetime) -> None:
    step.finished_at = at
    if actor is not None:
        step.actor = actor
    step.calendar_days, step.working_days, step.estimated = _days(step.created_at, at)
    step.save()


def step_finish_for_task(task: Task, *, actor, at: datetime) -> None:
    step = Step.objects.get(task=task)
    if step.assigned_at is None:
        step.assigned_at = at
    step_finish(step, actor=actor, at=at)


def clock_switch(application: Application, holder: str | None, *, at: datetime) -> None:
    """Close the open clock interval, and open one for `holder` (None: the clock stops)."""
    current = ClockInterval.objects.filter(application=application, ended_at__isnull=True).first()
    if current is not None:
        current.ended_at = at
        current.calendar_days, current.working_days, current.estimated = _days(
            current.started_at, at
        )
        current.save(update_fields=["ended_at", "calendar_days", "working_days", "estimated"])
    if holder is not None:
        ClockInterval.objects.create(application=application, holder=holder, started_at=at)
