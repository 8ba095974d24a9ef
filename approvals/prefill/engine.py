"""The prefill engine: ask a subject's sources, keep each answer's provenance.

A failing source never loses an application: it is reported, and the fields
it would have filled are left for the applicant. A remote source runs in a
worker thread so the engine can stop waiting for it.
"""

from __future__ import annotations

import concurrent.futures
import logging
from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.utils.translation import gettext_lazy as _

from approvals import clock
from approvals.prefill.base import Fetched, Source, SourceUnavailable, Subject
from approvals.prefill.registry import sources_for

logger = logging.getLogger(__name__)


@dataclass
class SourceOutcome:
    source: Source
    fetched: Fetched | None
    read_at: datetime | None
    error: str = ""


def _fetch_remote(src: Source, subject: Subject, timeout: float) -> Fetched:
    # A fresh single-use executor: a hung source must not block the next
    # application's prefill by occupying a shared worker.
    executor = concurrent.futures.ThreadPoolExecutor(max_workers=1)
    try:
        return executor.submit(src.read, subject).result(timeout=timeout)
    except concurrent.futures.TimeoutError as exc:
        raise SourceUnavailable(_("did not answer within %(s)s seconds") % {"s": timeout}) from exc
    finally:
        executor.shutdown(wait=False, cancel_futures=True)


def read_all(subject: Subject | str, names=()) -> list[SourceOutcome]:
    """Ask the sources about a subject (a credit code is an enterprise's subject);
    ``names`` limits them to a service's. A failing source is reported, never raised."""
    if isinstance(subject, str):
        subject = Subject(uscc=subject)
    timeout = settings.PREFILL_SOURCE_TIMEOUT_SECONDS
    outcomes = []
    for src in sources_for(subject, names):
        try:
            fetched = _fetch_remote(src, subject, timeout) if src.remote else src.read(subject)
        except Exception as exc:  # any adapter failure leaves the fields to the applicant
            logger.warning("prefill source %s failed for %s: %s", src.name, subject, exc)
            outcomes.append(
                SourceOutcome(src, None, None, error=str(exc)[:300] or type(exc).__name__)
            )
            continue
        outcomes.append(SourceOutcome(src, fetched, clock.now()))
    return outcomes
