"""The what-if simulator: many applications through the real engine, on a simulated clock.

``manage.py simulate`` creates N applications and drives each one through
``approvals.services`` and the viewflow flow exactly as people would (draft
and prefill, hand-in, submission, the clerk's acceptance or return, the
investor's correction, every department's review, the decision and the
permit), on a simulated clock passed to the engine for the moment of each
event (``approvals.clock``; nothing in the process is patched).
The records are ordinary ones; only ``Application.is_simulated`` is set
(right after ``application_create``), and everything else hangs off the
application. The report counts them only when asked (``include_simulated``),
and its figures come from these records, never from the distributions
below: the engine stamps the times, the ledger adds up the days.

Model
-----

A discrete-event simulation: one queue of (time, event) over all
applications, so the simulated clock only moves forward. Applications
arrive as a Poisson process (exponential gaps, ``arrival_hours`` on
average). Each draws, from its own random stream (seeded by the run's seed
and its number, so the interleaving never changes what it draws):

* the investor's time to complete the draft (calendar hours: investors
  work any time);
* the window clerk's time to accept (working hours: ``office_hours`` on the
  official PRC calendar's working days, see ``approvals.timekeeping``); with
  ``correction_probability`` the clerk returns the case instead (at most
  ``max_corrections`` times), and the investor corrects it after
  ``correction_hours`` (calendar);
* per department: the time before a reviewer takes the task
  (``queue_hours``) and the review itself (``review_hours``), both in
  working hours, and a small ``reject_probability``.

All durations are lognormal, given by their median and the sigma of their
logarithm. Defaults are in :data:`DEFAULT_PROFILE`; a JSON file passed as
``--profile`` overrides any part of it (see :func:`load_profile`).

Routing. *Parallel* is the single window: after acceptance every
department reviews at once, and the decision waits for the last one.
*Sequential* is the old way, one department after another with a separate
submission to each, modelled inside the same engine by timing alone:
department k's reviewer takes the case only after department k-1 decided
and the investor has carried the case to department k, which takes
``resubmission_hours`` (calendar hours: collecting the previous decision,
filing anew, visiting the next office). Each of those extra submissions is
recorded as a ``Step(kind=submission, holder=investor)`` for department k,
from department k-1's decision to the new submission, so the investor's
steps count one submission per department. The order is the catalogue's
(``ThingMatter`` order: registration before the commerce report,
seal, tax and social security). A rejection ends the sequence: the
departments not reached reject with that reason at the same moment, as the
engine's join needs every review decided.

What the sequential model does not change, because the engine is the real
one: every review task (and its SLA timer) is created at acceptance, so a
later department's review step also counts the time it waited for the
earlier ones, its timer may escalate while it waits, and the clock between
departments stays government-held (the engine has no state for "the
investor is walking to the next office"). The end-to-end days, the
investor's steps and the per-step figures of the parallel run are exactly
what the engine records.

Side effects kept out of real life, by the run's own context
(``approvals.jobs.hold``), not by settings. Mail is recorded and marked sent,
never sent (escalations would otherwise reach real supervisors), permit PDFs
are left pending for the renderer's sweep, only the simulated applications' own timers
are fired, and the licences the simulated permits put into the licence
library are revoked when the run ends, so no real application ever reuses
one (simulated applications of the same run may, as they would in life).
Users ``sim-investor``, ``sim-clerk`` and ``sim-rev-<department>`` are
created once, with unusable passwords. A run writes one simulated day per
transaction (at most ``BATCH_EVENTS`` events): an error or a stop part way
leaves the whole days before it (:class:`SimulationStopped` says how many
applications), never half a day.

The modules: ``profile`` (the durations and probabilities), ``clock`` (the
simulated present, office hours), ``people`` (what each simulated person does
at an event), ``engine`` (the queue, the batches, :func:`simulate`) and
``history`` (the demo's past).

The demo's history. ``seed_demo`` uses this same engine to give the demo a
past (:func:`demo_history_create`, at the end of this module): ``until``
stops the clock at the real present, so the last arrivals are still open
(their timers due later are fired by the sweep as the demo runs), and
``demo_history=True`` marks the records ``is_demo_history`` instead of
``is_simulated``, so the demo's reports, guide and overdue page count them.
"""

from __future__ import annotations

from approvals.simulation.clock import add_office_hours
from approvals.simulation.engine import (
    BATCH_EVENTS,
    DEFAULT_START,
    ROUTINGS,
    Simulation,
    SimulationResult,
    SimulationStopped,
    simulate,
)
from approvals.simulation.history import (
    DEMO_HISTORY_DAYS,
    DEMO_HISTORY_LATE,
    DEMO_HISTORY_SEED,
    demo_history_create,
    demo_history_exists,
)
from approvals.simulation.profile import (
    DEFAULT_PROFILE,
    DepartmentProfile,
    Lognormal,
    Profile,
    ProfileError,
    build_profile,
    load_profile,
)

__all__ = [
    "ROUTINGS",
    "DEFAULT_START",
    "DEFAULT_PROFILE",
    "ProfileError",
    "Lognormal",
    "DepartmentProfile",
    "Profile",
    "build_profile",
    "load_profile",
    "add_office_hours",
    "SimulationResult",
    "SimulationStopped",
    "BATCH_EVENTS",
    "Simulation",
    "simulate",
    "DEMO_HISTORY_SEED",
    "DEMO_HISTORY_DAYS",
    "DEMO_HISTORY_LATE",
    "demo_history_exists",
    "demo_history_create",
]
