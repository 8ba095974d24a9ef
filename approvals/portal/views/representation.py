"""The portal's pages of who acts for whom: your identity, my enterprises, mandates I hold.

Reads come from approvals.selectors.mandates, writes from approvals.realname
and approvals.mandates. A page that is not the visitor's to see is a 404, so
a guessed address does not confirm that a mandate or an enterprise exists;
an account that is not verified yet is sent to verify its identity first.
A refused form is shown again with what was typed and the errors beside it.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from approvals import clock, mandates, pages, realname, representation
from approvals.models import Identity
from approvals.representation_forms import (
    NATIONALITIES,
    IdentityForm,
    MandateForm,
    RevokeMandateForm,
)
from approvals.selectors import mandates as mandate_reads


def _next_url(request) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return ""


# --- your identity --------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def identity(request):
    current = Identity.objects.filter(user=request.user).first()
    if current is not None and current.is_verified:
        return render(
            request,
            "portal/identity.html",
            {"identity": current, "nationality": dict(NATIONALITIES).get(current.nationality)},
        )
    initial = {}
    if current is not None:  # a refused or interrupted attempt: what was typed then
        initial = {
            "name": current.name,
            "document_type": current.document_type,
            "document_number": current.document_number,
            "nationality": current.nationality,
        }
    form = IdentityForm(request.POST if request.method == "POST" else None, initial=initial)
    status = 200
    if form.is_bound and form.is_valid():
        try:
            realname.identity_verify(user=request.user, **form.cleaned_data)
        except ValidationError as exc:
            pages.add_service_errors(form, exc)
            status = 400
        except realname.IdentitySourceUnavailable:
            form.add_error(
                None,
                _(
                    "The identity source cannot answer at the moment. Nothing you typed is "
                    "lost: try again in a few minutes."
                ),
            )
            status = 503
        else:
            messages.success(
                request,
                _(
                    "Your identity is verified. You can now apply for the enterprises you "
                    "represent, and under the mandates you hold."
                ),
            )
            return redirect(_next_url(request) or "portal:identity")
        current = Identity.objects.filter(user=request.user).first()
    attempts_left = realname.MAX_ATTEMPTS - (current.attempts if current else 0)
    return render(
        request,
        "portal/identity.html",
        {
            "identity": current,
            "form": form,
            "errors": pages.summary_errors(form),
            "attempts_left": max(0, attempts_left),
            "next": _next_url(request),
        },
        status=status,
    )


def _unverified(request, title: str):
    """The page an unverified account gets instead of one that shows held data."""
    return render(
        request,
        "portal/verify_first.html",
        {"title": title, "message": representation.unverified_message()},
        status=403,
    )


# --- my enterprises ---------------------------------------------------------------


@login_required
def enterprises(request):
    if not representation.is_verified(request.user):
        return _unverified(request, _("My enterprises"))
    page = pages.page_of(request, mandate_reads.enterprises_with_mandates(request.user))
    now = clock.now()
    for enterprise in page:
        enterprise.granted = list(enterprise.mandates.all())
        for mandate in enterprise.granted:
            mandate_reads.for_display(mandate, now)
    return render(request, "portal/enterprises.html", {"page": page})


@login_required
@require_http_methods(["GET", "POST"])
def mandate_grant(request, uscc):
    if not representation.is_verified(request.user):
        return _unverified(request, _("Grant a mandate"))
    enterprise = mandate_reads.enterprise_represented(request.user, uscc)
    if enterprise is None:
        raise Http404(_("You do not represent an enterprise with this code."))
    form = MandateForm(request.POST if request.method == "POST" else None)
    if form.is_bound and form.is_valid():
        valid_from, valid_until = form.period()
        try:
            mandate = mandates.mandate_grant(
                actor=request.user,
                uscc=enterprise.uscc,
                grantee=form.grantee(),
                services=form.cleaned_data["services"],
                valid_from=valid_from,
                valid_until=valid_until,
            )
        except ValidationError as exc:
            pages.add_service_errors(form, exc)
        except PermissionDenied as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(
                request,
                _("The mandate to %(grantee)s is granted.") % {"grantee": _grantee_name(mandate)},
            )
            return redirect(reverse("portal:enterprises") + f"#enterprise-{enterprise.uscc}")
    return render(
        request,
        "portal/mandate_grant.html",
        {"enterprise": enterprise, "form": form, "errors": pages.summary_errors(form)},
        status=400 if form.errors else 200,
    )


def _grantee_name(mandate) -> str:
    if mandate.grantee_agency_id:
        return mandate.grantee_agency.name_zh
    identity = representation.identity_of(mandate.grantee_user)
    return identity.name if identity else mandate.grantee_user.get_username()


@login_required
@require_http_methods(["GET", "POST"])
def mandate_revoke(request, public_id):
    mandate = mandate_reads.mandate_granted_by_enterprise_of(request.user, public_id)
    if mandate is None:
        raise Http404(_("No such mandate."))
    back = reverse("portal:enterprises") + f"#enterprise-{mandate.enterprise.uscc}"
    if mandate.revoked_at is not None:
        messages.info(request, _("This mandate is revoked already."))
        return redirect(back)
    form = RevokeMandateForm(request.POST if request.method == "POST" else None)
    if form.is_bound and form.is_valid():
        try:
            mandates.mandate_revoke(
                actor=request.user, mandate=mandate, reason=form.cleaned_data["reason"]
            )
        except PermissionDenied as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(
                request,
                _(
                    "The mandate to %(grantee)s is revoked: from now on it lets no one apply, "
                    "and its holder's unsubmitted drafts are closed to them."
                )
                % {"grantee": _grantee_name(mandate)},
            )
            return redirect(back)
    mandate_reads.for_display(mandate)
    return render(
        request,
        "portal/mandate_revoke.html",
        {"mandate": mandate, "form": form, "back": back, "errors": pages.summary_errors(form)},
        status=400 if form.errors else 200,
    )


# --- mandates I hold --------------------------------------------------------------


@login_required
def mandates_held(request):
    if not representation.is_verified(request.user):
        return _unverified(request, _("Mandates I hold"))
    page = pages.page_of(request, mandate_reads.mandates_held(request.user))
    now = clock.now()
    for mandate in page:
        mandate_reads.for_display(mandate, now)
        mandate.service_list = list(mandate.services.all())
    return render(request, "portal/mandates_held.html", {"page": page})
