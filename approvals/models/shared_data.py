"""What government already holds: the provincial data center's records.

These tables stand in for the data-exchange service of a real deployment:
the default prefill sources read them, and the demo loads them from
fixtures. Every enterprise is keyed by its unified social credit code.
"""

from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

from approvals.identifiers import (
    DocumentType,
    mask_document_number,
    normalize_document_number,
    validate_document_number,
    validate_uscc,
)


class EnterpriseStatus(models.TextChoices):
    ACTIVE = "active", _("active (存续)")
    SUSPENDED = "suspended", _("suspended")
    DEREGISTERED = "deregistered", _("deregistered (注销)")


class Enterprise(models.Model):
    """An enterprise registry record (市场主体登记)."""

    uscc = models.CharField(
        _("unified social credit code"), max_length=18, unique=True, validators=[validate_uscc]
    )
    name_zh = models.CharField(_("name (Chinese)"), max_length=200)
    name_en = models.CharField(_("name (English)"), max_length=200, blank=True)
    enterprise_type = models.CharField(_("enterprise type"), max_length=120)
    legal_representative = models.CharField(_("legal representative"), max_length=120)
    legal_representative_document_type = models.CharField(
        _("legal representative's identity document"),
        max_length=40,
        choices=DocumentType,
        default=DocumentType.RESIDENT_ID,
        db_default=DocumentType.RESIDENT_ID,
    )
    legal_representative_id = models.CharField(
        _("legal representative's identity number"),
        max_length=20,
        blank=True,
        help_text=_(
            "The number of that document; masked on screens for roles that do not need it. "
            "A person whose verified identity is this document represents the enterprise."
        ),
    )
    registered_capital = models.DecimalField(
        _("registered capital (10,000 CNY)"), max_digits=14, decimal_places=2
    )
    address = models.CharField(_("address"), max_length=300)
    business_scope = models.TextField(_("business scope"))
    established_on = models.DateField(_("established on"))
    status = models.CharField(
        _("status"), max_length=20, choices=EnterpriseStatus, default=EnterpriseStatus.ACTIVE
    )
    updated_at = models.DateTimeField(_("record updated"), auto_now=True)

    class Meta:
        ordering = ["uscc"]
        verbose_name = _("enterprise")
        verbose_name_plural = _("enterprises")

    def __str__(self) -> str:
        return f"{self.name_zh} ({self.uscc})"

    def clean(self) -> None:
        super().clean()
        self.legal_representative_id = normalize_document_number(self.legal_representative_id)
        if self.legal_representative_id:
            try:
                validate_document_number(
                    self.legal_representative_document_type, self.legal_representative_id
                )
            except ValidationError as exc:
                raise ValidationError({"legal_representative_id": exc.messages}) from exc

    @property
    def legal_representative_id_masked(self) -> str:
        return mask_document_number(self.legal_representative_id)


class Person(models.Model):
    """A person as the population register or the exit-entry administration holds them.

    The default identity source (approvals.realname) verifies an account's
    identity against these rows; a real deployment asks the national
    identity-verification service instead.
    """

    document_type = models.CharField(_("identity document"), max_length=40, choices=DocumentType)
    document_number = models.CharField(_("document number"), max_length=20)
    name = models.CharField(_("name"), max_length=120)
    nationality = models.CharField(
        _("nationality"),
        max_length=3,
        help_text=_("ISO 3166-1 alpha-3 code, e.g. CHN, USA, SGP; HKG, MAC or TWN for permits."),
    )

    class Meta:
        ordering = ["document_type", "document_number"]
        verbose_name = _("person")
        verbose_name_plural = _("people (population register)")
        constraints = [
            models.UniqueConstraint(
                fields=["document_type", "document_number"], name="person_document_once"
            )
        ]

    def __str__(self) -> str:
        return f"{self.name} ({mask_document_number(self.document_number)})"


class TaxRegistration(models.Model):
    enterprise = models.OneToOneField(
        Enterprise, on_delete=models.CASCADE, related_name="tax_registration"
    )
    taxpayer_type = models.CharField(_("taxpayer type"), max_length=60)
    tax_authority = models.CharField(_("tax authority"), max_length=200)
    registered_on = models.DateField(_("registered on"))

    class Meta:
        verbose_name = _("tax registration")
        verbose_name_plural = _("tax registrations")

    def __str__(self) -> str:
        return f"{self.enterprise.uscc} tax"


class SocialSecurityRegistration(models.Model):
    enterprise = models.OneToOneField(
        Enterprise, on_delete=models.CASCADE, related_name="social_security"
    )
    account_number = models.CharField(_("social-security account"), max_length=40, unique=True)
    insured_employees = models.PositiveIntegerField(_("insured employees"), default=0)
    registered_on = models.DateField(_("registered on"))

    class Meta:
        verbose_name = _("social-security registration")
        verbose_name_plural = _("social-security registrations")

    def __str__(self) -> str:
        return self.account_number


class InvestmentProject(models.Model):
    enterprise = models.ForeignKey(
        Enterprise, on_delete=models.CASCADE, related_name="investment_projects"
    )
    project_code = models.CharField(_("project code"), max_length=40, unique=True)
    name = models.CharField(_("project name"), max_length=200)
    total_investment = models.DecimalField(
        _("total investment (10,000 CNY)"), max_digits=14, decimal_places=2
    )
    location = models.CharField(_("location"), max_length=200)
    filed_on = models.DateField(_("filed on"))

    class Meta:
        ordering = ["project_code"]
        verbose_name = _("investment project")
        verbose_name_plural = _("investment projects")

    def __str__(self) -> str:
        return f"{self.project_code} {self.name}"


