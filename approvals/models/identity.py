"""Who is asking, and on whose behalf: real-name identities, agencies and mandates.

An investor's account holds one person's identity (name, document, number,
nationality), verified against a government source before the account may
read anything the government holds (approvals.realname). A verified person
acts for an enterprise as its legal representative, when the registry names
their document, or under a **mandate** (授权委托) the enterprise grants: to a
person or to an agency (代办), for some services, for a period, revocable at
once. The rule that reads these tables is in approvals.representation.
"""

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from approvals import clock
from approvals.identifiers import DocumentType, mask_document_number, validate_uscc

from .catalog import Service
from .shared_data import Enterprise


class IdentityStatus(models.TextChoices):
    UNVERIFIED = "unverified", _("not verified yet")
    VERIFIED = "verified", _("verified")
    REFUSED = "refused", _("not confirmed by the source")


class Identity(models.Model):
    """The person behind an investor's or an agent's account (实名认证)."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="identity",
        verbose_name=_("account"),
    )
    name = models.CharField(_("name"), max_length=120)
    document_type = models.CharField(_("identity document"), max_length=40, choices=DocumentType)
    document_number = models.CharField(_("document number"), max_length=20)
    nationality = models.CharField(_("nationality"), max_length=3)
    status = models.CharField(
        _("status"),
        max_length=20,
        choices=IdentityStatus,
        default=IdentityStatus.UNVERIFIED,
    )
    source = models.CharField(_("verified by"), max_length=80, blank=True)
    checked_at = models.DateTimeField(_("last checked"), null=True, blank=True)
    verified_at = models.DateTimeField(_("verified"), null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)

    class Meta:
        verbose_name = _("real-name identity")
        verbose_name_plural = _("real-name identities")
        constraints = [
            # One person, one verified account: a second account cannot take
            # over someone's enterprises by claiming the same document.
            models.UniqueConstraint(
                fields=["document_type", "document_number"],
                condition=Q(status="verified"),
                name="identity_verified_once",
            ),
            models.CheckConstraint(
                condition=~Q(status="verified") | Q(verified_at__isnull=False),
                name="identity_verified_has_time",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({mask_document_number(self.document_number)})"

    @property
    def is_verified(self) -> bool:
        return self.status == IdentityStatus.VERIFIED

    @property
    def document_number_masked(self) -> str:
        return mask_document_number(self.document_number)


class Agency(models.Model):
    """An agency that files for investors (代办机构); its members act under its mandates."""

    uscc = models.CharField(
        _("unified social credit code"), max_length=18, unique=True, validators=[validate_uscc]
    )
    name_zh = models.CharField(_("name (Chinese)"), max_length=200)
    name_en = models.CharField(_("name (English)"), max_length=200, blank=True)
    members = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        related_name="agencies",
        blank=True,
        verbose_name=_("members"),
        help_text=_("Verified accounts that file for the agency's principals."),
    )

    class Meta:
        ordering = ["uscc"]
        verbose_name = _("agency")
        verbose_name_plural = _("agencies")

    def __str__(self) -> str:
        return f"{self.name_zh} ({self.uscc})"


class MandateOrigin(models.TextChoices):
    PORTAL = "portal", _("granted in the portal by the legal representative")
    PAPER = "paper", _("paper mandate registered at the window")


class Mandate(models.Model):
    """An enterprise's authorisation for a person or an agency to apply for it (授权委托)."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    enterprise = models.ForeignKey(
        Enterprise,
        on_delete=models.PROTECT,
        related_name="mandates",
        verbose_name=_("enterprise"),
    )
    grantee_user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="mandates_held",
        null=True,
        blank=True,
        verbose_name=_("authorised person"),
    )
    grantee_agency = models.ForeignKey(
        Agency,
        on_delete=models.PROTECT,
        related_name="mandates",
        null=True,
        blank=True,
        verbose_name=_("authorised agency"),
    )
    services = models.ManyToManyField(Service, related_name="mandates", verbose_name=_("services"))
    valid_from = models.DateTimeField(_("valid from"), default=clock.now)
    valid_until = models.DateTimeField(_("valid until"))
    origin = models.CharField(
        _("origin"), max_length=10, choices=MandateOrigin, default=MandateOrigin.PORTAL
    )
    granted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="mandates_granted",
        null=True,
        blank=True,
        verbose_name=_("granted by"),
        help_text=_("The legal representative who granted it in the portal."),
    )
    registered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="mandates_registered",
        null=True,
        blank=True,
        verbose_name=_("registered by"),
        help_text=_("The window clerk who registered a paper mandate."),
    )
    document = models.FileField(
        _("scanned mandate"), upload_to="mandates/%Y/%m/", blank=True, max_length=255
    )
    created_at = models.DateTimeField(_("created"), default=clock.now, editable=False)
    revoked_at = models.DateTimeField(_("revoked"), null=True, blank=True)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
        verbose_name=_("revoked by"),
    )
    revocation_reason = models.CharField(_("reason for revocation"), max_length=500, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("mandate")
        verbose_name_plural = _("mandates")
        indexes = [
            models.Index(fields=["grantee_user", "valid_until"]),
            models.Index(fields=["grantee_agency", "valid_until"]),
        ]
        constraints = [
            models.CheckConstraint(
                condition=(Q(grantee_user__isnull=False) & Q(grantee_agency__isnull=True))
                | (Q(grantee_user__isnull=True) & Q(grantee_agency__isnull=False)),
                name="mandate_one_grantee",
                violation_error_message=_("A mandate is granted to one person or one agency."),
            ),
            models.CheckConstraint(
                condition=Q(valid_until__gt=models.F("valid_from")),
                name="mandate_ends_after_start",
                violation_error_message=_("A mandate must end after it starts."),
            ),
            models.CheckConstraint(
                condition=Q(origin="portal", granted_by__isnull=False)
                | Q(origin="paper", registered_by__isnull=False),
                name="mandate_has_author",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.enterprise.uscc} → {self.grantee}"

    @property
    def grantee(self):
        return self.grantee_user if self.grantee_user_id else self.grantee_agency

    def is_valid_at(self, at) -> bool:
        return self.revoked_at is None and self.valid_from <= at < self.valid_until
