"""Official screens: the window clerk, the department reviewers and the supervisors.

Why these are our own views and not viewflow's frontend: viewflow 2.4's
stock frontend (Site, FlowAppViewset) lists every process, and every task of
it, to anyone holding the model-wide view permission on the process model,
so department scoping cannot be trusted to it. The official screens are
therefore plain Django views over department-scoped selectors
(``approvals.selectors``), and every write goes through ``approvals.services``;
viewflow stays the engine underneath. A link viewflow makes to a task lands on
``approvals.workflow.task_views.TaskScreenView``, which sends the official here.

Scoping rule: an official looks an object up *in* the queryset a selector
gives for them; an application or review outside it is a 404 (not a 403), so
a guessed or copied URL does not even confirm that it exists. Role checks
(clerk, supervisor) come after scoping and answer 403.
"""

from __future__ import annotations

import mimetypes
from pathlib import PurePosixPath

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, SuspiciousFileOperation, ValidationError
from django.core.paginator import Page, Paginator
from django.http import FileResponse, Http404, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone, translation
from django.utils.text import get_valid_filename
from django.utils.translation import gettext as _
from django.utils.translation import pgettext
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from viewflow.workflow.status import STATUS

from approvals import audit, clock, errors, roles, selectors, services, timekeeping
from approvals.models import ApplicationStatus, PermitStatus, ReviewDecision
from approvals.reporting import csvfile
from approvals.review.filters import AuditFilter
from approvals.review.forms import (
    AcceptForm,
    ApproveForm,
    OverdueFilterForm,
    RejectForm,
    ReturnForm,
    RevokeForm,
    add_service_errors,
)

BUSY_STATUS = 409  # the page is shown again with the input kept and a retry message


def _page(request, queryset, param: str = "page") -> Page:
    """One page of a list, with links that keep the other query parameters."""
    page = Paginator(queryset, settings.PAGE_SIZE).get_page(request.GET.get(param))

    def link(number: int) -> str:
        query = request.GET.copy()
        query[param] = str(number)
        return f"?{query.urlencode()}"

    page.previous_link = link(page.previous_page_number()) if page.has_previous() else ""
    page.next_link = link(page.next_page_number()) if page.has_next() else ""
    return page


def _busy(request, exc: errors.ApplicationBusy) -> None:
    messages.error(request, str(exc))


def _retry_after(response, busy: bool):
    if busy:
        response.status_code = BUSY_STATUS
        response["Retry-After"] = str(errors.ApplicationBusy.retry_after_seconds)
    return response


def _with_days(rows, *, since: str, now) -> list:
    rows = list(rows)
    for row in rows:
        start = getattr(row, since)
        row.working_days = timekeeping.working_days_between(start, now) if start else None
    return rows


# --- the window -------------------------------------------------------------


@login_required
def window_queue(request):
    if not roles.is_clerk(request.user):
        raise PermissionDenied
    now = clock.now()
    page = _page(request, selectors.window_queue())
    page.object_list = _with_days(page.object_list, since="waiting_since", now=now)
    # Accepted with a material still to come, and it did not come in time:
    # the window chases it.
    overdue = _overdue_materials(request, now=now)
    return render(request, "review/window_queue.html", {"page": page, "overdue": overdue})


def _overdue_materials(request, *, now, department_code: str = "") -> Page:
    today = timezone.localdate(now)
    page = _page(
        request,
        selectors.overdue_deferred_materials(today=today, department_code=department_code),
        "overdue",
    )
    rows = list(page.object_list)
    for row in rows:
        row.days_overdue = (today - row.due_date).days
    page.object_list = rows
    return page


