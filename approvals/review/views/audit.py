"""The audit trail for supervisors: the page, filtered, and the CSV export, streamed."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import StreamingHttpResponse
from django.shortcuts import render
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import pgettext
from django.views.decorators.http import require_GET

from approvals import audit, pages, roles, selectors
from approvals.reporting import csvfile
from approvals.review.filters import AuditFilter


def _audit_filter(request) -> AuditFilter:
    if not roles.is_supervisor(request.user):
        raise PermissionDenied
    return AuditFilter(request.GET or None, queryset=selectors.audit_trail())


def _audit_page(request, trail: AuditFilter, status: int = 200):
    entries = pages.page_of(request, trail.qs if trail.is_bound else selectors.audit_trail())
    export = request.GET.copy()
    export.pop("page", None)
    return render(
        request,
        "review/audit.html",
        {"filter": trail, "entries": entries, "export_query": export.urlencode()},
        status=status,
    )


@login_required
@require_GET
def audit_trail(request):
    """Who did what to which application, when and from where: supervisors only."""
    return _audit_page(request, _audit_filter(request))


AUDIT_EXPORT_CHUNK = 2000  # rows read per query while streaming


@login_required
@require_GET
def audit_export(request):
    """The filtered trail as CSV, streamed: every matching entry, not one page.

    Rows are read in chunks from the database and written as they come, so a
    long trail costs memory for one chunk, not for the whole file. A filter
    that does not validate shows the page with its errors instead of a file.
    """
    trail = _audit_filter(request)
    if trail.is_bound and not trail.is_valid():
        return _audit_page(request, trail, status=400)
    queryset = trail.qs if trail.is_bound else selectors.audit_trail()
    header = [
        _("When"),
        _("Application"),
        _("Service"),
        _("Who"),
        _("What"),
        _("Details"),
        pgettext("where an action came from: address and channel", "From"),
        _("Channel"),
    ]

    # The rows are written after the view has returned: in the reader's language still.
    language = translation.get_language()

    def rows():
        line = csvfile.Line()
        writer = csvfile.writer(line)
        # A byte-order mark, so that spreadsheet programs read the Chinese right.
        yield "\ufeff" + writer.writerow(header)
        with translation.override(language):
            for e in queryset.iterator(chunk_size=AUDIT_EXPORT_CHUNK):
                yield writer.writerow(
                    [
                        timezone.localtime(e.at).strftime("%Y-%m-%d %H:%M:%S"),
                        e.application.reference if e.application_id else e.uscc,
                        e.application.service.code if e.application_id else "",
                        e.actor_name or _("the system"),
                        e.get_action_display(),
                        audit.describe(e.detail),
                        e.address or "",
                        audit.channel_text(e.channel),
                    ]
                )

    response = StreamingHttpResponse(rows(), content_type="text/csv; charset=utf-8")
    stamp = f"{timezone.localtime():%Y%m%d-%H%M}"
    response["Content-Disposition"] = f'attachment; filename="audit-trail-{stamp}.csv"'
    response["Cache-Control"] = "private, no-store"
    return response
