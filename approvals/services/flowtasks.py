"""Running the flow's human tasks for the services: find the open task, take it, run it
under the flow lock, and audit it."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import OperationalError
from django.utils.translation import gettext as _
from viewflow.workflow.exceptions import FlowLockFailed
from viewflow.workflow.models import Task
from viewflow.workflow.status import STATUS

from approvals import (
    audit,
    clock,
)
from approvals.errors import raise_busy_if_contention
from approvals.models import (
    Application,
    AuditAction,
    DepartmentReview,
    Step,
)

# --- submission and the window --------------------------------------------


def locked(application: Application) -> Application:
    """Re-read the application under a row lock (PostgreSQL) or the write lock (SQLite)."""
    return Application.objects.select_for_update().get(pk=application.pk)


def open_task(application: Application, node) -> Task:
    # The caller's object may be stale (another request moved the case on).
    application.refresh_from_db(fields=["status", "process"])
    task = (
        Task.objects.filter(process_id=application.process_id, flow_task=node)
        .exclude(status__in=[STATUS.DONE, STATUS.CANCELED])
        .first()
    )
    if task is None:
        raise ValidationError(
            _("There is nothing to do on this application at this stage (status: %(status)s).")
            % {"status": application.get_status_display()}
        )
    return task


def audit_task(actor, task: Task, action: AuditAction) -> None:
    review = DepartmentReview.objects.select_related("department").get(task=task)
    audit.record(
        actor=actor,
        application=review.application_id,
        action=action,
        department=review.department.code,
    )


def take_and_start(activation, actor) -> None:
    """Assign the task to the actor if it is free and allowed, then start it."""
    task = activation.task
    if activation.assign.can_proceed():
        if not task.flow_task.can_assign(actor, task):
            raise PermissionDenied(_("You may not take this task."))
        activation.assign(actor)
        Step.objects.filter(task=task).update(assigned_at=clock.now(), actor=actor)
    if not task.flow_task.can_execute(actor, task):
        raise PermissionDenied(_("This task is assigned to someone else."))
    activation.start(None)


def task_assign(*, actor, task: Task) -> None:
    """Take a task into one's own inbox (records the assignment time viewflow does not)."""
    try:
        with task.activation() as activation:
            if not activation.assign.can_proceed():
                held = activation.task
                if held.owner_id == actor.pk and held.status in (STATUS.ASSIGNED, STATUS.STARTED):
                    return  # taken by this very user already (a retry): nothing changes
                raise ValidationError(_("This task has already been taken."))
            if not task.flow_task.can_assign(actor, activation.task):
                raise PermissionDenied(_("You may not take this task."))
            activation.assign(actor)
            Step.objects.filter(task=task).update(assigned_at=clock.now(), actor=actor)
            audit_task(actor, task, AuditAction.TASK_ASSIGNED)
    except (FlowLockFailed, OperationalError) as exc:
        raise_busy_if_contention(exc)


def run_task(task: Task, actor, write, after=None) -> None:
    """Run `write`, complete the task, then run `after` (with what the flow did
    next), all under the flow lock, in one transaction."""
    try:
        with task.activation() as activation:
            if activation.task.status in (STATUS.DONE, STATUS.CANCELED):
                raise ValidationError(_("This task has already been completed."))
            take_and_start(activation, actor)
            write(activation)
            activation.execute()
            if after is not None:
                after()
    except (FlowLockFailed, OperationalError) as exc:
        raise_busy_if_contention(exc)


def last_task(application: Application, node) -> Task | None:
    return (
        Task.objects.filter(process_id=application.process_id, flow_task=node)
        .order_by("-created", "-pk")
        .first()
    )
