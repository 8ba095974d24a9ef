"""The single-window flow: routing only.

Every node that writes business records calls a function in
``approvals.engine``; the human tasks are done through ``approvals.services``,
which start and run this flow (so nothing here imports them).

    submit -> window acceptance --(returned)--> investor's correction -> acceptance
                  |(accepted, once for the whole bundle)
                  v
        one branch per matter of the application, in parallel:
            gate --(needs a matter not yet approved)--> park --(it settles)--> gate
              |--(a matter it needs was refused)--> not decided
              v
            department review (a non-interrupting SLA timer escalates)
              -> settle (approved: its outcome is issued into the licence library at
                 once, and the matters waiting for it are released)
                  v
                join -> decision (every matter settled) -> end
"""

from django.utils.translation import gettext_lazy as _
from viewflow import this
from viewflow.workflow import flow

from approvals.engine import callbacks, licences
from approvals.models import ApplicationProcess
from approvals.workflow.nodes import (
    DatabaseLock,
    DepartmentTask,
    MatterGate,
    MatterSplit,
    WindowTask,
    same_matter,
)
from approvals.workflow.task_views import TaskScreenView


class SingleWindowFlow(flow.Flow):
    """Single-window application

    An investor applies once; the window accepts or returns the case; every
    matter is reviewed by its department, in parallel unless it needs another
    matter's outcome first; each approved matter issues its own outcome.
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

    split_reviews = MatterSplit().Next(this.gate)
    gate = (
        MatterGate()
        .Annotation(title=_("Can the matter be reviewed?"))
        .Case(this.review, this.matter_ready)
        .Case(this.undecided, this.matter_blocked)
        .Default(this.park)
    )
    park = (
        flow.Handle()
        .Annotation(title=_("Waiting for the matters it needs"))
        .Next(this.gate, task_data=same_matter)
    )
    undecided = flow.Function(this.leave_undecided).Next(this.join_reviews)
    review = (
        DepartmentTask(TaskScreenView.as_view())
        .Annotation(title=_("Department review"))
        .onCreate(this.step_opened)
        .OnTimeout(this.review_deadline, this.escalate, interrupting=False)
        .Next(this.settle, task_data=same_matter)
    )
    settle = flow.Function(this.settle_matter).Next(this.join_reviews)
    escalate = flow.Function(this.record_escalation).Next(this.escalation_end)
    escalation_end = flow.End()

    join_reviews = flow.Join().Next(this.decide)
    decide = flow.Function(this.make_decision).Next(this.check_decision)
    # Outcomes are issued as each matter is approved (settle); this last node
    # only makes sure none is missing, and is kept for the processes stored
    # before matters existed, which passed through it.
    check_decision = flow.If(this.is_granted).Then(this.issue_permit).Else(this.end)
    issue_permit = flow.Function(this.outcomes).Next(this.end)
    end = flow.End()

    def start_process(self, activation, application):
        return callbacks.process_started(activation=activation, application=application)

    def step_opened(self, activation):
        callbacks.step_opened(task=activation.task)

    def is_accepted(self, activation):
        return callbacks.is_accepted(activation.process.application)

    def _gate(self, activation) -> str:
        # The switch asks each case in turn: find the answer once per activation.
        if not hasattr(activation, "matter_gate"):
            activation.matter_gate = callbacks.matter_gate(activation.task)
        return activation.matter_gate

    def matter_ready(self, activation):
        return self._gate(activation) == callbacks.READY

    def matter_blocked(self, activation):
        return self._gate(activation) == callbacks.BLOCKED

    def leave_undecided(self, activation):
        callbacks.matter_leave_undecided(activation.task, release=self.release)

    def settle_matter(self, activation):
        callbacks.matter_settle(activation.task, release=self.release)

    def release(self, task):
        """Run a parked branch on: its gate decides again."""
        self.park.run(task)

    def review_deadline(self, activation):
        return callbacks.review_deadline(host_task=activation.task.previous.get())

    def record_escalation(self, activation):
        # escalate <- the timer that fired <- the review it is attached to
        timer = activation.task.previous.get()
        callbacks.escalation_record(host_task=timer.previous.get())

    def make_decision(self, activation):
        callbacks.application_decide(application=activation.process.application)

    def is_granted(self, activation):
        return callbacks.is_granted(activation.process.application)

    def outcomes(self, activation):
        licences.outcomes_issue(application=activation.process.application)
