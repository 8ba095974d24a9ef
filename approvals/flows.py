"""The single-window flow: routing only.

Every node that writes business records calls a function in
``approvals.services``; the rules live there, once.

    submit -> window acceptance --(returned)--> investor's correction -> acceptance
                  |(accepted)
                  v
        one review per department of the service, in parallel
        (each with a non-interrupting SLA timer that escalates)
                  v
                join -> decision -> permit (when approved) -> end
"""

from contextlib import contextmanager

from django.db import connection
from django.utils.translation import gettext_lazy as _
from viewflow import this
from viewflow.workflow import flow, lock
from viewflow.workflow.activation import Activation
from viewflow.workflow.nodes.split import SplitActivation

from approvals import roles, services
from approvals.models import ApplicationProcess
from approvals.review.task_views import TaskScreenView


class DatabaseLock:
    """The flow lock, chosen by database.

    PostgreSQL: viewflow's row lock (SELECT ... FOR UPDATE) on the process,
    waiting up to the connection's lock_timeout; without it a Join can be left
    stuck when two branches finish at once. SQLite ignores FOR UPDATE, but
    every transaction there starts IMMEDIATE (see settings), which already
    serialises writers, so a plain transaction is the lock.
    """

    def __init__(self):
        # One attempt: lock_timeout already is the wait. viewflow's retries
        # (with random sleeps) made a busy case answer after ~3x the timeout.
        self._row_lock = lock.SelectForUpdateLock(nowait=False, attempts=1)

    @contextmanager
    def __call__(self, flow_class, process_pk):
        impl = self._row_lock if connection.vendor == "postgresql" else lock.no_lock
        with impl(flow_class, process_pk):
            yield


class DepartmentSplitActivation(SplitActivation):
    @Activation.status.super()
    def activate(self):
        """One branch per department of the application's service, none for the others."""
        for code in services.review_departments(self.process):
            for node, _cond, _data in self.flow_task._branches:
                self.next_tasks.append((node, {"department": code}))


class DepartmentSplit(flow.Split):
    """A parallel split whose branches come from the catalogue, not from code."""

    activation_class = DepartmentSplitActivation


class WindowTask(flow.View):
    """A task that only window clerks (approvals.roles) may take."""

    def can_assign(self, user, task):
        if task.owner_id or user is None or user.is_anonymous:
            return False
        return roles.is_clerk(user)


class DepartmentTask(flow.View):
    """A task that only the reviewers of the task's department may take."""

    def can_assign(self, user, task):
        if task.owner_id or user is None or user.is_anonymous:
            return False
        return roles.is_department_reviewer(user, task.data.get("department"))

    def can_execute(self, user, task):
        return task.owner_id is not None and task.owner_id == getattr(user, "pk", None)


class SingleWindowFlow(flow.Flow):
    """Single-window application

    An investor applies once; the window accepts or returns the case; every
    department of the service reviews in parallel; one decision and one
    permit come back.
    """

    process_class = ApplicationProcess
    lock_impl = DatabaseLock()

    start = flow.StartHandle(this.start_process).Next(this.accept)

    accept = (
        WindowTask(TaskScreenView.as_view())
        .Annotation(title=_("Window acceptance"))
        .Permission("approvals.accept_application")
        .onCreate(this.step_opened)
        .Next(this.check_acceptance)
    )
    check_acceptance = flow.If(this.is_accepted).Then(this.split_reviews).Else(this.correct)
    correct = (
        flow.View(TaskScreenView.as_view())
        .Annotation(title=_("Correction by the investor"))
        .Assign(lambda activation: activation.process.application.applicant)
        .onCreate(this.step_opened)
        .Next(this.accept)
    )

    split_reviews = DepartmentSplit().Next(this.review)
    review = (
        DepartmentTask(TaskScreenView.as_view())
        .Annotation(title=_("Department review"))
        .onCreate(this.step_opened)
        .OnTimeout(this.review_deadline, this.escalate, interrupting=False)
        .Next(this.join_reviews)
    )
    escalate = flow.Function(this.record_escalation).Next(this.escalation_end)
    escalation_end = flow.End()

    join_reviews = flow.Join().Next(this.decide)
    decide = flow.Function(this.make_decision).Next(this.check_decision)
    check_decision = flow.If(this.is_approved).Then(this.issue_permit).Else(this.end)
    issue_permit = flow.Function(this.permit).Next(this.end)
    end = flow.End()

    def start_process(self, activation, application):
        return services.process_started(activation=activation, application=application)

    def step_opened(self, activation):
        services.step_opened(task=activation.task)

    def is_accepted(self, activation):
        return services.is_accepted(activation.process.application)

    def review_deadline(self, activation):
        return services.review_deadline(host_task=activation.task.previous.get())

    def record_escalation(self, activation):
        # escalate <- the timer that fired <- the review it is attached to
        timer = activation.task.previous.get()
        services.escalation_record(host_task=timer.previous.get())

    def make_decision(self, activation):
        services.application_decide(application=activation.process.application)

    def is_approved(self, activation):
        return services.is_approved(activation.process.application)

    def permit(self, activation):
        services.permit_issue(application=activation.process.application)
