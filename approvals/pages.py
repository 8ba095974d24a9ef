"""What every HTML page of the single window answers the same way, the
investor's portal and the office's screens alike: a service's refusal put
beside the input it concerns, contention answered as 409 with Retry-After,
a long list shown a page at a time, the file types an upload input offers.
(The API has its own answers to the first two, in approvals.api.common.)
"""

from __future__ import annotations

from collections.abc import Callable

from django import forms
from django.conf import settings
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.core.paginator import Page, Paginator
from django.http import HttpResponse

from approvals.errors import ApplicationBusy
from approvals.models.applications import UPLOAD_EXTENSIONS

# What every file input offers in the browser's picker: the types the services
# accept (they check the content, not this).
ACCEPTED_UPLOAD_TYPES = ",".join(UPLOAD_EXTENSIONS)

# --- a service's refusal, onto the form it came from ---------------------------


def error_items(error: ValidationError) -> list[tuple[str | None, str]]:
    """A service's ValidationError as (service key or None, message) pairs.

    The key is what the service names ("uscc", "material:<code>", a value's
    field...); None for an error about the whole input.
    """
    if hasattr(error, "error_dict"):
        return [
            (None if key == NON_FIELD_ERRORS else key, message)
            for key, messages in error.message_dict.items()
            for message in messages
        ]
    return [(None, message) for message in error.messages]


def _same_name(key: str) -> str:
    return key


def add_service_errors(
    form: forms.Form,
    error: ValidationError,
    field_for: Callable[[str], str | None] = _same_name,
) -> None:
    """Put a service's ValidationError beside the input it concerns.

    `field_for` maps a service key to a field of the form (by default the
    field of that name); a key that maps to no field of the form becomes an
    error about the whole form, so no message is lost.
    """
    for key, message in error_items(error):
        field = field_for(key) if key else None
        form.add_error(field if field in form.fields else None, message)


def summary_errors(form: forms.Form) -> list[tuple[str | None, str]]:
    """(anchor, message) for the error summary at the top of a form's page."""
    rows = []
    for name, errors in form.errors.items():
        anchor = None if name == NON_FIELD_ERRORS else form[name].auto_id
        rows.extend((anchor, message) for message in errors)
    return rows


# --- contention ------------------------------------------------------------------

BUSY_STATUS = 409


def busy(response: HttpResponse) -> HttpResponse:
    """The page answering an ApplicationBusy: 409 with Retry-After.

    What the page shows is the caller's (the form again with the input kept
    and the message, or the portal's "try again" page); the status and the
    header are the same on every page, so a browser or a script retries alike.
    """
    response.status_code = BUSY_STATUS
    response["Retry-After"] = str(ApplicationBusy.retry_after_seconds)
    return response


# --- a list a page at a time -------------------------------------------------------


def page_of(request, queryset, param: str = "page") -> Page:
    """One page (settings.PAGE_SIZE rows) of a list, read from the query parameter
    `param`, with links (``previous_link``, ``next_link``) that keep the other query
    parameters, so a filtered list or a second list on the same page stays as it
    is. The template is ``includes/pagination.html``.
    """
    page = Paginator(queryset, settings.PAGE_SIZE).get_page(request.GET.get(param))

    def link(number: int) -> str:
        query = request.GET.copy()
        query[param] = str(number)
        return f"?{query.urlencode()}"

    page.previous_link = link(page.previous_page_number()) if page.has_previous() else ""
    page.next_link = link(page.next_page_number()) if page.has_next() else ""
    return page
