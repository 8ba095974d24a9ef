"""The guide's questions (determinants) and the rules on their answers.

A determinant is a question ("floor area?"); a rule on its answer decides
whether a matter belongs to an application and whether a material is asked
for (``Conditional``, mixed into ``ThingMatter`` and ``Material``).
"""

from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _


def _english() -> bool:
    return (get_language() or "").startswith("en")


class DeterminantKind(models.TextChoices):
    YES_NO = "yes_no", _("yes or no")
    CHOICE = "choice", _("one of a list")
    NUMBER = "number", _("a number")


class Determinant(models.Model):
    """A question of the guide whose answer decides matters and materials."""

    code = models.SlugField(_("code"), max_length=60, unique=True)
    question_zh = models.CharField(_("question (Chinese)"), max_length=300)
    question_en = models.CharField(_("question (English)"), max_length=300)
    help_zh = models.CharField(_("help (Chinese)"), max_length=500, blank=True)
    help_en = models.CharField(_("help (English)"), max_length=500, blank=True)
    kind = models.CharField(_("kind of answer"), max_length=10, choices=DeterminantKind)
    # [{"value": "food", "label_zh": "餐饮", "label_en": "Food and drink"}, ...]
    choices = models.JSONField(
        _("choices"),
        default=list,
        blank=True,
        help_text=_(
            'For "one of a list": [{"value": "...", "label_zh": "...", "label_en": "..."}].'
        ),
    )
    unit_zh = models.CharField(_("unit (Chinese)"), max_length=20, blank=True)
    unit_en = models.CharField(_("unit (English)"), max_length=20, blank=True)
    order = models.PositiveSmallIntegerField(_("order"), default=0)

    class Meta:
        ordering = ["order", "code"]
        verbose_name = _("guide question")
        verbose_name_plural = _("guide questions")

    def __str__(self) -> str:
        return self.question

    @property
    def question(self) -> str:
        return self.question_en if _english() else self.question_zh

    @property
    def help(self) -> str:
        return self.help_en if _english() else self.help_zh

    @property
    def unit(self) -> str:
        return self.unit_en if _english() else self.unit_zh

    def choice_values(self) -> list[str]:
        return [str(c.get("value", "")) for c in self.choices or []]

    def label_of(self, value) -> str:
        """The answer as a person reads it, in the active language."""
        if self.kind == DeterminantKind.YES_NO:
            if value in (True, "yes"):
                return str(_("Yes"))
            if value in (False, "no"):
                return str(_("No"))
            return ""
        if self.kind == DeterminantKind.CHOICE:
            for c in self.choices or []:
                if str(c.get("value")) == str(value):
                    return c.get("label_en" if _english() else "label_zh") or str(value)
            return str(value or "")
        if value in (None, ""):
            return ""
        return f"{value} {self.unit}".strip()

    def clean(self) -> None:
        super().clean()
        if self.kind == DeterminantKind.CHOICE:
            values = self.choice_values()
            if not values or "" in values or len(set(values)) != len(values):
                raise ValidationError(
                    {"choices": _("Give each choice a value of its own, and at least one.")}
                )


class Operator(models.TextChoices):
    IS = "is", _("is")
    IS_NOT = "is_not", _("is not")
    ONE_OF = "one_of", _("is one of")
    AT_LEAST = "at_least", _("is at least")
    ABOVE = "above", _("is above")


class Conditional(models.Model):
    """A rule on one answer: null determinant means "always"."""

    determinant = models.ForeignKey(
        Determinant,
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
        verbose_name=_("asked when the answer to"),
        help_text=_("Empty: always."),
    )
    operator = models.CharField(
        _("operator"), max_length=10, choices=Operator, default=Operator.IS, blank=True
    )
    value = models.CharField(
        _("value"),
        max_length=200,
        blank=True,
        help_text=_('"yes"/"no", a choice\'s value, values separated by commas, or a number.'),
    )

    class Meta:
        abstract = True

    @property
    def always(self) -> bool:
        return self.determinant_id is None

    def holds(self, answers: dict) -> bool:
        """Does the rule hold for these answers? An unanswered question holds nothing."""
        if self.determinant_id is None:
            return True
        given = answers.get(self.determinant.code)
        if given is None or given == "":
            return False
        if self.determinant.kind == DeterminantKind.NUMBER:
            try:
                number, limit = Decimal(str(given)), Decimal(self.value)
            except ArithmeticError:
                return False
            return {
                Operator.AT_LEAST: number >= limit,
                Operator.ABOVE: number > limit,
                Operator.IS: number == limit,
                Operator.IS_NOT: number != limit,
            }.get(self.operator, False)
        given = "yes" if given is True else "no" if given is False else str(given)
        wanted = [v.strip() for v in self.value.split(",") if v.strip()]
        if self.operator == Operator.IS_NOT:
            return given not in wanted
        return given in wanted

    def rule_text(self) -> str:
        """The rule as the guide shows it: "Floor area is above 300 m²"."""
        if self.determinant_id is None:
            return ""
        det = self.determinant
        if det.kind == DeterminantKind.NUMBER:
            shown = det.label_of(self.value)
        else:
            shown = ", ".join(det.label_of(v.strip()) for v in self.value.split(",") if v.strip())
        return f"{det.question} — {Operator(self.operator).label} {shown}"

    def clean(self) -> None:
        super().clean()
        if self.determinant_id is None:
            return
        det = self.determinant
        if det.kind == DeterminantKind.NUMBER:
            if self.operator == Operator.ONE_OF:
                raise ValidationError({"operator": _("Compare a number with one number.")})
            try:
                Decimal(self.value)
            except ArithmeticError:
                raise ValidationError({"value": _("Give a number.")}) from None
        elif self.operator in (Operator.AT_LEAST, Operator.ABOVE):
            raise ValidationError({"operator": _("Only a number can be compared so.")})
        else:
            allowed = ["yes", "no"] if det.kind == DeterminantKind.YES_NO else det.choice_values()
            given = [v.strip() for v in self.value.split(",") if v.strip()]
            if not given or any(v not in allowed for v in given):
                raise ValidationError(
                    {"value": _("Give one of: %(values)s.") % {"values": ", ".join(allowed)}}
                )
