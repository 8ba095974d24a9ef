"""The second-factor pages: enrol an authenticator app at the first login, then
type its code after the password. Rules live in approvals.secondfactor.rules."""

from __future__ import annotations

from urllib.parse import urlencode

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_http_methods

from approvals.secondfactor import rules
from approvals.secondfactor.forms import CodeForm


def _next_url(request) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return reverse(settings.LOGIN_REDIRECT_URL)


def _to(name: str, next_url: str) -> HttpResponseRedirect:
    return HttpResponseRedirect(f"{reverse(name)}?{urlencode({'next': next_url})}")


def _done(request) -> bool:
    """Nothing to do here: the setting is off, the user needs no second factor, or
    this session has typed the code already."""
    return not rules.is_pending(request)


@login_required
@require_http_methods(["GET", "POST"])
def verify(request):
    next_url = _next_url(request)
    if _done(request):
        return HttpResponseRedirect(next_url)
    if rules.confirmed_device(request.user) is None:
        return _to("second_factor:enrol", next_url)
    form = CodeForm(request.POST if request.method == "POST" else None)
    if form.is_valid():
        try:
            rules.verify(request=request, code=form.cleaned_data["otp_token"])
        except rules.SecondFactorRefused as refused:
            form.add_error("otp_token", refused.message)
        else:
            return HttpResponseRedirect(next_url)
    return render(
        request,
        "registration/second_factor_verify.html",
        {"form": form, "next": next_url},
        status=400 if form.errors else 200,
    )


@login_required
@require_http_methods(["GET", "POST"])
def enrol(request):
    next_url = _next_url(request)
    if _done(request):
        return HttpResponseRedirect(next_url)
    if rules.confirmed_device(request.user) is not None:
        return _to("second_factor:verify", next_url)
    device = rules.enrolment_device(request.user)
    form = CodeForm(request.POST if request.method == "POST" else None)
    if form.is_valid():
        try:
            rules.enrol(request=request, code=form.cleaned_data["otp_token"])
        except rules.SecondFactorRefused as refused:
            if refused.code == "already_enrolled":
                return _to("second_factor:verify", next_url)
            form.add_error("otp_token", refused.message)
        else:
            return HttpResponseRedirect(next_url)
    return render(
        request,
        "registration/second_factor_enrol.html",
        {
            "form": form,
            "next": next_url,
            "qr_code": rules.qr_code_data_uri(device),
            "secret": rules.secret_for_typing(device),
            "period": device.step,
            "digits": device.digits,
        },
        status=400 if form.errors else 200,
    )
