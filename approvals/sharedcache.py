"""The database table of the shared cache, made by ``manage.py migrate``.

Without Redis, production counts its limits in a database table (settings:
``DATABASE_CACHE_TABLE``). Django makes it only with ``createcachetable``, a
step a deployment would have to know about; here ``migrate`` makes it, after
the migrations, so the one documented step is enough. The default table is
made whatever the cache settings of the process that migrates (a release step
or a test run may run with other settings than the app servers), and so is
any database cache the settings name (``CACHE_URL=db://...``).
"""

from __future__ import annotations

from django.conf import settings
from django.core.management import call_command
from django.core.management.commands.createcachetable import Command as CreateCacheTable


def create_cache_tables(*, using: str = "default", **kwargs) -> None:
    """post_migrate: the cache tables, if they are not there yet (idempotent)."""
    call_command("createcachetable", database=using, verbosity=0)
    command = CreateCacheTable()
    command.verbosity = 0
    command.create_table(using, settings.DATABASE_CACHE_TABLE, dry_run=False)
