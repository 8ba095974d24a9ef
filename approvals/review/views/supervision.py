"""The supervisor's screens: overdue reviews and escalations, any application
(read-only, with its trail), revoking a permit."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from approvals import clock, errors, pages, roles, selectors, services
from approvals.models import PermitStatus
from approvals.review.forms import OverdueFilterForm, RevokeForm
from approvals.review.views.lists import overdue_materials, with_days


@login_required
def overdue(request):
    """Overdue reviews across departments, with days over the limit, and escalations."""
    if not roles.is_supervisor(request.user):
        raise PermissionDenied
    departments = list(selectors.departments_all())
    form = OverdueFilterForm(request.GET or None, departments=departments)
    code = form.cleaned_data["department"] if form.is_valid() else ""
    now = clock.now()
    reviews = pages.page_of(request, selectors.overdue_reviews(now=now, department_code=code))
    reviews.object_list = with_days(reviews.object_list, since="due_at", now=now)
    raised = pages.page_of(request, selectors.escalations(department_code=code), "escalations")
    materials = overdue_materials(request, now=now, department_code=code)
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


@login_required
@require_http_methods(["GET", "POST"])
def application_detail(request, public_id):
    """Any application an official may open, read-only (supervisors: every one)."""
    application = get_object_or_404(
        selectors.applications_for_official(request.user)
        .select_related("service", "enterprise", "applicant")
        .prefetch_related("permits"),
        public_id=public_id,
    )
    screen = selectors.application_screen(application, viewer=request.user)
    supervisor = roles.is_supervisor(request.user)
    permit = getattr(application, "permit", None)
    revoke_form = None
    busy = False
    if supervisor and permit is not None and permit.status != PermitStatus.REVOKED:
        revoke_form = RevokeForm(request.POST if request.method == "POST" else None)
        if revoke_form.is_bound and revoke_form.is_valid():
            try:
                services.permit_revoke(
                    actor=request.user, permit=permit, reason=revoke_form.cleaned_data["reason"]
                )
            except errors.ApplicationBusy as exc:
                messages.error(request, str(exc))
                busy = True
            except ValidationError as exc:
                pages.add_service_errors(revoke_form, exc, RevokeForm.field_for)
            else:
                messages.success(
                    request, _("Permit %(number)s is revoked.") % {"number": permit.number}
                )
                return redirect("review:application", public_id=application.public_id)
    elif request.method == "POST":
        raise PermissionDenied
    response = render(
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
    return pages.busy(response) if busy else response
