"""``manage.py render_permits``: make the PDFs still missing, and retry failed ones.

Run it from cron (or after an outage): it renders every permit that is
pending or failed, one by one, and prints a line per permit. Rendering is
idempotent: a permit keeps one PDF however often this runs. Exits non-zero
when any permit still failed, so a scheduler notices.
"""

from __future__ import annotations

import sys
import time

from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from approvals import permits
from approvals.models import Permit
from approvals.models.permits import RenderStatus


class Command(BaseCommand):
    help = "Render the PDFs of permits that are pending or failed (idempotent)."

    def add_arguments(self, parser):
        parser.add_argument(
            "numbers", nargs="*", help="only these permit numbers (default: all awaiting)"
        )
        parser.add_argument(
            "--force",
            action="store_true",
            help="render the given permits again even if rendered (replaces their PDF)",
        )
        parser.add_argument("--limit", type=int, default=0, help="render at most this many")
        parser.add_argument(
            "--no-progress", action="store_true", help="do not draw the progress bar"
        )

    def handle(self, *args, numbers, force, limit, no_progress=False, **options):
        if numbers:
            queryset = Permit.objects.select_related("holder", "application__service").filter(
                number__in=numbers
            )
            missing = sorted(set(numbers) - set(queryset.values_list("number", flat=True)))
            if missing:
                raise CommandError(f"no such permit: {', '.join(missing)}")
            if not force:
                queryset = queryset.exclude(render_status=RenderStatus.RENDERED)
        else:
            if force:
                raise CommandError("--force re-renders named permits only: give their numbers")
            queryset = permits.permits_awaiting_render()
        todo = list(queryset.order_by("issued_at", "pk")[: limit or None])
        if not todo:
            self.stdout.write("render_permits: nothing to render")
            return
        failed = 0
        # On a terminal only (disable=None): a log keeps the line per permit alone.
        bar = tqdm(
            total=len(todo),
            desc="render_permits",
            unit="permit",
            file=getattr(self.stderr, "_out", sys.stderr),
            disable=True if no_progress else None,
            leave=False,
        )
        for i, permit in enumerate(todo, start=1):
            started = time.perf_counter()
            permit = permits.render_permit(permit, force=force)
            took = time.perf_counter() - started
            prefix = f"[{i}/{len(todo)}] {permit.number}"
            with bar.external_write_mode():
                if permit.render_status == RenderStatus.RENDERED:
                    self.stdout.write(f"{prefix}: rendered {permit.pdf.name} ({took:.2f} s)")
                else:
                    failed += 1
                    self.stderr.write(
                        f"{prefix}: FAILED (attempt {permit.render_attempts}): "
                        f"{permit.render_error}"
                    )
            bar.update()
        bar.close()
        summary = f"render_permits: {len(todo) - failed} rendered, {failed} failed"
        if failed:
            raise CommandError(summary)
        self.stdout.write(self.style.SUCCESS(summary))
