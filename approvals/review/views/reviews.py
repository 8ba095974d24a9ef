"""The department reviewer's screens: inbox and queue, take a review, decide it."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST
from viewflow.workflow.status import STATUS

from approvals import clock, errors, pages, selectors, services
from approvals.models import ReviewDecision
from approvals.review.forms import ApproveForm, RejectForm


@login_required
def review_queue(request):
    """The reviewer's inbox (taken by them) and their departments' queue (not taken yet)."""
    departments = list(selectors.departments_reviewed_by(request.user))
    if not departments:
        raise PermissionDenied
    now = clock.now()
    inbox = pages.page_of(request, selectors.review_inbox(request.user), "inbox")
    queue = pages.page_of(request, selectors.review_queue(request.user), "page")
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
            messages.error(request, str(exc))
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
        department=review.department,
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
                reasons=reject_form.cleaned_data.get("further", ""),
                reason_codes=[r.code for r in reject_form.cleaned_data["reasons"]],
            )
            messages.success(request, _("%(ref)s: rejected.") % {"ref": application.reference})
            return redirect("review:reviews")
    except errors.ApplicationBusy as exc:
        messages.error(request, str(exc))
        busy = True
    except ValidationError as exc:
        form = approve_form if action == "approve" else reject_form
        pages.add_service_errors(form, exc, form.field_for)

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
    return pages.busy(response) if busy else response
