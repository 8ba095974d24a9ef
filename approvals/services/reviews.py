"""A department's review of its part of an application: approve, or reject with the catalogue's
reasons.
"""

from __future__ import annotations

from collections.abc import Sequence

from django.core.exceptions import PermissionDenied, ValidationError
from django.utils.translation import gettext as _

from approvals import (
    audit,
    clock,
    roles,
)
from approvals import reasons as rejection_reasons
from approvals.engine.ledger import step_finish_for_task
from approvals.models import (
    AuditAction,
    DepartmentReview,
    ReviewDecision,
)
from approvals.services.flowtasks import run_task


def compose_reasons(reasons, further: str = "") -> str:
    """Reasons as stored and sent: catalogue reasons in both languages, then the free text."""
    lines = [f"- {reason.text_zh} / {reason.text_en}" for reason in reasons]
    further = (further or "").strip()
    if further:
        lines.append(further)
    return "\n".join(lines)


def review_complete(
    *,
    actor,
    review: DepartmentReview,
    approve: bool,
    reasons: str = "",
    reason_codes: Sequence[str] = (),
) -> DepartmentReview:
    """A department's decision on its part of the case.

    `reason_codes` name catalogue reasons, which the department must be allowed
    to give (approvals.reasons); they are stored in both languages before the
    free text of `reasons`.
    """
    if reason_codes:
        given = rejection_reasons.chosen(review.department, list(reason_codes))
        reasons = compose_reasons(given, reasons)
    reasons = (reasons or "").strip()
    if not approve and not reasons:
        raise ValidationError({"reasons": _("Give the reasons for rejecting.")})
    if not roles.is_department_reviewer(actor, review.department.code):
        raise PermissionDenied(
            _("Only reviewers of %(dept)s may decide this review.")
            % {"dept": review.department.name}
        )
    if review.task_id is None:
        raise ValidationError(_("This review has no open task."))

    def write(activation):
        now = clock.now()
        locked = DepartmentReview.objects.select_for_update().get(pk=review.pk)
        if locked.decision != ReviewDecision.PENDING:
            raise ValidationError(_("This review has already been decided."))
        locked.decision = ReviewDecision.APPROVED if approve else ReviewDecision.REJECTED
        locked.reasons, locked.reviewer, locked.decided_at = reasons[:4000], actor, now
        locked.save(update_fields=["decision", "reasons", "reviewer", "decided_at"])
        step_finish_for_task(activation.task, actor=actor, at=now)
        audit.record(
            actor=actor,
            application=locked.application_id,
            action=AuditAction.REVIEW_APPROVED if approve else AuditAction.REVIEW_REJECTED,
            department=review.department.code,
        )

    try:
        run_task(review.task, actor, write)
    except ValidationError:
        held = DepartmentReview.objects.values("decision", "reasons", "reviewer_id").get(
            pk=review.pk
        )
        if held["decision"] == ReviewDecision.PENDING:
            raise
        decision = ReviewDecision.APPROVED if approve else ReviewDecision.REJECTED
        if (
            held["reviewer_id"] != actor.pk
            or held["decision"] != decision
            or held["reasons"] != reasons[:4000]
        ):
            raise ValidationError(_("This review has already been decided.")) from None
        # A retry of this very decision (its answer was lost): nothing changes.
    review.refresh_from_db()
    return review
