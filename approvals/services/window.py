"""Submission and the window: submit, accept, return for correction, resubmit, withdraw; taking a
task.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from django.core.exceptions import ValidationError
from django.db import OperationalError, transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from viewflow.workflow.exceptions import FlowLockFailed
from viewflow.workflow.status import STATUS

from approvals import (
    audit,
    clock,
    mail,
    timekeeping,
)
from approvals.engine.ledger import clock_switch, step_finish, step_finish_for_task
from approvals.engine.notifications import for_mail, notify_on_commit
from approvals.errors import raise_busy_if_contention
from approvals.flows import SingleWindowFlow
from approvals.models import (
    DECIDED_STATUSES,
    OPEN_STATUSES,
    Application,
    ApplicationMaterial,
    ApplicationStatus,
    AuditAction,
    ClockHolder,
    CorrectionRequest,
    SatisfiedBy,
    Step,
    StepKind,
)
from approvals.services.flowtasks import last_task, locked, open_task, run_task
from approvals.services.guards import require_clerk, require_owner
from approvals.services.materials import application_completeness_errors

# --- submission and the window --------------------------------------------


def application_submit(*, actor, application: Application) -> Application:
    """Submit a draft. Submitting again (double click, back button, two tabs) changes nothing."""
    require_owner(actor, application)
    try:
        with transaction.atomic():
            application = locked(application)
            if application.status != ApplicationStatus.DRAFT:
                return application
            errors = application_completeness_errors(application)
            if errors:
                raise ValidationError(errors)
            now = clock.now()
            application.status = ApplicationStatus.SUBMITTED
            application.submitted_at = now
            application.language = mail.mail_language(translation.get_language())
            application.save(update_fields=["status", "submitted_at", "language"])
            step = Step.objects.create(
                application=application,
                kind=StepKind.SUBMISSION,
                holder=ClockHolder.INVESTOR,
                actor=actor,
                created_at=application.created_at,
                assigned_at=application.created_at,
            )
            step_finish(step, actor=actor, at=now)
            clock_switch(application, ClockHolder.GOVERNMENT, at=now)
            audit.record(actor=actor, application=application, action=AuditAction.SUBMITTED)
            SingleWindowFlow.start.run(application=application)
    except (FlowLockFailed, OperationalError) as exc:
        raise_busy_if_contention(exc)
    return application


@dataclass(frozen=True)
class Deferral:
    material_code: str
    due: date | None = None


def _accepted_already(application: Application, actor, requested: dict) -> bool:
    """Did this clerk accept this application already, with these deferrals?

    Lets a client retry an acceptance whose answer it never heard (a 503, a
    lost connection): the same clerk, the same deferrals, and the answer is
    the one the first request earned. Anything else is refused as before.
    """
    # flows imports this module (its nodes call the services): imported when used.
    application.refresh_from_db(fields=["status", "process"])
    if application.status not in (
        ApplicationStatus.ACCEPTED,
        ApplicationStatus.IN_REVIEW,
        *DECIDED_STATUSES,
    ):
        return False
    task = last_task(application, SingleWindowFlow.accept)
    if task is None or task.status != STATUS.DONE or task.owner_id != actor.pk:
        return False
    rows = {
        r.material.code: r
        for r in application.materials.select_related("material").filter(
            material__code__in=list(requested)
        )
    }
    return all(
        code in rows
        and rows[code].satisfied_by == SatisfiedBy.DEFERRAL
        and (due is None or rows[code].due_date == due)
        for code, due in requested.items()
    )


def application_accept(
    *, actor, application: Application, deferrals: list[Deferral] | None = None
) -> Application:
    """Accept at the window, possibly with minor materials still to come (容缺受理).

    A deferred material gets a due date (by default its deferral period in
    working days from now); the clock runs from acceptance all the same.
    """
    require_clerk(actor)
    requested = {d.material_code: d.due for d in deferrals or []}
    try:
        task = open_task(application, SingleWindowFlow.accept)
    except ValidationError:
        if _accepted_already(application, actor, requested):
            return application  # a retry of an acceptance that went through: nothing changes
        raise

    def write(activation):
        app = locked(application)
        rows = list(app.materials.select_related("material"))
        by_code = {r.material.code: r for r in rows}
        errors: dict[str, list[str]] = {}
        today = timezone.localdate()
        for code, due in requested.items():
            row = by_code.get(code)
            if row is None:
                errors.setdefault(f"material:{code}", []).append(_("No such material."))
            elif not row.material.allow_deferral:
                errors.setdefault(f"material:{code}", []).append(
                    _("%(name)s cannot be handed in later.") % {"name": row.material.name}
                )
            elif due is not None and due <= today:
                errors.setdefault(f"material:{code}", []).append(
                    _("The due date must be in the future.")
                )
        now = clock.now()
        for row in rows:
            if row.material.code in requested and row.satisfied_by in (
                SatisfiedBy.MISSING,
                SatisfiedBy.DEFERRAL,
            ):
                row.satisfied_by = SatisfiedBy.DEFERRAL
                row.due_date = requested[row.material.code]
            if row.satisfied_by == SatisfiedBy.MISSING:
                errors.setdefault(f"material:{row.material.code}", []).append(
                    _("%(name)s is missing: defer it or return the application.")
                    % {"name": row.material.name}
                )
            if row.satisfied_by == SatisfiedBy.DEFERRAL:
                default = timekeeping.deadline_after(now, row.material.deferral_days)
                if row.due_date is None:
                    row.due_date = default.date()
                # The default date (the window's form offers it too) rests on
                # the weekday fallback when its days are not official yet.
                row.due_estimated = row.due_date == default.date() and (
                    timekeeping.spans_unofficial_days(now, default)
                )
        if errors:
            raise ValidationError(errors)
        ApplicationMaterial.objects.bulk_update(rows, ["satisfied_by", "due_date", "due_estimated"])
        app.status, app.accepted_at = ApplicationStatus.ACCEPTED, now
        app.save(update_fields=["status", "accepted_at"])
        step_finish_for_task(activation.task, actor=actor, at=now)
        audit.record(
            actor=actor,
            application=app,
            action=AuditAction.ACCEPTED,
            deferred=sorted(
                r.material.code for r in rows if r.satisfied_by == SatisfiedBy.DEFERRAL
            ),
        )

    def reviews_started():
        # The split has created the department reviews by now; in the same
        # transaction, so no crash can leave the case "accepted" under review.
        Application.objects.filter(pk=application.pk, status=ApplicationStatus.ACCEPTED).update(
            status=ApplicationStatus.IN_REVIEW
        )
        # The mail is written with the action (and lists the reviews just made).
        notify_on_commit(for_mail(application), "accepted")

    run_task(task, actor, write, after=reviews_started)
    application.refresh_from_db()
    return application


def application_return(
    *, actor, application: Application, items: list[str], note: str = ""
) -> CorrectionRequest:
    """Return the case for correction, listing everything missing in one notice."""
    require_clerk(actor)
    items = [i.strip() for i in items or [] if i and i.strip()]
    if not items:
        raise ValidationError({"items": _("List at least one thing the investor must correct.")})
    try:
        task = open_task(application, SingleWindowFlow.accept)
    except ValidationError:
        open_request = (
            application.corrections.filter(answered_at__isnull=True).last()
            if application.status == ApplicationStatus.RETURNED
            else None
        )
        if (
            open_request is not None
            and open_request.requested_by_id == actor.pk
            and open_request.items == items[:50]
            and open_request.note == (note or "")[:4000]
        ):
            return open_request  # a retry of this very return: nothing changes
        raise
    result = {}

    def write(activation):
        app = locked(application)
        now = clock.now()
        result["request"] = CorrectionRequest.objects.create(
            application=app, items=items[:50], note=(note or "")[:4000], requested_by=actor
        )
        app.status = ApplicationStatus.RETURNED
        app.save(update_fields=["status"])
        step_finish_for_task(activation.task, actor=actor, at=now)
        audit.record(actor=actor, application=app, action=AuditAction.RETURNED, items=len(items))
        clock_switch(app, ClockHolder.INVESTOR, at=now)

    run_task(task, actor, write, after=lambda: notify_on_commit(for_mail(application), "returned"))
    application.refresh_from_db()
    return result["request"]


def application_resubmit(*, actor, application: Application, answer: str = "") -> Application:
    """The investor's corrected application goes back to the window."""
    require_owner(actor, application)
    if application.status != ApplicationStatus.RETURNED:
        last = application.corrections.last()
        if (
            application.status in OPEN_STATUSES
            and last is not None
            and last.answered_at is not None
            and last.answer == (answer or "")[:4000]
        ):
            return application  # a retry of the resubmission that went through
        raise ValidationError(_("Only an application returned for correction can be resubmitted."))
    errors = application_completeness_errors(application)
    if errors:
        raise ValidationError(errors)
    task = open_task(application, SingleWindowFlow.correct)

    def write(activation):
        app = locked(application)
        now = clock.now()
        CorrectionRequest.objects.filter(application=app, answered_at__isnull=True).update(
            answered_at=now, answer=(answer or "")[:4000]
        )
        app.status = ApplicationStatus.SUBMITTED
        app.save(update_fields=["status"])
        step_finish_for_task(activation.task, actor=actor, at=now)
        audit.record(actor=actor, application=app, action=AuditAction.RESUBMITTED)
        clock_switch(app, ClockHolder.GOVERNMENT, at=now)

    run_task(task, actor, write)
    application.refresh_from_db()
    return application


