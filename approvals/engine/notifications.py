"""The mails an application's events send: to the applicant, and to the
supervisors on escalation."""

from __future__ import annotations

from django.conf import settings
from django.db.models import Prefetch
from django.urls import reverse

from approvals import (
    background,
    mail,
    remedies,
    roles,
)
from approvals.models import (
    Application,
    Escalation,
    Matter,
    MatterState,
    ReviewDecision,
    SatisfiedBy,
)

# --- notifications --------------------------------------------------------


def for_mail(application: Application) -> Application:
    """The application as just written, with what every mail names."""
    return Application.objects.select_related("service", "applicant").get(pk=application.pk)


def _application_mail_context(application: Application, event: str, reviews=None) -> dict:
    """What the mail about ``event`` lists: read now, inside the action's transaction.

    ``reviews``: the application's reviews with their departments, if the caller has them.
    """
    if reviews is None:
        reviews = list(application.reviews.select_related("department"))
    context = {
        "event": event,
        "application": application,
        "reference": application.reference,
        "service": application.service,
        "url": mail.absolute_url(
            reverse("portal:application", kwargs={"public_id": application.public_id})
        ),
        "reviews": reviews,
    }
    if event == "accepted":
        context["deferrals"] = list(
            application.materials.filter(satisfied_by=SatisfiedBy.DEFERRAL)
            .select_related("material")
            .order_by("due_date", "material__order")
        )
        context["waiting"] = _waiting_matters(application)
    elif event == "returned":
        context["correction"] = application.corrections.order_by("-requested_at", "-pk").first()
    elif event == "decided":
        context["rejections"] = [r for r in reviews if r.decision == ReviewDecision.REJECTED]
        context["remedies"] = remedies.remedies_for(application, reviews)
        context["matters"] = list(
            application.matters.select_related("matter", "outcome").order_by("order", "pk")
        )
    return context


def _waiting_matters(application: Application) -> list[tuple]:
    """The matters the acceptance left waiting, each with the matters of this application
    it needs first: the reviews the mail lists are not all there will be."""
    waiting = (
        application.matters.filter(state=MatterState.WAITING)
        .select_related("matter")
        .prefetch_related(
            Prefetch(
                "matter__requires",
                queryset=Matter.objects.filter(applications__application=application),
            )
        )
        .order_by("order", "pk")
    )
    return [(part.matter, list(part.matter.requires.all())) for part in waiting]


def notify_on_commit(application: Application, event: str, reviews=None) -> None:
    email = application.applicant.email
    if not email:
        return
    message = mail.compose(
        f"application_{event}",
        _application_mail_context(application, event, reviews),
        language=application.language or settings.LANGUAGE_CODE,
    )
    background.notify(
        application=application,
        event=event,
        recipients=[email],
        subject=message.subject,
        body=message.text,
        html_body=message.html,
    )


def notify_supervisors_on_commit(escalation: Escalation) -> None:
    emails = list(roles.supervisors().exclude(email="").values_list("email", flat=True))
    if not emails:
        return
    application = escalation.application
    message = mail.compose(
        "escalated",
        {
            "escalation": escalation,
            "application": application,
            "reference": application.reference,
            "service": application.service,
            "department": escalation.department,
            "review": escalation.review,
            "url": mail.absolute_url(
                reverse("review:application", kwargs={"public_id": application.public_id})
            ),
        },
        # Officials read Chinese first; English follows for everyone else.
        language=mail.CHINESE,
    )
    background.notify(
        application=application,
        event="escalated",
        recipients=emails,
        subject=message.subject,
        body=message.text,
        html_body=message.html,
    )
