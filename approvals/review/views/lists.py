"""What the office's lists share: the working days a row has waited, and the
deferred materials past their due date (on the window's queue and the overdue page)."""

from __future__ import annotations

from django.core.paginator import Page
from django.utils import timezone

from approvals import pages, selectors, timekeeping


def with_days(rows, *, since: str, now) -> list:
    rows = list(rows)
    for row in rows:
        start = getattr(row, since)
        row.working_days = timekeeping.working_days_between(start, now) if start else None
    return rows


def overdue_materials(request, *, now, department_code: str = "") -> Page:
    today = timezone.localdate(now)
    page = pages.page_of(
        request,
        selectors.overdue_deferred_materials(today=today, department_code=department_code),
        "overdue",
    )
    rows = list(page.object_list)
    for row in rows:
        row.days_overdue = (today - row.due_date).days
    page.object_list = rows
    return page
