"""Background work on a real Celery worker, with a real Redis as the broker.

Each test starts ``celery -A hainan_window worker`` (devtools.redisserver) against
a throwaway Redis and this test run's PostgreSQL database, and drives the
application through the services in the test process, which sends the work
to Redis as a deployment does. The data is committed (``transaction=True``),
so the worker, another process, sees it. What the tests look at is what a
person would notice: the permit's PDF on disk, the mail that went out (the
worker's mail server is ``SpoolMailBackend``, one file per mail), the
escalation, and the rows that say so. Every wait polls the database, Redis
or a file, with a deadline; no test sleeps for a fixed time.
"""

from __future__ import annotations

import hashlib
import json
import os
import signal
import time
import uuid
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from urllib.parse import quote

import pytest
import redis
from celery import states
from celery.backends.redis import RedisBackend
from django.core import mail
from django.core.mail.backends.base import BaseEmailBackend
from django.db import connection
from django.utils import timezone
from viewflow.workflow.models import Task
from viewflow.workflow.status import STATUS

from approvals import models as m
from approvals import permits, services
from approvals.models.permits import RenderStatus
from approvals.tasks import deliver_notification, render_permit, sweep_timers
from devtools.redisserver import CeleryWorker, celery_app_using
from tests import journey

pytestmark = [pytest.mark.postgres_only, pytest.mark.django_db(transaction=True)]

WAIT_SECONDS = 60  # the most any one awaited thing may take before the test gives up
VISIBILITY_SECONDS = 5  # the restarted worker's CELERY_VISIBILITY_TIMEOUT
# A permit whose business scope runs to many pages: real rendering work that
# takes seconds, long enough to kill the worker in the middle of it.
LONG_SCOPE = "\n".join(
    f"第{i}项：货物进出口、技术进出口、国内贸易代理 / item {i}: import and export of goods"
    for i in range(1, 1001)
)


# --- the worker's mail server ------------------------------------------------------


class SpoolMailBackend(BaseEmailBackend):
    """The workers' mail server: each mail it accepts is a JSON file in $HW_TEST_MAIL_DIR.

    While the file named by $HW_TEST_MAIL_STALL exists it is a mail server
    that has taken the connection and does not answer: it leaves a
    ``sending-<pid>`` mark (so a test knows a delivery is under way, and in
    which process) and waits, at most WAIT_SECONDS, before accepting.
    """

    def send_messages(self, messages):
        spool = Path(os.environ["HW_TEST_MAIL_DIR"])
        stall = os.environ.get("HW_TEST_MAIL_STALL")
        if stall and Path(stall).exists():
            (spool / f"sending-{os.getpid()}").touch()
            deadline = time.monotonic() + WAIT_SECONDS
            while Path(stall).exists() and time.monotonic() < deadline:
                time.sleep(0.05)
        for message in messages:
            sent = {"subject": message.subject, "to": list(message.to), "pid": os.getpid()}
            path = spool / f"{uuid.uuid4().hex}.json"
            path.with_suffix(".tmp").write_text(json.dumps(sent, ensure_ascii=False))
            path.with_suffix(".tmp").rename(path)  # a reader never sees half a mail
        return len(messages)


# --- the broker, the workers and what they share with this process ----------------------


def worker_database_url() -> str:
    """The test database (not the one DATABASE_URL names), for the workers."""
    s = connection.settings_dict
    user = quote(s.get("USER") or "", safe="")
    password = quote(s.get("PASSWORD") or "", safe="")
    auth = f"{user}:{password}@" if password else (f"{user}@" if user else "")
    return f"postgres://{auth}{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}/{s['NAME']}"


