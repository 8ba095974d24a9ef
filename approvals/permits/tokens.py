"""The permit token: what it claims, how it is signed, and strict decoding.

``base64url(payload) "." base64url(signature)``, both without padding. The
payload is compact JSON (sorted keys) naming the permit number, the holder's
unified social credit code and the dates; the signature is Ed25519 over
exactly the payload bytes. Decoding is strict (canonical base64url only), so
no change of a character, not even in the unused low bits of a segment's last
character, leaves a token valid.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from dataclasses import dataclass

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from django.conf import settings
from django.urls import reverse

from approvals.models import Permit
from approvals.permits.keys import private_key, public_key

TOKEN_VERSION = 1
# A real token is about 220 characters; anything much longer is not one and
# is refused before any decoding work.
TOKEN_MAX_LENGTH = 512
_SIGNATURE_CHARS = 86  # 64 bytes of Ed25519 signature in unpadded base64url
_B64URL = re.compile(r"[A-Za-z0-9_-]+")
# The form we sign: a payload segment, a dot, a signature segment.
TOKEN_FORM = re.compile(rf"[A-Za-z0-9_-]{{8,420}}\.[A-Za-z0-9_-]{{{_SIGNATURE_CHARS}}}")
# Token-shaped: what a genuine token becomes after any change of a character or
# two, its dot included (URL-safe characters and dots, about a token's length).
# Such a string that does not decode and verify is reported as altered; only
# what is not token-shaped at all is "unknown".
_TOKEN_SHAPED = re.compile(rf"[A-Za-z0-9_.-]{{64,{TOKEN_MAX_LENGTH}}}")


@dataclass(frozen=True)
class TokenClaims:
    """What a token asserts; compared field by field with the permit record."""

    number: str
    uscc: str
    issued: str  # ISO date
    valid_until: str | None  # ISO date, None: no expiry

    def payload(self) -> bytes:
        """The bytes that are signed: compact JSON, keys sorted, so one claim has one form."""
        data = {
            "v": TOKEN_VERSION,
            "n": self.number,
            "c": self.uscc,
            "i": self.issued,
            "u": self.valid_until,
        }
        return json.dumps(data, sort_keys=True, separators=(",", ":")).encode("utf-8")

    @classmethod
    def from_payload(cls, payload: bytes) -> TokenClaims:
        """The claims of a payload we wrote; ValueError for anything else."""
        data = json.loads(payload.decode("utf-8"))
        if not isinstance(data, dict) or data.get("v") != TOKEN_VERSION:
            raise ValueError("not a version-1 permit token")
        number, uscc, issued, until = data.get("n"), data.get("c"), data.get("i"), data.get("u")
        if not all(isinstance(x, str) for x in (number, uscc, issued)):
            raise ValueError("missing fields")
        if until is not None and not isinstance(until, str):
            raise ValueError("bad expiry")
        return cls(number=number, uscc=uscc, issued=issued, valid_until=until)


def claims_of(permit: Permit) -> TokenClaims:
    """What the permit record says, in the token's terms."""
    return TokenClaims(
        number=permit.number,
        uscc=permit.holder.uscc,
        issued=permit.valid_from.isoformat(),
        valid_until=permit.valid_until.isoformat() if permit.valid_until else None,
    )


def _b64encode(data: bytes) -> str:
    """Unpadded base64url."""
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _b64decode(text: str) -> bytes:
    """Strict unpadded base64url: refuses anything that would not re-encode to itself."""
    if not _B64URL.fullmatch(text) or len(text) % 4 == 1:
        raise ValueError("not base64url")
    try:
        data = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except binascii.Error as exc:
        raise ValueError("not base64url") from exc
    # The last character of a segment carries unused low bits; a token that
    # differs only there would otherwise decode to the same bytes.
    if _b64encode(data) != text:
        raise ValueError("not canonical base64url")
    return data


def sign(claims: TokenClaims) -> str:
    """The token asserting `claims`, signed with the configured key."""
    payload = claims.payload()
    return f"{_b64encode(payload)}.{_b64encode(private_key().sign(payload))}"


def permit_token(permit: Permit) -> str:
    """The permit's token (the same every time: Ed25519 signatures are deterministic)."""
    return sign(claims_of(permit))


class TokenUndecodable(ValueError):
    """Not a permit token at all."""


class TokenForged(ValueError):
    """Shaped like a token, but not one the key signed: it does not decode, or its
    signature does not match its content (altered or forged)."""


def decode_token(token: str, *, key: Ed25519PublicKey | None = None) -> TokenClaims:
    """The claims of a genuine token; needs only the public key.

    Raises TokenUndecodable for anything not even shaped like a token, and
    TokenForged for a token-shaped string that is not a genuine token: one that
    does not decode (strictly), or whose signature does not match. A genuine
    code with any character changed is token-shaped, so it reads as altered.
    """
    token = (token or "").strip()
    if len(token) > TOKEN_MAX_LENGTH or not _TOKEN_SHAPED.fullmatch(token):
        raise TokenUndecodable("not a permit token")
    if not TOKEN_FORM.fullmatch(token):
        raise TokenForged("shaped like a token, but not one in the form we sign")
    payload_part, signature_part = token.split(".")
    try:
        payload, signature = _b64decode(payload_part), _b64decode(signature_part)
    except ValueError as exc:
        raise TokenForged(str(exc)) from exc
    if len(signature) != 64:
        raise TokenForged("signature of the wrong length")
    try:
        (key or public_key()).verify(signature, payload)
    except InvalidSignature as exc:
        raise TokenForged("signature does not match") from exc
    try:
        return TokenClaims.from_payload(payload)
    except (ValueError, UnicodeDecodeError) as exc:
        # Signed by our key, yet not a payload we write: treat as unknown.
        raise TokenUndecodable(str(exc)) from exc


def verification_path(token: str) -> str:
    """Where the token is checked on this site: /verify/<token>/."""
    return reverse("verification:check", kwargs={"token": token})


def verification_url(token: str) -> str:
    """The full link the QR code carries, on PERMIT_PUBLIC_BASE_URL."""
    return f"{settings.PERMIT_PUBLIC_BASE_URL.rstrip('/')}{verification_path(token)}"


def token_from_text(text: str) -> str | None:
    """The token in what a verifier pasted: the token itself or a whole verification link.

    Whitespace is dropped first: a token copied from a printed or wrapped
    page often arrives broken over lines.
    """
    text = "".join((text or "").split())
    if len(text) > 4 * TOKEN_MAX_LENGTH:
        return None
    match = re.search(r"/verify/([^/?#]+)", text)
    candidate = match.group(1) if match else text
    # Token-shaped is enough here: a changed code is checked, and reported as altered.
    return candidate if _TOKEN_SHAPED.fullmatch(candidate) else None
