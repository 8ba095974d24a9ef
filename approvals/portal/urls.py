"""Investor portal URLs."""

from django.urls import path

from approvals.portal import views

app_name = "portal"
urlpatterns = [
    path("services/", views.service_list, name="services"),
    path("services/<slug:code>/", views.service_detail, name="service"),
    path("services/<slug:code>/apply/", views.apply, name="apply"),
    path("applications/", views.application_list, name="applications"),
]
