"""The catalogue: departments, things (the ``Service`` table) and the materials they require.

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

from approvals import prefill

from .questions import Conditional


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
    """A thing (一件事): what an investor applies for at the single window, in one go.

    Its matters are each a department's own act with its own outcome
    (``approvals.models.matters``); its materials are one set for all of them.
    A thing of one matter is what used to be a plain service."""

    code = models.SlugField(_("code"), max_length=60, unique=True)
    description_zh = models.TextField(_("description (Chinese)"), blank=True)
    description_en = models.TextField(_("description (English)"), blank=True)
    # The thing's matters (一件事的事项), each always or on an answer of the guide.
    matters = models.ManyToManyField(
        "approvals.Matter",
        through="approvals.ThingMatter",
        related_name="things",
        verbose_name=_("matters"),
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
    is_active = models.BooleanField(_("open for applications"), default=True)
    # Names of sources in settings.PREFILL_SOURCES (approvals.prefill): a
    # service reads what it needs and no more, so seal filing is not shown an
    # enterprise's investment projects. Checked against the configured
    # sources by clean() and by the system check approvals.E003.
    prefill_sources = models.JSONField(
        _("shared-data sources read"),
        default=list,
        blank=True,
        help_text=_(
            "Names of the prefill sources this service reads, e.g. "
            '["enterprise_registry", "licence_library"]. Empty: every configured source.'
        ),
    )
    establishes_enterprise = models.BooleanField(
        _("establishes a new enterprise"),
        default=False,
        help_text=_(
            "Opened with a name reservation number instead of a credit code; on approval "
            "market regulation assigns the new enterprise its unified social credit code."
        ),
    )

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

    def clean(self) -> None:
        super().clean()
        names = self.prefill_sources
        if not isinstance(names, list) or not all(isinstance(n, str) for n in names):
            raise ValidationError(
                {"prefill_sources": _('Give a list of source names, e.g. ["enterprise_registry"].')}
            )
        unknown = sorted(set(names) - prefill.source_names())
        if unknown:
            raise ValidationError(
                {
                    "prefill_sources": _("No configured source is named %(names)s.")
                    % {"names": ", ".join(unknown)}
                }
            )


class Material(BilingualName, Conditional):
    """A material of a thing's one set (一套材料), the matters that need it, and the ways it may
    be satisfied.

    One row however many of the thing's matters need it, so it is handed in
    once. It is asked for when at least one of its matters applies and its own
    rule on the guide's answers (``Conditional``) holds.
    """

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
    matters = models.ManyToManyField(
        "approvals.Matter",
        related_name="materials",
        blank=True,
        verbose_name=_("needed by"),
        help_text=_("The matters of this thing that need it. Empty: all of them."),
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