@dataclass
class Background:
    """One test's broker, result store, workers, PDF folder and mail spool, and the
    bounded waits on them."""

    redis_url: str
    results_url: str
    env: dict[str, str]
    workdir: Path
    media: Path
    spool: Path
    workers: list[CeleryWorker] = field(default_factory=list)

    def __post_init__(self):
        from hainan_window.celery import app

        self.redis = redis.Redis.from_url(self.redis_url)
        self.results = RedisBackend(app=app, url=self.results_url)

    def worker(self, name: str, *, concurrency: int = 1, **env: str) -> CeleryWorker:
        worker = CeleryWorker(
            env={**self.env, **env}, workdir=self.workdir, name=name, concurrency=concurrency
        )
        self.workers.append(worker)
        return worker.start()

    def logs(self) -> str:
        return "\n".join(f"--- {w.name} ---\n{w.log_tail(40)}" for w in self.workers)

    def wait_until(self, what: str, predicate, timeout: float = WAIT_SECONDS):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            value = predicate()
            if value:
                return value
            time.sleep(0.1)
        raise AssertionError(f"waited {timeout:.0f} s for {what}\n{self.logs()}")

    def result(self, async_result):
        """What a task returned, as the worker stored it in the result backend."""

        def ready():
            meta = self.results.get_task_meta(async_result.id, cache=False)
            return meta if meta["status"] in states.READY_STATES else None

        meta = self.wait_until(f"task {async_result.id} to finish", ready)
        assert meta["status"] == states.SUCCESS, meta
        return meta["result"]

    def rendered(self, permit: m.Permit) -> m.Permit:
        def done():
            permit.refresh_from_db()
            return permit.render_status == RenderStatus.RENDERED

        self.wait_until(f"permit {permit.number} to be rendered", done)
        return permit

    def sent(self, notification: m.Notification) -> m.Notification:
        def done():
            notification.refresh_from_db()
            return notification.sent_at is not None

        self.wait_until(f"the {notification.event} mail to be sent", done)
        return notification

    def pdfs(self) -> list[Path]:
        return sorted((self.media / "permits").glob("*.pdf"))

    def mails(self, subject: str | None = None) -> list[dict]:
        found = [json.loads(p.read_text()) for p in sorted(self.spool.glob("*.json"))]
        return [x for x in found if subject is None or x["subject"] == subject]

    def succeeded(self, task_name: str) -> int:
        """How many times the workers logged that `task_name` succeeded."""
        text = "\n".join(w.log_text() for w in self.workers)
        return sum(f"{task_name}[" in line and "succeeded" in line for line in text.splitlines())

    def unacknowledged(self) -> int:
        """Tasks Redis handed to a worker that has not acknowledged them yet."""
        return self.redis.hlen("unacked")


@pytest.fixture
def background(world, settings, tmp_path, redis_server):
    """Workers on a fresh Redis and the test database; this process sends them the work."""
    redis_server_url = redis_server.url(0)
    redis.Redis.from_url(redis_server_url).flushall()  # nothing left from another test
    key = permits.generate_private_key_pem()
    media = Path(settings.MEDIA_ROOT)  # the world's; the workers write the PDFs there
    spool = tmp_path / "mail"
    spool.mkdir()
    settings.PERMIT_SIGNING_KEY = key
    settings.PERMIT_SIGNING_KEY_FILE = tmp_path / "no-such-key.pem"
    settings.CELERY_BROKER_URL = redis_server_url
    settings.PERMIT_RENDER_MODE = "celery"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PG", "CELERY_", "DB_"))}
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": "hainan_window.settings",
            "DATABASE_URL": worker_database_url(),
            "DEBUG": "0",
            "SECRET_KEY": f"worker-test-{uuid.uuid4().hex}{uuid.uuid4().hex}",
            "CELERY_BROKER_URL": redis_server_url,
            "CELERY_RESULT_BACKEND": redis_server.url(1),
            "PERMIT_SIGNING_KEY": key,
            "MEDIA_ROOT": str(media),
            "EMAIL_BACKEND": "tests.test_workers.SpoolMailBackend",
            "HW_TEST_MAIL_DIR": str(spool),
            "PYTHONUNBUFFERED": "1",
        }
    )
    found = Background(
        redis_url=redis_server_url,
        results_url=redis_server.url(1),
        env=env,
        workdir=tmp_path,
        media=media,
        spool=spool,
    )
    try:
        with celery_app_using(redis_server_url):
            yield found
    finally:
        # Before the database is emptied for the next test: no worker may hold a lock.
        for worker in found.workers:
            worker.stop()
        found.redis.close()


def accepted(world) -> m.Application:
    """Accepted, for the market matter alone: one outcome, one PDF, one decision mail to
    follow through the worker (a bundle's outcomes are each rendered the same way)."""
    app = journey.submitted(world, matters=[world.matters["market"].code])
    services.application_accept(actor=world.clerk, application=app)
    return app


