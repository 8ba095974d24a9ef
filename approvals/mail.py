"""Notification mails: what happened, in the applicant's language with the other below.

Each mail is rendered from ``templates/emails/<name>.txt`` and ``.html``
once per language (the applicant's first), and the two are put one above the
other in a text part and an HTML part. Links are absolute, from
``SITE_BASE_URL``. The rendered mail is stored in a ``Notification`` row with
the action it reports (approvals.background).
"""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings
from django.template.loader import render_to_string
from django.utils import translation

CHINESE, ENGLISH = "zh-hans", "en"


def mail_language(code: str | None) -> str:
    """The mail language of a page language: English for any English, else Chinese."""
    return ENGLISH if (code or "").lower().startswith("en") else CHINESE


def languages_from(primary: str) -> list[str]:
    primary = mail_language(primary)
    return [primary, ENGLISH if primary == CHINESE else CHINESE]


def absolute_url(path: str) -> str:
    return f"{settings.SITE_BASE_URL}{path}"


@dataclass(frozen=True)
class Mail:
    subject: str
    text: str
    html: str


def compose(name: str, context: dict, *, language: str) -> Mail:
    """Render ``emails/<name>`` in ``language`` and then in the other language."""
    sections = []
    for lang in languages_from(language):
        # Names on the models (service.name, department.name) follow the
        # active language, so the same context renders in each.
        with translation.override(lang):
            sections.append(
                {
                    "lang": lang,
                    "subject": render_to_string(f"emails/{name}_subject.txt", context).strip(),
                    "text": render_to_string(f"emails/{name}.txt", context).strip(),
                    "html": render_to_string(f"emails/{name}.html", context),
                }
            )
    reference = context.get("reference", "")
    subject = " / ".join(s["subject"] for s in sections)
    if reference:
        subject = f"[{reference}] {subject}"
    text = f"\n\n{'-' * 60}\n\n".join(s["text"] for s in sections) + "\n"
    with translation.override(sections[0]["lang"]):
        html = render_to_string(
            "emails/base.html", {"sections": sections, "subject": subject, **context}
        )
    return Mail(subject=subject[:300], text=text, html=html)
