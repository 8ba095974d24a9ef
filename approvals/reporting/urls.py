"""The supervisor's report: /reports/ (HTML), ?format=csv, ?format=pdf."""

from django.urls import path

from approvals.reporting import views

app_name = "reporting"
urlpatterns = [
    path("", views.report, name="report"),
]
