"""Mail waiting to go out, written in the same transaction as the action it reports.

A notification exists exactly when its action committed; delivering it is
idempotent (a delivered row is never sent again), so a task delivered twice
to a worker, or retried after a crash, sends the mail once. The one gap left
is a worker dying between the mail server accepting the mail and the row
being marked: then it goes out twice, never zero times.
"""

from django.db import models
from django.utils.translation import gettext_lazy as _

from approvals import clock


class Notification(models.Model):
    application = models.ForeignKey(
        "approvals.Application",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="notifications",
    )
    event = models.CharField(_("event"), max_length=30)
    recipients = models.JSONField(_("recipients"), default=list)
    subject = models.CharField(_("subject"), max_length=300)
    body = models.TextField(_("body"))
    html_body = models.TextField(_("HTML body"), blank=True, default="", db_default="")
    created_at = models.DateTimeField(_("created"), default=clock.now, editable=False)
    sent_at = models.DateTimeField(_("sent"), null=True, blank=True, db_index=True)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    last_error = models.CharField(_("last error"), max_length=300, blank=True)

    class Meta:
        ordering = ["created_at", "pk"]
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")

    def __str__(self) -> str:
        return f"{self.event} -> {', '.join(self.recipients)}"
