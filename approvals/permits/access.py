"""Who may download a permit's PDF, and the one answer every front end gives.

The PDF goes to the applicant, the reviewers of the permit's departments,
window clerks and supervisors (``can_download``, reading the roles from
``approvals.roles``); to no one else. The page (``/verify/download/<number>/``)
and the API (``/api/permits/<number>/pdf/``) both answer through
``pdf_response``, so they agree on every case:

* no such permit, or one the user may not download: **404**, never 403, so
  that whether a permit number exists is not for everyone to learn;
* the PDF not made yet (or missing from storage): **503** with
  ``Retry-After``, the body in the front end's own form (a page, or the API's
  error shape);
* otherwise the file itself, shown inline as ``<number>.pdf``, never cached
  by a shared cache.

Downloads are not audited: the PDF states nothing the holder's records do not.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from django.core.files import File
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import get_object_or_404
from django.utils.cache import add_never_cache_headers

from approvals import roles
from approvals.models import Department, Permit
from approvals.models.permits import RenderStatus

logger = logging.getLogger(__name__)

# How long a client asked to come back should wait: a rendering takes seconds,
# and the retry sweep runs every minute.
RETRY_AFTER_SECONDS = 60


def can_download(user, permit: Permit) -> bool:
    """The PDF goes to the applicant, the officials of the permit's departments,
    window clerks and supervisors; to no one else."""
    if not (user and user.is_authenticated):
        return False
    if permit.application.applicant_id == user.pk:
        return True
    held = roles.of(user)
    if held.clerk or held.supervisor:
        return True
    # Only a reviewer can be one of the application's departments: no query for anyone else.
    return bool(held.departments) and (
        Department.objects.filter(
            matters__applications__application_id=permit.application_id,
            code__in=held.departments,
        ).exists()
    )


def downloadable_permit(user, number: str) -> Permit:
    """The permit numbered `number`, if `user` may download its PDF; Http404 otherwise."""
    if "\x00" in number:  # in no permit's number, and PostgreSQL will not compare it
        raise Http404
    permit = get_object_or_404(
        Permit.objects.select_related("application", "holder"), number=number
    )
    if not can_download(user, permit):
        raise Http404
    return permit


def open_pdf(permit: Permit) -> File | None:
    """The permit's stored PDF, open for reading; None while it is not made (or is lost)."""
    if permit.render_status != RenderStatus.RENDERED or not permit.pdf:
        return None
    try:
        return permit.pdf.open("rb")
    except FileNotFoundError:
        logger.error("the PDF of permit %s is missing from storage", permit.number)
        return None


def pdf_response(
    user, number: str, *, not_ready: Callable[[Permit, int], HttpResponse]
) -> HttpResponse:
    """The answer to `user` asking for the PDF of permit `number` (see the module docstring).

    ``not_ready(permit, retry_after)`` gives the body of the "come back later"
    answer in the caller's form; its status (503) and Retry-After are set here.
    Raises Http404 for a permit that is not there for this user.
    """
    permit = downloadable_permit(user, number)
    handle = open_pdf(permit)
    if handle is None:
        response = not_ready(permit, RETRY_AFTER_SECONDS)
        response.status_code = 503
        response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    else:
        response = FileResponse(
            handle, filename=f"{permit.number}.pdf", content_type="application/pdf"
        )
    # A permit is one person's document: no shared cache keeps a copy.
    add_never_cache_headers(response)
    return response
