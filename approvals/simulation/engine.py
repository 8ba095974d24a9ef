"""The run: one queue of events over all applications, worked off in batches of
transactions on a simulated clock.

A batch is one simulated day (at most ``batch_events`` events): it commits
whole or not at all, so a long run holds no transaction for long, and a run
interrupted (an error, a worker stopped) leaves the days before the one it was
in, each consistent, as the engine left them at that day's end; their
applications still open stay open, as with ``until``. The clock is passed to
the engine for this context only (``approvals.simulation.clock``), and its mail
and permit PDFs are held (``approvals.jobs.hold``): nothing of the process is
patched, no setting changed.
"""

from __future__ import annotations

import heapq
import itertools
import random
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from approvals import clock, demo, jobs, roles
from approvals.models import (
    Application,
    Department,
    Enterprise,
    Licence,
    LicenceStatus,
    PropertyRecord,
    Service,
    ThingMatter,
)
from approvals.reports import Population
from approvals.simulation.clock import SimulatedClock, after
from approvals.simulation.people import Case, People
from approvals.simulation.profile import Profile, build_profile

ROUTINGS = ("parallel", "sequential")
# Fixed, so that the same seed gives the same figures whatever day it is run
# (the working-day calendar differs from week to week); a Monday the
# official calendar covers.
DEFAULT_START = date(2025, 3, 3)
# A transaction holds one simulated day, and never more than this many events.
BATCH_EVENTS = 500


class SimulationStopped(RuntimeError):
    """A run stopped part way; ``result`` counts what its committed batches wrote."""

    def __init__(self, message: str, result: SimulationResult, at: datetime):
        super().__init__(message)
        self.result = result
        self.at = at


# --- the run ------------------------------------------------------------------------


@dataclass(frozen=True)
class SimulationResult:
    applications: int
    decided: int
    routing: str
    seed: int
    first_pk: int | None
    last_pk: int | None
    first_submission: datetime | None
    last_decision: datetime | None
    escalations_fired: int
    extra_submissions: int
    # Demo history (``demo_history=True``) instead of simulated applications.
    demo_history: bool = False

    @property
    def open(self) -> int:
        """Applications still undecided when the run stopped (only with ``until``)."""
        return self.applications - self.decided

    def batch(self):
        """The applications this run wrote, as a queryset."""
        if self.first_pk is None:
            return Application.objects.none()
        mark = {"is_demo_history": True} if self.demo_history else {"is_simulated": True}
        return Application.objects.filter(**mark, pk__gte=self.first_pk, pk__lte=self.last_pk)

    def population(self):
        """This run's decided applications, for ``reports.approval_report``."""
        ids = (self.first_pk or 0, self.last_pk or 0)
        if self.demo_history:
            return Population(ids=ids)  # demo history counts like real applications
        return Population(simulated_only=True, ids=ids)


