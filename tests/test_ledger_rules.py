"""The clock ledger on real calendars: who holds the clock, for how many calendar
and working days, and what that says about the promise and the statute.

Every journey runs on a simulated clock across the official 2026 calendar (as
chinesecalendar publishes the State Council notice): Labour Day, 1-5 May, is
off and Saturday 9 May is a make-up working day; Friday 19 June is the Dragon
Boat Festival. Each expected figure is worked out by hand in a comment, in
hours, so that swapping calendar for working days, one party for the other, or
adding for subtracting changes a number the test checks.
"""

from dataclasses import replace
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine

from approvals import models as m
from approvals import selectors, services
from approvals.selectors import ClockSummary
from tests import factories as f
from tests import journey

SH = ZoneInfo("Asia/Shanghai")


def at(*args):
    return time_machine.travel(datetime(*args, tzinfo=SH), tick=False)


def local(*args) -> datetime:
    return datetime(*args, tzinfo=SH)


def days(hours: float) -> float:
    return pytest.approx(hours / 24, abs=1e-6)


def decide_in_turn(world, app, times):
    """Each department approves at its own moment (market, commerce, tax)."""
    for code, moment in zip(("market", "commerce", "tax"), times, strict=True):
        with at(*moment):
            services.review_complete(
                actor=world.reviewers[code], review=journey.review_of(app, code), approve=True
            )
    app.refresh_from_db()
    return app


@pytest.fixture
def labour_day(world):
    """Submitted before Labour Day, returned, corrected on the make-up Saturday,
    accepted and approved the Monday after.

    Thu 30 Apr 10:00 submitted        government holds the clock
    Thu 30 Apr 16:00 returned         investor holds it
    Sat  9 May 16:00 resubmitted      government (a make-up working day)
    Sat  9 May 17:00 accepted
    Mon 11 May 10:00, 12:00, 17:00    market, commerce, tax approve: decided at 17:00
    """
    # A statute of one working day, to check the edge: the promise cannot exceed it.
    world.service.statutory_limit_days = world.service.promised_limit_days = 1
    world.service.save(update_fields=["statutory_limit_days", "promised_limit_days"])
    with at(2026, 4, 30, 10, 0):
        app = journey.submitted(world)
    with at(2026, 4, 30, 16, 0):
        services.application_return(
            actor=world.clerk, application=app, items=["租赁合同 / the lease", "章程 / articles"]
        )
    with at(2026, 5, 9, 16, 0):
        services.application_resubmit(actor=world.investor, application=app, answer="已补正")
    with at(2026, 5, 9, 17, 0):
        services.application_accept(actor=world.clerk, application=app)
    return app


@pytest.mark.django_db
def test_labour_day_journey_counts_each_partys_calendar_and_working_days(world, labour_day):
    app = decide_in_turn(
        world, labour_day, [(2026, 5, 11, 10), (2026, 5, 11, 12), (2026, 5, 11, 17)]
    )
    assert app.status == m.ApplicationStatus.APPROVED
    clock = selectors.application_clock(app)
    assert clock.holder_now is None
    # Government: 30 Apr 10:00-16:00 (6 h, a working day), then 9 May 16:00 to
    # 11 May 17:00: 49 h of calendar, of which 8 h of Saturday 9 May (make-up)
    # and 17 h of Monday 11 May are working time (Sunday 10 May is not).
    assert clock.government_calendar_days == days(6 + 49)
    assert clock.government_working_days == days(6 + 8 + 17)
    # Investor: 30 Apr 16:00 to 9 May 16:00 is 9 calendar days; working: 8 h of
    # 30 Apr, nothing 1-5 May, 6, 7 and 8 May whole, 16 h of Saturday 9 May.
    assert clock.investor_calendar_days == days(9 * 24)
    assert clock.investor_working_days == days(8 + 3 * 24 + 16)
    # End to end, from submission to decision, both parties' time.
    assert clock.end_to_end_calendar_days == days(11 * 24 + 7)
    assert clock.end_to_end_working_days == days(6 + 8 + 17 + 8 + 3 * 24 + 16)
    # Statute: government time from acceptance only: 7 h of 9 May, 17 h of 11 May.
    assert clock.statutory_working_days == days(24)
    assert clock.statutory_limit_days == 1
    assert clock.within_statute  # exactly at the limit is within it
    assert not clock.within_target  # 11.3 calendar days against the promised 2
    # Submission and correction are the investor's steps; two acceptances,
    # three reviews, the decision and the three matters' outcomes are the government's.
    assert (clock.investor_steps, clock.government_steps) == (2, 9)


