"""App configuration."""

from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _

from approvals.sharedcache import create_cache_tables


class ApprovalsConfig(AppConfig):
    name = "approvals"
    verbose_name = _("Single-window approvals")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from approvals import checks  # noqa: F401, PLC0415 - registers the system checks

        post_migrate.connect(create_cache_tables, sender=self)
