"""The app's URLs: one include per face of the single window."""

from django.contrib.auth import views as auth_views
from django.urls import include, path

from approvals.portal import accounts as account_views
from approvals.portal import views as portal_views

urlpatterns = [
    path("", portal_views.home, name="home"),
    path("login/", account_views.login_view, name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("login/code/", include("approvals.secondfactor.urls")),
    path("signup/", account_views.signup, name="signup"),
    path("accounts/activate/<uidb64>/<token>/", account_views.activate, name="activate"),
    path("accounts/password-reset/", account_views.password_reset, name="password_reset"),
    path(
        "accounts/password-reset/sent/",
        account_views.password_reset_done,
        name="password_reset_done",
    ),
    path(
        "accounts/password-reset/<uidb64>/<token>/",
        account_views.password_reset_confirm,
        name="password_reset_confirm",
    ),
    path(
        "accounts/password-reset/done/",
        account_views.password_reset_complete,
        name="password_reset_complete",
    ),
    path("", include("approvals.portal.urls")),
    path("office/", include("approvals.review.urls")),
    path("reports/", include("approvals.reporting.urls")),
    path("verify/", include("approvals.verification.urls")),
]
