"""Matters (事项) and things (一件事): each department's own act, and the bundles of them.

A matter is one department's act with one outcome of its own: a licence or a
registration record, with its own number format and validity. A thing is a
named bundle of matters for one goal ("open a restaurant"); it is the
``Service`` table, which carries the thing's one form and one set of
materials (一表申请、一套材料). Determinants are the guide's questions: their
answers decide which of a thing's matters apply and which materials each
needs (``approvals.guide``). All of it is data, edited in the admin.
"""

from decimal import Decimal

from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from .catalog import BilingualName, Department, Service
from .questions import Conditional, _english


class OutcomeKind(models.TextChoices):
    LICENCE = "licence", _("licence or permit")
    RECORD = "record", _("registration or filing record")


class MatterMode(models.TextChoices):
    """How a matter is decided. Only approval exists yet; filing, approval on commitment
    and abolished matters are the reform modes still to come."""

    APPROVAL = "approval", _("approval after review")


# The placeholders an outcome's number format may use.
NUMBER_PLACEHOLDERS = {"year": 2026, "matter": 1, "application": 1, "seq": 1}


class Matter(BilingualName):
    """One department's act (事项), with one outcome of its own."""

    code = models.SlugField(_("code"), max_length=60, unique=True)
    department = models.ForeignKey(
        Department, on_delete=models.PROTECT, related_name="matters", verbose_name=_("department")
    )
    mode = models.CharField(
        _("mode"), max_length=20, choices=MatterMode, default=MatterMode.APPROVAL
    )
    outcome_kind = models.CharField(
        _("outcome"), max_length=10, choices=OutcomeKind, default=OutcomeKind.LICENCE
    )
    outcome_name_zh = models.CharField(_("outcome name (Chinese)"), max_length=200)
    outcome_name_en = models.CharField(_("outcome name (English)"), max_length=200)
    outcome_licence_type = models.SlugField(
        _("licence type of the outcome"),
        max_length=60,
        help_text=_(
            "The outcome enters the licence library under this type, so a later matter "
            "whose material has reuse key 'licence:<type>' reuses it."
        ),
    )
    outcome_number_format = models.CharField(
        _("number format"),
        max_length=80,
        default="HNSW-{year}-{matter:03d}-{application:08d}",
        help_text=_(
            "Python format with {year}, {matter} (the matter's id) and {application} (the "
            "application's id), e.g. HNSW-{year}-{matter:03d}-{application:08d}."
        ),
    )
    outcome_valid_years = models.PositiveSmallIntegerField(
        _("validity (years)"), null=True, blank=True, help_text=_("Empty: valid until revoked.")
    )
    statutory_limit_days = models.PositiveSmallIntegerField(
        _("statutory limit (working days)"),
        default=20,
        validators=[MinValueValidator(1), MaxValueValidator(60)],
    )
    promised_limit_days = models.DecimalField(
        _("promised limit (working days)"),
        max_digits=4,
        decimal_places=1,
        default=Decimal("1.0"),
        validators=[MinValueValidator(Decimal("0.5"))],
        help_text=_(
            "What the single window promises for this matter; the critical path adds these."
        ),
    )
    review_limit_days = models.DecimalField(
        _("review limit (working days)"),
        max_digits=4,
        decimal_places=1,
        default=Decimal("1.0"),
        validators=[MinValueValidator(Decimal("0.5"))],
        help_text=_("After this many working days the review escalates to the supervisors."),
    )
    requires = models.ManyToManyField(
        "self",
        symmetrical=False,
        blank=True,
        related_name="required_by",
        verbose_name=_("needs first"),
        help_text=_(
            "Matters whose outcome this one needs (tax registration needs the new credit "
            "code). In one application it starts when they are approved; applied for alone, "
            "their outcome is read from the licence library."
        ),
    )
    establishes_enterprise = models.BooleanField(
        _("registers the new enterprise"),
        default=False,
        help_text=_(
            "On approval market regulation registers the enterprise and assigns its unified "
            "social credit code; the outcome is numbered by that code."
        ),
    )
    is_active = models.BooleanField(_("in use"), default=True)

    class Meta:
        ordering = ["code"]
        verbose_name = _("matter")
        verbose_name_plural = _("matters")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(promised_limit_days__lte=models.F("statutory_limit_days")),
                name="matter_promise_within_statute",
                violation_error_message=_("The promised limit cannot exceed the statutory one."),
            ),
            models.CheckConstraint(
                condition=models.Q(review_limit_days__gt=0), name="matter_review_limit_positive"
            ),
        ]

    @property
    def outcome_name(self) -> str:
        return self.outcome_name_en if _english() else self.outcome_name_zh

    def clean(self) -> None:
        super().clean()
        try:
            self.outcome_number_format.format(**NUMBER_PLACEHOLDERS)
        except (KeyError, IndexError, ValueError):
            raise ValidationError(
                {
                    "outcome_number_format": _(
                        "Use only {year}, {matter} and {application} in the number format."
                    )
                }
            ) from None


def requirement_cycle(matter: Matter, requires) -> list[str]:
    """The codes of a cycle that `requires` would close through `matter`, or [].

    Called by the admin before the prerequisites are saved: the graph must
    stay acyclic, or a bundle could never start."""
    wanted = {m.pk for m in requires}
    path: list[str] = [matter.code]
    seen: set[int] = set()

    def walk(pks, trail):
        for m in Matter.objects.filter(pk__in=pks).prefetch_related("requires"):
            if m.pk == matter.pk:
                return [*trail, m.code]
            if m.pk in seen:
                continue
            seen.add(m.pk)
            found = walk([r.pk for r in m.requires.all()], [*trail, m.code])
            if found:
                return found
        return []

    return walk(wanted, path)


class ThingMatter(Conditional):
    """A matter of a thing: always part of it, or when an answer of the guide says so."""

    service = models.ForeignKey(
        Service, on_delete=models.CASCADE, related_name="thing_matters", verbose_name=_("thing")
    )
    matter = models.ForeignKey(
        Matter, on_delete=models.PROTECT, related_name="thing_matters", verbose_name=_("matter")
    )
    order = models.PositiveSmallIntegerField(_("order"), default=0)

    class Meta:
        ordering = ["service", "order", "matter__code"]
        verbose_name = _("matter of a thing")
        verbose_name_plural = _("matters of a thing")
        constraints = [
            models.UniqueConstraint(fields=["service", "matter"], name="thing_matter_once")
        ]

    def __str__(self) -> str:
        return f"{self.service.code} / {self.matter.code}"
