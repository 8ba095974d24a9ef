"""The audit trail: who did what to an application, when, and from where.

Append-only. The application never updates or deletes a row; on PostgreSQL
the database refuses it too (a trigger, migration 0004), so not even a bug
or a stray admin query can rewrite history.
"""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from approvals import clock


class AuditAction(models.TextChoices):
    CREATED = "created", _("draft opened and prefilled")
    VALUES_UPDATED = "values_updated", _("values confirmed or corrected")
    MATERIAL_UPLOADED = "material_uploaded", _("material uploaded")
    MATERIAL_COMMITTED = "material_committed", _("commitment signed")
    MATERIAL_DEFERRED = "material_deferred", _("material deferred")
    SUBMITTED = "submitted", _("submitted")
    ACCEPTED = "accepted", _("accepted at the window")
    RETURNED = "returned", _("returned for correction")
    RESUBMITTED = "resubmitted", _("resubmitted after correction")
    TASK_ASSIGNED = "task_assigned", _("review taken")
    REVIEW_APPROVED = "review_approved", _("review approved")
    REVIEW_REJECTED = "review_rejected", _("review rejected")
    ESCALATED = "escalated", _("review escalated")
    DECIDED = "decided", _("decision made")
    WITHDRAWN = "withdrawn", _("withdrawn")
    PERMIT_ISSUED = "permit_issued", _("permit issued")
    PERMIT_REVOKED = "permit_revoked", _("permit revoked")
    IDENTITY_VIEWED = "identity_viewed", _("identity numbers viewed unmasked")
    IDENTITY_VERIFIED = "identity_verified", _("real-name identity verified")
    IDENTITY_REFUSED = "identity_refused", _("real-name identity not confirmed")
    MANDATE_GRANTED = "mandate_granted", _("mandate granted")
    MANDATE_REGISTERED = "mandate_registered", _("paper mandate registered")
    MANDATE_USED = "mandate_used", _("mandate used")
    MANDATE_REVOKED = "mandate_revoked", _("mandate revoked")
    MATTER_NOT_DECIDED = "matter_not_decided", _("matter left undecided")


class AuditEntry(models.Model):
    at = models.DateTimeField(_("when"), default=clock.now, db_index=True)
    # Kept as text as well, so the trail reads the same if the account changes.
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("who"),
    )
    actor_name = models.CharField(_("who (as recorded)"), max_length=150, blank=True)
    # Empty for what concerns no application: an identity verified, a mandate
    # granted or revoked, a held identity number read in the prefill preview.
    application = models.ForeignKey(
        "approvals.Application",
        on_delete=models.PROTECT,
        related_name="audit_entries",
        null=True,
        blank=True,
        verbose_name=_("application"),
    )
    uscc = models.CharField(
        _("enterprise"),
        max_length=18,
        blank=True,
        default="",
        db_default="",
        db_index=True,
        help_text=_("The credit code of the enterprise concerned, when there is one."),
    )
    action = models.CharField(_("what"), max_length=30, choices=AuditAction)
    detail = models.JSONField(_("details"), default=dict, blank=True)
    address = models.GenericIPAddressField(_("from address"), null=True, blank=True)
    channel = models.CharField(
        _("channel"),
        max_length=20,
        blank=True,
        help_text=_("web, api, or the command or process that acted."),
    )

    class Meta:
        ordering = ["-at", "-pk"]
        indexes = [models.Index(fields=["application", "at"])]
        verbose_name = _("audit entry")
        verbose_name_plural = _("audit trail")

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M:%S} {self.actor_name or '-'} {self.action}"
