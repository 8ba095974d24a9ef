"""Real-name verification of an account (实名认证): the source adapter and the service.

The person states their name, identity document, its number and their
nationality; an **identity source** confirms or refuses the match. The
default source reads the population register of our shared data
(:class:`~approvals.models.Person`); a real deployment names an adapter for
the national identity-verification service in ``settings.IDENTITY_SOURCE``.
A source that cannot answer leaves the identity unverified, with a message,
and loses nothing typed. Until verified, an account reads the public guide
and nothing the government holds (approvals.representation).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from functools import cache

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.signals import setting_changed
from django.db import IntegrityError, transaction
from django.dispatch import receiver
from django.utils.module_loading import import_string
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from approvals import audit, clock
from approvals.identifiers import (
    DocumentType,
    normalize_document_number,
    validate_document_number,
)
from approvals.models import AuditAction, Identity, IdentityStatus, Person

logger = logging.getLogger(__name__)

# Attempts an account may make before a clerk has to look (a person mistyping
# is fine; an account trying numbers is not).
MAX_ATTEMPTS = 5


class IdentitySourceUnavailable(Exception):
    """The identity source could not answer; try again later."""


@dataclass(frozen=True)
class Claim:
    name: str
    document_type: str
    document_number: str
    nationality: str


class IdentitySource:
    """What every identity-verification adapter implements."""

    name = ""
    label = ""

    def confirms(self, claim: Claim) -> bool:  # pragma: no cover - interface
        raise NotImplementedError


def same_name(a: str, b: str) -> bool:
    return " ".join(a.split()).casefold() == " ".join(b.split()).casefold()


class PopulationRegisterSource(IdentitySource):
    """The shared data's population and exit-entry register (the Person table)."""

    name = "population_register"
    label = gettext_lazy("Population and exit-entry register")

    def confirms(self, claim: Claim) -> bool:
        person = Person.objects.filter(
            document_type=claim.document_type, document_number=claim.document_number
        ).first()
        return (
            person is not None
            and same_name(person.name, claim.name)
            and person.nationality == claim.nationality
        )


@cache
def source() -> IdentitySource:
    return import_string(settings.IDENTITY_SOURCE)()


@receiver(setting_changed)
def _forget_source(*, setting, **kwargs):
    if setting == "IDENTITY_SOURCE":
        source.cache_clear()


def _claim(*, name: str, document_type: str, document_number: str, nationality: str) -> Claim:
    errors: dict[str, list[str]] = {}
    name = " ".join((name or "").split())
    if not name:
        errors["name"] = [_("Enter your name as printed on the document.")]
    if document_type not in DocumentType.values:
        errors["document_type"] = [_("Choose the type of identity document.")]
    number = normalize_document_number(document_number)
    if document_type in DocumentType.values:
        try:
            validate_document_number(document_type, number)
        except ValidationError as exc:
            errors["document_number"] = exc.messages
    nationality = (nationality or "").strip().upper()
    if len(nationality) != 3 or not nationality.isalpha():
        errors["nationality"] = [_("Choose your nationality.")]
    if document_type == DocumentType.RESIDENT_ID and nationality and nationality != "CHN":
        errors["nationality"] = [_("A resident identity card is held by citizens of China.")]
    if errors:
        raise ValidationError(errors)
    return Claim(name, document_type, number, nationality)


def identity_verify(
    *, user, name: str, document_type: str, document_number: str, nationality: str
) -> Identity:
    """Record what the person states about themselves and ask the source to confirm it.

    Raises ValidationError for a malformed claim (nothing written), for a claim
    the source does not confirm (the identity is kept, refused, with what was
    typed), for a document already verified on another account, and when the
    attempts are used up. IdentitySourceUnavailable when the source cannot
    answer: nothing is written and no attempt is counted (the page keeps what
    was typed).
    """
    if not (user and user.is_authenticated):
        raise ValidationError(_("Log in to verify your identity."))
    claim = _claim(
        name=name,
        document_type=document_type,
        document_number=document_number,
        nationality=nationality,
    )
    try:
        return _verify(user, claim)
    except BaseException:
        # Identity(user=user) cached the unsaved claim on the account: forget it, so
        # nothing later in this request takes a refused claim for a verified one.
        user._state.fields_cache.pop("identity", None)
        raise


def _verify(user, claim: Claim) -> Identity:
    with transaction.atomic():
        identity = Identity.objects.select_for_update().filter(user=user).first()
        if identity is not None and identity.status == IdentityStatus.VERIFIED:
            if (identity.document_type, identity.document_number) == (
                claim.document_type,
                claim.document_number,
            ):
                return identity  # a retry of what was already verified
            raise ValidationError(
                _("Your identity is verified already. To change it, ask the window.")
            )
        if identity is not None and identity.attempts >= MAX_ATTEMPTS:
            raise ValidationError(
                _(
                    "The identity could not be confirmed after %(count)d attempts. Bring your "
                    "document to the window, where a clerk can check it."
                )
                % {"count": MAX_ATTEMPTS}
            )
        identity = identity or Identity(user=user)
        identity.name = claim.name
        identity.document_type = claim.document_type
        identity.document_number = claim.document_number
        identity.nationality = claim.nationality
        identity.checked_at = clock.now()
        identity.attempts += 1
        verifier = source()
        # IdentitySourceUnavailable rolls this back: not the person's fault, nothing counted.
        confirmed = verifier.confirms(claim)
        if not confirmed:
            identity.status = IdentityStatus.REFUSED
            identity.save()
            audit.record(
                actor=user,
                application=None,
                action=AuditAction.IDENTITY_REFUSED,
                source=verifier.name,
                attempt=identity.attempts,
            )
        else:
            identity.status = IdentityStatus.VERIFIED
            identity.source = verifier.name
            identity.verified_at = identity.checked_at
            try:
                with transaction.atomic():
                    identity.save()
            except IntegrityError as exc:
                raise ValidationError(
                    {
                        "document_number": [
                            _(
                                "This document is verified on another account already. "
                                "If that is not yours, tell the window."
                            )
                        ]
                    }
                ) from exc
            audit.record(
                actor=user,
                application=None,
                action=AuditAction.IDENTITY_VERIFIED,
                source=verifier.name,
            )
            return identity
    raise ValidationError(
        _(
            "The %(source)s does not confirm this name, document and nationality together. "
            "Check each against the document (the name exactly as printed) and try again."
        )
        % {"source": verifier.label}
    )
