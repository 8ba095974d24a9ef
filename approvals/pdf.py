"""HTML to PDF: the one weasyprint set-up of the product.

The permit (``approvals.permits.rendering``), the report's PDF export
(``approvals.reporting.views``) and the refusal notice (``approvals.decisions``)
all render here, so they share the same guarantees:

* **Nothing is fetched.** Images are ``data:`` URIs (the QR code, the seal, the
  report's inline charts); any other URL, on the network or a ``file:``, is an
  error, never a silent request (``url_fetcher``).
* **Fonts come from the system**, found by fontconfig: Noto CJK for Chinese
  and Latin, DejaVu for the fallback and the codes; no template loads one.
  What those fonts cannot draw is refused where it is typed
  (``approvals.printable``).
* **weasyprint is imported on first use**, not with this module: it takes
  about 0.8 s (Pango, fontconfig), and a web process that never renders a PDF
  should not pay for it (``tests/test_permits.py`` checks that importing the
  permits, the services and the verification pages leaves it unloaded).
"""

from __future__ import annotations

# The families the documents set their text in (the permit's stylesheet names
# them too, in templates/permits/permit.html).
SANS_CJK = "Noto Sans CJK SC"
SERIF_CJK = "Noto Serif CJK SC"


def url_fetcher():
    """weasyprint's fetcher, allowed ``data:`` URIs only; anything else raises."""
    from weasyprint.urls import URLFetcher  # noqa: PLC0415 - lazy, like weasyprint itself (see the docstring)

    return URLFetcher(allowed_protocols={"data"}, fail_on_errors=True)


def html_to_pdf(html: str, *, custom_metadata: bool = False) -> bytes:
    """The document as PDF bytes. Pure: writes nothing.

    ``custom_metadata`` copies the document's ``<meta>`` names into the PDF's
    information dictionary: the permit carries its token there, so that an
    uploaded copy can be checked by reading it back.
    """
    import weasyprint  # noqa: PLC0415 - slow to import (~0.8 s): only rendering pays for it

    return weasyprint.HTML(string=html, url_fetcher=url_fetcher()).write_pdf(
        custom_metadata=custom_metadata
    )
