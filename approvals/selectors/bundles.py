"""Reads of an application's matters: each with its department, state, clock and outcome, and
the date the whole bundle is expected to be done."""

from __future__ import annotations

from datetime import datetime

from django.db.models import Prefetch

from approvals import timekeeping
from approvals.models import Application, ApplicationMatter, Matter


def matters_of(application: Application) -> list[ApplicationMatter]:
    """The application's matters in the thing's order, with what their rows show: two queries."""
    return list(
        ApplicationMatter.objects.filter(application=application)
        .select_related("matter__department", "review", "outcome")
        .prefetch_related(Prefetch("matter__requires", queryset=Matter.objects.only("pk", "code")))
        .order_by("order", "matter__code")
    )


def expected_completion_of(
    application: Application, parts: list[ApplicationMatter] | None = None
) -> tuple[datetime | None, list[str]]:
    """The expected completion (critical path over the matters' promised working days, actual
    times where known) and the matters on that path; (None, []) before acceptance."""
    if application.accepted_at is None:
        return None, []
    parts = matters_of(application) if parts is None else parts
    steps = [
        timekeeping.PathStep(
            key=part.matter.code,
            days=float(part.matter.promised_limit_days),
            needs=tuple(m.code for m in part.matter.requires.all()),
            started=part.started_at,
            finished=part.decided_at if part.settled else None,
        )
        for part in parts
    ]
    return timekeeping.expected_completion(steps, application.accepted_at)
