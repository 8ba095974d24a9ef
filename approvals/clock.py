"""The time the single window writes down.

Everything the engine records (a step opened or finished, a clock interval,
an audit entry, a deadline) reads ``clock.now()``. In a request that is the
real time. A what-if simulation passes its own clock (``clock.use(c)``) for
the work it does, in its own context only: other threads and requests of the
same process keep the real time, and nothing is patched.
"""

from __future__ import annotations

import contextvars
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime

from django.utils import timezone

_current: contextvars.ContextVar[Callable[[], datetime] | None] = contextvars.ContextVar(
    "approvals_clock", default=None
)


def now() -> datetime:
    """The current time of this context: the simulation's clock, or the real one."""
    clock = _current.get()
    return clock() if clock is not None else timezone.now()


@contextmanager
def use(clock: Callable[[], datetime]) -> Iterator[None]:
    """Read `clock` for ``now()`` within this block, in this context only."""
    token = _current.set(clock)
    try:
        yield
    finally:
        _current.reset(token)