# --- (a) rendering, the timer sweep and mail, through the worker ------------------------


def test_rendering_the_timer_sweep_and_mail_go_through_the_worker(world, background):
    background.worker("flow")
    app = accepted(world)
    background.sent(m.Notification.objects.get(application=app, event="accepted"))

    # The market review is overdue: its deadline, and its timer, an hour ago.
    market = journey.review_of(app, "market")
    an_hour_ago = timezone.now() - timedelta(hours=1)
    m.DepartmentReview.objects.filter(pk=market.pk).update(due_at=an_hour_ago)
    Task.objects.filter(
        flow_task_type="TIMER", status=STATUS.SCHEDULED, previous=market.task
    ).update(scheduled=an_hour_ago)
    # Beat's schedule sends this task; the worker's answer is the number of timers it fired.
    assert background.result(sweep_timers.delay()) == 1
    assert background.result(sweep_timers.delay()) == 0  # nothing fires twice
    escalation = m.Escalation.objects.get()
    assert (escalation.review, escalation.department.code) == (market, "market")
    overdue = background.sent(m.Notification.objects.get(application=app, event="escalated"))
    assert overdue.recipients == [world.supervisor.email]

    journey.approve_all(world, app)
    permit = background.rendered(app.permit)
    assert permit.render_attempts == 1
    [pdf] = background.pdfs()
    data = pdf.read_bytes()
    assert permits.is_issued_file(permit, data)
    assert permits.verify_token(permits.token_from_pdf(data)).status == permits.Outcome.VALID
    background.sent(m.Notification.objects.get(application=app, event="decided"))

    # Every mail went out once, from the worker's mail server; none from this process.
    assert mail.outbox == []
    rows = m.Notification.objects.filter(application=app).order_by("pk")
    assert [r.event for r in rows] == ["accepted", "escalated", "decided"]
    for row in rows:
        assert (row.attempts, row.last_error) == (1, "")
        [sent] = background.mails(row.subject)
        assert sent["to"] == row.recipients
    assert len(background.mails()) == 3
    assert background.succeeded("approvals.tasks.render_permit") == 1
    assert background.succeeded("approvals.tasks.deliver_notification") == 3
    assert background.succeeded("approvals.tasks.sweep_timers") == 2


# --- (b) a worker killed in the middle of its work ---------------------------------------


def test_a_worker_killed_mid_task_finishes_the_work_once_after_it_restarts(
    world, background, tmp_path
):
    """The worker (parent and pool) is SIGKILLed while it renders a permit and sends a
    mail, as a lost machine would be: nothing is acknowledged, so Redis keeps both
    tasks and hands them to the next worker once the visibility timeout has passed."""
    stall = tmp_path / "mail-server-stalls"
    # Two pool processes, so that the rendering and the mail are in progress together.
    first = background.worker("first", concurrency=2, HW_TEST_MAIL_STALL=str(stall))
    app = accepted(world)
    background.sent(m.Notification.objects.get(application=app, event="accepted"))
    app.values.filter(field="enterprise.business_scope").update(value=LONG_SCOPE)
    stall.touch()
    # The approval: the decision commits, and its permit and mail go to the worker.
    services.review_complete(
        actor=world.reviewers["market"], review=journey.review_of(app, "market"), approve=True
    )
    permit = app.permit
    decided = m.Notification.objects.get(application=app, event="decided")

    def both_in_progress():
        # render_permit counts its attempt before it starts the PDF.
        started = m.Permit.objects.filter(pk=permit.pk, render_attempts=1).exists()
        return started and any(background.spool.glob("sending-*"))

    background.wait_until("the rendering and the mail to be in progress", both_in_progress)
    first.kill()

    permit.refresh_from_db()
    assert permit.render_status == RenderStatus.PENDING and background.pdfs() == []
    decided.refresh_from_db()
    # The mail's transaction died with the worker: not sent, not even counted.
    assert (decided.sent_at, decided.attempts) == (None, 0)
    assert background.mails(decided.subject) == []
    assert background.unacknowledged() == 2  # Redis still holds both

    stall.unlink()
    # Redis gives an unacknowledged task to another worker once it has waited
    # longer than the visibility timeout; a starting worker looks at once.
    held = background.redis.zrange("unacked_index", 0, -1, withscores=True)
    handed_out = max(when for _tag, when in held)  # when Redis gave them to the first worker
    background.wait_until(
        "the visibility timeout to pass",
        lambda: time.time() > handed_out + VISIBILITY_SECONDS + 0.5,
        timeout=VISIBILITY_SECONDS + 5,
    )
    background.worker("second", CELERY_VISIBILITY_TIMEOUT=str(VISIBILITY_SECONDS))

    permit = background.rendered(permit)
    background.sent(decided)
    background.wait_until("both tasks to be acknowledged", lambda: not background.unacknowledged())
    # The killed attempt was counted before it died; the second one finished.
    assert permit.render_attempts == 2
    [pdf] = background.pdfs()
    assert hashlib.sha256(pdf.read_bytes()).hexdigest() == permit.pdf_sha256
    assert decided.attempts == 1
    assert m.Notification.objects.filter(application=app, event="decided").count() == 1
    assert len(background.mails(decided.subject)) == 1
    assert background.redis.llen("celery") == 0  # nothing left to run again
    assert mail.outbox == []