def application_withdraw(*, actor, application: Application) -> Application:
    require_owner(actor, application, basis_needed=False)
    if application.status == ApplicationStatus.DRAFT:
        try:
            with transaction.atomic():
                # Only while it is still a draft: a submission racing this one wins.
                withdrawn = Application.objects.filter(
                    pk=application.pk, status=ApplicationStatus.DRAFT
                ).update(status=ApplicationStatus.WITHDRAWN)
                if withdrawn:
                    audit.record(actor=actor, application=application, action=AuditAction.WITHDRAWN)
        except OperationalError as exc:
            raise_busy_if_contention(exc)
        application.refresh_from_db()
        if not withdrawn:  # it was submitted meanwhile: withdraw the submitted case
            return application_withdraw(actor=actor, application=application)
        return application
    if application.status not in OPEN_STATUSES:
        raise ValidationError(_("A decided application cannot be withdrawn."))
    try:
        with SingleWindowFlow.lock(application.process_id), transaction.atomic():
            app = locked(application)
            if app.status not in OPEN_STATUSES:
                raise ValidationError(_("A decided application cannot be withdrawn."))
            now = clock.now()
            SingleWindowFlow.instance.cancel(app.process)
            Step.objects.filter(application=app, finished_at__isnull=True).update(finished_at=now)
            app.status, app.decided_at = ApplicationStatus.WITHDRAWN, now
            app.save(update_fields=["status", "decided_at"])
            clock_switch(app, None, at=now)
            audit.record(actor=actor, application=app, action=AuditAction.WITHDRAWN)
    except (FlowLockFailed, OperationalError) as exc:
        raise_busy_if_contention(exc)
    application.refresh_from_db()
    return application
