"""Permits: the outcomes that come back to the investor, one per approved matter.

The record here is what the licence library and public verification rest
on; the PDF is derived from it, rendered off the request path by
``approvals.permits`` (so a rendering failure never undoes a decision) and
kept beside the record with the state of its rendering.
"""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from .applications import Application, ApplicationMatter
from .shared_data import Enterprise, Licence


class PermitStatus(models.TextChoices):
    ISSUED = "issued", _("issued")
    REVOKED = "revoked", _("revoked")


class RenderStatus(models.TextChoices):
    PENDING = "pending", _("waiting to be rendered")
    RENDERED = "rendered", _("rendered")
    FAILED = "failed", _("rendering failed: will be retried")


# What a permit states about its holder, each from the application's value as
# confirmed or corrected at the decision (the field), else the registry record
# (the Enterprise attribute). The identity number is never among them.
PERMIT_FACTS = (
    ("name_zh", "enterprise.name_zh", "name_zh"),
    ("name_en", "enterprise.name_en", "name_en"),
    ("enterprise_type", "enterprise.type", "enterprise_type"),
    ("legal_representative", "enterprise.legal_representative", "legal_representative"),
    ("registered_capital", "enterprise.registered_capital", "registered_capital"),
    ("address", "enterprise.address", "address"),
)


def registry_facts(enterprise: Enterprise) -> dict[str, str]:
    """The facts as the registry record holds them (text, as the application's values are)."""
    facts = {}
    for key, _field, attribute in PERMIT_FACTS:
        value = getattr(enterprise, attribute)
        facts[key] = "" if value is None else str(value)
    return facts


class Permit(models.Model):
    number = models.CharField(_("permit number"), max_length=40, unique=True)
    application = models.ForeignKey(Application, on_delete=models.PROTECT, related_name="permits")
    # The approved matter whose outcome this is (a licence or a registration
    # record). Its life (amend, renew, cancel, replace) will be rows that point here.
    matter = models.OneToOneField(
        ApplicationMatter,
        on_delete=models.PROTECT,
        related_name="outcome",
        null=True,
        blank=True,
        verbose_name=_("matter"),
    )
    holder = models.ForeignKey(Enterprise, on_delete=models.PROTECT, related_name="permits")
    scope = models.TextField(_("scope"))
    # The holder's facts as decided (keys of PERMIT_FACTS), fixed at issue: the
    # registry record may differ (the applicant corrected it) or change later,
    # and the PDF, the verification page and the API must state what was approved.
    facts = models.JSONField(_("facts as decided"), default=dict, blank=True)
    issued_at = models.DateTimeField(_("issued"))
    valid_from = models.DateField(_("valid from"))
    valid_until = models.DateField(_("valid until"), null=True, blank=True)
    status = models.CharField(
        _("status"), max_length=20, choices=PermitStatus, default=PermitStatus.ISSUED
    )
    licence = models.OneToOneField(
        Licence, on_delete=models.PROTECT, related_name="permit", null=True, blank=True
    )

    # The PDF. One file per permit, named after its number: rendering again
    # replaces it rather than adding a second one.
    pdf = models.FileField(_("PDF"), upload_to="permits/", max_length=200, blank=True)
    pdf_sha256 = models.CharField(
        _("SHA-256 of the PDF"),
        max_length=64,
        blank=True,
        help_text=_("Lets the verification page tell an uploaded file from the one issued."),
    )
    render_status = models.CharField(
        _("rendering"),
        max_length=20,
        choices=RenderStatus,
        default=RenderStatus.PENDING,
        db_index=True,
    )
    render_attempts = models.PositiveSmallIntegerField(_("rendering attempts"), default=0)
    render_error = models.TextField(_("last rendering error"), blank=True)
    rendered_at = models.DateTimeField(_("rendered"), null=True, blank=True)

    revoked_at = models.DateTimeField(_("revoked"), null=True, blank=True)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
        verbose_name=_("revoked by"),
    )
    revocation_reason = models.TextField(_("reason for revocation"), blank=True)

    class Meta:
        ordering = ["-issued_at", "pk"]
        verbose_name = _("permit")
        verbose_name_plural = _("permits")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(valid_until__isnull=True)
                | models.Q(valid_until__gte=models.F("valid_from")),
                name="permit_valid_after_start",
            ),
            models.CheckConstraint(
                condition=models.Q(render_status__in=RenderStatus.values),
                name="permit_render_status_known",
            ),
            # A permit marked rendered has its file, its hash and its time.
            models.CheckConstraint(
                condition=~models.Q(render_status=RenderStatus.RENDERED)
                | (
                    ~models.Q(pdf="")
                    & ~models.Q(pdf_sha256="")
                    & models.Q(rendered_at__isnull=False)
                ),
                name="permit_rendered_has_file",
            ),
            # Revoked means: when, by whom and why; issued means none of these.
            models.CheckConstraint(
                condition=(
                    models.Q(status=PermitStatus.REVOKED)
                    & models.Q(revoked_at__isnull=False)
                    & models.Q(revoked_by__isnull=False)
                    & ~models.Q(revocation_reason="")
                )
                | (
                    models.Q(status=PermitStatus.ISSUED)
                    & models.Q(revoked_at__isnull=True)
                    & models.Q(revoked_by__isnull=True)
                ),
                name="permit_revocation_complete",
            ),
        ]

    def __str__(self) -> str:
        return self.number

    @property
    def stated(self) -> dict[str, str]:
        """The facts the permit states; a fact missing from the snapshot (none should
        be) is read from the registry rather than printed blank."""
        missing = [key for key, _f, _a in PERMIT_FACTS if key not in (self.facts or {})]
        facts = dict(self.facts or {})
        if missing:
            registry = registry_facts(self.holder)
            facts.update({key: registry[key] for key in missing})
        return facts
