"""The State Council's holiday notice for a year the calendar package does not know yet.

The notice for next year is published around November–December, before the
``chinesecalendar`` package is released with it. A supervisor enters it here
(in the admin); ``approvals.timekeeping`` treats it as official for its year
until the package knows that year. Days are typed as the notice lists them,
one date or one range a line (``2027-02-05`` or ``2027-02-05..2027-02-11``).
"""

from __future__ import annotations

from datetime import date, timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models, transaction
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from approvals import timekeeping

_MAX_RANGE_DAYS = 31


def parse_days(text: str) -> list[date]:
    """The dates of ``text``: one ISO date or ``first..last`` a line; raises ValidationError."""
    days: list[date] = []
    errors = []
    for number, raw in enumerate((text or "").splitlines(), 1):
        line = raw.strip()
        if not line:
            continue
        first_text, _sep, last_text = line.partition("..")
        try:
            first = date.fromisoformat(first_text.strip())
            last = date.fromisoformat(last_text.strip()) if last_text.strip() else first
        except ValueError:
            errors.append(
                gettext(
                    "Line %(line)d: “%(text)s” is not a date"
                    " (YYYY-MM-DD or YYYY-MM-DD..YYYY-MM-DD)."
                )
                % {"line": number, "text": line[:40]}
            )
            continue
        if last < first or (last - first).days >= _MAX_RANGE_DAYS:
            errors.append(
                gettext("Line %(line)d: the range must run forwards and span at most %(max)d days.")
                % {"line": number, "max": _MAX_RANGE_DAYS}
            )
            continue
        days.extend(first + timedelta(days=i) for i in range((last - first).days + 1))
    if errors:
        raise ValidationError(errors)
    return days


class CalendarNotice(models.Model):
    year = models.PositiveSmallIntegerField(
        _("year"), unique=True, validators=[MinValueValidator(2000), MaxValueValidator(2100)]
    )
    title = models.CharField(
        _("notice"),
        max_length=200,
        help_text=_("The State Council notice, e.g. its title and document number."),
    )
    holidays = models.TextField(
        _("holidays"),
        help_text=_("One date (YYYY-MM-DD) or range (YYYY-MM-DD..YYYY-MM-DD) a line."),
    )
    make_up_days = models.TextField(
        _("make-up working days"),
        blank=True,
        help_text=_("Weekend days that are working days (调休), one date a line."),
    )
    entered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    entered_at = models.DateTimeField(_("entered"), auto_now=True)

    class Meta:
        ordering = ["-year"]
        verbose_name = _("calendar notice")
        verbose_name_plural = _("calendar notices")

    def __str__(self) -> str:
        return f"{self.year}: {self.title}"

    # This process reads the notices again at once, and again after the
    # transaction (a rolled-back notice must not stay in memory).
    def save(self, *args, **kwargs):
        super().save(*args, **kwargs)
        timekeeping.use_notices(None)
        transaction.on_commit(lambda: timekeeping.use_notices(None))

    def delete(self, *args, **kwargs):
        result = super().delete(*args, **kwargs)
        timekeeping.use_notices(None)
        transaction.on_commit(lambda: timekeeping.use_notices(None))
        return result

    def holiday_dates(self) -> list[date]:
        return parse_days(self.holidays)

    def make_up_dates(self) -> list[date]:
        return parse_days(self.make_up_days)

    def clean(self):
        errors: dict[str, list[str]] = {}
        parsed: dict[str, list[date]] = {}
        for field in ("holidays", "make_up_days"):
            try:
                parsed[field] = parse_days(getattr(self, field))
            except ValidationError as exc:
                errors[field] = exc.messages
        if self.year and timekeeping.package_knows_year(self.year):
            errors.setdefault("year", []).append(
                gettext(
                    "The calendar package already has the official calendar of %(year)d:"
                    " it is used, and a notice for that year is not needed."
                )
                % {"year": self.year}
            )
        if self.year and "holidays" in parsed and not parsed["holidays"]:
            errors.setdefault("holidays", []).append(gettext("List at least one holiday."))
        for field, days in parsed.items():
            outside = sorted({d for d in days if d.year != self.year})
            if self.year and outside:
                errors.setdefault(field, []).append(
                    gettext("%(days)s not in %(year)d.")
                    % {"days": ", ".join(d.isoformat() for d in outside[:5]), "year": self.year}
                )
        both = sorted(set(parsed.get("holidays", [])) & set(parsed.get("make_up_days", [])))
        if both:
            errors.setdefault("make_up_days", []).append(
                gettext("%(days)s cannot be both a holiday and a make-up working day.")
                % {"days": ", ".join(d.isoformat() for d in both[:5])}
            )
        weekdays = sorted(d for d in parsed.get("make_up_days", []) if d.weekday() < 5)
        if weekdays:
            errors.setdefault("make_up_days", []).append(
                gettext(
                    "%(days)s is a weekday already:"
                    " a make-up working day is a Saturday or a Sunday."
                )
                % {"days": ", ".join(d.isoformat() for d in weekdays[:5])}
            )
        if errors:
            raise ValidationError(errors)
