"""No copy of a page or an answer that carries personal data stays in a cache.

A browser's back button, a shared computer's disk cache or a proxy between
the office and the data center must not keep an investor's application, a
reviewer's queue or a token. The rule is simple enough to check: every
response to a logged-in user, and every API response except the public
catalogue and the schema, is ``Cache-Control: no-store``. Static files never
come here (WhiteNoise answers them first), so they stay cacheable.
"""

from __future__ import annotations

from django.utils.cache import add_never_cache_headers

# API paths anyone may read that name no person: the catalogue and the schema.
PUBLIC_API_PREFIXES = ("/api/services/", "/api/schema/", "/api/docs/")


def carries_personal_data(request) -> bool:
    path = request.path
    if path.startswith("/api/"):
        return not path.startswith(PUBLIC_API_PREFIXES)
    user = getattr(request, "user", None)
    return bool(user is not None and user.is_authenticated)


class NoStoreMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if carries_personal_data(request):
            add_never_cache_headers(response)
        return response