@login_required
@require_http_methods(["GET", "POST"])
def window_application(request, public_id):
    """The acceptance screen: accept, accept with deferrals, or return for correction."""
    application = get_object_or_404(
        selectors.applications_for_official(request.user).select_related(
            "service", "enterprise", "applicant"
        ),
        public_id=public_id,
    )
    if not roles.is_clerk(request.user):
        if roles.is_supervisor(request.user):
            return redirect("review:application", public_id=application.public_id)
        raise PermissionDenied
    at_window = application.status == ApplicationStatus.SUBMITTED
    if request.method == "POST" and not at_window:
        messages.error(
            request,
            _("This application is no longer waiting at the window (status: %(status)s).")
            % {"status": application.get_status_display()},
        )
        return redirect("review:window_application", public_id=application.public_id)

    screen = selectors.application_screen(application, viewer=request.user)
    accept_form = return_form = None
    busy = False
    if at_window:
        action = request.POST.get("action") if request.method == "POST" else None
        accept_form = AcceptForm(
            request.POST if action == "accept" else None, materials=screen.materials
        )
        return_form = ReturnForm(
            request.POST if action == "return" else None,
            materials=screen.materials,
            prefix="return",
        )
        try:
            if action == "accept" and accept_form.is_valid():
                services.application_accept(
                    actor=request.user,
                    application=application,
                    deferrals=accept_form.deferrals(),
                )
                messages.success(
                    request,
                    _("%(ref)s accepted; the departments' reviews have started.")
                    % {"ref": application.reference},
                )
                return redirect("review:window")
            if action == "return" and return_form.is_valid():
                services.application_return(
                    actor=request.user,
                    application=application,
                    items=return_form.cleaned_data["item_list"],
                    note=return_form.cleaned_data["note"],
                )
                messages.success(
                    request,
                    _("%(ref)s returned to the investor for correction.")
                    % {"ref": application.reference},
                )
                return redirect("review:window")
        except errors.ApplicationBusy as exc:
            _busy(request, exc)
            busy = True
        except ValidationError as exc:
            form = accept_form if action == "accept" else return_form
            add_service_errors(form, exc, form.field_for)
    response = render(
        request,
        "review/window_application.html",
        {
            "screen": screen,
            "application": application,
            "at_window": at_window,
            "accept_form": accept_form,
            "return_form": return_form,
        },
    )
    return _retry_after(response, busy)


# --- department reviews ----------------------------------------------------


@login_required
def review_queue(request):
    """The reviewer's inbox (taken by them) and their departments' queue (not taken yet)."""
    departments = list(selectors.departments_reviewed_by(request.user))
    if not departments:
        raise PermissionDenied
    now = clock.now()
    inbox = _page(request, selectors.review_inbox(request.user), "inbox")
    queue = _page(request, selectors.review_queue(request.user), "page")
    return render(
        request,
        "review/review_queue.html",
        {"departments": departments, "inbox": inbox, "queue": queue, "now": now},
    )


def _review_of(request, review_id):
    return get_object_or_404(selectors.reviews_for_reviewer(request.user), pk=review_id)


def _open_task(review) -> bool:
    task = review.task
    return (
        review.decision == ReviewDecision.PENDING
        and task is not None
        and task.status not in (STATUS.DONE, STATUS.CANCELED)
    )


@login_required
@require_POST
def review_take(request, review_id):
    review = _review_of(request, review_id)
    if not _open_task(review):
        messages.error(request, _("This review has already been decided."))
    else:
        try:
            services.task_assign(actor=request.user, task=review.task)
            messages.success(request, _("The review is in your inbox now."))
        except errors.ApplicationBusy as exc:
            _busy(request, exc)
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
    return redirect("review:review", review_id=review.pk)


@login_required
@require_http_methods(["GET", "POST"])
def review_detail(request, review_id):
    """The review screen: the application, the other departments' progress, the decision."""
    review = _review_of(request, review_id)
    application = review.application
    task = review.task
    pending = _open_task(review)
    mine_or_free = pending and task.owner_id in (None, request.user.pk)
    # The reviewer's own decision sent again (a double click, a resent form)
    # goes to the service, which answers it as before or refuses a different one.
    decided_by_me = not pending and review.reviewer_id == request.user.pk
    action = request.POST.get("action") if request.method == "POST" else None
    if action and not (mine_or_free or decided_by_me):
        messages.error(
            request,
            _("This review has already been decided.")
            if not pending
            else _("This review is assigned to someone else."),
        )
        return redirect("review:review", review_id=review.pk)

    approve_form = ApproveForm(request.POST if action == "approve" else None, prefix="approve")
    reject_form = RejectForm(
        request.POST if action == "reject" else None,
        reasons=selectors.rejection_reasons_for(review.department),
        prefix="reject",
    )
    busy = False
    try:
        if action == "approve" and approve_form.is_valid():
            services.review_complete(
                actor=request.user,
                review=review,
                approve=True,
                reasons=approve_form.cleaned_data["remarks"],
            )
            messages.success(request, _("%(ref)s: approved.") % {"ref": application.reference})
            return redirect("review:reviews")
        if action == "reject" and reject_form.is_valid():
            services.review_complete(
                actor=request.user,
                review=review,
                approve=False,
                reasons=reject_form.composed_reasons(),
            )
            messages.success(request, _("%(ref)s: rejected.") % {"ref": application.reference})
            return redirect("review:reviews")
    except errors.ApplicationBusy as exc:
        _busy(request, exc)
        busy = True
    except ValidationError as exc:
        form = approve_form if action == "approve" else reject_form
        add_service_errors(form, exc, form.field_for)

    screen = selectors.application_screen(application, viewer=request.user)
    response = render(
        request,
        "review/review_detail.html",
        {
            "review": review,
            "application": application,
            "screen": screen,
            "others": [r for r in screen.reviews if r.pk != review.pk],
            "pending": pending,
            "can_take": pending and task.owner_id is None,
            "can_decide": mine_or_free,
            "approve_form": approve_form,
            "reject_form": reject_form,
            "now": clock.now(),
        },
    )
    return _retry_after(response, busy)