class LicenceStatus(models.TextChoices):
    VALID = "valid", _("valid")
    REVOKED = "revoked", _("revoked")


class Licence(models.Model):
    """An entry of the electronic licence library (电子证照库)."""

    number = models.CharField(_("licence number"), max_length=60, unique=True)
    licence_type = models.SlugField(
        _("licence type"),
        max_length=60,
        help_text=_("Matched against a material's reuse key 'licence:<type>'."),
    )
    name_zh = models.CharField(_("name (Chinese)"), max_length=200)
    name_en = models.CharField(_("name (English)"), max_length=200, blank=True)
    holder = models.ForeignKey(Enterprise, on_delete=models.PROTECT, related_name="licences")
    issuer = models.CharField(_("issuer"), max_length=200)
    issued_on = models.DateField(_("issued on"))
    valid_until = models.DateField(_("valid until"), null=True, blank=True)
    status = models.CharField(
        _("status"), max_length=20, choices=LicenceStatus, default=LicenceStatus.VALID
    )

    class Meta:
        ordering = ["holder", "licence_type", "-issued_on"]
        verbose_name = _("licence")
        verbose_name_plural = _("licence library")
        indexes = [models.Index(fields=["holder", "licence_type", "status"])]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(valid_until__isnull=True)
                | models.Q(valid_until__gte=models.F("issued_on")),
                name="licence_valid_after_issue",
            )
        ]

    def __str__(self) -> str:
        return f"{self.number} {self.name_zh}"


class ReservationStatus(models.TextChoices):
    RESERVED = "reserved", _("reserved")
    USED = "used", _("used (enterprise registered)")
    EXPIRED = "expired", _("expired")


class InvestorKind(models.TextChoices):
    COMPANY = "company", _("a foreign company or other organisation")
    PERSON = "person", _("a natural person")


class NameReservation(models.Model):
    """An enterprise name reserved through name self-declaration (企业名称自主申报).

    What market regulation holds before an enterprise exists: the name, who
    declared it, the investor behind it and the company it is meant for. An
    establishment application is opened with its number; registration marks
    it used and links the enterprise it became.
    """

    number = models.CharField(_("reservation number"), max_length=40, unique=True)
    name_zh = models.CharField(_("reserved name (Chinese)"), max_length=200)
    name_en = models.CharField(_("reserved name (English)"), max_length=200, blank=True)
    reserver_name = models.CharField(_("declared by"), max_length=120)
    # The declarer's identity document, as on Person and Identity: the one
    # person who may open the establishment (approvals.establishment).
    reserver_document_type = models.CharField(
        _("declarer's document type"), max_length=40, choices=DocumentType
    )
    reserver_document_number = models.CharField(_("declarer's document number"), max_length=20)
    investor_kind = models.CharField(
        _("investor"), max_length=10, choices=InvestorKind, default=InvestorKind.COMPANY
    )
    investor_name = models.CharField(_("investor's name"), max_length=200)
    investor_country = models.CharField(
        _("investor's country or region (ISO 3166-1 alpha-3)"), max_length=3
    )
    investor_registration_number = models.CharField(
        _("investor's registration or document number"), max_length=60, blank=True
    )
    enterprise_type = models.CharField(_("intended enterprise type"), max_length=120)
    registered_capital = models.DecimalField(
        _("intended registered capital (10,000 CNY)"), max_digits=14, decimal_places=2
    )
    business_scope = models.TextField(_("intended business scope"), blank=True)
    # The domicile declared with the name (住所申报): the property registry's
    # certificate, so the address is read from the register, not typed.
    domicile_certificate = models.CharField(
        _("domicile's property certificate number"), max_length=80, blank=True
    )
    reserved_on = models.DateField(_("reserved on"))
    valid_until = models.DateField(_("valid until"))
    status = models.CharField(
        _("status"), max_length=10, choices=ReservationStatus, default=ReservationStatus.RESERVED
    )
    enterprise = models.OneToOneField(
        Enterprise,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="name_reservation",
        verbose_name=_("enterprise registered under it"),
    )

    class Meta:
        ordering = ["number"]
        verbose_name = _("name reservation")
        verbose_name_plural = _("name reservations")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(valid_until__gte=models.F("reserved_on")),
                name="reservation_valid_after_reserved",
            ),
            models.CheckConstraint(
                condition=~models.Q(status="used") | models.Q(enterprise__isnull=False),
                name="reservation_used_has_enterprise",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.number} {self.name_zh}"


class PropertyRecord(models.Model):
    """A record of the real-estate register (不动产登记): where an enterprise may be domiciled."""

    certificate_number = models.CharField(_("certificate number"), max_length=80, unique=True)
    address = models.CharField(_("address"), max_length=300)
    division_code = models.CharField(
        _("administrative division code"),
        max_length=6,
        help_text=_("GB/T 2260, six digits: Haikou 460100, Sanya 460200."),
    )
    owner_name = models.CharField(_("owner"), max_length=200)
    usage = models.CharField(_("usage"), max_length=60)
    area_m2 = models.DecimalField(_("floor area (m²)"), max_digits=10, decimal_places=2)
    registered_on = models.DateField(_("registered on"))

    class Meta:
        ordering = ["certificate_number"]
        verbose_name = _("property record")
        verbose_name_plural = _("property records")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(division_code__regex=r"^[0-9]{6}$"),
                name="property_division_six_digits",
            )
        ]

    def __str__(self) -> str:
        return f"{self.certificate_number} {self.address}"
