"""The second factor's pages: setting up an app, and typing its code."""

from django.urls import path

from approvals.secondfactor import views

app_name = "second_factor"
urlpatterns = [
    path("", views.verify, name="verify"),
    path("enrol/", views.enrol, name="enrol"),
]