# --- supervision -------------------------------------------------------------


@login_required
def overdue(request):
    """Overdue reviews across departments, with days over the limit, and escalations."""
    if not roles.is_supervisor(request.user):
        raise PermissionDenied
    departments = list(selectors.departments_all())
    form = OverdueFilterForm(request.GET or None, departments=departments)
    code = form.cleaned_data["department"] if form.is_valid() else ""
    now = clock.now()
    reviews = _page(request, selectors.overdue_reviews(now=now, department_code=code))
    reviews.object_list = _with_days(reviews.object_list, since="due_at", now=now)
    raised = _page(request, selectors.escalations(department_code=code), "escalations")
    materials = _overdue_materials(request, now=now, department_code=code)
    return render(
        request,
        "review/overdue.html",
        {
            "form": form,
            "reviews": reviews,
            "escalations": raised,
            "overdue_materials": materials,
            "now": now,
        },
    )


def _audit_filter(request) -> AuditFilter:
    if not roles.is_supervisor(request.user):
        raise PermissionDenied
    return AuditFilter(request.GET or None, queryset=selectors.audit_trail())


def _audit_page(request, trail: AuditFilter, status: int = 200):
    entries = _page(request, trail.qs if trail.is_bound else selectors.audit_trail())
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


@login_required
@require_http_methods(["GET", "POST"])
def application_detail(request, public_id):
    """Any application an official may open, read-only (supervisors: every one)."""
    application = get_object_or_404(
        selectors.applications_for_official(request.user).select_related(
            "service", "enterprise", "applicant", "permit"
        ),
        public_id=public_id,
    )
    screen = selectors.application_screen(application, viewer=request.user)
    supervisor = roles.is_supervisor(request.user)
    permit = getattr(application, "permit", None)
    revoke_form = None
    if supervisor and permit is not None and permit.status != PermitStatus.REVOKED:
        revoke_form = RevokeForm(request.POST if request.method == "POST" else None)
        if revoke_form.is_bound and revoke_form.is_valid():
            try:
                services.permit_revoke(
                    actor=request.user, permit=permit, reason=revoke_form.cleaned_data["reason"]
                )
            except errors.ApplicationBusy as exc:
                _busy(request, exc)
            except ValidationError as exc:
                add_service_errors(revoke_form, exc, RevokeForm.field_for)
            else:
                messages.success(
                    request, _("Permit %(number)s is revoked.") % {"number": permit.number}
                )
                return redirect("review:application", public_id=application.public_id)
    elif request.method == "POST":
        raise PermissionDenied
    return render(
        request,
        "review/application_detail.html",
        {
            "permit": permit,
            "revoke_form": revoke_form,
            "screen": screen,
            "application": application,
            "show_reasons": roles.is_supervisor(request.user),
            "trail": (
                selectors.audit_trail().filter(application=application)[:100]
                if roles.is_supervisor(request.user)
                else None
            ),
            "now": clock.now(),
        },
    )


# --- material files -----------------------------------------------------------


def download_name(row) -> str:
    """The investor's file name, made safe for a header and a file system,
    with the extension its checked content type calls for."""
    raw = PurePosixPath((row.original_name or "").replace("\\", "/")).name
    try:
        name = get_valid_filename(raw).lstrip(".")[-120:]
    except SuspiciousFileOperation:  # nothing usable left of the name
        name = ""
    extension = mimetypes.guess_extension(row.content_type or "") or ""
    extension = {".jpe": ".jpg", ".jpeg": ".jpg"}.get(extension, extension)
    stem = name.rsplit(".", 1)[0] if "." in name else name
    return f"{stem or row.material.code}{extension}"


@login_required
def material_file(request, public_id, material_code):
    """An uploaded material, only for the applicant and the officials who may open
    the application; anyone else gets a 404, as if there were no such file."""
    row = selectors.material_file_for(
        request.user, public_id=public_id, material_code=material_code
    )
    if row is None:
        raise Http404
    try:
        handle = row.file.open("rb")
    except FileNotFoundError as exc:
        raise Http404 from exc
    response = FileResponse(
        handle,
        as_attachment=True,
        filename=download_name(row),
        content_type=row.content_type or "application/octet-stream",
    )
    response["Cache-Control"] = "private, no-store"
    response["X-Content-Type-Options"] = "nosniff"
    return response
