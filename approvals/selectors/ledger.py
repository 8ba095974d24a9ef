"""Figures derived from the ledger: materials reused or handed in, who held the clock.

Figures are counted from the ledger's rows (steps, clock intervals,
materials), never taken from constants, so "materials avoided" or "days
held by the government" are what actually happened.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.db.models import Count, Q

from approvals import clock, timekeeping
from approvals.models import INVESTOR_STEPS, Application, ClockHolder, SatisfiedBy, Service

SUBMITTED_WAYS = (SatisfiedBy.UPLOAD, SatisfiedBy.COMMITMENT, SatisfiedBy.DEFERRAL)


@dataclass(frozen=True)
class MaterialsSummary:
    required: int
    reused: int
    submitted: int

    @property
    def avoided_share(self) -> float:
        """Share of the required materials the investor did not have to hand in."""
        return self.reused / self.required if self.required else 0.0


def _materials_counts() -> dict:
    return {
        "required": Count("pk"),
        "reused": Count("pk", filter=Q(satisfied_by=SatisfiedBy.REUSE)),
        "submitted": Count("pk", filter=Q(satisfied_by__in=SUBMITTED_WAYS)),
    }


def application_materials_summary(application: Application) -> MaterialsSummary:
    return MaterialsSummary(**application.materials.aggregate(**_materials_counts()))


def materials_avoided_by_service(*, include_simulated: bool = False) -> dict[str, MaterialsSummary]:
    """Per service code: materials required, reused and submitted, over submitted applications."""
    applications = Q(applications__submitted_at__isnull=False)
    if not include_simulated:
        applications &= Q(applications__is_simulated=False)
    rows = Service.objects.values("code").annotate(
        required=Count("applications__materials", filter=applications),
        reused=Count(
            "applications__materials",
            filter=applications & Q(applications__materials__satisfied_by=SatisfiedBy.REUSE),
        ),
        submitted=Count(
            "applications__materials",
            filter=applications & Q(applications__materials__satisfied_by__in=SUBMITTED_WAYS),
        ),
    )
    return {r["code"]: MaterialsSummary(r["required"], r["reused"], r["submitted"]) for r in rows}


@dataclass(frozen=True)
class ClockSummary:
    holder_now: str | None
    government_calendar_days: float
    government_working_days: float
    investor_calendar_days: float
    investor_working_days: float
    end_to_end_calendar_days: float
    end_to_end_working_days: float
    statutory_working_days: float
    statutory_limit_days: int
    promised_limit_days: int
    target_days: float
    baseline_days: float
    investor_steps: int
    government_steps: int

    @property
    def within_target(self) -> bool:
        return self.end_to_end_calendar_days <= self.target_days

    @property
    def within_statute(self) -> bool:
        return self.statutory_working_days <= self.statutory_limit_days


def application_clock(application: Application, *, now: datetime | None = None) -> ClockSummary:
    """Who holds the clock and how long each party has held it.

    Statutory compliance counts government-held working days from acceptance
    (time the case waits on the investor is not the government's); the
    end-to-end time investors feel runs from submission and includes it.
    """
    now = now or clock.now()
    held = {ClockHolder.GOVERNMENT: [0.0, 0.0], ClockHolder.INVESTOR: [0.0, 0.0]}
    statutory = 0.0
    holder_now = None
    for interval in application.clock_intervals.all():
        end = interval.ended_at or now
        if interval.ended_at is None:
            holder_now = interval.holder
            calendar = timekeeping.calendar_days_between(interval.started_at, end)
            working = timekeeping.working_days_between(interval.started_at, end)
        else:
            calendar, working = interval.calendar_days, interval.working_days
        held[interval.holder][0] += calendar
        held[interval.holder][1] += working
        if (
            interval.holder == ClockHolder.GOVERNMENT
            and application.accepted_at is not None
            and end > application.accepted_at
        ):
            start = max(interval.started_at, application.accepted_at)
            statutory += timekeeping.working_days_between(start, end)
    start = application.submitted_at
    finish = application.decided_at or now
    steps = application.steps.aggregate(
        investor=Count("pk", filter=Q(kind__in=INVESTOR_STEPS)),
        government=Count("pk", filter=~Q(kind__in=INVESTOR_STEPS)),
    )
    service = application.service
    return ClockSummary(
        holder_now=holder_now,
        government_calendar_days=round(held[ClockHolder.GOVERNMENT][0], 6),
        government_working_days=round(held[ClockHolder.GOVERNMENT][1], 6),
        investor_calendar_days=round(held[ClockHolder.INVESTOR][0], 6),
        investor_working_days=round(held[ClockHolder.INVESTOR][1], 6),
        end_to_end_calendar_days=timekeeping.calendar_days_between(start, finish) if start else 0.0,
        end_to_end_working_days=timekeeping.working_days_between(start, finish) if start else 0.0,
        statutory_working_days=round(statutory, 6),
        statutory_limit_days=service.statutory_limit_days,
        promised_limit_days=service.promised_limit_days,
        target_days=timekeeping.benchmark_target_days(),
        baseline_days=timekeeping.benchmark_baseline_days(),
        investor_steps=steps["investor"],
        government_steps=steps["government"],
    )


def application_expected_completion(
    application: Application, clock: ClockSummary
) -> datetime | None:
    """When the promise falls due: the promised working days from submission,
    pushed back by the working days the application has waited on the investor.

    None for a draft (no clock yet) and once a decision is made.
    """
    if application.submitted_at is None or application.decided_at is not None:
        return None
    return timekeeping.deadline_after(
        application.submitted_at, clock.promised_limit_days + clock.investor_working_days
    )
