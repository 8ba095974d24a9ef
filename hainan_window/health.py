"""Liveness and readiness, for load balancers and orchestrators.

``/health/``: the process answers (no database, so a database outage does not
get every app server killed and restarted). ``/ready/``: this server can do
its work: the database answers, the cache answers, and, when configured, the
Celery broker answers. 200 when all do, 503 naming what failed otherwise.
Both are cheap, anonymous, never cached, and exempt from the HTTPS redirect.
"""

from __future__ import annotations

import logging
import time

from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.http import JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from hainan_window.celery import app

logger = logging.getLogger(__name__)


@never_cache
@require_GET
def health(request):
    return JsonResponse({"status": "ok"})


def _database() -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()


def _cache() -> None:
    key = "hw:ready"
    cache.set(key, "1", 10)
    if cache.get(key) != "1":
        raise RuntimeError("the cache did not keep a value")


def _broker() -> None:
    # Bounded even for a broker that accepts the connection and never answers.
    with app.connection_for_write(
        transport_options={"socket_connect_timeout": 2, "socket_timeout": 2}
    ) as conn:
        conn.ensure_connection(max_retries=1, interval_start=0, interval_step=0, timeout=4)


def checks() -> dict:
    found = {"database": _database, "cache": _cache}
    if settings.CELERY_BROKER_URL:
        found["broker"] = _broker
    return found


@never_cache
@require_GET
def ready(request):
    results, ok = {}, True
    for name, check in checks().items():
        started = time.perf_counter()
        try:
            check()
        except Exception as exc:  # any failure makes this server not ready
            logger.warning("readiness: %s failed: %s", name, exc)
            results[name] = {"ok": False, "error": f"{type(exc).__name__}: {exc}"[:300]}
            ok = False
        else:
            results[name] = {"ok": True, "ms": round((time.perf_counter() - started) * 1000, 1)}
    return JsonResponse(
        {"status": "ready" if ok else "not ready", "checks": results}, status=200 if ok else 503
    )
