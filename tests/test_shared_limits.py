"""Limits are counted once for all app processes, not once per worker (E17).

Production settings (DEBUG off, no CACHE_URL) keep throttle and rate-limit
counts in a database table that ``migrate`` makes, so every worker on every
machine adds to the same count. Two gunicorn workers serve the same
PostgreSQL database here, each under its own master so that the test, not
the kernel, decides which worker answers: the requests alternate between
them, and the limit still falls at the limit, not at twice it.
"""

from __future__ import annotations

import json

import pytest
from django.conf import settings
from django.contrib.auth.hashers import PBKDF2PasswordHasher
from django.db import connection

from devtools import livehttp as live

PASSWORD = "the-right-password-1"
TOKEN_RATE = 8
LOGIN_FAILURES = 3
VERIFY_RATE = 4


def _post_token(base_url: str, username: str, password: str) -> live.Response:
    return live.request(
        base_url,
        "POST",
        "/api/auth/token/",
        body=json.dumps({"username": username, "password": password}).encode(),
        headers={"Content-Type": "application/json", "Accept-Language": "en"},
    )


@pytest.mark.postgres_only
@pytest.mark.django_db(transaction=True)
def test_limits_are_counted_across_two_workers(world, tmp_path):
    # The servers hash with Django's default hashers, not the tests' fast one; few
    # iterations, since the stored hash says how many to run.
    world.investor.password = PBKDF2PasswordHasher().encode(PASSWORD, "saltsaltsalt", 1000)
    world.investor.save()
    # Counts other tests' servers left (a flush empties only the models' tables).
    with connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {settings.DATABASE_CACHE_TABLE}")
    env = {
        "API_THROTTLE_TOKEN": f"{TOKEN_RATE}/minute",
        "LOGIN_FAILURE_LIMIT": str(LOGIN_FAILURES),
        "VERIFY_RATE_LIMIT": f"{VERIFY_RATE}/m",
    }
    url = live.database_url(connection.settings_dict)
    with (
        live.GunicornServer(
            database_url=url, workdir=tmp_path / "a", workers=1, threads=2, env=env
        ) as a,
        live.GunicornServer(
            database_url=url, workdir=tmp_path / "b", workers=1, threads=2, env=env
        ) as b,
    ):
        servers = [a.base_url, b.base_url]

        def on(i: int) -> str:
            return servers[i % 2]

        # Wrong passwords for one user, alternating workers: locked out at the limit.
        wrong = [_post_token(on(i), "investor", "wrong").status for i in range(LOGIN_FAILURES)]
        assert wrong == [400] * (LOGIN_FAILURES - 1) + [429]
        right = _post_token(on(LOGIN_FAILURES), "investor", PASSWORD)
        assert (right.status, right.json["code"]) == (429, "locked_out")

        # Token requests, alternating workers: throttled once TOKEN_RATE have come in all.
        sent = LOGIN_FAILURES + 1
        others = [_post_token(on(i), f"nobody{i}", "x").status for i in range(sent, TOKEN_RATE)]
        assert others == [400] * (TOKEN_RATE - sent)
        throttled = _post_token(on(TOKEN_RATE), "nobody", "x")
        assert (throttled.status, throttled.json["code"]) == (429, "throttled")

        # The public verification page, alternating workers.
        pages = [live.request(on(i), "GET", "/verify/").status for i in range(VERIFY_RATE + 1)]
        assert pages == [200] * VERIFY_RATE + [429]
