"""The time ledger: every step and every interval of an application's clock.

viewflow records when a task was created and finished but never when it was
assigned, and knows nothing of who holds the clock. The ledger keeps both,
so the reform's figures (days, steps, investor-held against government-held
time) are queries over these two tables.
"""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from .applications import Application, ApplicationMatter
from .catalog import Department


class ClockHolder(models.TextChoices):
    GOVERNMENT = "government", _("government")
    INVESTOR = "investor", _("investor")


class StepKind(models.TextChoices):
    SUBMISSION = "submission", _("submission")
    ACCEPTANCE = "acceptance", _("window acceptance")
    CORRECTION = "correction", _("correction by the investor")
    REVIEW = "review", _("department review")
    # Not a department's opinion (审查意见) but the single window's decision on the whole.
    DECISION = "decision", pgettext_lazy("step of an application", "decision")
    PERMIT = "permit", _("permit issued")


INVESTOR_STEPS = (StepKind.SUBMISSION, StepKind.CORRECTION)


class Step(models.Model):
    application = models.ForeignKey(Application, on_delete=models.CASCADE, related_name="steps")
    kind = models.CharField(_("step"), max_length=20, choices=StepKind)
    department = models.ForeignKey(
        Department, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    # The matter a review or an outcome belongs to: its own clock.
    matter = models.ForeignKey(
        ApplicationMatter, on_delete=models.CASCADE, null=True, blank=True, related_name="steps"
    )
    task = models.OneToOneField(
        "viewflow.Task", on_delete=models.SET_NULL, null=True, blank=True, related_name="step"
    )
    holder = models.CharField(_("clock held by"), max_length=20, choices=ClockHolder)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(_("created"))
    assigned_at = models.DateTimeField(_("assigned"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)
    # Stored when the step finishes, so reports aggregate in the database
    # instead of walking the calendar for every row.
    calendar_days = models.FloatField(_("calendar days"), null=True, blank=True)
    working_days = models.FloatField(_("working days"), null=True, blank=True)
    estimated = models.BooleanField(
        _("estimated"),
        default=False,
        help_text=_("Spans days the official calendar does not cover yet (weekday fallback)."),
    )

    class Meta:
        ordering = ["application", "created_at", "pk"]
        indexes = [models.Index(fields=["kind", "finished_at"])]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(finished_at__isnull=True)
                | models.Q(finished_at__gte=models.F("created_at")),
                name="step_finishes_after_it_starts",
            )
        ]

    def __str__(self) -> str:
        return f"{self.application} {self.kind}"


class ClockInterval(models.Model):
    """A stretch of time during which one party holds the application's clock."""

    application = models.ForeignKey(
        Application, on_delete=models.CASCADE, related_name="clock_intervals"
    )
    holder = models.CharField(_("held by"), max_length=20, choices=ClockHolder)
    started_at = models.DateTimeField(_("from"))
    ended_at = models.DateTimeField(_("until"), null=True, blank=True)
    calendar_days = models.FloatField(null=True, blank=True)
    working_days = models.FloatField(null=True, blank=True)
    estimated = models.BooleanField(
        _("estimated"),
        default=False,
        db_default=False,
        help_text=_("Spans days the official calendar does not cover yet (weekday fallback)."),
    )

    class Meta:
        ordering = ["application", "started_at", "pk"]
        constraints = [
            # At most one party holds the clock at a time.
            models.UniqueConstraint(
                fields=["application"],
                condition=models.Q(ended_at__isnull=True),
                name="one_open_clock_interval",
            ),
            models.CheckConstraint(
                condition=models.Q(ended_at__isnull=True)
                | models.Q(ended_at__gte=models.F("started_at")),
                name="interval_ends_after_it_starts",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.application} {self.holder} {self.started_at:%Y-%m-%d %H:%M}"
