"""Figures computed on the weekday fallback, computed again once their year is official.

A step, a clock interval, a review deadline or a deferred material's default
due date that spans days the official
calendar did not cover when it was computed carries a flag (``estimated``,
``due_estimated``). When a supervisor enters the year's notice, or the
calendar package learns the year, :func:`recompute_estimates` computes each
flagged figure again and keeps the flag only where the calendar still does
not cover its days. ``manage.py recompute_estimates`` and the background
sweep run it; it is idempotent. Only rows that end before the first year
still unofficial are read: the others would stay estimates, so a sweep
every minute costs one small query per table while nothing changed.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from django.db import transaction
from django.utils import timezone
from viewflow.workflow.models import Task
from viewflow.workflow.status import STATUS

from approvals import timekeeping
from approvals.models import (
    ApplicationMaterial,
    ClockInterval,
    DepartmentReview,
    SatisfiedBy,
    Step,
)

Progress = Callable[[str, int, int], None]

_BATCH = 500


@dataclass
class Recomputed:
    steps: int = 0
    intervals: int = 0
    reviews: int = 0
    materials: int = 0
    still_estimated: int = 0

    @property
    def total(self) -> int:
        return self.steps + self.intervals + self.reviews + self.materials


def _measure(row, start, end) -> bool:
    row.calendar_days = timekeeping.calendar_days_between(start, end)
    row.working_days = timekeeping.working_days_between(start, end)
    row.estimated = timekeeping.spans_unofficial_days(start, end)
    return row.estimated


def _remeasure(flagged, start: str, end: str, unofficial_from, report) -> tuple[int, int]:
    """Measure again, in batches, the flagged rows (steps or clock intervals) that end
    before the first unofficial year; returns (rows done, rows still estimates)."""
    rows = list(flagged.filter(**{f"{end}__lte": unofficial_from}).order_by("pk"))
    done = still = 0
    for i in range(0, len(rows), _BATCH):
        batch = rows[i : i + _BATCH]
        for row in batch:
            still += _measure(row, getattr(row, start), getattr(row, end))
        with transaction.atomic():
            type(row).objects.bulk_update(batch, ["calendar_days", "working_days", "estimated"])
        done += len(batch)
        report(done, len(rows))
    return done, still


def recompute_estimates(*, progress: Progress | None = None) -> Recomputed:
    """Compute again every figure flagged as an estimate; returns the counts."""
    timekeeping.load_notices()  # the notices as they are now, whatever this process held
    done = Recomputed()
    report = progress or (lambda _what, _i, _n: None)
    zone = timezone.get_default_timezone()
    unofficial_from = datetime(timekeeping.first_unofficial_year(), 1, 1, tzinfo=zone)

    done.steps, still = _remeasure(
        Step.objects.filter(estimated=True, finished_at__isnull=False),
        "created_at",
        "finished_at",
        unofficial_from,
        lambda n, total: report("steps", n, total),
    )
    done.still_estimated += still
    done.intervals, still = _remeasure(
        ClockInterval.objects.filter(estimated=True, ended_at__isnull=False),
        "started_at",
        "ended_at",
        unofficial_from,
        lambda n, total: report("clock intervals", n, total),
    )
    done.still_estimated += still

    reviews = list(
        DepartmentReview.objects.filter(
            due_estimated=True, task__isnull=False, due_at__lte=unofficial_from
        )
        .select_related("task", "application", "matter__matter")
        .order_by("pk")
    )
    for i, review in enumerate(reviews, 1):
        limit = float(review.matter.matter.review_limit_days) if review.matter else None
        if limit is not None:
            with transaction.atomic():
                review.due_at = timekeeping.deadline_after(review.task.created, limit)
                review.due_estimated = timekeeping.spans_unofficial_days(
                    review.task.created, review.due_at
                )
                done.still_estimated += review.due_estimated
                review.save(update_fields=["due_at", "due_estimated"])
                # The review's SLA timer was scheduled for the estimated deadline.
                Task.objects.filter(
                    previous=review.task, flow_task_type="TIMER", status=STATUS.SCHEDULED
                ).update(scheduled=review.due_at)
        done.reviews += 1
        report("review deadlines", i, len(reviews))
    # Deferred materials still to come whose default due date was an estimate.
    materials = list(
        ApplicationMaterial.objects.filter(
            due_estimated=True,
            satisfied_by=SatisfiedBy.DEFERRAL,
            received_at__isnull=True,
            application__accepted_at__isnull=False,
            due_date__lt=unofficial_from.date(),
        )
        .select_related("material", "application")
        .order_by("pk")
    )
    for row in materials:
        accepted = row.application.accepted_at
        due = timekeeping.deadline_after(accepted, row.material.deferral_days)
        row.due_date = due.date()
        row.due_estimated = timekeeping.spans_unofficial_days(accepted, due)
        done.still_estimated += row.due_estimated
    with transaction.atomic():
        ApplicationMaterial.objects.bulk_update(materials, ["due_date", "due_estimated"])
    done.materials = len(materials)
    if materials:
        report("deferral due dates", len(materials), len(materials))
    return done
