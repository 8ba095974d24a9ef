"""Who may act for which enterprise: the one rule, read by services, pages and the API.

A verified person acts for an existing enterprise

* as its **legal representative**, when the registry names their identity
  document as the legal representative's, for every service; or
* under a **mandate** the enterprise granted them, or an agency they are a
  member of, for the services it names, while it is in force (from its start,
  until its end, not revoked).

Nobody else acts for it: not an unverified account, not an official, not an
investor who filed for it once. What this decides: who may preview what the
government holds about the enterprise, open a draft for it, and go on working
on a draft (a mandate that ends stops its holder's drafts; applications they
already submitted stay theirs to follow, see approvals.selectors).

Whether an enterprise is being established rather than acted for is the
service's business (approvals.establishment), not this module's.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.core.exceptions import PermissionDenied
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils.translation import gettext as _

from approvals import clock
from approvals.models import (
    ActingAs,
    ApplicationStatus,
    Enterprise,
    Identity,
    IdentityStatus,
    Mandate,
    Service,
)


@dataclass(frozen=True)
class Basis:
    """Why a user may act for an enterprise in a service."""

    acting_as: str
    mandate: Mandate | None = None


def identity_of(user) -> Identity | None:
    if not (user is not None and user.is_authenticated):
        return None
    try:
        return user.identity
    except Identity.DoesNotExist:
        return None


def is_verified(user) -> bool:
    identity = identity_of(user)
    return identity is not None and identity.status == IdentityStatus.VERIFIED


def enterprises_represented(user) -> QuerySet[Enterprise]:
    """The enterprises whose registry record names the user's verified identity."""
    identity = identity_of(user)
    if identity is None or identity.status != IdentityStatus.VERIFIED:
        return Enterprise.objects.none()
    return Enterprise.objects.filter(
        legal_representative_document_type=identity.document_type,
        legal_representative_id=identity.document_number,
    )


def _held_by(user) -> Q:
    return Q(grantee_user=user) | Q(grantee_agency__members=user)


def mandates_held(user) -> QuerySet[Mandate]:
    """Every mandate granted to the user or to an agency they belong to, in force or not."""
    if not (user is not None and user.is_authenticated):
        return Mandate.objects.none()
    return Mandate.objects.filter(_held_by(user)).distinct()


def in_force(at: datetime | None = None) -> Q:
    at = at or clock.now()
    return Q(revoked_at__isnull=True, valid_from__lte=at, valid_until__gt=at)


def valid_mandates(user, *, at: datetime | None = None) -> QuerySet[Mandate]:
    """The mandates the user may use now, with their enterprise."""
    if not is_verified(user):
        return Mandate.objects.none()
    return (
        Mandate.objects.filter(_held_by(user), in_force(at))
        .distinct()
        .select_related("enterprise", "grantee_agency")
    )


def basis_for(user, service: Service, uscc: str, *, at: datetime | None = None) -> Basis | None:
    """The ground on which `user` acts for the enterprise `uscc` in `service`, or None."""
    if not is_verified(user) or not uscc:
        return None
    if enterprises_represented(user).filter(uscc=uscc).exists():
        return Basis(ActingAs.LEGAL_REPRESENTATIVE)
    mandate = (
        valid_mandates(user, at=at)
        .filter(enterprise__uscc=uscc, services=service)
        .order_by("valid_until", "pk")
        .first()
    )
    if mandate is not None:
        return Basis(ActingAs.MANDATE, mandate)
    return None


def acts_for_any_service(user, uscc: str) -> bool:
    """Whether the user may act for the enterprise in at least one service (the preview)."""
    if not is_verified(user) or not uscc:
        return False
    return (
        enterprises_represented(user).filter(uscc=uscc).exists()
        or valid_mandates(user).filter(enterprise__uscc=uscc).exists()
    )


def no_basis_message() -> str:
    return _(
        "You do not act for this enterprise in this service. Only its legal representative, "
        "and those the enterprise has authorised for this service, may apply for it or see "
        "what the government holds about it. Ask the legal representative to grant you a "
        "mandate in the portal (My enterprises → Grant a mandate), or bring a signed paper "
        "mandate to the window."
    )


def unverified_message() -> str:
    return _(
        "Verify your identity first: until then your account can read the public guide but "
        "not what the government holds about anyone. Go to Your identity."
    )


def require_verified(user) -> None:
    if not is_verified(user):
        raise PermissionDenied(unverified_message())


def require_basis(user, service: Service, uscc: str) -> Basis:
    """The basis, or PermissionDenied with a message that says how to obtain one."""
    require_verified(user)
    basis = basis_for(user, service, uscc)
    if basis is None:
        raise PermissionDenied(no_basis_message())
    return basis


def still_acts_for(user, application) -> bool:
    """Whether the applicant may still work on this application: the basis it was opened
    on (or any other) holds now. Establishment drafts are their founder's."""
    if application.acting_as == ActingAs.FOUNDER:
        return application.applicant_id == getattr(user, "pk", None) and is_verified(user)
    return (
        application.applicant_id == getattr(user, "pk", None)
        and basis_for(user, application.service, application.uscc) is not None
    )


def still_acting_q(user) -> Q:
    """The SQL form of :func:`still_acts_for` for a list of the user's applications: the
    basis holds now (legal representative per the registry, or a mandate in force for
    the application's service and enterprise), or the user founds the enterprise."""
    identity = identity_of(user)
    if identity is None or identity.status != IdentityStatus.VERIFIED:
        return Q(pk__in=[])
    mandate_in_force = Mandate.objects.filter(
        _held_by(user),
        in_force(),
        enterprise__uscc=OuterRef("uscc"),
        services=OuterRef("service_id"),
    )
    return (
        Q(acting_as=ActingAs.FOUNDER)
        | Q(
            enterprise__legal_representative_document_type=identity.document_type,
            enterprise__legal_representative_id=identity.document_number,
        )
        | Q(Exists(mandate_in_force))
    )


def visible_to_applicant_q(user) -> Q:
    """An applicant's own applications they may open: every one they submitted (they
    follow it to its end), a draft only while they still act for the enterprise."""
    return ~Q(status=ApplicationStatus.DRAFT) | still_acting_q(user)
