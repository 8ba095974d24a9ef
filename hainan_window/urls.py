"""URL map of the single window."""

from django.contrib import admin
from django.urls import include, path

from hainan_window import health

# 400, 403 and 404 are Django's handlers with our templates; 500 is ours.
handler500 = "hainan_window.errors.server_error"

urlpatterns = [
    path("health/", health.health, name="health"),
    path("ready/", health.ready, name="ready"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
    path("api/", include("approvals.api.urls")),
    path("", include("approvals.urls")),
]
