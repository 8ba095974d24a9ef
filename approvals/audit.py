"""Recording the audit trail.

Services call :func:`record` for every action on an application, in the
same transaction as the action, so an entry exists exactly when the action
happened. Who acted is passed in; where from (the client address, as
:mod:`approvals.clientaddr` decides it for every limit too) and
through which channel (web page, API, command) are set once per request by
:class:`AuditContextMiddleware`, so no service needs the request.
"""

from __future__ import annotations

import contextvars
from contextlib import contextmanager
from dataclasses import dataclass

from approvals.clientaddr import client_address
from approvals.models import AuditAction, AuditEntry


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


def record(*, actor, application, action: AuditAction, **detail) -> AuditEntry:
    """One entry; `application` may be the application or its primary key."""
    here = _origin.get() or Origin()
    user = actor if actor is not None and getattr(actor, "is_authenticated", False) else None
    return AuditEntry.objects.create(
        actor=user,
        actor_name=user.get_username() if user else "",
        application_id=getattr(application, "pk", application),
        action=action,
        detail=detail,
        address=here.address,
        channel=here.channel,
    )
