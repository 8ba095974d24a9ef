"""Permits as documents: the signed token, its verification, and the PDF.

Permit *numbers* and the permit record come from ``approvals.services``;
this package owns what makes a permit checkable by anyone, one module each:

* ``keys``: the Ed25519 signing key (settings or a file) and its public half;
* ``tokens``: the token (claims, signing, strict decoding, the verification link);
* ``verification``: valid / altered / revoked / expired / unknown, against the record;
* ``pdfread``: the token read back out of an uploaded PDF, at a bounded cost;
* ``rendering``: the PDF (what it shows, weasyprint, the one stored file);
* ``dispatch``: when the PDF is made (on commit, in PERMIT_RENDER_MODE), and the retries;
* ``access``: who may download the PDF, and the one answer to a download.

Callers outside use the names re-exported here (``from approvals import
permits``; ``permits.verify_token``); the modules import each other directly.
"""

from approvals.permits.access import (
    RETRY_AFTER_SECONDS,
    can_download,
    pdf_response,
)
from approvals.permits.dispatch import (
    RENDER_MODES,
    permits_awaiting_render,
    render_soon,
    rendering_mode,
)
from approvals.permits.keys import (
    SigningKeyMissing,
    configured_key_source,
    forget_key,
    generate_private_key_pem,
    key_fingerprint,
    private_key,
    public_key,
    public_key_pem,
)
from approvals.permits.pdfread import (
    PDF_MAX_CONTENT_BYTES,
    PDF_MAX_OPERATORS,
    PDF_MAX_PAGES,
    PDF_READ_SECONDS,
    PDF_TOKEN_METADATA,
    PdfTooCostly,
    UnreadablePdf,
    token_from_pdf,
)
from approvals.permits.rendering import (
    SEAL_BOTTOM_TEXT,
    SEAL_RING_TEXT,
    capital_text,
    permit_context,
    qr_png_data_uri,
    render_pdf,
    render_permit,
    seal_svg_data_uri,
    token_lines,
)
from approvals.permits.tokens import (
    TOKEN_MAX_LENGTH,
    TOKEN_VERSION,
    TokenClaims,
    TokenForged,
    TokenUndecodable,
    _b64encode,
    claims_of,
    decode_token,
    permit_token,
    sign,
    token_from_text,
    verification_path,
    verification_url,
)
from approvals.permits.verification import (
    OUTCOME_TEXT,
    Outcome,
    Verification,
    is_issued_file,
    verify_token,
)

__all__ = [
    "OUTCOME_TEXT",
    "Outcome",
    "PDF_MAX_CONTENT_BYTES",
    "PDF_MAX_OPERATORS",
    "PDF_MAX_PAGES",
    "PDF_READ_SECONDS",
    "PDF_TOKEN_METADATA",
    "PdfTooCostly",
    "RENDER_MODES",
    "RETRY_AFTER_SECONDS",
    "SEAL_BOTTOM_TEXT",
    "SEAL_RING_TEXT",
    "SigningKeyMissing",
    "TOKEN_MAX_LENGTH",
    "TOKEN_VERSION",
    "TokenClaims",
    "TokenForged",
    "TokenUndecodable",
    "UnreadablePdf",
    "Verification",
    "_b64encode",
    "can_download",
    "capital_text",
    "claims_of",
    "configured_key_source",
    "decode_token",
    "forget_key",
    "generate_private_key_pem",
    "is_issued_file",
    "key_fingerprint",
    "pdf_response",
    "permit_context",
    "permit_token",
    "permits_awaiting_render",
    "private_key",
    "public_key",
    "public_key_pem",
    "qr_png_data_uri",
    "render_pdf",
    "render_permit",
    "render_soon",
    "rendering_mode",
    "seal_svg_data_uri",
    "sign",
    "token_from_pdf",
    "token_from_text",
    "token_lines",
    "verification_path",
    "verification_url",
    "verify_token",
]
