"""The run: the event queue over all applications, the simulated people, and what they do."""

from __future__ import annotations

import heapq
import itertools
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import time_machine
from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction
from django.test.utils import override_settings
from django.utils import timezone
from viewflow.workflow.models import Task
from viewflow.workflow.status import STATUS

from approvals import demo, roles, services, timekeeping
from approvals.demo import hand_in_missing
from approvals.models import (
    Application,
    ApplicationStatus,
    ClockHolder,
    Department,
    DepartmentReview,
    Enterprise,
    Licence,
    LicenceStatus,
    PropertyRecord,
    Service,
    ServiceDepartment,
    Step,
    StepKind,
)
from approvals.simulation.clock import _after, add_office_hours
from approvals.simulation.profile import Profile, build_profile

ROUTINGS = ("parallel", "sequential")
# Fixed, so that the same seed gives the same figures whatever day it is run
# (the working-day calendar differs from week to week); a Monday the
# official calendar covers.
DEFAULT_START = date(2025, 3, 3)


# --- the run ------------------------------------------------------------------------


@dataclass
class _Case:
    number: int
    rng: random.Random
    service: Service
    enterprise: Enterprise
    departments: list[str]
    application: Application | None = None
    corrections: int = 0
    # department code -> (review pk, due at)
    reviews: dict[str, tuple[int, datetime | None]] = field(default_factory=dict)
    sequence: list[tuple[str, bool]] = field(default_factory=list)
    timers_at: set[datetime] = field(default_factory=set)


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
        from approvals.reports import Population

        ids = (self.first_pk or 0, self.last_pk or 0)
        if self.demo_history:
            return Population(ids=ids)  # demo history counts like real applications
        return Population(simulated_only=True, ids=ids)


