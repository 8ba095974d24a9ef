"""The site's 500 page, which must render when nothing else can.

Django renders 400.html, 403.html and 404.html itself, with the request (the
templates in templates/ come before viewflow's). The 500 page is rendered
here without the request and without touching the database: the error may
be the database itself, or a request that never reached the authentication
middleware, so the page asks nothing of either.
"""

from __future__ import annotations

from django.conf import settings
from django.http import HttpResponseServerError
from django.template.loader import render_to_string


def server_error(request):
    body = render_to_string("500.html", {"target_days": settings.BENCHMARK_TARGET_DAYS})
    return HttpResponseServerError(body)