class Simulation(People):
    """One run: the event queue, the simulated people, and what they have done so far."""

    def __init__(
        self,
        *,
        applications: int,
        routing: str,
        seed: int,
        services_: list[Service],
        start: date,
        profile: Profile,
        progress: Callable[[int, int], None] | None = None,
        until: datetime | None = None,
        demo_history: bool = False,
        on_clock: Callable[[datetime], None] | None = None,
        batch_events: int = BATCH_EVENTS,
    ):
        if applications < 1:
            raise ValueError("at least one application")
        if batch_events < 1:
            raise ValueError("at least one event per batch")
        if routing not in ROUTINGS:
            raise ValueError(f"routing must be one of {', '.join(ROUTINGS)}")
        self.count = applications
        self.routing = routing
        self.seed = seed
        self.services = services_
        self.start = start
        self.profile = profile
        self.progress = progress or (lambda done, total: None)
        self.until = until
        self.demo_history = demo_history
        self.on_clock = on_clock or (lambda now: None)
        self.batch_events = batch_events
        self._queue: list = []
        self._sequence = itertools.count()
        self.decided = 0
        self.escalations = 0
        self.extra_submissions = 0
        self.created = 0
        self.first_pk: int | None = None
        self.last_pk: int | None = None
        self.first_submission: datetime | None = None
        self.last_decision: datetime | None = None

    # -- the event queue

    def _at(self, when: datetime, case: Case, action: str, *payload) -> None:
        heapq.heappush(self._queue, (when, next(self._sequence), case, action, payload))

    def run(self) -> SimulationResult:
        """Work off the queue, one transaction per batch; see the module docstring."""
        with transaction.atomic():
            self._prepare()
        zone = ZoneInfo(settings.TIME_ZONE)
        self._arrivals = random.Random(f"{self.seed}:arrivals")
        self._numbers = iter(range(self.count))
        self._arrive(datetime.combine(self.start, time(self.profile.office_hours[0]), zone))
        sim_clock = SimulatedClock(self._queue[0][0])
        committed = self._result()
        try:
            with sim_clock.running():
                more = True
                while more:
                    with transaction.atomic():
                        more = self._batch(sim_clock)
                    committed = self._result()
        except Exception as exc:
            self._keep_licences_out_of_the_library()
            detail = "; ".join(exc.messages) if isinstance(exc, ValidationError) else str(exc)
            raise SimulationStopped(
                f"stopped at {sim_clock.moment:%Y-%m-%d %H:%M}: {detail}",
                committed,
                sim_clock.moment,
            ) from exc
        except BaseException:  # interrupted: still keep the written licences out
            self._keep_licences_out_of_the_library()
            raise
        self._keep_licences_out_of_the_library()
        return committed

    def _batch(self, sim_clock: SimulatedClock) -> bool:
        """The events of one simulated day (at most ``batch_events``); False once the
        queue is done or the next event lies after ``until``."""
        day = None
        for _ in range(self.batch_events):
            if not self._queue:
                return False
            when = self._queue[0][0]
            if self.until is not None and when > self.until:
                return False  # what would happen after `until` has not happened yet
            today = timezone.localtime(when).date()
            if day is not None and today != day:
                return True
            day = today
            when, _seq, case, action, payload = heapq.heappop(self._queue)
            sim_clock.move_to(when)
            self.on_clock(when)
            getattr(self, f"_on_{action}")(case, when, *payload)
        return bool(self._queue)

    def _result(self) -> SimulationResult:
        return SimulationResult(
            applications=self.created,
            decided=self.decided,
            routing=self.routing,
            seed=self.seed,
            first_pk=self.first_pk,
            last_pk=self.last_pk,
            first_submission=self.first_submission,
            last_decision=self.last_decision,
            escalations_fired=self.escalations,
            extra_submissions=self.extra_submissions,
            demo_history=self.demo_history,
        )

    def _created(self, pk: int) -> None:
        self.created += 1
        self.first_pk = pk if self.first_pk is None else min(self.first_pk, pk)
        self.last_pk = pk if self.last_pk is None else max(self.last_pk, pk)

    def _arrive(self, since: datetime) -> None:
        """Queue the next application's arrival; each arrival queues the one after it,
        so only the applications in flight are held in memory."""
        number = next(self._numbers, None)
        if number is None:
            return
        when = after(since, self._arrivals.expovariate(1 / self.profile.arrival_hours))
        rng = random.Random(f"{self.seed}:{number}")
        service = self.services[rng.randrange(len(self.services))]
        case = Case(
            number=number,
            rng=rng,
            service=service,
            enterprise=self.enterprises[rng.randrange(len(self.enterprises))],
            departments=self.departments_of[service.pk],
        )
        self._at(when, case, "create")

    def _prepare(self) -> None:
        # Not the enterprises earlier runs established (their reservations are the
        # simulator's): the same seed draws from the same registry every run.
        self.enterprises = list(
            Enterprise.objects.exclude(
                name_reservation__number__startswith=demo.SCRIPT_RESERVATION_PREFIX
            ).order_by("pk")
        )
        self.premises = list(PropertyRecord.objects.order_by("pk"))
        if not self.enterprises:
            raise ValueError("the shared data holds no enterprise: load fixtures/shared_data.json")
        self.departments_of: dict[int, list[str]] = {s.pk: [] for s in self.services}
        parts = (
            ThingMatter.objects.filter(service__in=self.services)
            .select_related("matter__department")
            .order_by("order", "pk")
        )
        for part in parts:
            self.departments_of[part.service_id].append(part.matter.department.code)
        User = get_user_model()

        def user(username: str):
            account, created = User.objects.get_or_create(
                username=username, defaults={"email": "", "is_active": True}
            )
            if created:
                account.set_unusable_password()
                account.save(update_fields=["password"])
            return account

        self.investor = user("sim-investor")
        self.clerk = user("sim-clerk")
        # A clerk as any other: through the clerks' group (approvals.roles).
        self.clerk.groups.add(roles.ensure_role_groups()[roles.CLERK_GROUP])
        self.clerk = User.objects.get(pk=self.clerk.pk)  # no stale roles cache
        # The simulated investor plays every enterprise's filer: a verified account
        # with the enterprises' mandates, as the services require of anyone.
        demo.verified_for_script(
            self.investor, name="Simulated investor", document_number="SIMINVESTOR1"
        )
        # In force over the whole run, which may lie in the past (the demo's history).
        first_day = datetime.combine(self.start, time.min, ZoneInfo(settings.TIME_ZONE))
        demo.paper_mandates(
            registered_by=self.clerk,
            enterprises=self.enterprises,
            services_=self.services,
            user=self.investor,
            valid_from=first_day - timedelta(days=1),
            valid_until=max(first_day, clock.now()) + timedelta(days=730),
        )
        self.reviewers = {}
        self.department_of = {}
        codes = {code for codes in self.departments_of.values() for code in codes}
        for department in Department.objects.filter(code__in=codes).select_related(
            "reviewer_group"
        ):
            reviewer = user(f"sim-rev-{department.code}")
            reviewer.groups.add(department.reviewer_group)
            self.reviewers[department.code] = reviewer
            self.department_of[department.code] = department

    def _keep_licences_out_of_the_library(self) -> None:
        """Revoke the licences simulated permits put into the library: at the run's end
        (stopped or not), so that its own later applications may reuse them, as they
        would in life. Every simulated run's and the demo history's, so those of a run
        killed outright (its process gone, nothing could revoke them) go with the next."""
        Licence.objects.filter(
            Q(permit__application__is_simulated=True)
            | Q(permit__application__is_demo_history=True),
            status=LicenceStatus.VALID,
        ).update(status=LicenceStatus.REVOKED)


