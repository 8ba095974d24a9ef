"""The window's register of mandates: paper mandates registered with their scan, revocation.

Only window clerks (roles.is_clerk) see these pages; anyone else gets
403 and nothing is read. The rules are in approvals.mandates.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import FileResponse, Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from approvals import clock, mandates, pages, roles
from approvals.identifiers import normalize_uscc
from approvals.models import Mandate
from approvals.representation_forms import (
    MandateSearchForm,
    PaperMandateForm,
    RevokeMandateForm,
)
from approvals.selectors import mandates as mandate_reads


def _require_clerk(request) -> None:
    if not roles.is_clerk(request.user):
        raise PermissionDenied


def _list_url(uscc: str = "") -> str:
    url = reverse("review:mandates")
    return f"{url}?{urlencode({'uscc': uscc})}" if uscc else url


@login_required
def mandate_list(request):
    _require_clerk(request)
    search = MandateSearchForm(request.GET)
    uscc = normalize_uscc(search.cleaned_data["uscc"]) if search.is_valid() else ""
    page = pages.page_of(request, mandate_reads.mandates_for_clerk(uscc=uscc))
    now = clock.now()
    rows = list(page.object_list)
    for mandate in rows:
        mandate_reads.for_display(mandate, now)
    page.object_list = rows
    return render(
        request,
        "review/mandates.html",
        {"page": page, "search": search, "uscc": uscc, "revoke_form": RevokeMandateForm()},
    )


@login_required
@require_http_methods(["GET", "POST"])
def mandate_new(request):
    _require_clerk(request)
    form = PaperMandateForm(
        request.POST if request.method == "POST" else None,
        request.FILES if request.method == "POST" else None,
        initial={"uscc": request.GET.get("uscc", "")[:40]},
    )
    if form.is_bound and form.is_valid():
        valid_from, valid_until = form.period()
        try:
            mandate = mandates.mandate_register_paper(
                actor=request.user,
                uscc=form.cleaned_data["uscc"],
                grantee=form.grantee(),
                services=form.cleaned_data["services"],
                valid_from=valid_from,
                valid_until=valid_until,
                document=form.cleaned_data["document"],
            )
        except ValidationError as exc:
            pages.add_service_errors(form, exc)
        else:
            messages.success(
                request,
                _("The paper mandate of %(uscc)s is registered.")
                % {"uscc": mandate.enterprise.uscc},
            )
            return redirect(_list_url(mandate.enterprise.uscc))
    return render(
        request,
        "review/mandate_new.html",
        {"form": form, "errors": pages.summary_errors(form)},
        status=400 if form.errors else 200,
    )


@login_required
@require_POST
def mandate_revoke(request, public_id):
    _require_clerk(request)
    mandate = Mandate.objects.select_related("enterprise").filter(public_id=public_id).first()
    if mandate is None:
        raise Http404(_("No such mandate."))
    form = RevokeMandateForm(request.POST)
    reason = form.cleaned_data["reason"] if form.is_valid() else ""
    if not form.is_valid():
        messages.error(request, _("The reason is too long: at most 500 characters."))
        return redirect(_list_url(mandate.enterprise.uscc))
    if mandate.revoked_at is not None:
        messages.info(request, _("This mandate is revoked already."))
    else:
        mandates.mandate_revoke(actor=request.user, mandate=mandate, reason=reason)
        messages.success(
            request,
            _("The mandate of %(uscc)s is revoked.") % {"uscc": mandate.enterprise.uscc},
        )
    return redirect(_list_url(mandate.enterprise.uscc))


@login_required
@require_GET
def mandate_scan(request, public_id):
    """The scan of a paper mandate, for window clerks only, as a download."""
    _require_clerk(request)
    mandate = Mandate.objects.filter(public_id=public_id).exclude(document="").first()
    if mandate is None:
        raise Http404(_("No such mandate."))
    try:
        handle = mandate.document.open("rb")
    except FileNotFoundError as exc:
        raise Http404 from exc
    response = FileResponse(
        handle, as_attachment=True, filename=mandate.document.name.rsplit("/", 1)[-1]
    )
    response["Cache-Control"] = "private, no-store"
    response["X-Content-Type-Options"] = "nosniff"
    return response
