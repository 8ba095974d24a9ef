"""When a permit's PDF is made: on commit of the decision, in the mode configured.

``engine.licences.permit_issue`` calls ``render_soon`` once the decision has
committed; ``PERMIT_RENDER_MODE`` says where the rendering runs (a
background thread, Celery, inline, or not at all). ``manage.py
render_permits`` retries what is pending or failed (``permits_awaiting_render``).
"""

from __future__ import annotations

import contextvars
import logging
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager

from django.conf import settings
from django.db import connections
from django.db.models import QuerySet

from approvals import jobs
from approvals.models import Permit
from approvals.models.permits import RenderStatus
from approvals.permits.rendering import render_permit

logger = logging.getLogger(__name__)


def permits_awaiting_render() -> QuerySet[Permit]:
    """Permits whose PDF is still to be made: pending, or failed and to be retried."""
    return (
        Permit.objects.filter(render_status__in=(RenderStatus.PENDING, RenderStatus.FAILED))
        .select_related("holder", "application__service")
        .order_by("issued_at", "pk")
    )


def _render_quietly(permit_id: int) -> None:
    """Render one permit; whatever goes wrong is logged, never raised to the caller."""
    try:
        permit = Permit.objects.select_related(
            "holder", "application__service", "matter__matter__department"
        ).get(pk=permit_id)
        render_permit(permit)
    except Exception:  # left pending or failed: render_permits picks it up
        logger.exception("rendering permit #%s did not complete", permit_id)


_worker: ThreadPoolExecutor | None = None
_worker_lock = threading.Lock()


def _render_in_worker(permit_id: int) -> None:
    """The background thread's job: render, then close the thread's connections."""
    try:
        _render_quietly(permit_id)
    finally:
        connections.close_all()  # this thread's connections only


RENDER_MODES = ("background", "celery", "inline", "off")

# A command that must leave finished PDFs behind (seed_demo, before the server
# starts) asks for rendering in its own context; a thread would die with it.
_mode_here: contextvars.ContextVar[str | None] = contextvars.ContextVar(
    "permit_render_mode", default=None
)


@contextmanager
def rendering_mode(mode: str) -> Iterator[None]:
    """Within this block, in this context only, render permits as `mode` says."""
    if mode not in RENDER_MODES:
        raise ValueError(f"{mode!r} is not one of {', '.join(RENDER_MODES)}")
    token = _mode_here.set(mode)
    try:
        yield
    finally:
        _mode_here.reset(token)


def render_soon(permit_id: int) -> None:
    """Called once the permit's transaction has committed (see PERMIT_RENDER_MODE)."""
    global _worker
    if jobs.held():
        return  # a simulation's permit (jobs.hold): pending, for the renderer's sweep
    mode = _mode_here.get() or settings.PERMIT_RENDER_MODE
    if mode == "inline":
        _render_quietly(permit_id)
    elif mode == "celery":
        # Broker down: the permit stays pending for the retry sweep, the
        # decision stands.
        jobs.enqueue(jobs.RENDER_PERMIT, permit_id)
    elif mode == "background":
        with _worker_lock:
            if _worker is None:
                # One worker: renderings queue up instead of competing for
                # the CPU with the requests this process serves.
                _worker = ThreadPoolExecutor(max_workers=1, thread_name_prefix="permit-render")
        _worker.submit(_render_in_worker, permit_id)
    elif mode != "off":
        logger.error(
            "PERMIT_RENDER_MODE=%r is not one of %s; permit #%s left for render_permits",
            mode,
            ", ".join(RENDER_MODES),
            permit_id,
        )
