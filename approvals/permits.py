"""Permits as documents: the signed token, its verification, and the PDF.

Permit *numbers* and the permit record come from ``approvals.services``;
this module owns what makes a permit checkable by anyone:

* **The token.** ``base64url(payload) "." base64url(signature)``, both
  without padding. The payload is compact JSON (sorted keys) naming the
  permit number, the holder's unified social credit code and the dates; the
  signature is Ed25519 over exactly the payload bytes. Decoding is strict
  (canonical base64url only), so no change of a character, not even in the
  unused low bits of a segment's last character, leaves a token valid. A
  verifier needs only the public key (``manage.py permit_keys --public``).
* **Verification.** One of valid / altered / revoked / expired / unknown,
  worked out against the permit record (``verify_token``). Anything shaped
  like a token (URL-safe characters and dots, about a token's length) that
  fails decoding or the signature is *altered*, so any change to a genuine
  code says so; only what is not token-shaped at all is *unknown*.
* **The PDF.** Rendered by weasyprint from ``templates/permits/permit.html``,
  with the QR code of ``{PERMIT_PUBLIC_BASE_URL}/verify/<token>/``. The token
  is also written into the PDF's metadata (``/permittoken``), so an uploaded
  PDF can be checked by reading it back with pypdf, and the stored file's
  SHA-256 tells the very file issued from any other.

Rendering happens off the request path and outside the decision's
transaction: ``engine.licences.permit_issue`` calls ``render_soon`` on commit, a
failure is recorded on the permit (never raised into the decision), and
``manage.py render_permits`` retries what is pending or failed. weasyprint
(slow to import) is imported only inside ``render_pdf``.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import io
import json
import logging
import re
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation
from functools import cache
from pathlib import Path

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.core.files.base import ContentFile
from django.core.signals import setting_changed
from django.db import connections, models, transaction
from django.db.models import F, QuerySet
from django.dispatch import receiver
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from approvals import clock, jobs, roles
from approvals.models import Department, Permit, PermitStatus
from approvals.models.permits import RenderStatus

logger = logging.getLogger(__name__)

TOKEN_VERSION = 1
# A real token is about 220 characters; anything much longer is not one and
# is refused before any decoding work.
TOKEN_MAX_LENGTH = 512
_SIGNATURE_CHARS = 86  # 64 bytes of Ed25519 signature in unpadded base64url
_B64URL = re.compile(r"[A-Za-z0-9_-]+")
_TOKEN = re.compile(rf"[A-Za-z0-9_-]{{8,420}}\.[A-Za-z0-9_-]{{{_SIGNATURE_CHARS}}}")
# Token-shaped: what a genuine token becomes after any change of a character or
# two, its dot included (URL-safe characters and dots, about a token's length).
# Such a string that does not decode and verify is reported as altered; only
# what is not token-shaped at all is "unknown".
_TOKEN_SHAPED = re.compile(rf"[A-Za-z0-9_.-]{{64,{TOKEN_MAX_LENGTH}}}")
# In text read back from a PDF, a token stands between characters that
# cannot belong to it.
_TOKEN_IN_TEXT = re.compile(rf"(?<![A-Za-z0-9_-]){_TOKEN.pattern}(?![A-Za-z0-9_-])")
PDF_TOKEN_METADATA = "/permittoken"


class SigningKeyMissing(ImproperlyConfigured):
    """No usable permit signing key is configured."""


# --- the key ----------------------------------------------------------------


def generate_private_key_pem() -> str:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    return (
        Ed25519PrivateKey.generate()
        .private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        .decode("ascii")
    )


def configured_key_source() -> tuple[str, str]:
    """Where the key comes from: ("env", PEM) or ("file", path); PEM may be empty."""
    pem = (settings.PERMIT_SIGNING_KEY or "").strip()
    if pem:
        # Environments that cannot hold newlines may give "\n" escapes instead.
        return "env", pem.replace("\\n", "\n")
    return "file", str(settings.PERMIT_SIGNING_KEY_FILE)


@cache
def _load_private_key(source: str, value: str):
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    if source == "file":
        path = Path(value)
        if not path.is_file():
            raise SigningKeyMissing(
                f"No permit signing key: {path} does not exist. Set PERMIT_SIGNING_KEY or "
                "PERMIT_SIGNING_KEY_FILE, or run `manage.py permit_keys --generate`."
            )
        pem = path.read_bytes()
    else:
        pem = value.encode("ascii", errors="replace")
    try:
        key = serialization.load_pem_private_key(pem, password=None)
    except (ValueError, TypeError) as exc:
        raise SigningKeyMissing(
            f"The permit signing key ({source}) is not a PEM key: {exc}"
        ) from exc
    if not isinstance(key, Ed25519PrivateKey):
        raise SigningKeyMissing("The permit signing key must be an Ed25519 key.")
    return key


def forget_key() -> None:
    """Read the key again on next use (after it was generated or replaced)."""
    _load_private_key.cache_clear()


@receiver(setting_changed)
def _forget_key(*, setting, **kwargs):
    if setting in ("PERMIT_SIGNING_KEY", "PERMIT_SIGNING_KEY_FILE"):
        forget_key()


def private_key():
    return _load_private_key(*configured_key_source())


def public_key():
    return private_key().public_key()


def public_key_pem() -> str:
    from cryptography.hazmat.primitives import serialization

    return (
        public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode("ascii")
    )


def key_fingerprint() -> str:
    """SHA-256 of the raw public key, shortened: says which key signed, nothing more."""
    from cryptography.hazmat.primitives import serialization

    raw = public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return hashlib.sha256(raw).hexdigest()[:16]


# --- the token --------------------------------------------------------------


@dataclass(frozen=True)
class TokenClaims:
    """What a token asserts; compared field by field with the permit record."""

    number: str
    uscc: str
    issued: str  # ISO date
    valid_until: str | None  # ISO date, None: no expiry

    def payload(self) -> bytes:
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
    return TokenClaims(
        number=permit.number,
        uscc=permit.holder.uscc,
        issued=permit.valid_from.isoformat(),
        valid_until=permit.valid_until.isoformat() if permit.valid_until else None,
    )


def _b64encode(data: bytes) -> str:
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
    payload = claims.payload()
    return f"{_b64encode(payload)}.{_b64encode(private_key().sign(payload))}"


def permit_token(permit: Permit) -> str:
    return sign(claims_of(permit))


class TokenUndecodable(ValueError):
    """Not a permit token at all."""


class TokenForged(ValueError):
    """Shaped like a token, but not one the key signed: it does not decode, or its
    signature does not match its content (altered or forged)."""


def decode_token(token: str, *, key=None) -> TokenClaims:
    """The claims of a genuine token; needs only the public key.

    Raises TokenUndecodable for anything not even shaped like a token, and
    TokenForged for a token-shaped string that is not a genuine token: one that
    does not decode (strictly), or whose signature does not match. A genuine
    code with any character changed is token-shaped, so it reads as altered.
    """
    from cryptography.exceptions import InvalidSignature

    token = (token or "").strip()
    if len(token) > TOKEN_MAX_LENGTH or not _TOKEN_SHAPED.fullmatch(token):
        raise TokenUndecodable("not a permit token")
    if not _TOKEN.fullmatch(token):
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
    return reverse("verification:check", kwargs={"token": token})


def verification_url(token: str) -> str:
    return f"{settings.PERMIT_PUBLIC_BASE_URL.rstrip('/')}{verification_path(token)}"


# --- verification -----------------------------------------------------------


class Outcome(models.TextChoices):
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
        Permit.objects.select_related("holder", "application__service")
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


class UnreadablePdf(ValueError):
    """The upload could not be read as a PDF."""


class PdfTooCostly(UnreadablePdf):
    """Reading the upload would cost more than any permit needs; ``reason`` names the
    bound it met: "pages", "content_size", "operators" or "time"."""

    def __init__(self, reason: str, detail: str = "") -> None:
        super().__init__(f"{reason}: {detail}" if detail else reason)
        self.reason = reason


# What reading an uploaded PDF may cost (token_from_pdf). A permit is a page or
# a few (a long scope runs on); its first page's content measured 17.6 KB and
# 570 operators (2026-12-01). A hostile file of 10 KB can inflate to megabytes
# and a million operators (seconds of CPU), so each is bounded with a wide
# margin, and the whole read has a deadline, checked between steps and every
# few hundred operators.
PDF_MAX_PAGES = 20
PDF_MAX_CONTENT_BYTES = 1_000_000  # the first page's content, decompressed
PDF_MAX_OPERATORS = 20_000  # on the first page
PDF_READ_SECONDS = 2.0
_DEADLINE_EVERY = 256  # operators between looks at the clock


def _pdf_limits():
    """pypdf's own limits, tightened to what a permit needs (for this read only)."""
    import pypdf

    return pypdf.apply_configuration(
        zlib_maximum_output_length=PDF_MAX_CONTENT_BYTES,
        lzw_maximum_output_length=PDF_MAX_CONTENT_BYTES,
        run_length_maximum_output_length=PDF_MAX_CONTENT_BYTES,
        brotli_maximum_output_length=PDF_MAX_CONTENT_BYTES,
        array_based_stream_maximum_output_length=PDF_MAX_CONTENT_BYTES,
        # Operands, operators and array elements: a little over two per operator.
        stream_parsing_work_maximum_count=3 * PDF_MAX_OPERATORS,
        page_tree_maximum_entries=10 * PDF_MAX_PAGES,
        page_tree_maximum_page_entries=100 * PDF_MAX_PAGES,
        xform_maximum_invocations_per_extraction=50,
    )


