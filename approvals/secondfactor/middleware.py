"""Until an official has typed the code, they reach only the second-factor pages.

Everything else an official could open (the window, reviews, reports, the
audit trail, the admin, the API with the session) answers with a redirect to
the code step, or, under /api/, a 403 in the API's error shape. Investors, the
public and officials with the setting off pass untouched. The API with a
token (Authorization header) is left to the API: a token is issued to an
official only against a code (approvals.api.views.TokenView).
"""

from __future__ import annotations

from urllib.parse import urlencode

from django.conf import settings
from django.http import HttpResponseRedirect, JsonResponse
from django.urls import reverse
from django.utils.translation import gettext as _

from approvals.secondfactor import rules

# Open to an official who still owes the code: the code pages themselves, logging
# in (as someone else) and out, the language switch, static files, health checks,
# and the API's token endpoint (it asks for the password and the code itself).
_OPEN_URL_NAMES = ("second_factor:verify", "second_factor:enrol", "login", "logout")
_OPEN_PREFIXES = ("/i18n/", "/health/", "/ready/", "/api/auth/token/")


def _is_open(request) -> bool:
    path = request.path_info
    if path.startswith(_OPEN_PREFIXES) or path.startswith("/" + settings.STATIC_URL.lstrip("/")):
        return True
    if path.startswith("/api/") and request.headers.get("Authorization"):
        return True  # the session is not what authenticates this request
    return any(path == reverse(name) for name in _OPEN_URL_NAMES)


class SecondFactorMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if rules.is_switched_on() and not _is_open(request) and rules.is_pending(request):
            return self._refuse(request)
        return self.get_response(request)

    @staticmethod
    def _refuse(request):
        if request.path_info.startswith("/api/"):
            return JsonResponse(
                {
                    "status": 403,
                    "code": "second_factor_required",
                    "message": _(
                        "Officials type the code from their authenticator app after the "
                        "password before using the API with their session; or ask "
                        "/api/auth/token/ for a token with the code."
                    ),
                },
                status=403,
            )
        target = reverse("second_factor:verify")
        return HttpResponseRedirect(f"{target}?{urlencode({'next': request.get_full_path()})}")
