"""``manage.py simulate``: push N applications through the real engine on a simulated clock.

    python manage.py simulate --applications 200 --routing parallel --seed 1
    python manage.py simulate --applications 200 --routing sequential --seed 1 \\
        --service fie-establishment --start 2025-06-02 --profile my-profile.json

The model and its defaults are described in ``approvals.simulation``. The
records are marked simulated: see them with
``manage.py approval_report --include-simulated`` or on /reports/ with
"Include simulated applications". A progress bar (tqdm) goes to stderr, the
summary (the report's headline over this run's applications) to stdout.

A run is written a simulated day at a time (``approvals.simulation.engine``):
stopped part way, it keeps the whole days before; the message says so. On
Celery the same run is the ``approvals.tasks.simulate`` task, on its own
``simulation`` queue (README, "Scaling past one machine").
"""

from __future__ import annotations

import sys
import time
from argparse import ArgumentTypeError
from datetime import date

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser
from tqdm import tqdm

from approvals import reports, simulation
from approvals.models import Service

MAX_APPLICATIONS = 100_000  # about 3 hours on SQLite, a simulated day per transaction


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError as exc:
        raise ArgumentTypeError(f"{text!r} is not a whole number") from exc
    if not 1 <= value <= MAX_APPLICATIONS:
        raise ArgumentTypeError(f"give a number from 1 to {MAX_APPLICATIONS:,}")
    return value


def _seed(text: str) -> int:
    try:
        return int(text)
    except ValueError as exc:
        raise ArgumentTypeError(f"{text!r} is not a whole number") from exc


def _day(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError as exc:
        raise ArgumentTypeError(f"{text!r} is not a date; write it as YYYY-MM-DD") from exc


def _message(exc: Exception) -> str:
    return "; ".join(exc.messages) if isinstance(exc, ValidationError) else str(exc)


class Command(BaseCommand):
    help = (
        "Push N applications through the real single-window engine on a simulated clock, "
        "with parallel (single window) or sequential (the old way) routing."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--applications", type=_positive, required=True, metavar="N")
        parser.add_argument("--routing", choices=simulation.ROUTINGS, required=True)
        parser.add_argument("--seed", type=_seed, required=True, metavar="S")
        parser.add_argument(
            "--service",
            metavar="CODE",
            help="only this service (default: every active service, drawn at random)",
        )
        parser.add_argument(
            "--start",
            type=_day,
            metavar="DATE",
            help=f"day of the first arrival (default {simulation.DEFAULT_START.isoformat()})",
        )
        parser.add_argument(
            "--profile",
            metavar="FILE",
            help="JSON file overriding the default durations and probabilities",
        )
        parser.add_argument(
            "--no-progress", action="store_true", help="do not draw the progress bar"
        )

    def handle(self, *args, **options):
        try:
            profile = simulation.load_profile(options["profile"])
        except simulation.ProfileError as exc:
            raise CommandError(str(exc)) from exc
        service = None
        if options["service"]:
            service = Service.objects.filter(code=options["service"]).first()
            if service is None:
                known = ", ".join(Service.objects.order_by("code").values_list("code", flat=True))
                raise CommandError(
                    f"--service: no service {options['service']!r}; known: {known or 'none'}"
                )
            if not service.is_active:
                raise CommandError(f"--service: {service.code} is not open for applications")
        bar = tqdm(
            total=options["applications"],
            desc=f"simulate {options['routing']}",
            unit="decided",
            file=getattr(self.stderr, "_out", sys.stderr),  # the stream itself: \r redraws
            disable=options["no_progress"],
        )

        def progress(done: int, total: int) -> None:
            bar.update(done - bar.n)

        started = time.monotonic()
        try:
            result = simulation.simulate(
                applications=options["applications"],
                routing=options["routing"],
                seed=options["seed"],
                service=service,
                start=options["start"],
                profile=profile,
                progress=progress,
            )
        except (ValueError, ValidationError, PermissionDenied) as exc:
            # Refused before the first application: nothing of it was written.
            raise CommandError(
                f"the simulation stopped, nothing was written: {_message(exc)}"
            ) from exc
        except simulation.SimulationStopped as exc:
            written = exc.result
            raise CommandError(
                f"the simulation {exc}; what it simulated before is written, whole days "
                f"({written.applications} applications, {written.decided} decided, "
                f"marked simulated), the day it was in is not"
            ) from exc
        finally:
            bar.close()
        elapsed = time.monotonic() - started
        self._summary(result, elapsed)

    def _summary(self, result: simulation.SimulationResult, elapsed: float) -> None:
        figures = reports.approval_report(result.population())
        o = figures.overall
        out = self.stdout.write

        def days(value):
            return "-" if value is None else f"{value:.2f}"

        def share(value):
            return "-" if value is None else f"{value:.1%}"

        out(
            f"Simulated {result.applications} applications ({result.routing} routing, "
            f"seed {result.seed}) in {elapsed:.1f} s; {result.decided} decided."
        )
        if result.first_submission and result.last_decision:
            out(
                f"Submissions from {result.first_submission:%Y-%m-%d}, "
                f"last decision {result.last_decision:%Y-%m-%d}; "
                f"escalations fired {result.escalations_fired}; "
                f"extra submissions recorded {result.extra_submissions}."
            )
        out(
            f"From the records: median {days(o.median_days)} days "
            f"(p90 {days(o.p90_days)}, mean {days(o.mean_days)}; "
            f"working days median {days(o.median_working_days)}), "
            f"within {figures.target_days:g} days {share(o.within_target)}, "
            f"within {figures.baseline_days:g} days {share(o.within_baseline)}; "
            f"investor steps {days(o.investor_steps)} per application "
            f"({share(o.steps_avoided)} fewer than without the single window)."
        )
        out(
            "See all figures with: manage.py approval_report --include-simulated"
            + (f" --from {result.first_submission:%Y-%m-%d}" if result.first_submission else "")
        )
