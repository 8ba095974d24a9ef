"""The refusal decision notice (不予许可决定书): a bilingual PDF of a refused application.

A refusal issues no permit, yet the investor is owed a written decision that
gives the reasons, the deciding bodies and the remedies (Administrative
Licensing Law art. 38). It is rendered on request with the permit's
machinery (weasyprint, fonts from the system, nothing fetched) from
``templates/decisions/refusal_notice.html``; it holds nothing that is not
already on the application, so it is not stored.
"""

from __future__ import annotations

from django.template.loader import render_to_string
from django.utils import translation

from approvals import permits
from approvals.models import REFUSED_STATUSES, Application, ReviewDecision
from approvals.pdf import html_to_pdf
from approvals.remedies import remedies_for


class NotRefused(ValueError):
    """Only a refused application has a refusal notice."""


def notice_number(application: Application) -> str:
    return f"HNSW-BYXK-{application.decided_at:%Y}-{application.pk:08d}"


def notice_context(application: Application) -> dict:
    if application.status not in REFUSED_STATUSES or application.decided_at is None:
        raise NotRefused(application.reference)
    reviews = list(application.reviews.select_related("department"))
    values = dict(application.values.values_list("field", "value"))
    enterprise = application.enterprise
    remedies = remedies_for(application, reviews)
    texts = {}
    for lang in ("zh-hans", "en"):
        with translation.override(lang):
            texts[lang] = {
                "decided_by": remedies.decided_by,
                "reconsideration": remedies.reconsideration,
                "lawsuit": remedies.lawsuit,
            }
    decided = application.decided_at.date()
    return {
        "application": application,
        "number": notice_number(application),
        "service": application.service,
        "holder_zh": values.get("enterprise.name_zh") or (enterprise.name_zh if enterprise else ""),
        "holder_en": values.get("enterprise.name_en") or (enterprise.name_en if enterprise else ""),
        "refusals": [r for r in reviews if r.decision == ReviewDecision.REJECTED],
        "zh": texts["zh-hans"],
        "en": texts["en"],
        "decided_zh": f"{decided.year}年{decided.month}月{decided.day}日",
        "decided_en": f"{decided.day} {decided:%B} {decided.year}",
        "submitted_zh": f"{application.submitted_at:%Y-%m-%d}",
        "seal": permits.seal_svg_data_uri(bottom="行政审批专用章"),
    }


def render_refusal_notice(application: Application) -> bytes:
    """The notice as PDF bytes; raises NotRefused for an application that was not refused."""
    html = render_to_string("decisions/refusal_notice.html", notice_context(application))
    return html_to_pdf(html)