@pytest.mark.django_db
def test_labour_day_ledger_rows_store_calendar_and_working_days_apart(world, labour_day):
    app = decide_in_turn(
        world, labour_day, [(2026, 5, 11, 10), (2026, 5, 11, 12), (2026, 5, 11, 17)]
    )
    intervals = [
        (i.holder, i.started_at, i.ended_at, i.calendar_days, i.working_days)
        for i in app.clock_intervals.order_by("started_at")
    ]
    gov, inv = m.ClockHolder.GOVERNMENT, m.ClockHolder.INVESTOR
    assert intervals == [
        (gov, local(2026, 4, 30, 10), local(2026, 4, 30, 16), days(6), days(6)),
        (inv, local(2026, 4, 30, 16), local(2026, 5, 9, 16), days(216), days(96)),
        (gov, local(2026, 5, 9, 16), local(2026, 5, 11, 17), days(49), days(25)),
    ]
    steps = {
        (s.kind, s.created_at): s
        for s in app.steps.exclude(kind__in=[m.StepKind.REVIEW, m.StepKind.PERMIT])
    }
    correction = steps[(m.StepKind.CORRECTION, local(2026, 4, 30, 16))]
    assert (correction.finished_at, correction.calendar_days, correction.working_days) == (
        local(2026, 5, 9, 16),
        days(216),
        days(96),
    )
    assert correction.holder == inv and correction.actor == world.investor
    # The correction task is the investor's from the start: taken up when opened.
    assert correction.assigned_at == local(2026, 4, 30, 16)
    first_window = steps[(m.StepKind.ACCEPTANCE, local(2026, 4, 30, 10))]
    assert (first_window.finished_at, first_window.actor) == (local(2026, 4, 30, 16), world.clerk)
    assert (first_window.calendar_days, first_window.working_days) == (days(6), days(6))
    second_window = steps[(m.StepKind.ACCEPTANCE, local(2026, 5, 9, 16))]
    assert (second_window.finished_at, second_window.working_days) == (
        local(2026, 5, 9, 17),
        days(1),
    )
    # The decision step starts when the last department decided, not the first.
    decision = steps[(m.StepKind.DECISION, local(2026, 5, 11, 17))]
    assert decision.finished_at == local(2026, 5, 11, 17)
    assert decision.holder == gov and decision.actor is None
    assert not app.steps.filter(finished_at__isnull=True).exists()
    assert all(not s.estimated for s in app.steps.all())


