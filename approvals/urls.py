"""The app's URLs: one include per face of the single window."""

from django.urls import include, path

urlpatterns = [
    path("verify/", include("approvals.verification.urls")),
]
