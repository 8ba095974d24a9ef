"""``manage.py recompute_estimates``: figures computed on the weekday fallback, computed again.

Run it after entering a year's calendar notice in the admin or upgrading the
calendar package; the background sweep runs it too. Idempotent.
"""

from __future__ import annotations

from django.core.management.base import BaseCommand

from approvals.estimates import recompute_estimates


class Command(BaseCommand):
    help = "Recompute steps, clock intervals, review deadlines and deferral dates on an estimate."

    def handle(self, *args, **options):
        def progress(what, done, total):
            self.stderr.write(f"\r{what}: {done}/{total}", ending="" if done < total else "\n")

        result = recompute_estimates(progress=progress)
        self.stdout.write(
            f"recomputed: {result.steps} steps, {result.intervals} clock intervals,"
            f" {result.reviews} review deadlines, {result.materials} deferral due dates;"
            f" still estimated: {result.still_estimated}"
        )
