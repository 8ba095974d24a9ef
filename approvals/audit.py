"""Recording the audit trail, and reading it back as text.

Services call :func:`record` for every action on an application, in the
same transaction as the action, so an entry exists exactly when the action
happened. Who acted is passed in; where from (the client address, as
:mod:`approvals.clientaddr` decides it for every limit too) and
through which channel (web page, API, command) are set once per request by
:class:`AuditContextMiddleware`, so no service needs the request.

An entry's details are whatever keywords the service passed (JSON). They are
shown to supervisors, on the page and in the CSV export, only through
:func:`describe`, which gives each known key a translated label and each
value a plain rendering (lists joined, booleans as yes/no), so no page shows
a Python list or a dict and a new key still reads sensibly.
"""

from __future__ import annotations

import contextvars
from contextlib import contextmanager
from dataclasses import dataclass

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from approvals import prefill
from approvals.clientaddr import client_address
from approvals.models import ApplicationStatus, AuditAction, AuditEntry, FiledAs


@dataclass(frozen=True)
class Origin:
    address: str | None = None
    channel: str = "system"


_origin: contextvars.ContextVar[Origin | None] = contextvars.ContextVar(
    "audit_origin", default=None
)


@contextmanager
def origin(address: str | None, channel: str):
    token = _origin.set(Origin(address, channel))
    try:
        yield
    finally:
        _origin.reset(token)


class AuditContextMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        channel = "api" if request.path.startswith("/api/") else "web"
        with origin(client_address(request), channel):
            return self.get_response(request)


def record(
    *, actor, application, action: AuditAction, enterprise_uscc: str = "", **detail
) -> AuditEntry:
    """One entry; `application` may be the application, its primary key, or None
    (an identity or a mandate, which concern no application); `enterprise_uscc`
    names the enterprise concerned (taken from the application when it has one)."""
    here = _origin.get() or Origin()
    user = actor if actor is not None and getattr(actor, "is_authenticated", False) else None
    if not enterprise_uscc and application is not None and hasattr(application, "uscc"):
        enterprise_uscc = application.uscc
    return AuditEntry.objects.create(
        actor=user,
        actor_name=user.get_username() if user else "",
        application_id=getattr(application, "pk", application),
        uscc=enterprise_uscc or "",
        action=action,
        detail=detail,
        address=here.address,
        channel=here.channel,
    )


# --- reading the details back ----------------------------------------------------

DETAIL_LABELS = {
    "service": gettext_lazy("service"),
    "uscc": gettext_lazy("credit code"),
    "filed_as": gettext_lazy("filed as"),
    "sources_failed": gettext_lazy("data sources unavailable"),
    "fields": gettext_lazy("fields"),
    "corrected": gettext_lazy("corrected by the applicant"),
    "material": gettext_lazy("material"),
    "content_type": gettext_lazy("file type"),
    "size": gettext_lazy("size in bytes"),
    "late_delivery": gettext_lazy("deferred material delivered"),
    "deferred": gettext_lazy("materials deferred"),
    "items": gettext_lazy("correction items"),
    "department": gettext_lazy("department"),
    "due_at": gettext_lazy("review due"),
    "status": gettext_lazy("outcome"),
    "rejected_by": gettext_lazy("rejected by"),
    "permit": gettext_lazy("permit"),
    "reason": gettext_lazy("reason"),
}
CHANNELS = {
    "web": gettext_lazy("web page"),
    "api": gettext_lazy("API"),
    "system": gettext_lazy("the system"),
}


def channel_text(channel: str) -> str:
    """Through which channel an action came, in the reader's language."""
    return str(CHANNELS.get(channel, channel))


# Values stored as a choice's code read as its label.
DETAIL_CHOICES = {"filed_as": FiledAs, "status": ApplicationStatus}


def _field_label(key: str) -> str:
    spec = prefill.field_specs().get(key)
    return str(spec[0].label) if spec else key


def _source_label(name: str) -> str:
    found = [s for s in prefill.sources() if s.name == name]
    return str(found[0].label) if found else name


# Values that are keys of something with a name of its own: a field, a source.
DETAIL_NAMES = {"fields": _field_label, "corrected": _field_label, "sources_failed": _source_label}


def _value_text(key: str, value) -> str:
    if isinstance(value, str) and key in DETAIL_NAMES:
        return DETAIL_NAMES[key](value)
    if value is None or value == "" or value == [] or value == {}:
        return "—"
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    if isinstance(value, (list, tuple)):
        return ", ".join(_value_text(key, v) for v in value)
    if isinstance(value, dict):
        return "; ".join(f"{k}: {_value_text(k, v)}" for k, v in value.items())
    choices = DETAIL_CHOICES.get(key)
    if choices is not None and value in choices.values:
        return str(choices(value).label)
    return str(value)


def describe(detail) -> str:
    """An entry's details as one line of text: "label: value; label: value"."""
    if not isinstance(detail, dict):  # written by hand or by an old version
        return "" if detail in (None, "") else _value_text("", detail)
    parts = []
    for key, value in detail.items():
        label = DETAIL_LABELS.get(key) or str(key).replace("_", " ")
        parts.append(f"{label}: {_value_text(key, value)}")
    return "; ".join(parts)
