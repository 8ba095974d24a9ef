"""The window clerk's screens: the queue, and accepting (possibly with
deferrals) or returning an application for correction."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from approvals import clock, errors, pages, roles, selectors, services
from approvals.models import ApplicationStatus
from approvals.review.forms import AcceptForm, ReturnForm
from approvals.review.views.lists import overdue_materials, with_days


@login_required
def window_queue(request):
    if not roles.is_clerk(request.user):
        raise PermissionDenied
    now = clock.now()
    page = pages.page_of(request, selectors.window_queue())
    page.object_list = with_days(page.object_list, since="waiting_since", now=now)
    # Accepted with a material still to come, and it did not come in time:
    # the window chases it.
    overdue = overdue_materials(request, now=now)
    return render(request, "review/window_queue.html", {"page": page, "overdue": overdue})


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
            messages.error(request, str(exc))
            busy = True
        except ValidationError as exc:
            form = accept_form if action == "accept" else return_form
            pages.add_service_errors(form, exc, form.field_for)
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
    return pages.busy(response) if busy else response
