"""Which applications the report counts: :class:`Population`.

``approvals.reports.filters`` builds one from the page's query string, the
API's, the task's or the command's options; the simulator builds one for its
run. Every figure's query filters through :meth:`Population.q`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db.models import Q, QuerySet

from approvals.models import (
    DECIDED_STATUSES,
    Application,
    ApplicationMatter,
    Department,
    Service,
)


@dataclass(frozen=True)
class Population:
    """Which applications the report counts.

    Always: submitted and decided (approved or rejected). Then the filters:
    a service, the services a department takes part in, a range of local
    decision days (both ends included), simulated applications or not, and
    an inclusive range of application ids (one simulator run).
    """

    service: Service | None = None
    department: Department | None = None
    decided_from: date | None = None
    decided_to: date | None = None
    include_simulated: bool = False
    simulated_only: bool = False
    ids: tuple[int, int] | None = None

    def q(self, prefix: str = "") -> Q:
        """The condition on applications, or on rows reached through `prefix` ("application__")."""

        def lookup(**kwargs) -> Q:
            return Q(**{f"{prefix}{name}": value for name, value in kwargs.items()})

        q = lookup(
            status__in=DECIDED_STATUSES, submitted_at__isnull=False, decided_at__isnull=False
        )
        if self.simulated_only:
            q &= lookup(is_simulated=True)
        elif not self.include_simulated:
            q &= lookup(is_simulated=False)
        if self.service is not None:
            q &= lookup(service_id=self.service.pk)
        if self.department is not None:
            # The applications with a matter this department decides.
            q &= lookup(
                pk__in=ApplicationMatter.objects.filter(matter__department=self.department).values(
                    "application_id"
                )
            )
        if self.decided_from is not None:
            q &= lookup(decided_at__gte=local_midnight(self.decided_from))
        if self.decided_to is not None:
            q &= lookup(decided_at__lt=local_midnight(self.decided_to + timedelta(days=1)))
        if self.ids is not None:
            q &= lookup(pk__gte=self.ids[0], pk__lte=self.ids[1])
        return q

    def applications(self) -> QuerySet[Application]:
        return Application.objects.filter(self.q()).order_by()

    def described(self) -> dict:
        """The filters as plain values, to print beside the figures."""
        return {
            "service": self.service.code if self.service else None,
            "department": self.department.code if self.department else None,
            "decided_from": self.decided_from.isoformat() if self.decided_from else None,
            "decided_to": self.decided_to.isoformat() if self.decided_to else None,
            "include_simulated": self.include_simulated or self.simulated_only,
        }


def local_midnight(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=ZoneInfo(settings.TIME_ZONE))
