"""Input no view can use, refused before any view sees it."""

from __future__ import annotations

from django.http import HttpResponseBadRequest, JsonResponse


class NulCharacterGuardMiddleware:
    """A NUL character in the path or the query string is a 400 with a message.

    PostgreSQL cannot store or even compare text containing NUL, so such a
    value reaching a lookup (a filter, a code in a URL) would be a 500. No
    legitimate address or filter contains one.
    """

    MESSAGE = "The address contains a null character (%00), which no page or filter accepts."

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        query = request.META.get("QUERY_STRING", "")
        if "\x00" in request.path or "%00" in query or "\x00" in query:
            if request.path.startswith("/api/"):
                return JsonResponse(
                    {"status": 400, "code": "invalid", "message": self.MESSAGE}, status=400
                )
            return HttpResponseBadRequest(self.MESSAGE, content_type="text/plain; charset=utf-8")
        return self.get_response(request)
