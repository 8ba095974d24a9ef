"""``manage.py seed_demo``: the catalogue, the shared data, the roles, the demo users,
the demo's history and its applications.

Everything here is safe to run again: fixtures carry fixed keys (groups are
matched by name), groups and users are looked up before they are created, and
an existing user's password is left alone unless ``--reset-passwords`` says
otherwise, so a demo someone has already logged into keeps working.

The demo's history (``--history N``, default 300; 0 for none) is made once,
when there is none: N applications over the past six months, driven through
the real engine on a simulated clock by ``approvals.simulation`` and marked
``is_demo_history``, so the reports, the guide's medians and the overdue page
have real figures. The history is written a simulated day per transaction,
and its mail is recorded, never sent (see ``simulation.simulate``). The demo
applications, one in each state, are made once, by ``approvals.demo``, when
there are none besides the history; their permits' PDFs are made before this
command ends. The users' table is the last thing printed.
"""

from __future__ import annotations

import sys
import time
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from tqdm import tqdm

from approvals import clock, permits, realname, roles, selectors, simulation
from approvals.demo import demo_applications_create, paper_mandates, script_agency
from approvals.models import (
    ApplicationStatus,
    Department,
    Enterprise,
    Escalation,
    Permit,
    Person,
    Service,
    Step,
    StepKind,
)
from approvals.models.permits import RenderStatus
from approvals.roles import CLERK_GROUP, INVESTOR_GROUP, SUPERVISOR_GROUP

FIXTURES_DIR = Path(settings.BASE_DIR) / "fixtures"
FIXTURES = ("catalogue", "shared_data", "rejection_reasons")
DEMO_EMAIL_DOMAIN = "demo.hainan-window.test"
DEFAULT_PASSWORD = "demo-pass-2026"  # noqa: S105 - printed on purpose: demo accounts only
DEFAULT_HISTORY = 300
# The services whose departments get one demo reviewer each.
REVIEWED_SERVICES = ("fie-establishment", "investment-project-filing")


@dataclass(frozen=True)
class DemoUser:
    username: str
    role: str
    groups: tuple[str, ...] = ()
    superuser: bool = False


