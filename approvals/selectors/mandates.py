"""Reads for the mandate pages: tuned querysets and where a mandate stands.

Who may see which mandates is decided here by starting from the viewer
(approvals.representation): a legal representative reads the mandates of the
enterprises the registry names them for, a holder the mandates held by them
or their agency, a window clerk every mandate. Each list costs a fixed number
of queries whatever its length.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db import models
from django.db.models import Prefetch, QuerySet
from django.utils.translation import gettext_lazy as _

from approvals import clock, representation
from approvals.identifiers import normalize_uscc
from approvals.models import Enterprise, Mandate


class MandateState(models.TextChoices):
    IN_FORCE = "in_force", _("in force")
    NOT_YET = "not_yet", _("not in force yet")
    ENDED = "ended", _("ended")
    REVOKED = "revoked", _("revoked")


def mandate_state(mandate: Mandate, at: datetime | None = None) -> MandateState:
    at = at or clock.now()
    if mandate.revoked_at is not None:
        return MandateState.REVOKED
    if mandate.valid_from > at:
        return MandateState.NOT_YET
    if mandate.valid_until <= at:
        return MandateState.ENDED
    return MandateState.IN_FORCE


def for_display(mandate: Mandate, at: datetime | None = None) -> Mandate:
    """Set where the mandate stands (`state`) and its last moment (`last_moment`): a
    mandate "until 31 December" ends at midnight, which reads better as 23:59 that day."""
    mandate.state = mandate_state(mandate, at)
    mandate.last_moment = mandate.valid_until - timedelta(microseconds=1)
    return mandate


def _with_grantee(queryset: QuerySet[Mandate]) -> QuerySet[Mandate]:
    return queryset.select_related("grantee_user__identity", "grantee_agency").prefetch_related(
        "services"
    )


def enterprises_with_mandates(user) -> QuerySet[Enterprise]:
    """The enterprises the user represents, each with every mandate it granted."""
    mandates = _with_grantee(Mandate.objects.order_by("-created_at", "-pk"))
    return (
        representation.enterprises_represented(user)
        .order_by("uscc")
        .prefetch_related(Prefetch("mandates", queryset=mandates))
    )


def enterprise_represented(user, uscc: str) -> Enterprise | None:
    return representation.enterprises_represented(user).filter(uscc=normalize_uscc(uscc)).first()


def mandate_granted_by_enterprise_of(user, public_id) -> Mandate | None:
    """A mandate of an enterprise the user represents, or None (anyone else's is not found)."""
    return (
        _with_grantee(Mandate.objects.select_related("enterprise"))
        .filter(
            public_id=public_id,
            enterprise__in=representation.enterprises_represented(user),
        )
        .first()
    )


def mandates_held(user) -> QuerySet[Mandate]:
    """Every mandate the user holds, directly or through an agency, newest first."""
    return (
        representation.mandates_held(user)
        .select_related("enterprise", "grantee_agency")
        .prefetch_related("services")
        .order_by("-valid_until", "-pk")
    )


def mandates_for_clerk(*, uscc: str = "") -> QuerySet[Mandate]:
    """Every mandate (the window's register), optionally of one enterprise."""
    queryset = _with_grantee(Mandate.objects.select_related("enterprise")).order_by(
        "-created_at", "-pk"
    )
    if uscc:
        queryset = queryset.filter(enterprise__uscc=normalize_uscc(uscc))
    return queryset
