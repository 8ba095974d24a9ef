"""The demo's history: the simulator run over the past months, stopped at the present."""

from __future__ import annotations

import random
from collections.abc import Callable
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings
from django.utils import timezone

from approvals import clock
from approvals.models import Application
from approvals.simulation.engine import SimulationResult, simulate
from approvals.simulation.profile import DEFAULT_PROFILE, build_profile

DEMO_HISTORY_SEED = 2026
DEMO_HISTORY_DAYS = 182
# The demo's past has late reviews (the default profile has none): some
# reviewers leave a task lying for about two weeks, so that escalations exist
# and some reviews are still open and overdue today.
DEMO_HISTORY_LATE = {"late_probability": 0.06, "late_hours": {"median": 90.0, "sigma": 0.4}}


def demo_history_exists() -> bool:
    return Application.objects.filter(is_demo_history=True).exists()


def demo_history_create(
    *,
    applications: int,
    until: datetime | None = None,
    days: int = DEMO_HISTORY_DAYS,
    seed: int = DEMO_HISTORY_SEED,
    on_clock: Callable[[datetime], None] | None = None,
) -> SimulationResult | None:
    """The demo's past: `applications` arrivals over the `days` before `until` (now).

    Driven through the real engine by :func:`simulate` (parallel routing,
    every active service), stopped at `until`, so the latest applications are
    still open. Made once: returns None when demo history exists already.
    The history's mail is marked sent when it was written and never sent
    (``approvals.jobs.hold``), so no sweep mails it.
    """
    if demo_history_exists():
        return None
    until = until or clock.now()
    zone = ZoneInfo(settings.TIME_ZONE)
    start = timezone.localtime(until, zone).date() - timedelta(days=days)
    opens = datetime.combine(start, time(DEFAULT_PROFILE["office_hours"][0]), zone)
    # Exactly `applications` arrivals, the last one half a day before `until`,
    # so the latest are still in flight. The run's gaps are its arrival
    # stream's expovariate(1 / mean) = mean x (the same draws at mean 1), so
    # the mean that makes them fit is known before the run: same stream name
    # as Simulation.run, same draws.
    span_hours = max((until - opens).total_seconds() / 3600 - 12, 1.0)
    draws = random.Random(f"{seed}:arrivals")
    unit_total = sum(draws.expovariate(1.0) for _ in range(applications))
    profile = build_profile(
        {
            "arrival_hours": span_hours / unit_total,
            "departments": {"default": DEMO_HISTORY_LATE},
        }
    )
    result = simulate(
        applications=applications,
        routing="parallel",
        seed=seed,
        start=start,
        profile=profile,
        until=until,
        demo_history=True,
        on_clock=on_clock,
    )
    return result
