"""The project's own configuration of Django's admin: its default site asks
officials for their second factor (approvals.secondfactor.admin_site)."""

from django.contrib.admin.apps import AdminConfig as DjangoAdminConfig


class AdminConfig(DjangoAdminConfig):
    default_site = "approvals.secondfactor.admin_site.SecondFactorAdminSite"
