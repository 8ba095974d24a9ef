"""What a database error means for the person who caused it, and
``ApplicationBusy``, the one way contention reaches pages and the API.

Two kinds matter and must not be confused:

* **contention**: someone else holds the lock (lock timeout, deadlock,
  serialisation failure; SQLite's "database is locked"). The person retries
  in a moment: ``ApplicationBusy``, a 409 with Retry-After.
* **unavailable**: the database cannot be reached (connection refused or
  lost, server shutting down or starting, the pool out of connections). Not
  the person's doing, and not "someone else is editing": a 503 with
  Retry-After, on pages and in the API alike.

Anything else is a bug and stays a 500.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Iterator

from django.db import DatabaseError, InterfaceError, OperationalError
from django.http import HttpResponse, JsonResponse
from django.template.loader import render_to_string
from django.utils.translation import gettext as _

logger = logging.getLogger(__name__)

# PostgreSQL SQLSTATEs: lock_not_available, deadlock_detected, serialization_failure.
CONTENTION = {"55P03", "40P01", "40001"}
# admin_shutdown, crash_shutdown, cannot_connect_now; class 08 is "connection exception".
UNAVAILABLE = {"57P01", "57P02", "57P03"}
RETRY_AFTER_SECONDS = 5


def _chain(exc: BaseException | None) -> Iterator[BaseException]:
    seen = set()
    while exc is not None and id(exc) not in seen:
        seen.add(id(exc))
        yield exc
        exc = exc.__cause__ or exc.__context__


def is_contention(exc: BaseException) -> bool:
    for error in _chain(exc):
        state = getattr(error, "sqlstate", None)
        if state in CONTENTION:
            return True
        if state is None and "database is locked" in str(error):  # SQLite
            return True
    return False


def is_unavailable(exc: BaseException) -> bool:
    for error in _chain(exc):
        if isinstance(error, InterfaceError):
            return True
        module = type(error).__module__
        if module.startswith("psycopg_pool"):  # PoolTimeout, PoolClosed
            return True
        state = getattr(error, "sqlstate", "")
        if state and (state.startswith("08") or state in UNAVAILABLE):
            return True
        # psycopg's own OperationalError without a SQLSTATE: no connection at all.
        if (
            module.startswith("psycopg")
            and type(error).__name__ == "OperationalError"
            and not state
        ):
            return True
    return False


class DatabaseUnavailableMiddleware:
    """A view that fails because the database is unreachable answers 503 with
    Retry-After, in the API's error shape under /api/ and as a plain bilingual
    page elsewhere; never Django's 500. Nothing here touches the database."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if not (isinstance(exception, DatabaseError) and is_unavailable(exception)):
            return None
        logger.warning("database unavailable for %s: %s", request.path, exception)
        if request.path.startswith("/api/"):
            response = JsonResponse(
                {
                    "status": 503,
                    "code": "unavailable",
                    "message": "The service is briefly unavailable. Please try again shortly. "
                    "服务暂时不可用，请稍后再试。",
                    "retry_after": RETRY_AFTER_SECONDS,
                },
                status=503,
                json_dumps_params={"ensure_ascii": False},
            )
        else:
            # Rendered without the request: no context processor may reach the database.
            response = HttpResponse(render_to_string("unavailable.html"), status=503)
        response["Retry-After"] = str(RETRY_AFTER_SECONDS)
        return response


class ApplicationBusy(Exception):
    """Someone else is changing the same application right now: try again in a moment."""

    retry_after_seconds = 2

    def __init__(self):
        super().__init__(
            _("This application is being updated by someone else. Please try again in a moment.")
        )


def raise_busy_if_contention(exc: Exception) -> None:
    """Lock contention becomes ApplicationBusy (try again); anything else is re-raised
    as it is (a database that is down is a 503, not "someone else is editing")."""
    if is_contention(exc):
        raise ApplicationBusy() from exc
    raise exc


def busy_is_retryable(service):
    """A database lock timeout in a plain write becomes ApplicationBusy, not a 500."""

    @functools.wraps(service)
    def wrapper(*args, **kwargs):
        try:
            return service(*args, **kwargs)
        except OperationalError as exc:
            raise_busy_if_contention(exc)

    return wrapper