def token_from_pdf(data: bytes) -> str | None:
    """The permit token carried by a PDF: its metadata, else the text of its first page.

    Raises UnreadablePdf for what is no readable PDF, and PdfTooCostly (with the
    bound met as its reason) for one that would cost more to read than a permit.
    """
    # pypdf is a plain-Python reader: no system library, nothing executed.
    from pypdf import PdfReader
    from pypdf.errors import LimitReachedError

    deadline = time.monotonic() + PDF_READ_SECONDS

    def in_time() -> None:
        if time.monotonic() >= deadline:
            raise PdfTooCostly("time", f"over {PDF_READ_SECONDS} s")

    operators = 0

    def count(operator, operands, cm, tm) -> None:
        nonlocal operators
        operators += 1
        if operators > PDF_MAX_OPERATORS:
            raise PdfTooCostly("operators", f"more than {PDF_MAX_OPERATORS}")
        if operators % _DEADLINE_EVERY == 0:
            in_time()

    stage = "pages"
    try:
        with _pdf_limits():
            reader = PdfReader(io.BytesIO(data))
            if reader.is_encrypted:
                raise UnreadablePdf("encrypted")
            for key, value in (reader.metadata or {}).items():
                if str(key).lower() == PDF_TOKEN_METADATA and _TOKEN.fullmatch(str(value).strip()):
                    return str(value).strip()
            in_time()
            pages = len(reader.pages)
            if pages > PDF_MAX_PAGES:
                raise PdfTooCostly("pages", f"{pages} pages")
            if not pages:
                return None
            # A viewer that re-saved the file may have dropped the metadata; the
            # printed token survives, wrapped over lines.
            page = reader.pages[0]
            stage = "content_size"
            contents = page.get_contents()
            size = len(contents.get_data()) if contents is not None else 0
            if size > PDF_MAX_CONTENT_BYTES:
                raise PdfTooCostly("content_size", f"{size} bytes")
            in_time()
            stage = "operators"
            text = "".join((page.extract_text(visitor_operand_before=count) or "").split())
            in_time()
    except UnreadablePdf:
        raise
    except LimitReachedError as exc:  # one of pypdf's limits, set in _pdf_limits
        raise PdfTooCostly(stage, str(exc)) from exc
    except Exception as exc:  # pypdf raises many kinds on a broken or hostile file
        raise UnreadablePdf(f"{type(exc).__name__}: {exc}") from exc
    match = _TOKEN_IN_TEXT.search(text)
    return match.group(0) if match else None


