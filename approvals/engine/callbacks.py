"""What the flow's nodes do: start, open a step, route, deadline, escalate, decide."""

from __future__ import annotations

from datetime import datetime

from viewflow.workflow.models import Task

from approvals import (
    audit,
    clock,
    timekeeping,
)
from approvals.engine.ledger import clock_switch, step_finish
from approvals.engine.notifications import notify_on_commit, notify_supervisors_on_commit
from approvals.models import (
    Application,
    ApplicationStatus,
    AuditAction,
    ClockHolder,
    DepartmentReview,
    Escalation,
    ReviewDecision,
    ServiceDepartment,
    Step,
    StepKind,
)

# --- callbacks from the flow's nodes --------------------------------------


def process_started(*, activation, application: Application):
    # The process must exist before the first task is created, because the
    # task's hooks find the application through it.
    activation.process.save()
    application.process = activation.process
    application.save(update_fields=["process"])
    return activation.process


def review_departments(process) -> list[str]:
    """The departments that review this application: those of its service, and only those."""
    return list(
        ServiceDepartment.objects.filter(service__applications__process=process)
        .order_by("department__code")
        .values_list("department__code", flat=True)
    )


_STEP_OF_NODE = {
    "accept": (StepKind.ACCEPTANCE, ClockHolder.GOVERNMENT),
    "correct": (StepKind.CORRECTION, ClockHolder.INVESTOR),
    "review": (StepKind.REVIEW, ClockHolder.GOVERNMENT),
}


def step_opened(*, task: Task) -> None:
    """Open the ledger entry (and, for a review, its record and deadline) of a new task."""
    kind, holder = _STEP_OF_NODE[task.flow_task.name]
    application = task.process.application
    department = None
    if kind == StepKind.REVIEW:
        part = ServiceDepartment.objects.select_related("department").get(
            service_id=application.service_id, department__code=task.data["department"]
        )
        department = part.department
        due_at = timekeeping.deadline_after(task.created, float(part.review_limit_days))
        DepartmentReview.objects.create(
            application=application,
            department=department,
            task=task,
            due_at=due_at,
            due_estimated=timekeeping.spans_unofficial_days(task.created, due_at),
        )
    Step.objects.create(
        application=application,
        kind=kind,
        department=department,
        task=task,
        holder=holder,
        created_at=task.created,
        assigned_at=task.created if task.owner_id else None,
        actor=task.owner,
    )


def is_accepted(application: Application) -> bool:
    return application.status == ApplicationStatus.ACCEPTED


def review_deadline(*, host_task: Task) -> datetime:
    return host_task.review.due_at


def escalation_record(*, host_task: Task) -> Escalation | None:
    """Raise an overdue review to the supervisors, once; the review itself goes on."""
    review = DepartmentReview.objects.select_related("application", "department").get(
        task=host_task
    )
    escalation, created = Escalation.objects.get_or_create(
        review=review,
        defaults={
            "application": review.application,
            "department": review.department,
            "due_at": review.due_at,
        },
    )
    if created:
        audit.record(
            actor=None,
            application=review.application,
            action=AuditAction.ESCALATED,
            department=review.department.code,
            due_at=review.due_at.isoformat() if review.due_at else None,
        )
        notify_supervisors_on_commit(escalation)
    return escalation


def application_decide(*, application: Application) -> Application:
    """One decision from all the departments: approved only if every one approved."""
    now = clock.now()
    reviews = list(application.reviews.select_related("department"))
    rejected = [r for r in reviews if r.decision == ReviewDecision.REJECTED]
    application.status = ApplicationStatus.REJECTED if rejected else ApplicationStatus.APPROVED
    application.decision_reasons = "\n".join(
        f"{r.department.name_zh} / {r.department.name_en}: {r.reasons}" for r in rejected
    )
    application.decided_at = now
    application.save(update_fields=["status", "decision_reasons", "decided_at"])
    step = Step.objects.create(
        application=application,
        kind=StepKind.DECISION,
        holder=ClockHolder.GOVERNMENT,
        created_at=max(r.decided_at for r in reviews) if reviews else now,
    )
    step_finish(step, actor=None, at=now)
    clock_switch(application, None, at=now)
    audit.record(
        actor=None,
        application=application,
        action=AuditAction.DECIDED,
        status=application.status,
        rejected_by=[r.department.code for r in rejected],
    )
    notify_on_commit(application, "decided", reviews)
    return application


def is_approved(application: Application) -> bool:
    return application.status == ApplicationStatus.APPROVED
