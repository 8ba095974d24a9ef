"""``manage.py seed_demo``: the catalogue, the shared data, the roles and the demo users.

Everything here is safe to run again: fixtures carry fixed keys (groups are
matched by name), groups and users are looked up before they are created, and
an existing user's password is left alone unless ``--reset-passwords`` says
otherwise, so a demo someone has already logged into keeps working. Demo
applications are made once, by ``approvals.demo``, when there are none.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from approvals.demo import demo_applications_create
from approvals.models import Department
from approvals.services import CLERK_GROUP, INVESTOR_GROUP, SUPERVISOR_GROUP

FIXTURES_DIR = Path(settings.BASE_DIR) / "fixtures"
FIXTURES = ("catalogue", "shared_data", "rejection_reasons")
DEMO_EMAIL_DOMAIN = "demo.hainan-window.test"
DEFAULT_PASSWORD = "demo-pass-2026"  # noqa: S105 - printed on purpose: demo accounts only
# The services whose departments get one demo reviewer each.
REVIEWED_SERVICES = ("fie-establishment", "investment-project-filing")

# Without these an official cannot open viewflow's inbox and task lists. They
# come from apps the catalogue does not own, so a missing one is skipped
# rather than treated as an error.
INBOX_PERMISSIONS = ("viewflow.view_process", "approvals.view_applicationprocess")
ROLE_PERMISSIONS = {
    INVESTOR_GROUP: (),
    CLERK_GROUP: ("approvals.accept_application",),
    SUPERVISOR_GROUP: ("approvals.supervise",),
}


@dataclass(frozen=True)
class DemoUser:
    username: str
    role: str
    groups: tuple[str, ...] = ()
    superuser: bool = False


def _permission(dotted: str) -> Permission | None:
    app_label, codename = dotted.split(".", 1)
    return Permission.objects.filter(content_type__app_label=app_label, codename=codename).first()


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

    @transaction.atomic
    def handle(self, *args, **options):
        self._load_fixtures()
        self._ensure_groups()
        rows = self._ensure_users(options["password"], options["reset_passwords"])
        made = demo_applications_create()
        for line in made:
            self.stdout.write(f"  demo application {line}")
        self.stdout.write(
            f"Demo applications: {len(made)} created"
            + ("" if made else " (applications already exist: left as they are)")
            + "."
        )
        self._print_users(rows)

    def _load_fixtures(self) -> None:
        for name in FIXTURES:
            path = FIXTURES_DIR / f"{name}.json"
            if not path.exists():
                raise CommandError(f"Fixture {path} is missing.")
            call_command("loaddata", str(path), verbosity=0)
            self.stdout.write(f"Loaded fixture {name} ({path.name}).")

    def _ensure_groups(self) -> None:
        inbox = [p for p in map(_permission, INBOX_PERMISSIONS) if p is not None]
        for name, dotted_names in ROLE_PERMISSIONS.items():
            group, _created = Group.objects.get_or_create(name=name)
            perms = []
            for dotted in dotted_names:
                perm = _permission(dotted)
                if perm is None:
                    raise CommandError(f"Permission {dotted} does not exist: run migrate first.")
                perms.append(perm)
            if name != INVESTOR_GROUP:
                perms.extend(inbox)
            group.permissions.add(*perms)
        reviewer_groups = [
            d.reviewer_group for d in Department.objects.select_related("reviewer_group")
        ]
        for group in reviewer_groups:
            group.permissions.add(*inbox)
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
        departments = (
            Department.objects.filter(services__code__in=REVIEWED_SERVICES)
            .select_related("reviewer_group")
            .distinct()
            .order_by("code")
        )
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

    def _print_users(self, rows: list[tuple[str, str, str, str]]) -> None:
        table = [("username", "role", "groups", "password"), *rows]
        widths = [max(len(row[i]) for row in table) for i in range(3)]
        self.stdout.write("")
        for i, row in enumerate(table):
            cells = [f"{cell:<{width}}" for cell, width in zip(row, widths, strict=False)]
            self.stdout.write("  ".join([*cells, row[3]]))
            if i == 0:
                self.stdout.write("  ".join("-" * w for w in [*widths, 14]))
        self.stdout.write("")
        self.stdout.write(
            self.style.WARNING(
                "These accounts and this password are for the demo only: "
                "never run seed_demo against a production database."
            )
        )
        self.stdout.write(self.style.SUCCESS("Demo data ready."))
