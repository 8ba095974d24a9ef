"""The investor's applications: the list, the page, submit, resubmit after a
correction, withdraw.

Every write goes through a service; a view only turns the request into a
call and the outcome into a page. Writes are POST-redirect-GET to the
application page (with an anchor to where the person was), except when the
service refuses: then the page is rendered again with the errors and what
was typed (status 400), so nothing is lost.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpResponseNotAllowed
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from approvals import clock, pages, selectors, services, timekeeping
from approvals.models import OPEN_STATUSES, ApplicationStatus
from approvals.portal.forms import AnswerForm, StatusFilterForm
from approvals.portal.views.page import (
    enterprise_name,
    own_application,
    owner_action,
    page_url,
    render_application,
)
from approvals.portal.views.values import save_values


@login_required
def application_list(request):
    form = StatusFilterForm(request.GET)
    status = form.cleaned_data["status"] if form.is_valid() else ""
    if not form.is_valid():
        form = StatusFilterForm()
    page = pages.page_of(request, selectors.applications_for_list(request.user, status=status))
    now = clock.now()
    for application in page:
        application.display_name = enterprise_name(
            application.enterprise, application.typed_name_zh, application.typed_name_en
        )
        if application.submitted_at:
            end = application.decided_at or now
            application.elapsed_calendar = timekeeping.calendar_days_between(
                application.submitted_at, end
            )
            application.elapsed_working = timekeeping.working_days_between(
                application.submitted_at, end
            )
    return render(
        request,
        "portal/application_list.html",
        {"page": page, "filter_form": form, "status": status},
    )


@login_required
def application_detail(request, public_id):
    application = own_application(
        request, public_id
    )  # before the method: a stranger learns nothing
    if request.method not in ("GET", "HEAD"):
        return HttpResponseNotAllowed(["GET", "HEAD"])
    return render_application(request, application)


@owner_action()
def application_submit(request, application):
    if application.status == ApplicationStatus.RETURNED:
        messages.info(request, _("Answer the correction notice below, then resubmit."))
        return redirect(page_url(application, "correction"))
    if application.status != ApplicationStatus.DRAFT:
        return _already_submitted(request, application)
    refused = save_values(request, application)
    if refused:
        return refused
    try:
        application = services.application_submit(actor=request.user, application=application)
    except ValidationError as exc:
        return render_application(request, application, status=400, submit_errors=exc)
    messages.success(
        request,
        _(
            "Application %(reference)s is submitted. The window checks it now; "
            "we email you when it is accepted or needs correction."
        )
        % {"reference": application.reference},
    )
    return redirect(page_url(application))


@owner_action(methods=("GET",))
def application_check(request, application):
    """Check your answers: everything the draft will send, on one page, before submitting."""
    if application.status != ApplicationStatus.DRAFT:
        return redirect(page_url(application))
    return render_application(request, application, template="portal/check_answers.html")


def _already_submitted(request, application):
    if application.submitted_at:
        message = _(
            "This application was already submitted on %(date)s; it was not sent twice."
        ) % {"date": date_format(timezone.localtime(application.submitted_at), "Y-m-d H:i")}
    else:
        message = _("This application can no longer be submitted (status: %(status)s).") % {
            "status": application.get_status_display()
        }
    messages.info(request, message)
    return redirect(page_url(application))


@owner_action()
def application_resubmit(request, application):
    if application.status != ApplicationStatus.RETURNED:
        if application.status == ApplicationStatus.DRAFT:
            messages.info(request, _("This application is a draft: submit it instead."))
            return redirect(page_url(application, "submit"))
        return _already_submitted(request, application)
    form = AnswerForm(request.POST)
    if not form.is_valid():
        return render_application(request, application, status=400, answer_form=form)
    refused = save_values(request, application, answer_form=form)
    if refused:
        return refused
    try:
        services.application_resubmit(
            actor=request.user, application=application, answer=form.cleaned_data["answer"]
        )
    except ValidationError as exc:
        return render_application(
            request, application, status=400, submit_errors=exc, answer_form=form
        )
    messages.success(
        request,
        _(
            "Your corrected application is back at the window. "
            "The clock is with the government again."
        ),
    )
    return redirect(page_url(application))


@owner_action(methods=("GET", "HEAD", "POST"))
def application_withdraw(request, application):
    withdrawable = application.status in (ApplicationStatus.DRAFT, *OPEN_STATUSES)
    if not withdrawable:
        messages.info(
            request,
            _("This application can no longer be withdrawn (status: %(status)s).")
            % {"status": application.get_status_display()},
        )
        return redirect(page_url(application))
    if request.method != "POST":
        return render(request, "portal/withdraw_confirm.html", {"application": application})
    try:
        services.application_withdraw(actor=request.user, application=application)
    except ValidationError as exc:
        for _key, message in pages.error_items(exc):
            messages.error(request, message)
        return redirect(page_url(application))
    messages.success(
        request, _("Application %(reference)s is withdrawn.") % {"reference": application.reference}
    )
    return redirect(page_url(application))
