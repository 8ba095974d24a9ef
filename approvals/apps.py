"""App configuration."""

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ApprovalsConfig(AppConfig):
    name = "approvals"
    verbose_name = _("Single-window approvals")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from approvals import checks  # noqa: F401 - registers the system checks
