"""The service catalogue: departments, services and the materials they require.

The catalogue is data. Adding a department or a service, changing a time
limit or allowing a shortcut for a material is done in the admin or in a
fixture, never in code: the flow reads everything it routes on from here.
"""

from django.contrib.auth.models import Group
from django.core.exceptions import ObjectDoesNotExist, ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _


class BilingualName(models.Model):
    """A Simplified Chinese and an English name; `name` picks the active language."""

    name_zh = models.CharField(_("name (Chinese)"), max_length=200)
    name_en = models.CharField(_("name (English)"), max_length=200)

    class Meta:
        abstract = True

    def __str__(self) -> str:
        return self.name

    @property
    def name(self) -> str:
        return self.name_en if (get_language() or "").startswith("en") else self.name_zh


class Department(BilingualName):
    # Reviewer groups are named "reviewer:<code>".
    GROUP_PREFIX = "reviewer:"

    code = models.SlugField(_("code"), max_length=40, unique=True)
    # The department's reviewers are the members of this group; reviewers see
    # only the tasks of the departments whose groups they belong to.
    reviewer_group = models.OneToOneField(
        Group,
        verbose_name=_("reviewer group"),
        on_delete=models.PROTECT,
        related_name="department",
        help_text=_("Members of this group review this department's tasks."),
    )

    class Meta:
        ordering = ["code"]
        verbose_name = _("department")
        verbose_name_plural = _("departments")


class Service(BilingualName):
    """An application type an investor can file at the single window."""

    code = models.SlugField(_("code"), max_length=60, unique=True)
    description_zh = models.TextField(_("description (Chinese)"), blank=True)
    description_en = models.TextField(_("description (English)"), blank=True)
    departments = models.ManyToManyField(
        Department,
        through="ServiceDepartment",
        related_name="services",
        verbose_name=_("departments"),
    )
    statutory_limit_days = models.PositiveSmallIntegerField(
        _("statutory limit (working days)"),
        default=20,
        validators=[MinValueValidator(1), MaxValueValidator(60)],
        help_text=_("Administrative Licensing Law: 20 working days, 45 for joint handling."),
    )
    promised_limit_days = models.PositiveSmallIntegerField(
        _("promised limit (working days)"),
        default=2,
        validators=[MinValueValidator(1), MaxValueValidator(60)],
        help_text=_("What the single window promises the investor."),
    )
    legacy_steps = models.PositiveSmallIntegerField(
        _("steps before the reform"),
        default=0,
        help_text=_(
            "Separate submissions and visits an investor made before the single window "
            "(one per department and material hand-in); the yardstick for 'fewer steps'."
        ),
    )
    permit_licence_type = models.SlugField(
        _("licence type of the permit"),
        max_length=60,
        help_text=_(
            "The permit enters the licence library under this type, so a later "
            "application whose material has reuse key 'licence:<type>' reuses it."
        ),
    )
    permit_name_zh = models.CharField(_("permit name (Chinese)"), max_length=200)
    permit_name_en = models.CharField(_("permit name (English)"), max_length=200)
    permit_valid_years = models.PositiveSmallIntegerField(
        _("permit validity (years)"),
        null=True,
        blank=True,
        help_text=_("Empty: valid until revoked."),
    )
    is_active = models.BooleanField(_("open for applications"), default=True)

    class Meta:
        ordering = ["code"]
        verbose_name = _("service")
        verbose_name_plural = _("services")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(promised_limit_days__lte=models.F("statutory_limit_days")),
                name="service_promise_within_statute",
                violation_error_message=_("The promised limit cannot exceed the statutory one."),
            )
        ]

    @property
    def description(self) -> str:
        lang = get_language() or ""
        return self.description_en if lang.startswith("en") else self.description_zh