class Simulation:
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
    ):
        if applications < 1:
            raise ValueError("at least one application")
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
        self._queue: list = []
        self._sequence = itertools.count()
        self.decided = 0
        self.escalations = 0
        self.extra_submissions = 0
        self.pks: list[int] = []
        self.first_submission: datetime | None = None
        self.last_decision: datetime | None = None

    # -- the event queue

    def _at(self, when: datetime, case: _Case, action: str, *payload) -> None:
        heapq.heappush(self._queue, (when, next(self._sequence), case, action, payload))

    def run(self) -> SimulationResult:
        self._prepare()
        zone = ZoneInfo(settings.TIME_ZONE)
        self._arrivals = random.Random(f"{self.seed}:arrivals")
        self._numbers = iter(range(self.count))
        self._arrive(datetime.combine(self.start, time(self.profile.office_hours[0]), zone))
        with time_machine.travel(self._queue[0][0], tick=False) as traveller:
            while self._queue:
                when, _seq, case, action, payload = heapq.heappop(self._queue)
                if self.until is not None and when > self.until:
                    break  # what would happen after `until` has not happened yet
                traveller.move_to(when, tick=False)
                self.on_clock(when)
                getattr(self, f"_on_{action}")(case, when, *payload)
        self._keep_licences_out_of_the_library()
        return SimulationResult(
            applications=len(self.pks),
            decided=self.decided,
            routing=self.routing,
            seed=self.seed,
            first_pk=min(self.pks) if self.pks else None,
            last_pk=max(self.pks) if self.pks else None,
            first_submission=self.first_submission,
            last_decision=self.last_decision,
            escalations_fired=self.escalations,
            extra_submissions=self.extra_submissions,
            demo_history=self.demo_history,
        )

    def _arrive(self, after: datetime) -> None:
        """Queue the next application's arrival; each arrival queues the one after it,
        so only the applications in flight are held in memory."""
        number = next(self._numbers, None)
        if number is None:
            return
        when = _after(after, self._arrivals.expovariate(1 / self.profile.arrival_hours))
        rng = random.Random(f"{self.seed}:{number}")
        service = self.services[rng.randrange(len(self.services))]
        case = _Case(
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
            ServiceDepartment.objects.filter(service__in=self.services)
            .select_related("department")
            .order_by("pk")
        )
        for part in parts:
            self.departments_of[part.service_id].append(part.department.code)
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
            valid_until=max(first_day, timezone.now()) + timedelta(days=730),
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

    # -- the investor

    def _on_create(self, case: _Case, now: datetime) -> None:
        self._arrive(now)
        # An establishment is opened on a name the investor declares, one per case,
        # shaped like the case's enterprise; its approval registers a new one. The
        # domicile is not drawn from the case's generator: its draws decide the timing.
        domicile = self.premises[case.number % len(self.premises)] if self.premises else None
        application = demo.application_for_script(
            applicant=self.investor,
            service=case.service,
            enterprise=case.enterprise,
            domicile=domicile,
        )
        mark = {"is_demo_history": True} if self.demo_history else {"is_simulated": True}
        Application.objects.filter(pk=application.pk).update(**mark)
        self.pks.append(application.pk)
        case.application = application
        self._hand_in(application)
        self._at(_after(now, self.profile.draft_hours.sample(case.rng)), case, "submit")

    def _hand_in(self, application: Application) -> None:
        """What prefill could not reuse: the shared scripted investor hands it in."""
        hand_in_missing(
            application,
            actor=self.investor,
            commitment="模拟申请承诺 / Simulated application: we commit that this is true.",
            typed="模拟 / simulated",
        )

    def _on_submit(self, case: _Case, now: datetime) -> None:
        services.application_submit(actor=self.investor, application=case.application)
        if self.first_submission is None or now < self.first_submission:
            self.first_submission = now
        self._at_window(case, now)

    def _on_resubmit(self, case: _Case, now: datetime) -> None:
        services.application_resubmit(
            actor=self.investor, application=case.application, answer="已补正 / corrected"
        )
        self._at_window(case, now)

    # -- the window

    def _at_window(self, case: _Case, now: datetime) -> None:
        done = add_office_hours(
            now, self.profile.clerk_hours.sample(case.rng), self.profile.office_hours
        )
        self._at(done, case, "window")

    def _on_window(self, case: _Case, now: datetime) -> None:
        returned = (
            case.corrections < self.profile.max_corrections
            and case.rng.random() < self.profile.correction_probability
        )
        if returned:
            case.corrections += 1
            services.application_return(
                actor=self.clerk,
                application=case.application,
                items=["模拟补正 / simulated correction: a document is unclear"],
            )
            hours = self.profile.correction_hours.sample(case.rng)
            self._at(_after(now, hours), case, "resubmit")
            return
        application = services.application_accept(actor=self.clerk, application=case.application)
        case.reviews = {
            code: (pk, due)
            for code, pk, due in DepartmentReview.objects.filter(
                application=application
            ).values_list("department__code", "pk", "due_at")
        }
        if self.routing == "parallel":
            for code in case.departments:
                self._plan_review(case, code, now)
        else:
            # Draw every department's verdict now, in order, so a rejection
            # stops the sequence where it happens.
            case.sequence = [
                (code, case.rng.random() < self.profile.department(code).reject_probability)
                for code in case.departments
            ]
            self._plan_review(case, case.sequence[0][0], now, rejects=case.sequence[0][1])

    # -- the departments

    def _plan_review(
        self, case: _Case, code: str, start: datetime, *, rejects: bool | None = None
    ) -> None:
        profile = self.profile.department(code)
        office = self.profile.office_hours
        taken = add_office_hours(start, profile.queue_hours.sample(case.rng), office)
        review_hours = profile.review_hours.sample(case.rng)
        # Drawn only when it can happen, so a profile without late reviews
        # draws exactly what it drew before late reviews existed.
        if profile.late_probability and case.rng.random() < profile.late_probability:
            review_hours = profile.late_hours.sample(case.rng)
        decided = add_office_hours(taken, review_hours, office)
        if rejects is None:
            rejects = case.rng.random() < profile.reject_probability
        self._at(taken, case, "take", code)
        self._at(decided, case, "review", code, not rejects)
        due = case.reviews[code][1]
        if due is not None and due < decided and due not in case.timers_at:
            case.timers_at.add(due)
            self._at(_after(due, 1 / 3600), case, "timers")

    def _review(self, case: _Case, code: str) -> DepartmentReview:
        return DepartmentReview.objects.select_related("department", "task").get(
            pk=case.reviews[code][0]
        )

    def _on_take(self, case: _Case, now: datetime, code: str) -> None:
        review = self._review(case, code)
        if review.task is not None and review.task.owner_id is None:
            services.task_assign(actor=self.reviewers[code], task=review.task)

    def _on_review(self, case: _Case, now: datetime, code: str, approve: bool) -> None:
        services.review_complete(
            actor=self.reviewers[code],
            review=self._review(case, code),
            approve=approve,
            reasons="" if approve else "模拟：不符合条件 / Simulated: the conditions are not met.",
        )
        if self.routing == "sequential":
            position = [c for c, _rejects in case.sequence].index(code)
            rest = case.sequence[position + 1 :]
            if not approve:
                for later, _rejects in rest:
                    services.review_complete(
                        actor=self.reviewers[later],
                        review=self._review(case, later),
                        approve=False,
                        reasons=(
                            "未受理：前序部门不予许可 / Not reached: an earlier department "
                            "refused (sequential routing)."
                        ),
                    )
            elif rest:
                hours = self.profile.resubmission_hours.sample(case.rng)
                self._at(_after(now, hours), case, "forward", rest[0][0], now)
        self._count_if_decided(case, now)

    def _on_forward(self, case: _Case, now: datetime, code: str, since: datetime) -> None:
        """Sequential routing: the investor files the case anew at the next department."""
        calendar = timekeeping.calendar_days_between(since, now)
        Step.objects.create(
            application=case.application,
            kind=StepKind.SUBMISSION,
            department=self.department_of[code],
            holder=ClockHolder.INVESTOR,
            actor=self.investor,
            created_at=since,
            assigned_at=since,
            finished_at=now,
            calendar_days=calendar,
            working_days=timekeeping.working_days_between(since, now),
            estimated=timekeeping.spans_unofficial_days(since, now),
        )
        self.extra_submissions += 1
        rejects = dict(case.sequence)[code]
        self._plan_review(case, code, now, rejects=rejects)

    def _on_timers(self, case: _Case, now: datetime) -> None:
        """Fire this application's due SLA timers, and only its own."""
        due = Task.objects.filter(
            process_id=case.application.process_id,
            flow_task_type="TIMER",
            status=STATUS.SCHEDULED,
            scheduled__lte=now,
        ).order_by("scheduled", "pk")
        for task in due:
            with task.activation() as activation:
                if activation.start.can_proceed():
                    activation.start()
                    activation.execute()
                    self.escalations += 1

    def _count_if_decided(self, case: _Case, now: datetime) -> None:
        status = Application.objects.values_list("status", flat=True).get(pk=case.application.pk)
        if status in (ApplicationStatus.APPROVED, ApplicationStatus.REJECTED):
            self.decided += 1
            self.last_decision = max(self.last_decision or now, now)
            self.progress(self.decided, self.count)

    def _keep_licences_out_of_the_library(self) -> None:
        Licence.objects.filter(permit__application__pk__in=self.pks).update(
            status=LicenceStatus.REVOKED
        )


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
) -> SimulationResult:
    """Run a simulation in one transaction; see the module docstring.

    ``until`` stops the clock there: events due later do not happen, so the
    applications still in flight stay open (drafts, at the window, returned,
    in review), exactly as the engine left them. ``demo_history`` marks the
    applications as the demo's history (``Application.is_demo_history``)
    instead of simulated ones; reports count them like real applications.
    ``on_clock`` is called with the simulated time before each event.
    """
    if service is not None:
        chosen = [service]
    else:
        chosen = list(
            Service.objects.filter(is_active=True, service_departments__isnull=False)
            .distinct()
            .order_by("code")
        )
    if not chosen:
        raise ValueError("no active service with departments: load fixtures/catalogue.json")
    if not all(ServiceDepartment.objects.filter(service=s).exists() for s in chosen):
        raise ValueError(f"service {chosen[0].code} has no department to review it")
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
    )
    # Mail to memory: escalations would otherwise mail the real supervisors.
    with (
        override_settings(
            EMAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend",
            PERMIT_RENDER_MODE="off",
        ),
        transaction.atomic(),
    ):
        return simulation.run()