@pytest.mark.django_db
def test_clock_while_the_case_waits_on_the_investor(world):
    with at(2026, 4, 30, 10, 0):
        app = journey.submitted(world)
    with at(2026, 4, 30, 16, 0):
        services.application_return(actor=world.clerk, application=app, items=["the lease"])
    app.refresh_from_db()
    # Seen on Wednesday 6 May 16:00: the open interval is counted up to now,
    # 6 calendar days and 8 + 16 working hours.
    clock = selectors.application_clock(app, now=local(2026, 5, 6, 16))
    assert clock.holder_now == m.ClockHolder.INVESTOR
    assert clock.investor_calendar_days == days(6 * 24)
    assert clock.investor_working_days == days(24)
    assert (clock.government_calendar_days, clock.government_working_days) == (days(6), days(6))
    assert clock.end_to_end_calendar_days == days(6 * 24 + 6)
    assert clock.end_to_end_working_days == days(6 + 24)
    assert clock.statutory_working_days == 0.0  # not accepted yet: the statute has not started
    # The submission and the open correction; the first acceptance.
    assert (clock.investor_steps, clock.government_steps) == (2, 1)
    # Earlier that morning, at 10:00: 5 days 18 h of calendar, 8 + 10 working hours.
    clock = selectors.application_clock(app, now=local(2026, 5, 6, 10))
    assert clock.investor_calendar_days == days(5 * 24 + 18)
    assert clock.investor_working_days == days(8 + 10)


@pytest.mark.django_db
def test_expected_completion_is_pushed_back_by_the_investors_working_days(world, labour_day):
    app = labour_day
    with at(2026, 5, 11, 11, 0):
        clock = selectors.application_clock(app)
        due = selectors.application_expected_completion(app, clock)
    # Promised 1 working day, plus the investor's 4 working days: 5 working
    # days from Thu 30 Apr 10:00, whole days: 6, 7, 8, 9 May (Saturday, a
    # make-up day), then Monday 11 May 10:00.
    assert (clock.promised_limit_days, clock.investor_working_days) == (1, 4.0)
    assert due == local(2026, 5, 11, 10)
    app = decide_in_turn(world, app, [(2026, 5, 11, 12), (2026, 5, 11, 13), (2026, 5, 11, 14)])
    assert selectors.application_expected_completion(app, selectors.application_clock(app)) is None


@pytest.mark.django_db
def test_expected_completion_of_a_draft_is_none(world):
    app = journey.draft(world)
    assert selectors.application_expected_completion(app, selectors.application_clock(app)) is None


@pytest.mark.django_db
def test_a_weekend_counts_for_the_promise_but_not_for_the_statute(world):
    # Friday 12 June 2026 10:00 submitted, 14:00 accepted, approved Monday
    # 15 June 09:00: 2 days 23 h of calendar, 14 + 9 working hours.
    with at(2026, 6, 12, 10, 0):
        app = journey.submitted(world)
    with at(2026, 6, 12, 14, 0):
        services.application_accept(actor=world.clerk, application=app)
    with at(2026, 6, 15, 9, 0):
        app = journey.approve_all(world, app)
    clock = selectors.application_clock(app)
    assert clock.end_to_end_calendar_days == days(2 * 24 + 23)
    assert clock.end_to_end_working_days == days(14 + 9)
    assert clock.government_calendar_days == days(2 * 24 + 23)
    assert clock.government_working_days == days(14 + 9)
    assert (clock.investor_calendar_days, clock.investor_working_days) == (0.0, 0.0)
    assert clock.statutory_working_days == days(10 + 9)
    # Under one working day, but the investor waited nearly three days.
    assert not clock.within_target
    assert clock.within_statute


@pytest.mark.django_db
def test_a_holiday_is_not_working_time(world):
    # Thursday 18 June 2026 10:00 to Monday 22 June 11:00, across the Dragon
    # Boat Festival (Friday 19 June) and the weekend: 14 + 11 working hours.
    with at(2026, 6, 18, 10, 0):
        app = journey.submitted(world)
        services.application_accept(actor=world.clerk, application=app)
    with at(2026, 6, 22, 11, 0):
        app = journey.approve_all(world, app)
    clock = selectors.application_clock(app)
    assert clock.end_to_end_working_days == days(14 + 11)
    assert clock.end_to_end_calendar_days == days(4 * 24 + 1)
    assert clock.statutory_working_days == days(14 + 11)
    reviews = app.steps.filter(kind=m.StepKind.REVIEW)
    assert [(s.calendar_days, s.working_days) for s in reviews] == [
        (days(4 * 24 + 1), days(25))
    ] * 3