def can_download(user, permit: Permit) -> bool:
    """The PDF goes to the applicant, the officials of the permit's departments,
    window clerks and supervisors; to no one else."""
    if not (user and user.is_authenticated):
        return False
    if permit.application.applicant_id == user.pk:
        return True
    if roles.is_clerk(user) or roles.is_supervisor(user):
        return True
    return Department.objects.filter(
        service_departments__service_id=permit.application.service_id,
        reviewer_group__user=user,
    ).exists()


def is_issued_file(permit: Permit, data: bytes) -> bool:
    """Is this exactly the PDF the single window issued for the permit?"""
    return bool(permit.pdf_sha256) and hashlib.sha256(data).hexdigest() == permit.pdf_sha256


# --- the PDF ----------------------------------------------------------------


def _date_zh(d: date) -> str:
    return f"{d.year}年{d.month}月{d.day}日"


def _date_en(d: date) -> str:
    return f"{d.day} {d:%B} {d.year}"


def qr_png_data_uri(text: str) -> str:
    import segno

    # Error level M at least (segno raises it further when the size allows):
    # a printed permit gets folded and stamped on. A PNG drawn without
    # smoothing (see the template) stays as sharp as an SVG and costs
    # weasyprint far less than a path of a thousand modules.
    return segno.make(text, error="m", micro=False).png_data_uri(scale=4, border=0)


