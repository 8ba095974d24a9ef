"""The seeded demo (``manage.py seed_demo``), built once per test module.

Module fixtures cannot use the function-scoped ``world``; this one runs the
real command inside a transaction that is rolled back when the module ends,
so other modules start from an empty database. Use it as::

    demo = pytest.fixture(scope="module")(demo_data.seeded)
"""

from __future__ import annotations

import io

from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.db import transaction
from django.test import override_settings

from approvals import permits

HISTORY = 24


def seeded(django_db_setup, django_db_blocker, tmp_path_factory):
    tmp = tmp_path_factory.mktemp("demo")
    with (
        django_db_blocker.unblock(),
        override_settings(
            MEDIA_ROOT=tmp / "media",
            # Real hashing costs ~0.3 s a user; the walk logs in with force_login.
            PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"],
            EMAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend",
            PERMIT_RENDER_MODE="off",
            # The demo's key comes from `make run`; the walk opens the public key page.
            PERMIT_SIGNING_KEY=permits.generate_private_key_pem(),
            PERMIT_SIGNING_KEY_FILE=tmp / "no-such-key.pem",
            LANGUAGE_CODE="en",
        ),
        transaction.atomic(),
    ):
        # A short history (the demo makes 300): enough that every list, report
        # and the overdue page have rows, and the walk stays a matter of seconds.
        call_command("seed_demo", "--history", str(HISTORY), "--no-progress", stdout=io.StringIO())
        # Rendering waits for a commit that this transaction never makes: render
        # now, so the permit's PDF exists as it does under `make run`.
        call_command("render_permits", stdout=io.StringIO())
        yield {u.username: u for u in get_user_model().objects.all()}
        transaction.set_rollback(True)
