"""Opening a draft (apply), saving its values, reading the sources again.

Every write goes through a service; a view only turns the request into a
call and the outcome into a page. Writes are POST-redirect-GET to the
application page (with an anchor to where the person was), except when the
service refuses: then the page is rendered again with the errors and what
was typed (status 400), so nothing is lost.
"""

import uuid

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from approvals import guide, pages, representation, roles, selectors, services
from approvals.models import ApplicationStatus, Service
from approvals.portal.forms import ApplyForm
from approvals.portal.views.page import owner_action, page_url, render_application
from approvals.portal.views.values import save_values, typed_values


@login_required
@require_http_methods(["GET", "POST"])
def apply(request, code):
    service = get_object_or_404(Service, code=code, is_active=True)
    if roles.is_official(request.user):
        return render(
            request, "portal/officials_cannot_apply.html", {"service": service}, status=403
        )
    thing = guide.service_for_guide(service)
    determinants = guide.determinants_of(thing)
    offered = [part.matter for part in thing.thing_matters.all() if part.matter.is_active]
    decision = guide.decide(thing, {})

    def apply_form(data):
        return ApplyForm(
            data,
            initial={
                "idempotency_key": uuid.uuid4().hex,
                "uscc": request.GET.get("uscc", "")[:40],  # from "Mandates I hold"
                "matters": decision.matter_codes,
            },
            service=service,
            determinants=determinants,
            matters=offered,
        )

    data = request.POST.copy() if request.method == "POST" else None
    form = apply_form(data)
    refusal = None
    if form.is_bound and form.is_valid():
        answers = form.answers()
        decision = guide.decide(thing, guide.clean_answers(determinants, answers))
        if request.POST.get("action") == "check":
            # Show what these answers call for, ticked; everything typed is kept.
            data.setlist("matters", decision.matter_codes)
            form = apply_form(data)
            form.is_valid()
            return _apply_page(request, service, form, decision, refusal)
        # Unticked boxes are not posted: the marker says the boxes were shown, so that
        # "none ticked" is refused while a post without them (a script) follows the rules.
        shown = "matters" in form.fields and "matters-shown" in request.POST
        picked = form.cleaned_data.get("matters") if shown else None
        if picked is not None and set(picked) == set(decision.matter_codes):
            picked = None  # as the rules decide: each matter keeps its reason
        uscc = form.cleaned_data.get("uscc", "")
        reservation_number = form.cleaned_data.get("reservation_number", "")
        # The key names what was asked, not only the form it was asked in: the
        # same form posted twice opens one draft, but a form reached again by
        # the back button and sent for another enterprise opens a new one.
        key = form.cleaned_data["idempotency_key"] or uuid.uuid4().hex
        subject = uscc or reservation_number
        try:
            opened = services.application_open(
                applicant=request.user,
                service=service,
                uscc=uscc,
                reservation_number=reservation_number,
                idempotency_key=f"{key}:{service.pk}:{subject}",
                answers=answers,
                matters=picked,
            )
        except ValidationError as exc:
            pages.add_service_errors(form, exc)
        except PermissionDenied as exc:
            # No ground to act for this enterprise: the page again, with what was
            # typed and how to obtain one (approvals.representation), not a bare 403.
            refusal = str(exc) or representation.no_basis_message()
        else:
            application = opened.application
            if opened.open_draft:
                messages.info(
                    request,
                    _(
                        "You already have draft %(reference)s of this service for this "
                        "enterprise: carry on with it here instead of starting again."
                    )
                    % {"reference": application.reference},
                )
                return redirect(page_url(application))
            messages.success(
                request,
                _(
                    "Draft %(reference)s saved. We read what the provincial data center holds: "
                    "check each value and its source below, then hand in what is still missing."
                )
                % {"reference": application.reference},
            )
            return redirect(page_url(application))
    return _apply_page(request, service, form, decision, refusal)


def _apply_page(request, service, form, decision, refusal):
    drafts = (
        selectors.applications_of(request.user)
        .filter(service=service, status=ApplicationStatus.DRAFT)
        .select_related("name_reservation")[:5]
    )
    return render(
        request,
        "portal/apply.html",
        {
            "service": service,
            "form": form,
            "decision": decision,
            "drafts": drafts,
            "refusal": refusal,
            "unverified": refusal is not None and not representation.is_verified(request.user),
        },
        status=403 if refusal else 400 if form.errors else 200,
    )


@owner_action()
def values_update(request, application):
    refused = save_values(request, application)
    if refused:
        return refused
    messages.success(request, _("Your values are saved."))
    return redirect(page_url(application, "values"))


@owner_action()
def prefill_retry(request, application):
    # The button sends the values form too: what was typed is saved first
    # (a saved value is kept by prefill), or shown again with its errors.
    values_form, values_saved = typed_values(request, application)
    if values_form is not None:
        return render_application(request, application, status=400, values_form=values_form)
    if values_saved:
        messages.success(request, _("The values you typed are saved too."))
    try:
        outcomes = services.application_prefill(application=application)
    except ValidationError as exc:
        for _key, message in pages.error_items(exc):
            messages.error(request, message)
        return redirect(page_url(application))
    down = [str(o.source.label) for o in outcomes if o.error]
    if down:
        messages.warning(
            request,
            _("Still unavailable: %(sources)s. Fill those fields by hand, or try again later.")
            % {"sources": ", ".join(down)},
        )
    else:
        messages.success(request, _("Every source answered; the values below are up to date."))
    return redirect(page_url(application, "values"))