SEAL_RING_TEXT = "海南国际投资单一窗口"
SEAL_BOTTOM_TEXT = "电子证照专用章"


def seal_svg_data_uri(ring: str = SEAL_RING_TEXT, bottom: str = SEAL_BOTTOM_TEXT) -> str:
    """A round red seal: the ring text set character by character along the upper arc."""
    arc = 220.0  # degrees of the circle the ring text spans, centred on the top
    step = arc / max(len(ring) - 1, 1)
    letters = "".join(
        f'<text x="50" y="19" text-anchor="middle" font-size="10.5" '
        f'transform="rotate({-arc / 2 + i * step:.2f} 50 50)">{char}</text>'
        for i, char in enumerate(ring)
    )
    svg = (
        '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 100 100" width="100" height="100">'
        '<g fill="none" stroke="#c8102e" stroke-opacity="0.85">'
        '<circle cx="50" cy="50" r="47" stroke-width="3"/>'
        '<circle cx="50" cy="50" r="43" stroke-width="0.6"/></g>'
        '<g fill="#c8102e" fill-opacity="0.85" font-family="Noto Serif CJK SC" font-weight="bold">'
        f"{letters}"
        '<polygon points="50,33 54.1,45.3 67.1,45.4 56.6,53.1 60.6,65.4 50,57.9 39.4,65.4 '
        '43.4,53.1 32.9,45.4 45.9,45.3"/>'
        f'<text x="50" y="80" text-anchor="middle" font-size="8">{bottom}</text>'
        "</g></svg>"
    )
    return "data:image/svg+xml;base64," + base64.b64encode(svg.encode("utf-8")).decode("ascii")


def _capital(amount) -> tuple[str, str]:
    """Registered capital is held in units of 10,000 CNY (万元)."""
    if amount is None:
        return "", ""
    wan = format(amount.normalize(), "f") if hasattr(amount, "normalize") else str(amount)
    return f"{wan} 万元人民币", f"CNY {int(amount * 10000):,}"


def capital_text(text: str) -> tuple[str, str]:
    """The capital as the permit's facts hold it (text in 10,000 CNY), printed."""
    try:
        amount = Decimal((text or "").replace(",", ""))
    except InvalidOperation:
        return (text, text) if text else ("", "")
    return _capital(amount) if amount.is_finite() else (text, text)


def token_lines(token: str, width: int = 36) -> list[str]:
    """The token cut into lines of (nearly) fixed width for printing.

    Fixed width, because a browser-style break at "-" leaves ragged lines and
    a reader copying the code by hand loses their place. But never a line
    that ends in "-": PDF readers take it for a hyphenation and drop it when
    the text is copied, and the copied token then verifies as altered.
    """
    lines, start = [], 0
    while start < len(token):
        end = min(start + width, len(token))
        while end < len(token) and end - start > 1 and token[end - 1] == "-":
            end -= 1
        lines.append(token[start:end])
        start = end
    return lines


def permit_context(permit: Permit) -> dict:
    service = permit.application.service
    departments = [
        (sd.department.name_zh, sd.department.name_en)
        for sd in service.service_departments.select_related("department").order_by(
            "department__code"
        )
    ]
    token = permit_token(permit)
    url = verification_url(token)
    public_base = settings.PERMIT_PUBLIC_BASE_URL.rstrip("/")
    facts = permit.stated
    capital = capital_text(facts["registered_capital"])
    return {
        "permit": permit,
        "holder": permit.holder,
        "facts": facts,
        "service": service,
        "departments": departments,
        "issued_zh": _date_zh(permit.valid_from),
        "issued_en": _date_en(permit.valid_from),
        "until_zh": _date_zh(permit.valid_until) if permit.valid_until else "",
        "until_en": _date_en(permit.valid_until) if permit.valid_until else "",
        "token": token,
        "token_lines": token_lines(token),
        "verification_url": url,
        "verification_base": f"{public_base}{reverse('verification:verify')}",
        "qr": qr_png_data_uri(url),
        "seal": seal_svg_data_uri(),
        "capital_zh": capital[0],
        "capital_en": capital[1],
        "key_fingerprint": key_fingerprint(),
    }


def _url_fetcher():
    from weasyprint.urls import URLFetcher

    # Nothing is fetched while rendering: the QR code is a data: URI and the
    # fonts come from the system (fontconfig). Anything else is an error, not
    # a silent network call.
    return URLFetcher(allowed_protocols={"data"}, fail_on_errors=True)


