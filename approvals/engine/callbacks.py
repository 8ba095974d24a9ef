"""What the flow's nodes do: start, open a step, route each matter, deadline, escalate, settle,
decide."""

from __future__ import annotations

from datetime import datetime

from viewflow.workflow.models import Task
from viewflow.workflow.status import STATUS

from approvals import (
    audit,
    clock,
    timekeeping,
)
from approvals.engine.ledger import clock_switch, step_finish
from approvals.engine.licences import outcome_issue
from approvals.engine.notifications import notify_on_commit, notify_supervisors_on_commit
from approvals.models import (
    Application,
    ApplicationMatter,
    ApplicationStatus,
    AuditAction,
    ClockHolder,
    DepartmentReview,
    Escalation,
    MatterState,
    ReviewDecision,
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


def review_branches(process) -> list[dict]:
    """One branch for each matter of the application: its matter and the department deciding it."""
    return [
        {"matter": pk, "department": code}
        for pk, code in ApplicationMatter.objects.filter(application__process=process)
        .order_by("order", "matter__code")
        .values_list("pk", "matter__department__code")
    ]


def _matter_of(task: Task) -> ApplicationMatter:
    return ApplicationMatter.objects.select_related("matter__department").get(
        pk=task.data["matter"]
    )


# What the gate finds for a matter's branch.
READY, WAIT, BLOCKED = "ready", "wait", "blocked"
_BLOCKING = (MatterState.REFUSED, MatterState.NOT_DECIDED, MatterState.WITHDRAWN)


def _needed(part: ApplicationMatter):
    """The matters of the same application this one needs first (prerequisites outside it are
    met from the licence library)."""
    return ApplicationMatter.objects.filter(
        application_id=part.application_id, matter__in=part.matter.requires.all()
    )


def matter_gate(task: Task) -> str:
    """May this matter be reviewed now, must it wait, or can it never be decided?

    One read: the states of the matters of the same application that this one's
    matter requires (found from this one's id, so the matter itself is not read)."""
    pk = task.data["matter"]
    states = set(
        ApplicationMatter.objects.filter(
            application__matters__pk=pk, matter__required_by__applications__pk=pk
        ).values_list("state", flat=True)
    )
    if states & set(_BLOCKING):
        return BLOCKED
    if states - {MatterState.APPROVED}:
        ApplicationMatter.objects.filter(pk=pk).exclude(state=MatterState.WAITING).update(
            state=MatterState.WAITING
        )
        return WAIT
    return READY


def _release_dependents(part: ApplicationMatter, task: Task, release) -> None:
    """Run on the parked branches of the matters that need this one: their gate decides again."""
    waiting = {
        pk
        for pk in ApplicationMatter.objects.filter(
            application_id=part.application_id,
            matter__requires=part.matter,
            state=MatterState.WAITING,
        ).values_list("pk", flat=True)
    }
    if not waiting:
        return
    parked = Task.objects.filter(
        process_id=task.process_id,
        flow_task=task.flow_task.flow_class.park,
        status=STATUS.NEW,
    ).order_by("pk")
    for branch in parked:
        if branch.data.get("matter") in waiting:
            release(branch)


def matter_leave_undecided(task: Task, release) -> ApplicationMatter:
    """End a matter that needs a refused one: not decided, saying which and why."""
    part = _matter_of(task)
    blocking = [m for m in _needed(part).select_related("matter") if m.state in _BLOCKING]
    names_zh = "、".join(m.matter.name_zh for m in blocking)
    names_en = ", ".join(m.matter.name_en for m in blocking)
    part.state = MatterState.NOT_DECIDED
    part.reason = f"所需事项未获批准：{names_zh} / It needs {names_en}, which was not approved."
    part.decided_at = clock.now()
    part.save(update_fields=["state", "reason", "decided_at"])
    audit.record(
        actor=None,
        application=part.application_id,
        action=AuditAction.MATTER_NOT_DECIDED,
        matter=part.matter.code,
        needs=[m.matter.code for m in blocking],
    )
    _release_dependents(part, task, release)
    return part


def matter_settle(task: Task, release) -> ApplicationMatter:
    """A matter's review is decided: record it, issue its outcome when approved (at once, so a
    later matter of the same application reuses it) and release the matters waiting for it."""
    # With what issuing the outcome reads: the application, its enterprise, the department.
    review = DepartmentReview.objects.select_related(
        "matter__matter__department", "matter__application__enterprise"
    ).get(task=task.previous.get())
    part = review.matter
    approved = review.decision == ReviewDecision.APPROVED
    part.state = MatterState.APPROVED if approved else MatterState.REFUSED
    part.decided_at = review.decided_at
    if part.started_at is not None and review.decided_at is not None:
        part.working_days = timekeeping.working_days_between(part.started_at, review.decided_at)
    part.save(update_fields=["state", "decided_at", "working_days"])
    if approved:
        outcome_issue(part=part)
    _release_dependents(part, task, release)
    return part


_STEP_OF_NODE = {
    "accept": (StepKind.ACCEPTANCE, ClockHolder.GOVERNMENT),
    "correct": (StepKind.CORRECTION, ClockHolder.INVESTOR),
    "review": (StepKind.REVIEW, ClockHolder.GOVERNMENT),
}


def step_opened(*, task: Task) -> None:
    """Open the ledger entry (and, for a review, its record and deadline) of a new task."""
    kind, holder = _STEP_OF_NODE[task.flow_task.name]
    application = task.process.application
    department = part = None
    if kind == StepKind.REVIEW:
        part = _matter_of(task)
        department = part.matter.department
        due_at = timekeeping.deadline_after(task.created, float(part.matter.review_limit_days))
        DepartmentReview.objects.create(
            application=application,
            department=department,
            matter=part,
            task=task,
            due_at=due_at,
            due_estimated=timekeeping.spans_unofficial_days(task.created, due_at),
        )
        part.state, part.started_at = MatterState.IN_REVIEW, task.created
        part.save(update_fields=["state", "started_at"])
    Step.objects.create(
        application=application,
        kind=kind,
        department=department,
        matter=part,
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
    """Every matter is settled: approved if all were, refused if none was, else partly approved.

    Each approved matter's outcome was issued when it was approved; the
    reasons name every refusal and every matter left undecided."""
    now = clock.now()
    reviews = list(application.reviews.select_related("department"))
    rejected = [r for r in reviews if r.decision == ReviewDecision.REJECTED]
    parts = list(application.matters.select_related("matter"))
    undecided = [p for p in parts if p.state == MatterState.NOT_DECIDED]
    approved = [p for p in parts if p.state == MatterState.APPROVED]
    if not rejected and not undecided:
        application.status = ApplicationStatus.APPROVED
    elif approved:
        application.status = ApplicationStatus.PARTLY_APPROVED
    else:
        application.status = ApplicationStatus.REJECTED
    application.decision_reasons = "\n".join(
        [f"{r.department.name_zh} / {r.department.name_en}: {r.reasons}" for r in rejected]
        + [f"{p.matter.name_zh} / {p.matter.name_en}: {p.reason}" for p in undecided]
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
        **({"not_decided": [p.matter.code for p in undecided]} if undecided else {}),
    )
    notify_on_commit(application, "decided", reviews)
    return application


def is_granted(application: Application) -> bool:
    return application.status in (ApplicationStatus.APPROVED, ApplicationStatus.PARTLY_APPROVED)