def simulate(
    *,
    applications: int,
    routing: str,
    seed: int,
    service: Service | None = None,
    start: date | None = None,
    profile: Profile | None = None,
    progress: Callable[[int, int], None] | None = None,
    until: datetime | None = None,
    demo_history: bool = False,
    on_clock: Callable[[datetime], None] | None = None,
    batch_events: int = BATCH_EVENTS,
) -> SimulationResult:
    """Run a simulation, a simulated day per transaction; see the module docstring.

    ``until`` stops the clock there: events due later do not happen, so the
    applications still in flight stay open (drafts, at the window, returned,
    in review), exactly as the engine left them. ``demo_history`` marks the
    applications as the demo's history (``Application.is_demo_history``)
    instead of simulated ones; reports count them like real applications.
    ``on_clock`` is called with the simulated time before each event.

    Raises :class:`SimulationStopped` when the run stops part way: the batches
    before have been written (its ``result`` counts them), the one it was in
    has not.
    """
    if service is not None:
        chosen = [service]
    else:
        chosen = list(
            Service.objects.filter(is_active=True, thing_matters__isnull=False)
            .distinct()
            .order_by("code")
        )
    if not chosen:
        raise ValueError("no active service with departments: load fixtures/catalogue.json")
    if not all(ThingMatter.objects.filter(service=s).exists() for s in chosen):
        raise ValueError(f"service {chosen[0].code} has no matter to review")
    simulation = Simulation(
        applications=applications,
        routing=routing,
        seed=seed,
        services_=chosen,
        start=start or DEFAULT_START,
        profile=profile or build_profile(),
        progress=progress,
        until=until,
        demo_history=demo_history,
        on_clock=on_clock,
        batch_events=batch_events,
    )
    # Held: escalations would otherwise mail the real supervisors.
    with jobs.hold():
        return simulation.run()
