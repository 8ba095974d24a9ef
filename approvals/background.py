"""Work done after a request: on a Celery worker when a broker is configured,
otherwise right here (the embedded demo needs nothing else running).

Everything handed over is idempotent, so a task delivered twice, or run by a
retry sweep after it already ran, does no harm.
"""

from __future__ import annotations

import logging

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import transaction

from approvals import clock, jobs
from approvals.models import Notification

logger = logging.getLogger(__name__)


# --- notifications -------------------------------------------------------------------


def notify(
    *,
    application,
    event: str,
    recipients: list[str],
    subject: str,
    body: str,
    html_body: str = "",
) -> None:
    """Record a mail in the current transaction; it is delivered once that commits.

    ``body`` is the text part; ``html_body``, when given, goes as the HTML alternative.
    """
    recipients = [r for r in recipients if r]
    if not recipients:
        return
    # A simulation's mail (jobs.hold) is written down as sent when written, so
    # no sweep ever sends it to a real inbox.
    held = jobs.held()
    notification = Notification.objects.create(
        application=application,
        event=event,
        recipients=recipients,
        subject=subject,
        body=body,
        html_body=html_body,
        sent_at=clock.now() if held else None,
    )
    if held:
        return

    def deliver_later():
        jobs.enqueue(
            jobs.DELIVER_NOTIFICATION,
            notification.pk,
            fallback=lambda: deliver(notification.pk),
        )

    transaction.on_commit(deliver_later)


def deliver(notification_id: int) -> bool:
    """Send one notification unless it was sent already; True if this call sent it."""
    with transaction.atomic():
        row = Notification.objects.select_for_update().filter(pk=notification_id).first()
        if row is None or row.sent_at is not None:
            return False
        row.attempts += 1
        try:
            message = EmailMultiAlternatives(
                row.subject, row.body, settings.DEFAULT_FROM_EMAIL, row.recipients
            )
            if row.html_body:
                message.attach_alternative(row.html_body, "text/html")
            message.send()
        except Exception as exc:  # kept for the retry sweep
            logger.warning("notification #%s not sent: %s", row.pk, exc)
            row.last_error = f"{type(exc).__name__}: {exc}"[:300]
            row.save(update_fields=["attempts", "last_error"])
            return False
        row.sent_at, row.last_error = clock.now(), ""
        row.save(update_fields=["attempts", "sent_at", "last_error"])
        return True


def deliver_pending(*, limit: int = 500) -> int:
    """Retry what was not sent (a mail server down, a broker down); returns how many went."""
    pending = Notification.objects.filter(sent_at__isnull=True, attempts__lt=10).order_by("pk")
    return sum(deliver(pk) for pk in pending.values_list("pk", flat=True)[:limit])