@pytest.mark.django_db
def test_the_taken_up_time_is_when_the_reviewer_took_the_task(world):
    with at(2026, 6, 8, 9, 0):  # a Monday
        app = journey.submitted(world)
        services.application_accept(actor=world.clerk, application=app)
    market = journey.review_of(app, "market")
    with at(2026, 6, 8, 11, 0):
        services.task_assign(actor=world.reviewers["market"], task=market.task)
    with at(2026, 6, 8, 15, 0):
        services.review_complete(actor=world.reviewers["market"], review=market, approve=True)
        # Decided without taking it first: taken up at the moment of the decision.
        services.review_complete(
            actor=world.reviewers["tax"], review=journey.review_of(app, "tax"), approve=True
        )
    steps = {s.department.code: s for s in app.steps.filter(kind=m.StepKind.REVIEW)}
    market_step, tax_step, commerce_step = steps["market"], steps["tax"], steps["commerce"]
    # Only the review's own step is taken up; the investor's submission keeps its own.
    submission = app.steps.get(kind=m.StepKind.SUBMISSION)
    assert (submission.assigned_at, submission.actor) == (local(2026, 6, 8, 9), world.investor)
    assert market_step.created_at == local(2026, 6, 8, 9)
    assert market_step.assigned_at == local(2026, 6, 8, 11)
    assert (market_step.finished_at, market_step.actor) == (
        local(2026, 6, 8, 15),
        world.reviewers["market"],
    )
    assert market_step.working_days == days(6)
    assert (tax_step.assigned_at, tax_step.actor) == (local(2026, 6, 8, 15), world.reviewers["tax"])
    assert (commerce_step.assigned_at, commerce_step.finished_at, commerce_step.actor) == (
        None,
        None,
        None,
    )


@pytest.mark.django_db
def test_the_decision_step_starts_when_the_last_department_decided(world):
    with at(2026, 6, 8, 9, 0):
        app = journey.submitted(world)
        services.application_accept(actor=world.clerk, application=app)
    app = decide_in_turn(world, app, [(2026, 6, 8, 16), (2026, 6, 9, 9), (2026, 6, 9, 10)])
    decision = app.steps.get(kind=m.StepKind.DECISION)
    assert decision.created_at == local(2026, 6, 9, 10)  # not 8 June 16:00, the first decision
    assert decision.finished_at == local(2026, 6, 9, 10)
    assert (decision.calendar_days, decision.working_days) == (0.0, 0.0)
    assert app.decided_at == local(2026, 6, 9, 10)
    assert app.decision_reasons == ""


@pytest.mark.django_db
def test_a_rejection_is_decided_with_the_departments_reasons_and_stops_the_clock(world):
    with at(2026, 6, 8, 9, 0):
        app = journey.submitted(world)
        services.application_accept(actor=world.clerk, application=app)
    with at(2026, 6, 8, 10, 0):
        for code in ("market", "commerce"):
            services.review_complete(
                actor=world.reviewers[code],
                review=journey.review_of(app, code),
                approve=False,
                reasons=f"  {code} says no  ",
            )
    with at(2026, 6, 8, 11, 0):
        services.review_complete(
            actor=world.reviewers["tax"], review=journey.review_of(app, "tax"), approve=True
        )
    app.refresh_from_db()
    # Tax's matter stands on its own: partly approved.
    assert app.status == m.ApplicationStatus.PARTLY_APPROVED
    market = m.Department.objects.get(code="market")
    commerce = m.Department.objects.get(code="commerce")
    # One line per rejecting department, in the order of their codes.
    assert app.decision_reasons == (
        f"{commerce.name_zh} / {commerce.name_en}: commerce says no\n"
        f"{market.name_zh} / {market.name_en}: market says no"
    )
    assert app.decided_at == local(2026, 6, 8, 11)
    assert not app.clock_intervals.filter(ended_at__isnull=True).exists()
    last = app.clock_intervals.get()
    assert (last.ended_at, last.working_days) == (local(2026, 6, 8, 11), days(2))
    entry = app.audit_entries.get(action=m.AuditAction.DECIDED)
    assert entry.actor is None
    assert entry.detail["status"] == m.ApplicationStatus.PARTLY_APPROVED
    assert sorted(entry.detail["rejected_by"]) == ["commerce", "market"]
    # Only the matter approved has an outcome.
    assert list(
        m.Permit.objects.filter(application=app).values_list("matter__matter__code", flat=True)
    ) == [world.matters["tax"].code]


