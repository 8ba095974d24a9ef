"""The demo tells the truth: ``seed_demo``'s history, its figures, and what it prints.

The history is driven through the real engine on a simulated clock
(``approvals.simulation``) and stopped at "now", which these tests freeze,
so the same seed gives the same history every time.
"""

from __future__ import annotations

import statistics
from datetime import datetime
from io import StringIO
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.contrib.auth import get_user_model
from django.core import mail
from django.core.management import call_command
from django.core.management.base import CommandError
from django.urls import reverse

from approvals import models as m
from approvals import reports, selectors, simulation

SH = ZoneInfo("Asia/Shanghai")
# A Friday afternoon the official calendar knows, a month before the year's end.
NOW = datetime(2026, 11, 20, 15, 0, tzinfo=SH)
HISTORY = 60


@pytest.fixture
def fast(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"


def seed(**options) -> tuple[str, str]:
    out, err = StringIO(), StringIO()
    with time_machine.travel(NOW, tick=False):
        call_command("seed_demo", stdout=out, stderr=err, **options)
    return out.getvalue(), err.getvalue()


def snapshot() -> tuple:
    return (
        m.Application.objects.count(),
        m.Step.objects.count(),
        m.ClockInterval.objects.count(),
        m.Escalation.objects.count(),
        m.Notification.objects.count(),
        m.Permit.objects.count(),
        sorted(m.Application.objects.values_list("pk", "status")),
    )


@pytest.mark.django_db
def test_seed_demo_makes_a_history_through_the_engine_once(fast, client):
    out, err = seed(history=HISTORY)
    history = m.Application.objects.filter(is_demo_history=True)
    assert history.count() == HISTORY
    # Marked as the demo's history, not as simulated: the reports count it.
    assert not history.filter(is_simulated=True).exists()
    assert "demo history" in err  # the progress bar, on stderr
    # Over the past months, up to today; written by the engine (steps, clock).
    submitted = sorted(history.exclude(submitted_at=None).values_list("submitted_at", flat=True))
    assert (NOW - submitted[0]).days > 150 and (NOW - submitted[-1]).days < 14
    assert m.Step.objects.filter(application__in=history, kind=m.StepKind.REVIEW).exists()
    # Some returned for correction, some refused (in whole or in part), some still open.
    statuses = set(history.values_list("status", flat=True))
    assert m.ApplicationStatus.APPROVED in statuses
    assert statuses & set(m.REFUSED_STATUSES)
    assert m.Step.objects.filter(application__in=history, kind=m.StepKind.CORRECTION).exists()
    decided = history.filter(status__in=reports.DECIDED_STATUSES)
    still_open = history.exclude(status__in=reports.DECIDED_STATUSES)
    assert still_open.exists()
    # Overdue today, and escalated by the history's own timers.
    overdue = m.DepartmentReview.objects.filter(
        application__in=history, decision=m.ReviewDecision.PENDING, due_at__lt=NOW
    )
    assert overdue.exists()
    assert m.Escalation.objects.filter(application__in=history).exists()
    # None of the history's mail is left for the sweep to send to real inboxes.
    assert not m.Notification.objects.filter(application__in=history, sent_at=None).exists()
    assert mail.outbox == []
    # The demo applications, one per state, are still made beside the history.
    assert m.Application.objects.filter(is_demo_history=False).count() == 6
    assert f"{decided.count()} decided" in out

    # The report counts the history like real work, and says so.
    with time_machine.travel(NOW, tick=False):
        report = reports.approval_report()
    real_decided = m.Application.objects.filter(
        status__in=reports.DECIDED_STATUSES, is_simulated=False
    )
    assert report.overall.applications == real_decided.count()
    assert report.demo_history == decided.count() > 0
    durations = [
        (a.decided_at - a.submitted_at).total_seconds() / 86400
        for a in real_decided.only("decided_at", "submitted_at")
    ]
    assert report.overall.median_days == pytest.approx(statistics.median(durations), abs=1e-6)
    assert report.overall.median_days > 0.5  # days, not the seconds of a scripted demo
    # The guide's median of each service, worked out here from the records.
    fie = m.Service.objects.get(code="fie-establishment")
    fie_days = [
        (a.decided_at - a.submitted_at).total_seconds() / 86400
        for a in real_decided.filter(service=fie)
    ]
    assert selectors.median_decision_days(fie) == round(statistics.median(fie_days), 2)

    client.force_login(get_user_model().objects.get(username="supervisor"))
    with time_machine.travel(NOW, tick=False):
        page = client.get(reverse("reporting:report"), HTTP_ACCEPT_LANGUAGE="en")
        overdue_page = client.get(reverse("review:overdue"), HTTP_ACCEPT_LANGUAGE="en")
    assert page.status_code == 200
    assert f"{decided.count()} of these decided applications are demo history" in (
        page.content.decode()
    )
    assert overdue_page.status_code == 200
    for review in overdue.select_related("application"):
        assert review.application.reference in overdue_page.content.decode()

    # Running it again changes nothing.
    before = snapshot()
    out, _err = seed(history=HISTORY)
    assert snapshot() == before
    assert "Demo history: already there" in out


@pytest.mark.django_db
def test_the_users_table_is_the_last_thing_printed_with_the_qr_host(fast, settings):
    settings.PERMIT_PUBLIC_BASE_URL = "https://window.example.test"
    out, _err = seed(history=0)
    lines = [line for line in out.splitlines() if line.strip()]
    assert lines[-1].startswith("admin ")
    header = next(i for i, line in enumerate(lines) if line.startswith("username "))
    assert [line.split()[0] for line in lines[header + 2 :]][:3] == ["investor", "agent", "clerk"]
    # The permit's QR host is printed, before the table.
    qr = next(i for i, line in enumerate(lines) if "PERMIT_PUBLIC_BASE_URL" in line)
    assert "https://window.example.test" in lines[qr] and qr < header
    assert not m.Application.objects.filter(is_demo_history=True).exists()
    assert "Officials' second factor is off (OFFICIAL_SECOND_FACTOR=false)." in lines[:header]
    settings.OFFICIAL_SECOND_FACTOR = True
    out, _err = seed(history=0)
    assert "set up an authenticator app at their first login" in out


@pytest.mark.django_db
def test_a_negative_history_is_refused(fast):
    with pytest.raises(CommandError, match="--history must be 0 or more"):
        seed(history=-1)


@pytest.mark.django_db
def test_demo_history_is_made_once_even_when_called_directly(fast):
    call_command("seed_demo", history=0, stdout=StringIO())
    with time_machine.travel(NOW, tick=False):
        first = simulation.demo_history_create(applications=3)
        again = simulation.demo_history_create(applications=3)
    assert first is not None and first.applications == 3 and first.demo_history
    assert again is None
    assert m.Application.objects.filter(is_demo_history=True).count() == 3
