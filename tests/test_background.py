"""Background work without a worker: mail recorded with its action and sent
once after commit, a broker that is down, and the cron sweep that retries."""

from __future__ import annotations

import io
from datetime import timedelta

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone
from viewflow.workflow.models import Task
from viewflow.workflow.status import STATUS

from approvals import background, permits, services
from approvals import models as m
from approvals.models.permits import RenderStatus
from devtools.redisserver import celery_app_using
from tests import journey

pytestmark = pytest.mark.django_db


@pytest.fixture
def signing(settings, tmp_path):
    settings.PERMIT_SIGNING_KEY = permits.generate_private_key_pem()
    settings.PERMIT_SIGNING_KEY_FILE = tmp_path / "no-such-key.pem"


def accepted(world, capture):
    app = journey.submitted(world)
    with capture(execute=True):
        services.application_accept(actor=world.clerk, application=app)
    return app


def test_mail_is_recorded_with_its_action_and_sent_once_after_commit(
    world, django_capture_on_commit_callbacks
):
    app = accepted(world, django_capture_on_commit_callbacks)
    row = m.Notification.objects.get(application=app, event="accepted")
    assert row.sent_at is not None and row.attempts == 1
    assert [msg.to for msg in mail.outbox] == [[world.investor.email]]
    # Delivered again (a redelivered task, a retry sweep): nothing more is sent.
    assert background.deliver(row.pk) is False
    assert len(mail.outbox) == 1


def test_a_refused_action_leaves_no_mail(world):
    app = journey.submitted(world)
    with pytest.raises(PermissionDenied):
        services.application_accept(actor=world.investor, application=app)
    assert not m.Notification.objects.exists()


def test_a_mail_server_failure_keeps_the_mail_for_the_sweep(
    world, settings, django_capture_on_commit_callbacks
):
    settings.EMAIL_BACKEND = "tests.test_background.BrokenMailBackend"
    app = accepted(world, django_capture_on_commit_callbacks)
    row = m.Notification.objects.get(application=app)
    assert (row.sent_at, row.attempts) == (None, 1)
    assert "refused" in row.last_error
    app.refresh_from_db()
    assert app.status == m.ApplicationStatus.IN_REVIEW  # the action stands

    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    out = io.StringIO()
    call_command("background_sweep", stdout=out, stderr=io.StringIO())
    assert "mail delivered: 1" in out.getvalue()
    row.refresh_from_db()
    assert row.sent_at is not None and row.attempts == 2
    assert len(mail.outbox) == 1


def test_a_broker_that_is_down_loses_nothing(
    world, settings, signing, django_capture_on_commit_callbacks
):
    down = "redis://127.0.0.1:9/0"  # nothing listens on port 9
    settings.CELERY_BROKER_URL = down
    settings.PERMIT_RENDER_MODE = "celery"
    with celery_app_using(down):
        app = accepted(world, django_capture_on_commit_callbacks)
        # The mail could not be queued, so it was sent here.
        assert m.Notification.objects.get(application=app).sent_at is not None
        with django_capture_on_commit_callbacks(execute=True):
            journey.approve_all(world, app)
    permit = app.permit
    assert permit.render_status == RenderStatus.PENDING  # waits for the sweep
    settings.CELERY_BROKER_URL = ""
    call_command("background_sweep", stdout=io.StringIO(), stderr=io.StringIO())
    permit.refresh_from_db()
    assert permit.render_status == RenderStatus.RENDERED


def test_the_sweep_fires_due_timers_once_however_often_it_runs(
    world, django_capture_on_commit_callbacks
):
    app = accepted(world, django_capture_on_commit_callbacks)
    past = timezone.now() - timedelta(minutes=1)
    timers = Task.objects.filter(
        process_id=app.process_id, flow_task_type="TIMER", status=STATUS.SCHEDULED
    )
    assert timers.count() == 3
    timers.update(scheduled=past)
    for _ in range(2):
        call_command("background_sweep", stdout=io.StringIO(), stderr=io.StringIO())
    assert m.Escalation.objects.filter(application=app).count() == 3
    assert m.AuditEntry.objects.filter(application=app, action=m.AuditAction.ESCALATED).count() == 3


class BrokenMailBackend:
    def __init__(self, *args, **kwargs):
        pass

    def send_messages(self, messages):
        raise ConnectionRefusedError("the mail server refused the connection")


def test_long_reports_and_simulations_run_as_tasks(world, settings):
    """What a worker runs for them is the command's work, not a copy of it."""
    from approvals import tasks
    from approvals.reports.filters import ReportFilterSet

    result = tasks.simulate.apply(args=[6, "parallel", 3]).get()
    assert (result["applications"], result["decided"], result["routing"]) == (6, 6, "parallel")
    figures = tasks.approval_report.apply(args=[{"include_simulated": "on"}]).get()
    filterset = ReportFilterSet({"include_simulated": "on"})
    assert filterset.is_valid()
    expected = filterset.report().as_dict()
    assert figures["overall"] == expected["overall"]
    assert figures["overall"]["applications"] == 6
    assert "errors" in tasks.approval_report.apply(args=[{"decided_from": "soon"}]).get()


def test_the_sweep_refuses_a_limit_below_one():
    with pytest.raises(CommandError, match="--limit must be 1 or more"):
        call_command("background_sweep", "--limit=-3", stdout=io.StringIO())
