"""What an uploaded file is, read from its first bytes, never from the name or
type the client sent: materials and paper mandates accept PDF, JPEG and PNG."""

from __future__ import annotations

_SIGNATURES = (
    (b"%PDF-", "application/pdf"),
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"\x89PNG\r\n\x1a\n", "image/png"),
)


def sniff_content_type(head: bytes) -> str | None:
    for magic, content_type in _SIGNATURES:
        if head.startswith(magic):
            return content_type
    return None
