"""A supervisor's calendar notice for a year the package does not know (2027),
and the figures computed on the weekday fallback computed again once it exists.

The notice used here is made up for the test (the real one was not published
when this was written): 1–3 January 2027 holidays, no make-up day.
Expected figures are worked out by hand.
"""

from datetime import date, datetime
from io import StringIO
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.urls import reverse
from viewflow.workflow.models import Task
from viewflow.workflow.status import STATUS

from approvals import models as m
from approvals import services, timekeeping
from approvals.estimates import recompute_estimates
from approvals.timekeeping import deadline_after, is_official, is_working_day
from tests import journey

SH = ZoneInfo("Asia/Shanghai")


def local(*args) -> datetime:
    return datetime(*args, tzinfo=SH)


def at(*args):
    return time_machine.travel(local(*args), tick=False)


def new_year_notice(**fields) -> m.CalendarNotice:
    values = {
        "year": 2027,
        "title": "国务院办公厅关于2027年部分节假日安排的通知 (test)",
        "holidays": "2027-01-01..2027-01-03",
        "make_up_days": "",
    } | fields
    notice = m.CalendarNotice(**values)
    notice.full_clean()
    notice.save()
    return notice


@pytest.mark.django_db
def test_a_notice_for_2027_makes_the_year_official_and_moves_a_deadline():
    assert not is_official(date(2027, 1, 1))
    # Thursday 31 December 16:00 plus one day: Friday 1 January on the fallback.
    assert deadline_after(local(2026, 12, 31, 16), 1) == local(2027, 1, 1, 16)
    new_year_notice(make_up_days="2027-01-09")
    assert is_official(date(2027, 1, 1)) and not is_working_day(date(2027, 1, 1))
    assert is_working_day(date(2027, 1, 9))  # a Saturday, made a working day
    assert deadline_after(local(2026, 12, 31, 16), 1) == local(2027, 1, 4, 16)


@pytest.mark.django_db
def test_a_notice_for_a_year_the_package_knows_is_refused():
    notice = m.CalendarNotice(year=2026, title="x", holidays="2026-11-16")
    with pytest.raises(ValidationError, match="already has the official calendar of 2026"):
        notice.full_clean()


@pytest.mark.django_db
def test_recompute_updates_the_estimates_and_clears_their_flags(world):
    # One application returned across New Year (a closed clock interval and
    # finished steps over 1 January) ...
    with at(2026, 12, 31, 10):
        returned = journey.submitted(world)
    with at(2027, 1, 4, 10):
        services.application_return(actor=world.clerk, application=returned, items=["lease"])
    # ... and one accepted on 31 December, its reviews due on 1 January.
    with at(2026, 12, 31, 16):
        accepted = journey.submitted(world)
        services.application_accept(actor=world.clerk, application=accepted)
    with at(2027, 1, 4, 10):
        services.review_complete(
            actor=world.reviewers["tax"], review=journey.review_of(accepted, "tax"), approve=True
        )

    acceptance = returned.steps.get(kind=m.StepKind.ACCEPTANCE)
    interval = returned.clock_intervals.get(holder=m.ClockHolder.GOVERNMENT)
    tax_step = accepted.steps.get(kind=m.StepKind.REVIEW, department__code="tax")
    market = journey.review_of(accepted, "market")
    # Thursday 10:00 to Monday 10:00 on the fallback: 14/24 + 1 (Friday) + 10/24.
    assert (acceptance.working_days, acceptance.estimated) == (2.0, True)
    assert (interval.working_days, interval.estimated) == (2.0, True)
    # Thursday 16:00 to Monday 10:00: 8/24 + 1 + 10/24.
    assert (tax_step.working_days, tax_step.estimated) == (1.75, True)
    assert (market.due_at, market.due_estimated) == (local(2027, 1, 1, 16), True)
    # Five working days from Thursday 16:00: 1, 4, 5, 6 and 7 January.
    seal = accepted.materials.get(material__code="seal")
    assert (seal.due_date, seal.due_estimated) == (date(2027, 1, 7), True)

    # Nothing changes while 2027 is still unknown.
    assert recompute_estimates().total == 0

    new_year_notice()
    out, err = StringIO(), StringIO()
    call_command("recompute_estimates", stdout=out, stderr=err)
    assert (
        "recomputed: 2 steps, 1 clock intervals, 3 review deadlines, 1 deferral due dates"
        in out.getvalue()
    )
    assert "still estimated: 0" in out.getvalue()
    assert "steps: 2/2" in err.getvalue()

    for row in (acceptance, interval, tax_step, market, seal):
        row.refresh_from_db()
    # Without 1 January: 4, 5, 6, 7 and 8 January.
    assert (seal.due_date, seal.due_estimated) == (date(2027, 1, 8), False)
    assert (acceptance.working_days, acceptance.estimated) == (1.0, False)
    assert (interval.working_days, interval.estimated) == (1.0, False)
    assert (tax_step.working_days, tax_step.estimated) == (0.75, False)
    assert (market.due_at, market.due_estimated) == (local(2027, 1, 4, 16), False)
    # The review's SLA timer moved with its deadline.
    timers = Task.objects.filter(
        previous=market.task, flow_task_type="TIMER", status=STATUS.SCHEDULED
    )
    assert [t.scheduled for t in timers] == [local(2027, 1, 4, 16)]

    # Run again: nothing left to do.
    assert recompute_estimates().total == 0


