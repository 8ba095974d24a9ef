"""The single-window flow: routing only.

Every node that writes business records calls a function in
``approvals.engine``; the human tasks are done through ``approvals.services``,
which start and run this flow (so nothing here imports them).

    submit -> window acceptance --(returned)--> investor's correction -> acceptance
                  |(accepted)
                  v
        one review per department of the service, in parallel
        (each with a non-interrupting SLA timer that escalates)
                  v
                join -> decision -> permit (when approved) -> end
"""

from django.utils.translation import gettext_lazy as _
from viewflow import this
from viewflow.workflow import flow

from approvals.engine import callbacks, licences
from approvals.models import ApplicationProcess
from approvals.workflow.nodes import DatabaseLock, DepartmentSplit, DepartmentTask, WindowTask
from approvals.workflow.task_views import TaskScreenView


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
        return callbacks.process_started(activation=activation, application=application)

    def step_opened(self, activation):
        callbacks.step_opened(task=activation.task)

    def is_accepted(self, activation):
        return callbacks.is_accepted(activation.process.application)

    def review_deadline(self, activation):
        return callbacks.review_deadline(host_task=activation.task.previous.get())

    def record_escalation(self, activation):
        # escalate <- the timer that fired <- the review it is attached to
        timer = activation.task.previous.get()
        callbacks.escalation_record(host_task=timer.previous.get())

    def make_decision(self, activation):
        callbacks.application_decide(application=activation.process.application)

    def is_approved(self, activation):
        return callbacks.is_approved(activation.process.application)

    def permit(self, activation):
        licences.permit_issue(application=activation.process.application)
