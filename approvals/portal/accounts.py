"""Account pages: sign-up, activation, logging in, password reset.

The rules are in approvals.accounts; these views turn a request into a call
and answer with a page that says the same thing whoever has an account.
Password reset is Django's own four views with our templates and our
bilingual mail.
"""

import functools

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth import views as auth_views
from django.shortcuts import redirect, render
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods
from django_ratelimit.decorators import ratelimit

from approvals import accounts
from approvals.clientaddr import counted_address
from approvals.portal.account_forms import LoginForm, PasswordResetForm, SignUpForm

BACKEND = "approvals.authentication.EmailOrUsernameBackend"


def _signup_rate(group, request) -> str:
    return settings.SIGNUP_RATE_LIMIT


def _client_key(group, request) -> str:
    # The address every limit counts by (approvals.clientaddr).
    return counted_address(request) or ""


def mail_limited(view):
    """At most SIGNUP_RATE_LIMIT posts per client address: each one may send a mail
    to an address the sender typed. GET is never limited."""

    @functools.wraps(view)
    @ratelimit(
        key=_client_key, rate=_signup_rate, method="POST", block=False, group="accounts-mail"
    )
    def wrapper(request, *args, **kwargs):
        if getattr(request, "limited", False):
            response = render(request, "registration/too_many.html", status=429)
            response["Retry-After"] = "3600"
            return response
        return view(request, *args, **kwargs)

    return wrapper


@require_http_methods(["GET", "POST"])
@mail_limited
def signup(request):
    if request.user.is_authenticated:
        return redirect("home")
    form = SignUpForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        email = form.cleaned_data["email"]
        accounts.account_sign_up(
            email=email, password=form.cleaned_data["password1"], language=get_language()
        )
        # The same page, status and template whether or not the address had an account.
        return render(request, "registration/signup_sent.html", {"email": email})
    return render(request, "registration/signup.html", {"form": form})


@require_http_methods(["GET", "POST"])
def activate(request, uidb64, token):
    """GET shows a button, POST activates: mail scanners that fetch every link in a
    message must not activate the account, nor get a logged-in session for it."""
    if request.method == "POST":
        user = accounts.account_activate(uidb64=uidb64, token=token)
        if user is not None:
            login(request, user, backend=BACKEND)
            messages.success(
                request, _("Your account is active. Choose a service to start an application.")
            )
            return redirect("portal:services")
    elif accounts.account_from_link(uidb64=uidb64, token=token) is not None:
        return render(request, "registration/activate.html")
    return render(request, "registration/activation_invalid.html")


login_view = auth_views.LoginView.as_view(authentication_form=LoginForm)

password_reset = mail_limited(
    auth_views.PasswordResetView.as_view(
        form_class=PasswordResetForm,
        template_name="registration/password_reset_form.html",
    )
)
password_reset_done = auth_views.PasswordResetDoneView.as_view(
    template_name="registration/password_reset_done.html"
)
password_reset_confirm = auth_views.PasswordResetConfirmView.as_view(
    template_name="registration/password_reset_confirm.html"
)
password_reset_complete = auth_views.PasswordResetCompleteView.as_view(
    template_name="registration/password_reset_complete.html"
)
