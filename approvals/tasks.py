"""Celery tasks. Each is idempotent: delivered twice, it does the work once.

A leaf: nothing in the product imports this module (work is sent by task name,
approvals.jobs); Celery's autodiscovery loads it in the workers. The task names
are what queued messages carry: tests/test_contracts.py pins them.

Workers run them when CELERY_BROKER_URL is set; approvals.background runs the
same functions in the process when it is not.
"""

from __future__ import annotations

from dataclasses import asdict

from celery import shared_task
from django.db import OperationalError
from viewflow.workflow.timers import fire_due_timers

from approvals import background, estimates, permits, simulation
from approvals.models import Permit
from approvals.reports.filters import ReportFilterSet


@shared_task(autoretry_for=(OperationalError,), retry_backoff=True, max_retries=5, acks_late=True)
def render_permit(permit_id: int) -> str:
    """Make a permit's PDF; a permit already rendered is left as it is."""
    permit = Permit.objects.select_related(
        "holder", "application__service", "matter__matter__department"
    ).get(pk=permit_id)
    return permits.render_permit(permit).render_status


@shared_task(acks_late=True)
def render_pending_permits() -> int:
    """The retry sweep: every permit still pending or failed."""
    done = 0
    for permit in permits.permits_awaiting_render()[:200]:
        done += permits.render_permit(permit).render_status == "rendered"
    return done


@shared_task(acks_late=True)
def sweep_timers() -> int:
    """Fire due SLA timers. Two sweeps at once fire each timer once (viewflow's
    flow lock per task; the escalation is unique per review)."""
    return fire_due_timers()


@shared_task(autoretry_for=(OperationalError,), retry_backoff=True, max_retries=5, acks_late=True)
def deliver_notification(notification_id: int) -> bool:
    return background.deliver(notification_id)


@shared_task(acks_late=True)
def deliver_pending_notifications() -> int:
    return background.deliver_pending()


@shared_task(acks_late=True)
def recompute_estimates() -> int:
    """Figures computed on the weekday fallback, once their year is official."""
    return estimates.recompute_estimates().total


@shared_task(acks_late=True)
def approval_report(filters: dict) -> dict:
    """The approval-time report for the given filters (as the page's query string)."""
    filterset = ReportFilterSet(filters)
    if not filterset.is_valid():
        return {"errors": {k: [str(m) for m in v] for k, v in filterset.errors.items()}}
    return filterset.report().as_dict()


@shared_task(acks_late=False)
def simulate(applications: int, routing: str, seed: int) -> dict:
    """A what-if simulation, on the ``simulation`` queue (CELERY_TASK_ROUTES); it writes
    a simulated day per transaction and is not retried if its worker dies."""
    return asdict(simulation.simulate(applications=applications, routing=routing, seed=seed))
