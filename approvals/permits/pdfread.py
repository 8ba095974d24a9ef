"""Reading a permit token back out of an uploaded PDF, at a bounded cost.

The token is in the PDF's metadata (``/permittoken``) and printed on its
first page; ``token_from_pdf`` reads the one, else the other, with pypdf and
limits on what a hostile file may make it do.
"""

from __future__ import annotations

import io
import re
import time

from approvals.permits.tokens import TOKEN_FORM

PDF_TOKEN_METADATA = "/permittoken"
# In text read back from a PDF, a token stands between characters that
# cannot belong to it.
_TOKEN_IN_TEXT = re.compile(rf"(?<![A-Za-z0-9_-]){TOKEN_FORM.pattern}(?![A-Za-z0-9_-])")


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
    import pypdf  # noqa: PLC0415 - ~0.4 s to import: only an uploaded PDF needs it (see token_from_pdf)

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
    # pypdf is a plain-Python reader: no system library, nothing executed. Imported
    # here (~0.4 s) so that the pages and the API start without it.
    from pypdf import PdfReader  # noqa: PLC0415 - see the comment above
    from pypdf.errors import LimitReachedError  # noqa: PLC0415 - see the comment above

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
                value = str(value).strip()
                if str(key).lower() == PDF_TOKEN_METADATA and TOKEN_FORM.fullmatch(value):
                    return value
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
