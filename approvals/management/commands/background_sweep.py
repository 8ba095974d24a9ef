"""``manage.py background_sweep``: the beat schedule's work, for a deployment without Celery.

Fires due SLA timers, renders permits still pending or failed, delivers
mail not sent yet, and recomputes figures computed on an estimate whose year
has become official (approvals.estimates). Run it every minute from cron on one machine (two at once
do no harm: each step is idempotent). With CELERY_BROKER_URL set, beat does
this on the workers instead.
"""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError
from viewflow.workflow.timers import fire_due_timers

from approvals import background, permits
from approvals.estimates import recompute_estimates


class Command(BaseCommand):
    help = (
        "Fire due SLA timers, retry permit renderings and undelivered mail, recompute"
        " estimates (idempotent)."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--limit", type=int, default=200, help="at most this many permits and mails per run"
        )

    def handle(self, *args, limit, **options):
        if limit < 1:
            raise CommandError(f"--limit must be 1 or more (got {limit}).")

        fired = fire_due_timers()
        self.stdout.write(f"timers fired: {fired}")
        waiting = list(permits.permits_awaiting_render()[:limit])
        rendered = 0
        for i, permit in enumerate(waiting, 1):
            rendered += permits.render_permit(permit).render_status == "rendered"
            self.stderr.write(f"\rpermits: {i}/{len(waiting)}", ending="")
        if waiting:
            self.stderr.write("")
        self.stdout.write(f"permits rendered: {rendered} of {len(waiting)} waiting")
        self.stdout.write(f"mail delivered: {background.deliver_pending(limit=limit)}")
        recomputed = recompute_estimates()
        self.stdout.write(
            f"estimates recomputed: {recomputed.total},"
            f" still estimated: {recomputed.still_estimated}"
        )
