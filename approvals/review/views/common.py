"""What the office's screens share: lists a page at a time, the busy answer,
working days since, deferred materials past their due date."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.core.paginator import Page, Paginator
from django.utils import timezone

from approvals import errors, selectors, timekeeping

BUSY_STATUS = 409  # the page is shown again with the input kept and a retry message


def page_of(request, queryset, param: str = "page") -> Page:
    """One page of a list, with links that keep the other query parameters."""
    page = Paginator(queryset, settings.PAGE_SIZE).get_page(request.GET.get(param))

    def link(number: int) -> str:
        query = request.GET.copy()
        query[param] = str(number)
        return f"?{query.urlencode()}"

    page.previous_link = link(page.previous_page_number()) if page.has_previous() else ""
    page.next_link = link(page.next_page_number()) if page.has_next() else ""
    return page


def busy_message(request, exc: errors.ApplicationBusy) -> None:
    messages.error(request, str(exc))


def retry_after(response, busy: bool):
    if busy:
        response.status_code = BUSY_STATUS
        response["Retry-After"] = str(errors.ApplicationBusy.retry_after_seconds)
    return response


def with_days(rows, *, since: str, now) -> list:
    rows = list(rows)
    for row in rows:
        start = getattr(row, since)
        row.working_days = timekeeping.working_days_between(start, now) if start else None
    return rows


def overdue_materials(request, *, now, department_code: str = "") -> Page:
    today = timezone.localdate(now)
    page = page_of(
        request,
        selectors.overdue_deferred_materials(today=today, department_code=department_code),
        "overdue",
    )
    rows = list(page.object_list)
    for row in rows:
        row.days_overdue = (today - row.due_date).days
    page.object_list = rows
    return page
