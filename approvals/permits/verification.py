"""What a verifier is told about a token: valid, altered, revoked, expired or unknown.

Worked out against the permit record (``verify_token``). Anything shaped like
a token (URL-safe characters and dots, about a token's length) that fails
decoding or the signature is *altered*, so any change to a genuine code says
so; only what is not token-shaped at all is *unknown*. The stored file's
SHA-256 tells the very file issued from any other (``is_issued_file``).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import date

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from approvals.models import Permit, PermitStatus
from approvals.permits.tokens import TokenForged, TokenUndecodable, claims_of, decode_token


class Outcome(models.TextChoices):
    """The one answer a verifier gets about a token."""

    VALID = "valid", _("valid")
    ALTERED = "altered", _("altered")
    REVOKED = "revoked", _("revoked")
    EXPIRED = "expired", _("expired")
    UNKNOWN = "unknown", _("unknown")


# Shown in both languages at once: whoever holds a permit may read only one.
OUTCOME_TEXT = {
    Outcome.VALID: (
        "有效",
        "Valid",
        "此证照真实有效。",
        "This permit is genuine and in force.",
    ),
    Outcome.ALTERED: (
        "已被篡改",
        "Altered",
        "核验码与签发内容不符：此证照被篡改或伪造，不可采信。",
        "The code does not match what was issued: this permit was altered or forged. "
        "Do not rely on it.",
    ),
    Outcome.REVOKED: (
        "已撤销",
        "Revoked",
        "此证照已被发证机关撤销，不再有效。",
        "This permit was revoked by the issuing authority and is no longer in force.",
    ),
    Outcome.EXPIRED: (
        "已过期",
        "Expired",
        "此证照已超过有效期限。",
        "This permit is past its validity.",
    ),
    Outcome.UNKNOWN: (
        "无法识别",
        "Unknown",
        "无法识别此核验码，或查无此证。请检查是否完整复制。",
        "This code is not recognised, or no such permit was issued. "
        "Check that it was copied in full.",
    ),
}


@dataclass(frozen=True)
class Verification:
    """An outcome and, when the token is genuine and matches it, the permit."""

    status: str
    permit: Permit | None = None

    @property
    def text(self) -> tuple[str, str, str, str]:
        return OUTCOME_TEXT[self.status]

    @property
    def facts_shown(self) -> bool:
        """The permit's facts are shown only when the token is genuine and matches it."""
        return self.permit is not None


def verify_token(token: str, *, today: date | None = None) -> Verification:
    """What a verifier is told about a token (see the module docstring)."""
    try:
        claims = decode_token(token)
    except TokenUndecodable:
        return Verification(Outcome.UNKNOWN)
    except TokenForged:
        return Verification(Outcome.ALTERED)
    permit = (
        Permit.objects.select_related("holder", "application__service", "matter__matter")
        .filter(number=claims.number)
        .first()
    )
    if permit is None:
        return Verification(Outcome.UNKNOWN)
    if claims_of(permit) != claims:
        return Verification(Outcome.ALTERED)
    if permit.status == PermitStatus.REVOKED:
        return Verification(Outcome.REVOKED, permit)
    today = today or timezone.localdate()
    if permit.valid_until is not None and permit.valid_until < today:
        return Verification(Outcome.EXPIRED, permit)
    return Verification(Outcome.VALID, permit)


def is_issued_file(permit: Permit, data: bytes) -> bool:
    """Is this exactly the PDF the single window issued for the permit?"""
    return bool(permit.pdf_sha256) and hashlib.sha256(data).hexdigest() == permit.pdf_sha256