def test_a_pool_process_killed_mid_task_is_run_again_by_its_worker(world, background, tmp_path):
    """Only the pool process that runs the task dies (the kernel's OOM killer, say): its
    worker sees it and puts the task back at once (task_reject_on_worker_lost)."""
    stall = tmp_path / "mail-server-stalls"
    stall.touch()
    worker = background.worker("pool", HW_TEST_MAIL_STALL=str(stall))
    app = accepted(world)  # its mail goes to the worker, whose mail server stalls
    notification = m.Notification.objects.get(application=app, event="accepted")
    [mark] = background.wait_until(
        "the mail to be at the mail server", lambda: list(background.spool.glob("sending-*"))
    )
    sender = int(mark.name.removeprefix("sending-"))
    assert sender in worker.pool_pids()
    os.kill(sender, signal.SIGKILL)

    def replaced():
        pids = worker.pool_pids()
        return pids and sender not in pids

    background.wait_until("the worker to replace its pool process", replaced)
    stall.unlink()

    background.sent(notification)
    assert notification.attempts == 1
    assert len(background.mails(notification.subject)) == 1
    assert "WorkerLostError" in worker.log_text()
    background.wait_until("the task to be acknowledged", lambda: not background.unacknowledged())


# --- (c) the same task delivered twice ----------------------------------------------------


def test_the_same_task_delivered_twice_does_the_work_once(world, background, settings):
    """Two copies of each task, run side by side by two pool processes."""
    settings.PERMIT_RENDER_MODE = "off"  # this test sends the rendering itself
    background.worker("twice", concurrency=2)
    app = journey.approve_all(world, accepted(world))
    permit = app.permit
    assert permit.render_status == RenderStatus.PENDING
    # A mail recorded while the broker was down, say: not sent yet.
    row = m.Notification.objects.create(
        application=app,
        event="decided",
        recipients=[world.investor.email],
        subject=f"[{app.reference}] sent once",
        body="-",
    )

    renders = [render_permit.delay(permit.pk) for _ in range(2)]
    deliveries = [deliver_notification.delay(row.pk) for _ in range(2)]
    assert [background.result(r) for r in renders] == ["rendered", "rendered"]
    assert sorted(background.result(d) for d in deliveries) == [False, True]

    permit.refresh_from_db()
    attempts = permit.render_attempts  # 2 if both copies rendered side by side, else 1
    assert attempts in (1, 2)
    [pdf] = background.pdfs()
    assert hashlib.sha256(pdf.read_bytes()).hexdigest() == permit.pdf_sha256
    row.refresh_from_db()
    assert row.sent_at is not None and row.attempts == 1
    assert len(background.mails(row.subject)) == 1

    # Once more after the work is done: nothing at all happens.
    assert background.result(render_permit.delay(permit.pk)) == "rendered"
    assert background.result(deliver_notification.delay(row.pk)) is False
    permit.refresh_from_db()
    assert permit.render_attempts == attempts
    assert len(background.pdfs()) == 1 and len(background.mails(row.subject)) == 1
    assert mail.outbox == []
