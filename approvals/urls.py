"""The app's URLs: one include per face of the single window."""

from django.contrib.auth import views as auth_views
from django.urls import include, path

from approvals.portal import views as portal_views

urlpatterns = [
    path("", portal_views.home, name="home"),
    path("login/", auth_views.LoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("login/code/", include("approvals.secondfactor.urls")),
    path("signup/", portal_views.signup, name="signup"),
    path("", include("approvals.portal.urls")),
    path("office/", include("approvals.review.urls")),
    path("reports/", include("approvals.reporting.urls")),
    path("verify/", include("approvals.verification.urls")),
]
