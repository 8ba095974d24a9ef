"""The permit PDF: what it shows, rendering it, and storing the one file.

Rendered by weasyprint from ``templates/permits/permit.html``, with the QR
code of ``{PERMIT_PUBLIC_BASE_URL}/verify/<token>/``. The token is also
written into the PDF's metadata (``/permittoken``), so an uploaded PDF can be
checked by reading it back (``approvals.permits.pdfread``). A rendering that
fails is recorded on the permit, never raised into the decision.
"""

from __future__ import annotations

import base64
import hashlib
import logging
from datetime import date
from decimal import Decimal, InvalidOperation

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import F
from django.template.loader import render_to_string
from django.urls import reverse

from approvals import clock
from approvals.models import Permit
from approvals.models.permits import RenderStatus
from approvals.pdf import SERIF_CJK, html_to_pdf
from approvals.permits.keys import key_fingerprint
from approvals.permits.tokens import permit_token, verification_url

logger = logging.getLogger(__name__)


def _date_zh(d: date) -> str:
    """A date as a Chinese document writes it: 2026年1月2日."""
    return f"{d.year}年{d.month}月{d.day}日"


def _date_en(d: date) -> str:
    """A date as the English line writes it: 2 January 2026."""
    return f"{d.day} {d:%B} {d.year}"


def qr_png_data_uri(text: str) -> str:
    """The QR code of `text` as a PNG data: URI (weasyprint fetches nothing else)."""
    import segno  # noqa: PLC0415 - ~0.1 s to import; only rendering draws a QR code

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
        f'<g fill="#c8102e" fill-opacity="0.85" font-family="{SERIF_CJK}" font-weight="bold">'
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
    """What templates/permits/permit.html shows: the stated facts, dates in both
    languages, the signed token (printed and as a QR code), the seal, the key's
    fingerprint."""
    service = permit.application.service
    # The department that decided the outcome's matter.
    department = permit.matter.matter.department
    departments = [(department.name_zh, department.name_en)]
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
        "outcome": permit.matter.matter,
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


def render_pdf(permit: Permit) -> bytes:
    """The permit as PDF bytes, its token in the metadata. Pure: writes nothing."""
    html = render_to_string("permits/permit.html", permit_context(permit))
    return html_to_pdf(html, custom_metadata=True)


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
    """Store `data` as the permit's one file, under the row's lock (see render_permit)."""
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