class Command(BaseCommand):
    help = "Load the service catalogue and shared data, and create the demo roles and users."

    def add_arguments(self, parser):
        parser.add_argument(
            "--password",
            default=DEFAULT_PASSWORD,
            help=f"Password of the demo users (default: {DEFAULT_PASSWORD}).",
        )
        parser.add_argument(
            "--reset-passwords",
            action="store_true",
            help="Also set the password of demo users that already exist.",
        )
        parser.add_argument(
            "--history",
            type=int,
            default=DEFAULT_HISTORY,
            metavar="N",
            help=(
                f"Applications of demo history over the past six months, made once "
                f"(default {DEFAULT_HISTORY}; 0: none)."
            ),
        )
        parser.add_argument(
            "--no-progress", action="store_true", help="Do not draw the history's progress bar."
        )

    def handle(self, *args, **options):
        if options["history"] < 0:
            raise CommandError(f"--history must be 0 or more (got {options['history']}).")
        with transaction.atomic():
            self._load_fixtures()
            self._ensure_groups()
            rows = self._ensure_users(options["password"], options["reset_passwords"])
            self._ensure_identities()
        if options["history"]:
            self._history(options["history"], progress=not options["no_progress"])
        # The PDFs are made here, before the server starts, rather than by a
        # thread that would die with this command.
        mode = settings.PERMIT_RENDER_MODE
        render_mode = "inline" if mode == "background" else mode
        with permits.rendering_mode(render_mode), transaction.atomic():
            made = demo_applications_create()
        for line in made:
            self.stdout.write(f"  demo application {line}")
        self.stdout.write(
            f"Demo applications: {len(made)} created"
            + ("" if made else " (applications already exist: left as they are)")
            + "."
        )
        self._report_demo_permits()
        self._print_users(rows)

    def _history(self, count: int, *, progress: bool) -> None:
        if simulation.demo_history_exists():
            self.stdout.write("Demo history: already there, left as it is.")
            return
        until = clock.now()
        days = simulation.DEMO_HISTORY_DAYS
        bar = tqdm(
            total=days,
            desc="demo history",
            unit="day",
            file=getattr(self.stderr, "_out", sys.stderr),  # the stream itself: \r redraws
            disable=not progress,
            bar_format="{desc}: {bar} {n_fmt}/{total_fmt} days [{elapsed}]",
        )
        first = [None]

        def on_clock(now: datetime) -> None:
            first[0] = first[0] or now
            bar.update(max(0, min(days, (now - first[0]).days) - bar.n))

        started = time.monotonic()
        try:
            result = simulation.demo_history_create(
                applications=count, until=until, days=days, on_clock=on_clock
            )
        finally:
            bar.update(days - bar.n)
            bar.close()
        elapsed = time.monotonic() - started
        if result is None:  # made meanwhile by another run
            self.stdout.write("Demo history: already there, left as it is.")
            return
        batch = result.batch()
        since = f"{result.first_submission:%Y-%m-%d}" if result.first_submission else "-"
        rejected = batch.filter(status=ApplicationStatus.REJECTED).count()
        returned = (
            Step.objects.filter(application__in=batch, kind=StepKind.CORRECTION)
            .values("application")
            .distinct()
            .count()
        )
        overdue = selectors.overdue_reviews(now=until).filter(application__in=batch).count()
        escalations = Escalation.objects.filter(application__in=batch).count()
        self.stdout.write(
            f"Demo history: {result.applications} applications from "
            f"{since} to today, made in {elapsed:.0f} s: "
            f"{result.decided} decided ({rejected} rejected), {returned} returned for "
            f"correction at least once, {result.open} still open ({overdue} reviews "
            f"overdue), {escalations} escalations."
        )

    def _report_demo_permits(self) -> None:
        """Say whether the demo applications' permits have their PDFs (the history's
        are made by the background sweep)."""
        waiting = permits.permits_awaiting_render().filter(
            application__is_demo_history=False, application__is_simulated=False
        )
        failed = waiting.filter(render_status=RenderStatus.FAILED).count()
        pending = waiting.count() - failed
        if failed:
            self.stderr.write(
                f"Demo permits: {failed} PDF(s) failed; they are retried by the background "
                "sweep (or: manage.py render_permits)."
            )
        if pending:
            self.stdout.write(
                f"Demo permits: {pending} PDF(s) still to make (PERMIT_RENDER_MODE="
                f"{settings.PERMIT_RENDER_MODE}): manage.py render_permits makes them."
            )
        history = Permit.objects.filter(
            application__is_demo_history=True, render_status=RenderStatus.PENDING
        ).count()
        if history:
            self.stdout.write(
                f"Demo history: {history} permit PDF(s) to make; the background sweep "
                "(manage.py background_sweep) makes them."
            )

    def _load_fixtures(self) -> None:
        for name in FIXTURES:
            path = FIXTURES_DIR / f"{name}.json"
            if not path.exists():
                raise CommandError(f"Fixture {path} is missing.")
            call_command("loaddata", str(path), verbosity=0)
            self.stdout.write(f"Loaded fixture {name} ({path.name}).")

    def _ensure_groups(self) -> None:
        reviewer_groups = [
            d.reviewer_group for d in Department.objects.select_related("reviewer_group")
        ]
        try:
            roles.ensure_role_groups(reviewer_groups=reviewer_groups)
        except LookupError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(
            f"Ensured role groups {INVESTOR_GROUP}, {CLERK_GROUP}, {SUPERVISOR_GROUP} and "
            f"{len(reviewer_groups)} department reviewer groups with their permissions."
        )

    def _demo_users(self) -> list[DemoUser]:
        users = [
            DemoUser("investor", "investor", (INVESTOR_GROUP,)),
            DemoUser("agent", "agent filing for investors", (INVESTOR_GROUP,)),
            DemoUser("clerk", "window clerk", (CLERK_GROUP,)),
        ]
        departments = selectors.departments_deciding(*REVIEWED_SERVICES)
        users += [
            DemoUser(f"rev-{d.code}", "department reviewer", (d.reviewer_group.name,))
            for d in departments
        ]
        users += [
            DemoUser("supervisor", "supervisor", (SUPERVISOR_GROUP,)),
            DemoUser("admin", "administrator (superuser)", superuser=True),
        ]
        return users

    def _ensure_users(
        self, password: str, reset_passwords: bool
    ) -> list[tuple[str, str, str, str]]:
        User = get_user_model()
        rows = []
        created_count = 0
        for demo in self._demo_users():
            user, created = User.objects.get_or_create(
                username=demo.username,
                defaults={"email": f"{demo.username}@{DEMO_EMAIL_DOMAIN}"},
            )
            if not user.email:
                user.email = f"{demo.username}@{DEMO_EMAIL_DOMAIN}"
            if demo.superuser:
                user.is_staff = user.is_superuser = True
            if created or reset_passwords:
                user.set_password(password)
            user.is_active = True
            user.save()
            user.groups.add(*Group.objects.filter(name__in=demo.groups))
            created_count += created
            shown = password if created or reset_passwords else "(unchanged)"
            groups = ", ".join(demo.groups) or "-"
            rows.append((demo.username, demo.role, groups, shown))
        self.stdout.write(
            f"Ensured {len(rows)} demo users ({created_count} created, "
            f"{len(rows) - created_count} already there)."
        )
        return rows

    def _ensure_identities(self) -> None:
        """The demo investor and agent verify as real people do (approvals.realname,
        against the population register in fixtures/shared_data.json). The investor is
        the registry's legal representative of the first enterprise; the agent files
        through an agency holding paper mandates of the demo's enterprises; the
        investor too holds the other demo enterprises' mandates, registered at the
        window, so the demo shows every state for them."""
        users = get_user_model().objects.in_bulk(
            ["investor", "agent", "clerk"], field_name="username"
        )
        for username, document in (
            ("investor", "460106197109272837"),
            ("agent", "460100199003081523"),
        ):
            person = Person.objects.get(document_number=document)
            realname.identity_verify(
                user=users[username],
                name=person.name,
                document_type=person.document_type,
                document_number=person.document_number,
                nationality=person.nationality,
            )
        enterprises = list(
            Enterprise.objects.filter(tax_registration__isnull=False).order_by("pk")[:5]
        )
        every_service = list(Service.objects.all())
        made = paper_mandates(
            registered_by=users["clerk"],
            enterprises=enterprises,
            services_=every_service,
            agency=script_agency(users["agent"]),
        )
        made += paper_mandates(
            registered_by=users["clerk"],
            enterprises=[
                e for e in enterprises if e.legal_representative_id != "460106197109272837"
            ],
            services_=every_service,
            user=users["investor"],
        )
        self.stdout.write(
            f"Verified the demo investor and agent; {made} paper mandates registered."
        )

    def _print_users(self, rows: list[tuple[str, str, str, str]]) -> None:
        """The footer, then the users' table: the last thing printed before the
        server starts, so nobody has to scroll back for a password."""
        self.stdout.write(self.style.SUCCESS("Demo data ready."))
        self.stdout.write(
            f"Permit QR codes and verification links point to PERMIT_PUBLIC_BASE_URL = "
            f"{settings.PERMIT_PUBLIC_BASE_URL}"
        )
        if settings.EMAIL_BACKEND.endswith("filebased.EmailBackend"):
            self.stdout.write(f"Mail is written to files in {settings.EMAIL_FILE_PATH}/.")
        if settings.OFFICIAL_SECOND_FACTOR:
            self.stdout.write(
                "Officials' second factor is on (OFFICIAL_SECOND_FACTOR): the clerk, reviewers, "
                "supervisor and admin set up an authenticator app at their first login."
            )
        else:
            self.stdout.write("Officials' second factor is off (OFFICIAL_SECOND_FACTOR=false).")
        self.stdout.write(
            self.style.WARNING(
                "These accounts and this password are for the demo only: "
                "never run seed_demo against a production database."
            )
        )
        table = [("username", "role", "groups", "password"), *rows]
        widths = [max(len(row[i]) for row in table) for i in range(3)]
        self.stdout.write("")
        for i, row in enumerate(table):
            cells = [f"{cell:<{width}}" for cell, width in zip(row, widths, strict=False)]
            self.stdout.write("  ".join([*cells, row[3]]))
            if i == 0:
                self.stdout.write("  ".join("-" * w for w in [*widths, 14]))
        self.stdout.write("")