@pytest.mark.django_db
def test_the_background_sweep_recomputes_estimates(world):
    with at(2026, 12, 31, 10):
        app = journey.submitted(world)
    with at(2027, 1, 4, 10):
        services.application_return(actor=world.clerk, application=app, items=["lease"])
    new_year_notice()
    out = StringIO()
    with at(2027, 1, 4, 11):
        call_command("background_sweep", stdout=out, stderr=StringIO())
    assert "estimates recomputed: 2, still estimated: 0" in out.getvalue()
    assert not m.Step.objects.filter(application=app, estimated=True).exists()


@pytest.fixture
def admin_add(admin_client):
    url = reverse("admin:approvals_calendarnotice_add")

    def post(**fields):
        data = {"year": "2027", "title": "通知", "holidays": "2027-01-01", "make_up_days": ""}
        return admin_client.post(url, data | fields)

    return post


@pytest.mark.django_db
@pytest.mark.parametrize(
    "fields, message",
    [
        (
            {"holidays": "2027-02-06..2027-02-12", "make_up_days": "2027-02-06"},
            "2027-02-06 cannot be both a holiday and a make-up working day.",
        ),
        ({"holidays": "2026-10-01"}, "2026-10-01 not in 2027."),
        ({"make_up_days": "2027-01-04"}, "2027-01-04 is a weekday already"),
        ({"holidays": "1 January"}, "Line 1: “1 January” is not a date"),
        ({"holidays": "2027-03-01..2027-02-01"}, "the range must run forwards"),
        ({"year": "2026", "holidays": "2026-11-16"}, "already has the official calendar of 2026"),
    ],
)
def test_the_admin_refuses_a_bad_notice_with_a_message(admin_add, fields, message):
    response = admin_add(**fields)
    assert response.status_code == 200  # the form again, with the message
    assert message in response.content.decode()
    assert not m.CalendarNotice.objects.exists()


@pytest.mark.django_db
def test_the_admin_saves_a_good_notice_and_records_who(admin_add, admin_user):
    response = admin_add(holidays="2027-01-01..2027-01-03\n2027-02-06..2027-02-12")
    assert response.status_code == 302
    notice = m.CalendarNotice.objects.get()
    assert notice.entered_by == admin_user
    assert len(notice.holiday_dates()) == 10
    assert not is_working_day(date(2027, 2, 8))  # a Monday in the holiday


@pytest.mark.django_db
def test_a_saturday_of_a_notice_year_is_a_day_off_unless_made_up():
    new_year_notice(make_up_days="2027-01-09")
    # 1 January 2027 is a Friday, so 16 January a Saturday and 17 a Sunday: neither is
    # in the notice, both are days off; Monday 18 January is a working day.
    assert not is_working_day(date(2027, 1, 16))
    assert not is_working_day(date(2027, 1, 17))
    assert is_working_day(date(2027, 1, 18))
    # Friday 15 January 16:00 plus half a day: 1 h 30 min on Friday, 2 h 45 min on Monday.
    assert deadline_after(local(2027, 1, 15, 16), 0.5) == local(2027, 1, 18, 11, 45)


class _Clock:
    def __init__(self, now: float):
        self.now = now

    def monotonic(self) -> float:
        return self.now


@pytest.mark.django_db
def test_a_notice_saved_elsewhere_is_seen_after_exactly_the_refresh_time(monkeypatch):
    clock = _Clock(1000.0)
    monkeypatch.setattr(timekeeping, "monotonic_clock", clock)
    timekeeping.load_notices()  # read at 1000.0 s: no notice yet, next read due at 1060.0 s
    assert not is_official(date(2027, 1, 1))
    # Another process saves a notice: bulk_create, like a save elsewhere, does not reach
    # this process's cache.
    m.CalendarNotice.objects.bulk_create(
        [m.CalendarNotice(year=2027, title="test", holidays="2027-01-01..2027-01-03")]
    )
    clock.now = 1059.5  # within the 60 s: still the old reading
    assert not is_official(date(2027, 1, 1))
    clock.now = 1060.0  # exactly 60 s after the reading: read again
    assert is_official(date(2027, 1, 1))
    assert not is_working_day(date(2027, 1, 1))
