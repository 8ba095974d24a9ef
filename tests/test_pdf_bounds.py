"""Reading an uploaded PDF on the public verification page is bounded: pages, the
first page's decompressed content, its operators, and a deadline.

A 10.7 KB file whose one content stream inflates to 7 MB and a million text
operators cost about 8 s of CPU to read; every hostile file here is built in the
test, and each assert names the bound that stopped the read (its reason), never
how long it took.
"""

from __future__ import annotations

import zlib

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from approvals import permits
from approvals.permits import pdfread


def pdf_with_pages(contents: list[bytes]) -> bytes:
    """A well-formed PDF (catalogue, page tree, xref) whose pages carry these content
    streams, each Flate-compressed."""
    objects = [b"<</Type/Catalog/Pages 2 0 R>>"]
    kids = " ".join(f"{3 + 2 * i} 0 R" for i in range(len(contents)))
    objects.append(f"<</Type/Pages/Kids[{kids}]/Count {len(contents)}>>".encode())
    for i, content in enumerate(contents):
        objects.append(
            f"<</Type/Page/Parent 2 0 R/MediaBox[0 0 595 842]/Contents {4 + 2 * i} 0 R"
            "/Resources<</Font<</F1<</Type/Font/Subtype/Type1/BaseFont/Helvetica>>>>>>>>".encode()
        )
        body = zlib.compress(content, 9)
        objects.append(
            f"<</Length {len(body)}/Filter/FlateDecode>>stream\n".encode() + body + b"\nendstream"
        )
    out = bytearray(b"%PDF-1.7\n")
    offsets = []
    for number, obj in enumerate(objects, start=1):
        offsets.append(len(out))
        out += f"{number} 0 obj\n".encode() + obj + b"\nendobj\n"
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    for offset in offsets:
        out += f"{offset:010d} 00000 n \n".encode()
    out += f"trailer<</Size {len(objects) + 1}/Root 1 0 R>>\nstartxref\n{xref}\n%%EOF\n".encode()
    return bytes(out)


def text_page(operators: bytes, count: int) -> bytes:
    return b"BT /F1 1 Tf " + operators * count + b"ET"


# The file of the report: 1 M text operators, 7 MB once inflated, some 10 KB on disk.
BOMB = pdf_with_pages([text_page(b"(a) Tj ", 1_000_000)])


def reason(data: bytes) -> str:
    with pytest.raises(permits.PdfTooCostly) as refused:
        permits.token_from_pdf(data)
    return refused.value.reason


def test_the_reported_file_is_small_and_stopped_by_its_inflated_size():
    assert len(BOMB) < 12_000
    assert reason(BOMB) == "content_size"


def test_many_operators_under_the_size_bound_are_stopped_by_the_operator_bound():
    # 100,000 operators in 300 KB: within the size bound, over pypdf's parsing budget.
    many = pdf_with_pages([text_page(b"T* ", 100_000)])
    assert reason(many) == "operators"
    # Just over the operator bound and within the parsing budget: the counting visitor.
    over = pdf_with_pages([text_page(b"T* ", permits.PDF_MAX_OPERATORS + 10)])
    assert reason(over) == "operators"


def test_more_pages_than_any_permit_are_refused():
    assert reason(pdf_with_pages([b"BT ET"] * (permits.PDF_MAX_PAGES + 1))) == "pages"


def test_a_read_past_its_deadline_is_stopped(monkeypatch):
    monkeypatch.setattr(pdfread, "PDF_READ_SECONDS", 0)
    assert reason(pdf_with_pages([text_page(b"T* ", 10)])) == "time"


def test_a_permit_sized_file_is_still_read_within_the_bounds(settings):
    settings.PERMIT_SIGNING_KEY = permits.generate_private_key_pem()
    claims = permits.TokenClaims("HNSW-2026-001-00000001", "91460000MA5T00000X", "2026-01-01", None)
    token = permits.sign(claims)
    half = len(token) // 2
    # The token printed over two lines, amid a few thousand ordinary operators.
    content = (
        b"BT /F1 8 Tf 20 800 Td "
        + b"(filler;) Tj 0 -1 Td " * 1500
        + f"({token[:half]}) Tj 0 -10 Td ({token[half:]}) Tj ET".encode()
    )
    assert permits.token_from_pdf(pdf_with_pages([content] + [b"BT ET"] * 3)) == token


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("language", "message"),
    [
        ("en", "This PDF was not read: its first page holds too much content"),
        ("zh-hans", "未读取此 PDF：其首页内容过多"),
    ],
)
def test_the_verification_page_refuses_it_with_a_message_not_a_500(client, language, message):
    response = client.post(
        reverse("verification:verify"),
        {"document": SimpleUploadedFile("permit.pdf", BOMB, content_type="application/pdf")},
        HTTP_ACCEPT_LANGUAGE=language,
    )
    assert response.status_code == 400
    assert message in response.content.decode()
