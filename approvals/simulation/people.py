"""What the simulated people do at each event: the investor drafts, submits and
corrects, the window clerk accepts or returns, each department's reviewer takes
the task and decides; and the SLA timers of the case fire when they are due.

Each of them acts through ``approvals.services`` as a real person would; the
run (``approvals.simulation.engine``) only decides when.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import datetime

from viewflow.workflow.models import Task
from viewflow.workflow.status import STATUS

from approvals import demo, services, timekeeping
from approvals.demo import hand_in_missing
from approvals.models import (
    DECIDED_STATUSES,
    Application,
    ClockHolder,
    DepartmentReview,
    Enterprise,
    Service,
    Step,
    StepKind,
)
from approvals.simulation.clock import add_office_hours, after


def department_of_key(key: str) -> str:
    """The department of a case's review key ("tax", or "market-regulation#food-licence")."""
    return key.split("#", 1)[0]


@dataclass
class Case:
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


class People:
    """The simulated people's part of a run (mixed into ``engine.Simulation``, which
    holds the queue, the profile, the cast and the counters they update)."""

    # -- the investor

    def _on_create(self, case: Case, now: datetime) -> None:
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
        self._created(application.pk)
        case.application = application
        self._hand_in(application)
        self._at(after(now, self.profile.draft_hours.sample(case.rng)), case, "submit")

    def _hand_in(self, application: Application) -> None:
        """What prefill could not reuse: the shared scripted investor hands it in."""
        hand_in_missing(
            application,
            actor=self.investor,
            commitment="模拟申请承诺 / Simulated application: we commit that this is true.",
            typed="模拟 / simulated",
        )

    def _on_submit(self, case: Case, now: datetime) -> None:
        services.application_submit(actor=self.investor, application=case.application)
        if self.first_submission is None or now < self.first_submission:
            self.first_submission = now
        self._at_window(case, now)

    def _on_resubmit(self, case: Case, now: datetime) -> None:
        services.application_resubmit(
            actor=self.investor, application=case.application, answer="已补正 / corrected"
        )
        self._at_window(case, now)

    # -- the window

    def _at_window(self, case: Case, now: datetime) -> None:
        done = add_office_hours(
            now, self.profile.clerk_hours.sample(case.rng), self.profile.office_hours
        )
        self._at(done, case, "window")

    def _on_window(self, case: Case, now: datetime) -> None:
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
            self._at(after(now, hours), case, "resubmit")
            return
        services.application_accept(actor=self.clerk, application=case.application)
        self._new_reviews(case)
        if self.routing == "parallel":
            # A matter that needs another first has no review yet: it is planned
            # when the engine opens it (_on_review).
            for key in list(case.reviews):
                self._plan_review(case, key, now)
        else:
            # Draw every department's verdict now, in order, so a rejection
            # stops the sequence where it happens.
            case.sequence = [
                (code, case.rng.random() < self.profile.department(code).reject_probability)
                for code in dict.fromkeys(case.departments)
            ]
            self._plan_review(case, case.sequence[0][0], now, rejects=case.sequence[0][1])

    # -- the departments

    def _plan_review(
        self, case: Case, code: str, start: datetime, *, rejects: bool | None = None
    ) -> None:
        profile = self.profile.department(department_of_key(code))
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
            self._at(after(due, 1 / 3600), case, "timers")

    def _new_reviews(self, case: Case) -> list[str]:
        """Read the reviews the engine has opened since last asked; the departments of new ones."""
        known = {pk for pk, _due in case.reviews.values()}
        fresh = []
        for code, pk, due, matter in (
            DepartmentReview.objects.filter(application=case.application)
            .order_by("department__code", "matter__matter__code")
            .values_list("department__code", "pk", "due_at", "matter__matter__code")
        ):
            if pk in known:
                continue
            # A department's second matter in one application (a restaurant's branch and its
            # food licence) is a review of its own: keyed "<department>#<matter>", a name
            # that is the same in every run (the events' order, and so the draws, follow it).
            key = code if code not in case.reviews else f"{code}#{matter}"
            case.reviews[key] = (pk, due)
            fresh.append(key)
        return fresh

    def _review(self, case: Case, code: str) -> DepartmentReview:
        return DepartmentReview.objects.select_related("department", "task").get(
            pk=case.reviews[code][0]
        )

    def _on_take(self, case: Case, now: datetime, code: str) -> None:
        review = self._review(case, code)
        if review.task is not None and review.task.owner_id is None:
            services.task_assign(actor=self.reviewers[department_of_key(code)], task=review.task)

    def _on_review(self, case: Case, now: datetime, code: str, approve: bool) -> None:
        services.review_complete(
            actor=self.reviewers[department_of_key(code)],
            review=self._review(case, code),
            approve=approve,
            reasons="" if approve else "模拟：不符合条件 / Simulated: the conditions are not met.",
        )
        opened = self._new_reviews(case)
        in_sequence = {c for c, _rejects in case.sequence}
        for later in opened:
            # Sequential routing walks the departments; a department's second matter,
            # opened by the first's approval, is reviewed as it opens.
            if self.routing == "parallel" or later not in in_sequence:
                self._plan_review(case, later, now)
        if self.routing == "sequential" and code in in_sequence:
            position = [c for c, _rejects in case.sequence].index(code)
            # A matter that needed a refused one has no review: the engine left it undecided.
            rest = [(c, r) for c, r in case.sequence[position + 1 :] if c in case.reviews]
            if not approve:
                for later, _rejects in rest:
                    services.review_complete(
                        actor=self.reviewers[department_of_key(later)],
                        review=self._review(case, later),
                        approve=False,
                        reasons=(
                            "未受理：前序部门不予许可 / Not reached: an earlier department "
                            "refused (sequential routing)."
                        ),
                    )
            elif rest:
                hours = self.profile.resubmission_hours.sample(case.rng)
                self._at(after(now, hours), case, "forward", rest[0][0], now)
        self._count_if_decided(case, now)

    def _on_forward(self, case: Case, now: datetime, code: str, since: datetime) -> None:
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

    def _on_timers(self, case: Case, now: datetime) -> None:
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

    def _count_if_decided(self, case: Case, now: datetime) -> None:
        status = Application.objects.values_list("status", flat=True).get(pk=case.application.pk)
        if status in DECIDED_STATUSES:
            self.decided += 1
            self.last_decision = max(self.last_decision or now, now)
            self.progress(self.decided, self.count)
