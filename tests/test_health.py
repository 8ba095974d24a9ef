"""Liveness and readiness, as a load balancer and an orchestrator see them.

``/health/`` says the process answers and asks nothing of the database, so a
database outage does not get every app server restarted; ``/ready/`` says
whether this server can work: the database, the cache and, when one is
configured, the broker. Both answer anyone, over plain HTTP too.
"""

from __future__ import annotations

import socket
import threading
import time

import pytest
from django.db import connection
from django.test import Client

from devtools.redisserver import celery_app_using, free_port


@pytest.fixture
def no_broker(settings):
    settings.CELERY_BROKER_URL = ""


def test_health_answers_anyone_without_asking_the_database(client, db, django_assert_num_queries):
    with django_assert_num_queries(0):
        response = client.get("/health/")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}
    assert "no-store" in response["Cache-Control"]  # a proxy never answers for us


def test_ready_checks_the_database_and_the_cache(client, db, no_broker):
    response = client.get("/ready/")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ready"
    assert set(body["checks"]) == {"database", "cache"}  # no broker configured, none checked
    assert all(check["ok"] for check in body["checks"].values())
    assert "no-store" in response["Cache-Control"]


def test_ready_names_the_cache_when_the_cache_is_down(client, db, settings, no_broker):
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": f"redis://127.0.0.1:{free_port()}/0",  # nothing listens there
        }
    }
    response = client.get("/ready/")
    assert response.status_code == 503
    checks = response.json()["checks"]
    assert checks["cache"]["ok"] is False and checks["cache"]["error"]
    assert checks["database"]["ok"] is True


def test_ready_names_the_broker_when_it_does_not_answer(client, db, settings, capsys):
    url = f"redis://127.0.0.1:{free_port()}/0"  # nothing listens there
    settings.CELERY_BROKER_URL = url
    with celery_app_using(url):
        started = time.perf_counter()
        response = client.get("/ready/")
        seconds = time.perf_counter() - started
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "not ready"
    assert body["checks"]["broker"]["ok"] is False
    assert "onnect" in body["checks"]["broker"]["error"]  # ConnectionRefused / OperationalError
    assert body["checks"]["database"]["ok"] and body["checks"]["cache"]["ok"]
    # Measured, never asserted: a probe must not hang on a dead broker.
    with capsys.disabled():
        print(f"\n[test_health] /ready/ with the broker down answered 503 in {seconds:.2f} s")


class SilentBroker:
    """A broker that is hung: the kernel accepts the connection, nothing ever answers
    (a Redis stuck, or gone behind a firewall that drops instead of refusing)."""

    def __enter__(self) -> SilentBroker:
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.url = f"redis://127.0.0.1:{self.sock.getsockname()[1]}/0"
        return self

    def __exit__(self, *exc) -> None:
        self.sock.close()  # resets the connections it never took: a waiting client ends


HANG_SECONDS = 15  # not a speed limit: far past any probe's timeout, so "hung"


def test_ready_answers_when_the_broker_hangs(db, settings, capsys):
    answered = []

    def probe():
        try:
            started = time.perf_counter()
            answered.append((Client().get("/ready/"), time.perf_counter() - started))
        finally:
            connection.close()  # this thread's connection

    with SilentBroker() as broker, celery_app_using(broker.url):
        settings.CELERY_BROKER_URL = broker.url
        thread = threading.Thread(target=probe, daemon=True)
        thread.start()
        thread.join(HANG_SECONDS)
        finished = not thread.is_alive()
    thread.join(10)  # the broker's socket is closed now: a hung probe fails and ends
    assert finished, f"/ready/ had not answered after {HANG_SECONDS} s"
    response, seconds = answered[0]
    assert response.status_code == 503
    assert response.json()["checks"]["broker"]["ok"] is False
    with capsys.disabled():
        print(f"\n[test_health] /ready/ with a hung broker answered 503 in {seconds:.2f} s")


def test_ready_with_a_live_broker(client, db, settings, redis_server):
    settings.CELERY_BROKER_URL = redis_server.url(0)
    with celery_app_using(redis_server.url(0)):
        response = client.get("/ready/")
    assert response.status_code == 200
    checks = response.json()["checks"]
    assert set(checks) == {"database", "cache", "broker"}
    assert all(check["ok"] for check in checks.values())


def test_health_and_ready_answer_over_plain_http_when_the_site_redirects_to_https(
    client, db, settings, no_broker
):
    settings.SECURE_SSL_REDIRECT = True
    page = client.get("/")
    assert page.status_code == 301
    assert page["Location"].startswith("https://")
    for path in ("/health/", "/ready/"):
        response = client.get(path)
        assert response.status_code == 200, path