@pytest.mark.django_db
def test_an_estimated_step_is_flagged(world):
    # 31 December 2026 into 2027, a year the calendar package does not know yet.
    with at(2026, 12, 31, 10, 0):
        app = journey.submitted(world)
    with at(2027, 1, 4, 10, 0):
        services.application_accept(actor=world.clerk, application=app)
    window = app.steps.get(kind=m.StepKind.ACCEPTANCE)
    assert window.estimated is True
    submission = app.steps.get(kind=m.StepKind.SUBMISSION)
    assert submission.estimated is False
    # Thursday 31 Dec 10:00 to Monday 4 Jan 10:00, with 1 January 2027 counted
    # as a weekday by the fallback: 14 h + 24 h + 10 h.
    assert (window.calendar_days, window.working_days) == (days(4 * 24), days(48))


# --- the two benchmarks, at their edges -------------------------------------------

_CLOCK = ClockSummary(
    holder_now=None,
    government_calendar_days=0.0,
    government_working_days=0.0,
    investor_calendar_days=0.0,
    investor_working_days=0.0,
    end_to_end_calendar_days=2.0,
    end_to_end_working_days=2.0,
    statutory_working_days=20.0,
    statutory_limit_days=20,
    promised_limit_days=2,
    target_days=2.0,
    baseline_days=7.0,
    investor_steps=1,
    government_steps=6,
)


@pytest.mark.parametrize(
    "calendar, working, within",
    [
        (2.0, 2.0, True),  # exactly the target
        (2.000001, 2.0, False),  # a tenth of a second over
        (1.5, 1.0, True),
        (3.0, 1.0, False),  # a weekend: few working days, but over the promise
        (1.9, 5.0, True),  # only calendar days count for the promise
    ],
)
def test_within_target_is_calendar_days_up_to_the_target(calendar, working, within):
    clock = replace(_CLOCK, end_to_end_calendar_days=calendar, end_to_end_working_days=working)
    assert clock.within_target is within


@pytest.mark.parametrize(
    "statutory, end_to_end, within",
    [
        (20.0, 20.0, True),  # exactly the limit
        (20.000001, 20.0, False),
        (19.0, 40.0, True),  # the investor's time does not count against the statute
        (21.0, 21.0, False),
    ],
)
def test_within_statute_is_government_working_days_up_to_the_limit(statutory, end_to_end, within):
    clock = replace(_CLOCK, statutory_working_days=statutory, end_to_end_working_days=end_to_end)
    assert clock.within_statute is within


@pytest.mark.django_db
def test_benchmarks_in_the_clock_come_from_the_service_and_settings(world, settings):
    settings.BENCHMARK_TARGET_DAYS = 3
    settings.BENCHMARK_BASELINE_DAYS = 18
    service = f.ServiceFactory(statutory_limit_days=45, promised_limit_days=5)
    app = m.Application.objects.create(applicant=world.investor, service=service)
    clock = selectors.application_clock(app)
    assert (clock.statutory_limit_days, clock.promised_limit_days) == (45, 5)
    assert (clock.target_days, clock.baseline_days) == (3.0, 18.0)
    assert (clock.end_to_end_calendar_days, clock.end_to_end_working_days) == (0.0, 0.0)
    assert clock.holder_now is None