def render_pdf(permit: Permit) -> bytes:
    """The permit as PDF bytes. Pure: writes nothing."""
    import weasyprint  # slow to import (~0.8 s); only rendering needs it

    html = render_to_string("permits/permit.html", permit_context(permit))
    return weasyprint.HTML(string=html, url_fetcher=_url_fetcher()).write_pdf(custom_metadata=True)


def render_minimal_pdf() -> bytes:
    """One page of plain text: the yardstick the benchmark compares a permit with."""
    import weasyprint

    return weasyprint.HTML(
        string="<!doctype html><title>x</title><p>Hello, PDF.</p>", url_fetcher=_url_fetcher()
    ).write_pdf()


def permits_awaiting_render() -> QuerySet[Permit]:
    """Permits whose PDF is still to be made: pending, or failed and to be retried."""
    return (
        Permit.objects.filter(render_status__in=(RenderStatus.PENDING, RenderStatus.FAILED))
        .select_related("holder", "application__service")
        .order_by("issued_at", "pk")
    )


def render_permit(permit: Permit, *, force: bool = False) -> Permit:
    """Render and store a permit's PDF; returns the permit as stored.

    A permit already rendered is left alone unless ``force``. A failure is
    recorded on the permit (status failed, the error kept) and not raised:
    the decision that issued the permit stands whatever happens here.
    """
    if not force and permit.render_status == RenderStatus.RENDERED and permit.pdf:
        return permit
    Permit.objects.filter(pk=permit.pk).update(render_attempts=F("render_attempts") + 1)
    try:
        data = render_pdf(permit)
    except Exception as exc:  # any renderer failure is recorded for the retry
        logger.exception("rendering the PDF of permit %s failed", permit.number)
        Permit.objects.filter(pk=permit.pk).exclude(render_status=RenderStatus.RENDERED).update(
            render_status=RenderStatus.FAILED,
            render_error=f"{type(exc).__name__}: {exc}"[:2000],
        )
        permit.refresh_from_db()
        return permit
    return _store_pdf(permit, data, force=force)


@transaction.atomic
def _store_pdf(permit: Permit, data: bytes, *, force: bool) -> Permit:
    locked = Permit.objects.select_for_update().get(pk=permit.pk)
    if not force and locked.render_status == RenderStatus.RENDERED and locked.pdf:
        return locked  # a concurrent rendering stored it first; keep that file
    storage = locked.pdf.storage
    name = f"{locked.number}.pdf"
    target = locked.pdf.field.generate_filename(locked, name)
    # One file per permit: replace, never add a "_x7Gq2" sibling.
    for stale in {target, locked.pdf.name}:
        if stale and storage.exists(stale):
            storage.delete(stale)
    locked.pdf.save(name, ContentFile(data), save=False)
    locked.pdf_sha256 = hashlib.sha256(data).hexdigest()
    locked.render_status = RenderStatus.RENDERED
    locked.render_error = ""
    locked.rendered_at = clock.now()
    locked.save(update_fields=["pdf", "pdf_sha256", "render_status", "render_error", "rendered_at"])
    return locked


def _render_quietly(permit_id: int) -> None:
    try:
        permit = Permit.objects.select_related("holder", "application__service").get(pk=permit_id)
        render_permit(permit)
    except Exception:  # left pending or failed: render_permits picks it up
        logger.exception("rendering permit #%s did not complete", permit_id)


_worker: ThreadPoolExecutor | None = None
_worker_lock = threading.Lock()


def _render_in_worker(permit_id: int) -> None:
    try:
        _render_quietly(permit_id)
    finally:
        connections.close_all()  # this thread's connections only


RENDER_MODES = ("background", "celery", "inline", "off")


def render_soon(permit_id: int) -> None:
    """Called once the permit's transaction has committed (see PERMIT_RENDER_MODE)."""
    global _worker
    mode = settings.PERMIT_RENDER_MODE
    if mode == "inline":
        _render_quietly(permit_id)
    elif mode == "celery":
        # Broker down: the permit stays pending for the retry sweep, the
        # decision stands.
        jobs.enqueue(jobs.RENDER_PERMIT, permit_id)
    elif mode == "background":
        with _worker_lock:
            if _worker is None:
                # One worker: renderings queue up instead of competing for
                # the CPU with the requests this process serves.
                _worker = ThreadPoolExecutor(max_workers=1, thread_name_prefix="permit-render")
        _worker.submit(_render_in_worker, permit_id)
    elif mode != "off":
        logger.error(
            "PERMIT_RENDER_MODE=%r is not one of %s; permit #%s left for render_permits",
            mode,
            ", ".join(RENDER_MODES),
            permit_id,
        )
