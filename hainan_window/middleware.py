"""Input no view can use, refused before any view sees it; the site's error pages under DEBUG."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import DisallowedHost
from django.http import Http404, HttpResponseBadRequest, JsonResponse
from django.views import defaults


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


class SiteErrorPagesInDebugMiddleware:
    """With DEBUG on, a 404 and a bad Host header still get the site's own pages.

    Django shows its technical pages for these under DEBUG (the URL patterns
    tried, the settings), which is what a developer wants and not what a
    visitor of the demo should meet. With ``SITE_ERROR_PAGES_IN_DEBUG`` on
    (the default) this renders our 404.html and 400.html instead; a 500 keeps
    DEBUG's traceback, and so does everything else DEBUG does. With DEBUG
    off it does nothing: Django's handlers render the same templates.

    It sits after LocaleMiddleware (the page is in the visitor's language)
    and before CommonMiddleware, which reads the Host header first and
    redirects a missing trailing slash before a 404 gets here.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    @staticmethod
    def _on() -> bool:
        return settings.DEBUG and settings.SITE_ERROR_PAGES_IN_DEBUG

    def __call__(self, request):
        if not self._on():
            return self.get_response(request)
        try:
            request.get_host()
        except DisallowedHost as exc:
            return defaults.bad_request(request, exc)
        response = self.get_response(request)
        # No view matched the address: Django answered with its technical 404.
        if response.status_code == 404 and getattr(request, "resolver_match", None) is None:
            return defaults.page_not_found(request, Http404())
        return response

    def process_exception(self, request, exception):
        if self._on() and isinstance(exception, Http404):
            return defaults.page_not_found(request, exception)
        return None