class ServiceDepartment(models.Model):
    """A department's part in a service, with its own review time limit."""

    service = models.ForeignKey(
        Service, on_delete=models.CASCADE, related_name="service_departments"
    )
    department = models.ForeignKey(
        Department, on_delete=models.PROTECT, related_name="service_departments"
    )
    review_limit_days = models.DecimalField(
        _("review limit (working days)"),
        max_digits=4,
        decimal_places=1,
        default=1,
        validators=[MinValueValidator(0.5)],
        help_text=_("After this many working days the review escalates to the supervisors."),
    )

    class Meta:
        ordering = ["service", "department__code"]
        verbose_name = _("department in a service")
        verbose_name_plural = _("departments in a service")
        constraints = [
            models.UniqueConstraint(
                fields=["service", "department"], name="service_department_once"
            ),
            models.CheckConstraint(
                condition=models.Q(review_limit_days__gt=0), name="review_limit_positive"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.service.code} / {self.department.code}"


class Material(BilingualName):
    """A material a service requires, and the ways it may be satisfied."""

    service = models.ForeignKey(Service, on_delete=models.CASCADE, related_name="materials")
    code = models.SlugField(_("code"), max_length=60)
    department = models.ForeignKey(
        Department,
        on_delete=models.PROTECT,
        related_name="materials",
        null=True,
        blank=True,
        verbose_name=_("department that needs it"),
    )
    order = models.PositiveSmallIntegerField(_("order"), default=0)
    reuse_key = models.CharField(
        _("reuse key"),
        max_length=80,
        blank=True,
        help_text=_(
            "What shared data satisfies this material, e.g. 'enterprise_registry', "
            "'tax_registration' or 'licence:<licence type>'. Empty: never reused."
        ),
    )
    allow_upload = models.BooleanField(_("may be uploaded"), default=True)
    allow_commitment = models.BooleanField(
        _("may be replaced by a signed commitment"),
        default=False,
        help_text=_(
            "告知承诺制: verified after approval; the permit is revocable if it was false."
        ),
    )
    allow_deferral = models.BooleanField(
        _("may be handed in after acceptance"),
        default=False,
        help_text=_("容缺受理: a minor material, accepted missing with a due date."),
    )
    deferral_days = models.PositiveSmallIntegerField(_("deferral period (working days)"), default=5)
    # Why the material is asked for at all: a single window asks for nothing
    # the law does not require, and the guide says which law requires what.
    # Blank is allowed in the database only so that a service can be drafted
    # closed; clean() requires both texts once the service is open.
    legal_basis_zh = models.CharField(
        _("legal basis (Chinese)"),
        max_length=500,
        blank=True,
        help_text=_("The law and article that require this material, e.g. 《条例》第十三条."),
    )
    legal_basis_en = models.CharField(
        _("legal basis (English)"),
        max_length=500,
        blank=True,
        help_text=_("The same law and article in English, e.g. Regulation ..., art. 13."),
    )

    class Meta:
        ordering = ["service", "order", "code"]
        verbose_name = _("material")
        verbose_name_plural = _("materials")
        constraints = [
            models.UniqueConstraint(fields=["service", "code"], name="material_code_per_service"),
            models.CheckConstraint(
                condition=models.Q(allow_upload=True)
                | models.Q(allow_commitment=True)
                | ~models.Q(reuse_key=""),
                name="material_can_be_satisfied",
                violation_error_message=_(
                    "A material must be reusable, uploadable or replaceable by a commitment."
                ),
            ),
        ]

    @property
    def legal_basis(self) -> str:
        lang = get_language() or ""
        return self.legal_basis_en if lang.startswith("en") else self.legal_basis_zh

    def clean(self) -> None:
        super().clean()
        try:
            # The admin's inline sets the service before it is saved, so read
            # the object, not service_id: a new service opened with its
            # materials in one form is checked too.
            service = self.service
        except ObjectDoesNotExist:
            return
        if not service.is_active:
            return
        missing = {
            name: _("A material of a service open for applications must name its legal basis.")
            for name in ("legal_basis_zh", "legal_basis_en")
            if not getattr(self, name).strip()
        }
        if missing:
            raise ValidationError(missing)


class RejectionReason(models.Model):
    """A reason a department may give for rejecting, picked from a list instead of typed anew.

    The list is data like the rest of the catalogue: a reason without a
    department may be given by any department, one with a department only by
    that department's reviewers. A reason no longer in use is deactivated,
    never deleted, so past decisions keep reading the same.
    """

    code = models.SlugField(_("code"), max_length=60, unique=True)
    text_zh = models.CharField(_("text (Chinese)"), max_length=500)
    text_en = models.CharField(_("text (English)"), max_length=500)
    department = models.ForeignKey(
        Department,
        on_delete=models.PROTECT,
        related_name="rejection_reasons",
        null=True,
        blank=True,
        verbose_name=_("department"),
        help_text=_("Empty: any department may give this reason."),
    )
    is_active = models.BooleanField(_("in use"), default=True)

    class Meta:
        ordering = ["code"]
        verbose_name = _("rejection reason")
        verbose_name_plural = _("rejection reasons")

    def __str__(self) -> str:
        return self.text

    @property
    def text(self) -> str:
        return self.text_en if (get_language() or "").startswith("en") else self.text_zh
