"""Handing work to the Celery workers, by task name.

Work is sent by the name its task is registered under (``approvals.tasks.*``),
so nothing in the product imports ``approvals.tasks``: that module is a leaf
that only Celery's autodiscovery loads, and the queued messages carry the
same names as before. Without a broker, or when it is down, the caller's
fallback does the work in this process (the embedded demo needs nothing else).

A simulation holds that work back (``with jobs.hold():``): its mail is written
down and never sent, its permits' PDFs are left for the renderer's sweep. The
hold is a context variable, so it covers the simulation's own context only:
other threads and requests of the same process mail and render as usual, and
no setting is changed.
"""

from __future__ import annotations

import contextvars
import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from django.conf import settings

from hainan_window.celery import app

logger = logging.getLogger(__name__)

RENDER_PERMIT = "approvals.tasks.render_permit"
DELIVER_NOTIFICATION = "approvals.tasks.deliver_notification"

_held: contextvars.ContextVar[bool] = contextvars.ContextVar("approvals_jobs_held", default=False)


@contextmanager
def hold() -> Iterator[None]:
    """Within this block, in this context only, mail is not sent and permits not rendered."""
    token = _held.set(True)
    try:
        yield
    finally:
        _held.reset(token)


def held() -> bool:
    """Whether this context is inside :func:`hold` (a simulation)."""
    return _held.get()


def broker_configured() -> bool:
    return bool(settings.CELERY_BROKER_URL)


def enqueue(task_name: str, *args, fallback: Callable[[], None] | None = None) -> bool:
    """Send the task named `task_name` to the workers; without a broker, or when it
    is down, run `fallback`. Returns whether a worker got it."""
    if broker_configured():
        try:
            app.send_task(task_name, args=args, retry=False)
            return True
        except Exception:  # the broker is down: the work must not be lost
            logger.exception("could not queue %s%r; doing it here", task_name, args)
    if fallback is not None:
        fallback()
    return False
