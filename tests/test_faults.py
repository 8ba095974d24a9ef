"""Faults, and what the people of the single window see when they happen.

* a shared-data source that fails or hangs: the API still opens the draft,
  marks the source's values unavailable, and the applicant goes on by hand
  (tests/test_prefill.py covers the engine; this is the same over the API);
* the PDF renderer failing: the decision stands, the API says the PDF is not
  ready (503, Retry-After), a retry renders it (tests/test_permits.py covers
  the services and the page; this is the API's side);
* PostgreSQL restarting while requests run against gunicorn: what requests
  during the outage get, that nothing is lost or left half-written, and that
  the server serves again without being restarted itself;
* a lock held too long: 409 with a retry hint over HTTP, nothing half-written,
  and the retry goes through;
* the SLA timer sweep run twice at once: every escalation happens exactly once.

The last three need PostgreSQL (row locks, a server to restart); they run in
the PostgreSQL pass under ``devtools/postgres.py``, which says how to restart the
server. Every wait is bounded; no time is asserted.
"""

from __future__ import annotations

import threading
import time
from collections import Counter
from contextlib import contextmanager
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core import mail
from django.core.management import call_command
from django.db import OperationalError, connection, transaction
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient
from viewflow.workflow.models import Process, Task
from viewflow.workflow.status import STATUS
from viewflow.workflow.timers import fire_due_timers

from approvals import models as m
from approvals import permits, services
from approvals.flows import SingleWindowFlow
from approvals.models.permits import RenderStatus
from approvals.prefill import Fetched
from approvals.roles import INVESTOR_GROUP
from approvals.shared_data import EnterpriseRegistrySource
from devtools import livehttp as live
from devtools import postgres as pg
from tests import factories as f
from tests import journey

DEFAULT_SOURCES = [
    "approvals.shared_data.EnterpriseRegistrySource",
    "approvals.shared_data.TaxRegistrationSource",
    "approvals.shared_data.SocialSecuritySource",
    "approvals.shared_data.InvestmentProjectSource",
    "approvals.shared_data.LicenceLibrarySource",
]


def api_client(user) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=user).key}")
    return client


def assert_error_shape(response, status: int, code: str) -> dict:
    assert response.status_code == status, (response.status_code, response.content[:500])
    body = response.json()
    assert (body["status"], body["code"]) == (status, code)
    assert body["message"].strip()
    return body


# --- (a) a shared-data source that fails or hangs ---------------------------------------


class DownRegistry(EnterpriseRegistrySource):
    """The registry's data-exchange service refuses connections."""

    remote = True

    def fetch(self, uscc):
        raise ConnectionError("data exchange refused the connection")


hang_released = threading.Event()


class HungRegistry(EnterpriseRegistrySource):
    """A registry that does not answer until the test ends (at most 30 s)."""

    remote = True

    def fetch(self, uscc):
        hang_released.wait(timeout=30)
        return Fetched()


@pytest.fixture
def release_hung_sources():
    hang_released.clear()
    yield
    hang_released.set()


@pytest.mark.parametrize(
    ("source", "error"),
    [("DownRegistry", "refused"), ("HungRegistry", "did not answer")],
    ids=["fails", "hangs"],
)
@pytest.mark.django_db
def test_a_failing_or_hanging_source_leaves_a_clear_draft_over_the_api(
    world, settings, release_hung_sources, source, error
):
    settings.PREFILL_SOURCE_TIMEOUT_SECONDS = 0.3
    settings.PREFILL_SOURCES = [f"tests.test_faults.{source}", *DEFAULT_SOURCES[1:]]
    investor = api_client(world.investor)
    body = {"service": world.service.code, "uscc": world.enterprise.uscc}

    created = investor.post("/api/applications/", body, format="json", HTTP_IDEMPOTENCY_KEY="f-1")
    # The hung source is still hanging (nothing released it): the draft came back anyway.
    assert not hang_released.is_set()
    assert created.status_code == 201, created.content[:500]
    draft = created.json()
    values = {v["field"]: v for v in draft["values"]}
    name = values["enterprise.name_zh"]
    assert (name["state"], name["value"], name["source"]) == (
        "unavailable",
        "",
        "enterprise_registry",
    )
    assert error in name["source_error"]
    # The other sources answered and what they hold was reused.
    assert values["tax.tax_authority"]["state"] == "prefilled"
    materials = {row["code"]: row["satisfied_by"] for row in draft["materials"]}
    assert (materials["registry"], materials["tax-info"]) == ("missing", "reuse")

    # The draft is intact: the same key finds it again, the preview says which source failed.
    again = investor.post("/api/applications/", body, format="json", HTTP_IDEMPOTENCY_KEY="f-1")
    assert (again.status_code, again.json()["id"]) == (200, draft["id"])
    assert m.Application.objects.filter(applicant=world.investor).count() == 1
    preview = investor.get(f"/api/enterprises/{world.enterprise.uscc}/prefill/").json()
    registry = next(s for s in preview["sources"] if s["source"] == "enterprise_registry")
    assert not registry["found"] and error in registry["error"]

    # Submitting says what is missing; the applicant fills it by hand and submits.
    url = f"/api/applications/{draft['id']}/"
    missing = assert_error_shape(investor.post(f"{url}submit/"), 400, "invalid")
    assert {"enterprise.name_zh", "material:registry"} <= set(missing["fields"])
    typed = {
        key: live.typed_value(key) for key in missing["fields"] if not key.startswith("material:")
    }
    assert investor.patch(url, {"values": typed}, format="json").status_code == 200
    for key in missing["fields"]:
        if not key.startswith("material:"):
            continue
        code = key.removeprefix("material:")
        row = next(r for r in draft["materials"] if r["code"] == code)
        if row["allow_deferral"]:
            response = investor.post(f"{url}materials/{code}/deferral/")
        elif row["allow_commitment"]:
            response = investor.post(
                f"{url}materials/{code}/commitment/", {"text": live.COMMITMENT}, format="json"
            )
        else:
            response = investor.post(
                f"{url}materials/{code}/upload/", {"file": f.pdf_upload(f"{code}.pdf")}
            )
        assert response.status_code == 200, (code, response.content[:300])
    submitted = investor.post(f"{url}submit/")
    assert (submitted.status_code, submitted.json()["status"]) == (200, "submitted")


# --- (b) the PDF renderer failing --------------------------------------------------------


@pytest.mark.django_db
def test_a_failing_renderer_keeps_the_decision_and_the_api_says_when_the_pdf_is_ready(
    world, settings, tmp_path, monkeypatch, django_capture_on_commit_callbacks
):
    settings.PERMIT_SIGNING_KEY = permits.generate_private_key_pem()
    settings.PERMIT_SIGNING_KEY_FILE = tmp_path / "no-such-key.pem"
    settings.PERMIT_RENDER_MODE = "inline"

    def broken(permit):
        raise RuntimeError("font cache is corrupt")

    monkeypatch.setattr("approvals.permits.rendering.render_pdf", broken)
    app = journey.submitted(world)
    services.application_accept(actor=world.clerk, application=app)
    for code in ("commerce", "tax"):
        services.review_complete(
            actor=world.reviewers[code], review=journey.review_of(app, code), approve=True
        )
    market = api_client(world.reviewers["market"])
    review = journey.review_of(app, "market")
    with django_capture_on_commit_callbacks(execute=True):
        decided = market.post(
            f"/api/tasks/{review.pk}/complete/", {"decision": "approve"}, format="json"
        )
    assert decided.status_code == 200, decided.content[:500]

    investor = api_client(world.investor)
    detail = investor.get(f"/api/applications/{app.public_id}/").json()
    assert detail["status"] == "approved"
    pdf_url = detail["permit"]["download_url"]
    waiting = investor.get(pdf_url)
    body = assert_error_shape(waiting, 503, "not_ready")
    assert int(waiting["Retry-After"]) == body["retry_after"] > 0
    assert app.permit.render_status == RenderStatus.FAILED

    # The retry (cron's render_permits) makes it; the same address now gives the PDF.
    monkeypatch.undo()
    call_command("render_permits")
    ready = investor.get(pdf_url)
    assert ready.status_code == 200 and ready["Content-Type"] == "application/pdf"
    assert b"".join(ready.streaming_content).startswith(b"%PDF-")


# --- helpers for the PostgreSQL-only tests ------------------------------------------------


def _user(username: str, group: str):
    user = get_user_model()(username=username, email=f"{username}@faults.example")
    user.set_unusable_password()
    user.save()
    user.groups.add(Group.objects.get_or_create(name=group)[0])
    return user


def _token(user) -> str:
    return Token.objects.get_or_create(user=user)[0].key


def _poll(predicate, *, timeout: float, every: float = 0.2) -> bool:
    """Ask `predicate` until it is true or `timeout` seconds have passed; a database
    that is down for the moment counts as "not yet"."""
    deadline = time.monotonic() + timeout
    idle = threading.Event()
    while True:
        try:
            if predicate():
                return True
        except OperationalError:
            connection.close()
        if time.monotonic() >= deadline:
            return False
        idle.wait(every)


@contextmanager
def holding(lock_query):
    """Run `lock_query` (a SELECT ... FOR UPDATE) in a transaction of another thread and
    keep its locks until the block ends (at most 30 s)."""
    locked, release = threading.Event(), threading.Event()
    failure: list[BaseException] = []

    def hold():
        try:
            with transaction.atomic():
                list(lock_query())
                locked.set()
                release.wait(timeout=30)
        except BaseException as exc:  # reported below
            failure.append(exc)
        finally:
            connection.close()

    holder = threading.Thread(target=hold, daemon=True)
    holder.start()
    try:
        assert locked.wait(timeout=10), failure or "the lock was not taken"
        yield
    finally:
        release.set()
        holder.join(timeout=30)
    assert not holder.is_alive() and not failure, failure


def _require_server_control():
    if not pg.can_control_server():
        pytest.fail(
            "the database restart test runs under devtools/postgres.py, which says how to "
            "restart its server (HW_PG_CTL, HW_PG_DATA, HW_PG_LOG, HW_PG_OPTIONS)"
        )


# --- (c) the database restarting in mid-run -------------------------------------------------

RESTART_INVESTORS = 8
OUTAGE_FAILURES = 6  # failed requests to see before the database comes back (or 4 s)


@pytest.mark.postgres_only
@pytest.mark.parametrize(
    "server_env",
    [
        {"DB_CONN_MAX_AGE": "0"},
        {"DB_CONN_MAX_AGE": "60"},
        {"DB_CONN_MAX_AGE": "0", "DB_POOL_MAX_SIZE": "4"},
    ],
    ids=["new-connection-per-request", "persistent-connections", "connection-pool"],
)
@pytest.mark.django_db(transaction=True)
def test_database_restart_mid_run_loses_nothing_and_the_server_serves_again(
    world, tmp_path, server_env
):
    _require_server_control()
    investors = []
    for i in range(RESTART_INVESTORS):
        user = _user(f"restart-investor-{i}", INVESTOR_GROUP)
        # Each the verified legal representative of an enterprise of their own.
        number = f.stranger_id()
        f.verified(user, number=number)
        enterprise = f.EnterpriseFactory(legal_representative_id=number)
        investors.append((user, enterprise, _token(user), f"restart-{i}"))
    officials = [_token(world.clerk)] + [_token(world.reviewers[d.code]) for d in world.departments]
    applications = m.Application.objects.filter(applicant__username__startswith="restart-")
    wall = time.monotonic()

    url = live.database_url(connection.settings_dict)
    with live.GunicornServer(
        database_url=url, workdir=tmp_path / "server", env=server_env
    ) as server:
        recorder, stop = live.Recorder(), threading.Event()
        deadline = time.monotonic() + 80

        def client(token: str) -> live.HttpClient:
            # Unlike the load test's clients these ride out the outage: a 5xx or a lost
            # connection is tried again (at most 40 times, with back-off).
            return live.HttpClient(
                server.base_url,
                token=token,
                recorder=recorder,
                deadline=deadline,
                stop=stop,
                retry_server_errors=True,
            )

        def reader():
            """Someone reading their application and the readiness probe all along."""
            me = client(investors[0][2])
            try:
                while not stop.is_set():
                    me.call("GET", "/api/applications/", label="read-list")
                    live.request(server.base_url, "GET", "/ready/")  # not recorded: 503 by design
                    stop.wait(0.05)
            except live.DeadlineExceeded:
                # The stop can come between the loop's check and the call (or during a
                # retry's back-off): the reader is done, as the officials' scripts are.
                pass

        people = live.Crowd(
            [
                (
                    lambda token=token, enterprise=enterprise, key=key: live.investor_journey(
                        client(token), service=world.service.code, uscc=enterprise.uscc, key=key
                    )
                )
                for _user_, enterprise, token, key in investors
            ]
            + [lambda: live.window_clerk(client(officials[0]), seed=1)]
            + [
                (
                    lambda n=n, token=token: live.department_reviewer(
                        client(token), name=f"reviewer-{n}", seed=n
                    )
                )
                for n, token in enumerate(officials[1:])
            ]
            + [reader]
        )
        try:
            # Mid-run: once some applications are on their way and none is finished.
            assert _poll(
                lambda: applications.exclude(status=m.ApplicationStatus.DRAFT).count() >= 3,
                timeout=40,
            ), "the run did not get going"
            went_down = time.monotonic()
            pg.stop_server(mode="fast")
            try:
                # Down until requests have felt it (bounded), then up on the same port.
                _poll(
                    lambda: (
                        sum(
                            1
                            for s in recorder.snapshot()
                            if s.started >= went_down and not 200 <= s.status < 500
                        )
                        >= OUTAGE_FAILURES
                    ),
                    timeout=4,
                    every=0.05,
                )
            finally:
                pg.start_server()
            came_back = time.monotonic()
            connection.close()  # this process's own connection died with the server
            finished = _poll(
                lambda: (
                    applications.filter(status=m.ApplicationStatus.APPROVED).count()
                    == RESTART_INVESTORS
                ),
                timeout=60,
            )
        finally:
            stop.set()
            results = people.join(timeout=40)
        # The server itself was never restarted: it answers as before.
        probe = live.HttpClient(
            server.base_url, token=investors[0][2], recorder=live.Recorder(), deadline=deadline
        )
        after = [probe.call("GET", "/api/applications/", label="probe").status for _ in range(12)]
        ready = live.request(server.base_url, "GET", "/ready/").status
        server_log = server.log_text()

    samples = recorder.snapshot()
    during = [s for s in samples if s.started < came_back and s.finished > went_down]
    later = [s for s in samples if s.started >= came_back]

    def table(rows):
        return Counter(
            (s.label, s.status, s.code or s.error[:40])
            for s in rows
            if not s.status or s.status >= 400
        )

    print(
        f"\nDatabase restart ({', '.join(f'{k}={v}' for k, v in server_env.items())}): "
        f"down {came_back - went_down:.2f} s; {len(samples)} requests, {len(during)} during "
        f"the outage; test {time.monotonic() - wall:.1f} s"
    )
    print(f"  non-2xx during the outage: {dict(table(during))}")
    print(f"  non-2xx after it: {dict(table(later))}")

    # Every script ended, and nothing is lost, doubled or half-written.
    crashed = [r for r in results if isinstance(r, BaseException)]
    assert not crashed, crashed
    assert finished, [p for app in applications for p in live.application_problems(app)]
    journeys = results[:RESTART_INVESTORS]
    assert all(j.done and len(j.ids) == 1 for j in journeys), [j.problems for j in journeys]
    assert (
        sorted(Counter(applications.values_list("applicant_id", flat=True)).values())
        == [1] * RESTART_INVESTORS
    )
    assert Process.objects.count() == RESTART_INVESTORS
    problems = [
        p for app in applications.select_related("service") for p in live.application_problems(app)
    ]
    assert problems == []

    # The server serves again without a restart of its own, and says it is ready.
    assert after == [200] * len(after) and ready == 200
    # gunicorn never dropped a connection (a worker crashing would), and every client
    # error was in the API's error shape.
    assert not [s for s in samples if s.status == 0], table(samples)
    assert not [s.shape_problem for s in samples if 400 <= s.status < 500 and s.shape_problem]

    # Once the database is back (pg_ctl returned), nothing fails any more: connections
    # kept from before the restart are checked before reuse (CONN_HEALTH_CHECKS).
    failed_later = [s for s in later if s.status >= 500 or s.status == 0]
    assert not failed_later, table(failed_later)

    # While it is down, a request gets a clear answer: a 503 with Retry-After in the
    # API's error shape (approvals.errors), never a bare 500 and never a 409 "someone
    # else is editing" (the outage is nobody's lock).
    unclean = [s for s in during if s.status >= 500 and (s.status != 503 or s.shape_problem)]
    busy = [s for s in during if s.status == 409]
    if unclean or busy:
        print("  server log, last lines:\n" + "\n".join(server_log.splitlines()[-15:]))
    assert not unclean, dict(Counter((s.status, s.shape_problem[:60]) for s in unclean))
    assert not busy, table(busy)
    # ...and the outage was really met (the check above is not vacuous).
    assert [s for s in during if s.status == 503], table(during)


def written_state(application) -> dict:
    """Everything a request on this application could have written: every table's row count,
    and the application's own rows in full."""
    from django.apps import apps

    app = m.Application.objects.get(pk=application.pk)
    models = [*apps.get_app_config("approvals").get_models(), Process, Task]
    return {
        "counts": {model._meta.label: model._default_manager.count() for model in models},
        "application": m.Application.objects.filter(pk=app.pk).values().get(),
        "values": list(app.values.order_by("pk").values()),
        "materials": list(app.materials.order_by("pk").values()),
        "steps": list(m.Step.objects.filter(application=app).order_by("pk").values()),
        "clock": list(m.ClockInterval.objects.filter(application=app).order_by("pk").values()),
        "reviews": list(app.reviews.order_by("pk").values()),
        "tasks": list(Task.objects.filter(process_id=app.process_id).order_by("pk").values()),
        "process": list(Process.objects.filter(pk=app.process_id).values()),
    }


# --- (d) a lock held too long ------------------------------------------------------------


@pytest.mark.postgres_only
@pytest.mark.django_db(transaction=True)
def test_a_lock_held_too_long_is_a_409_with_a_retry_hint_over_http_and_nothing_half_written(
    world, tmp_path
):
    # Four applications, each at the step whose lock will be held.
    draft = journey.draft(world)  # values confirmed while their rows are locked
    ready = journey.complete(world, journey.draft(world, enterprise=f.EnterpriseFactory()))
    waiting = journey.submitted(world, enterprise=f.EnterpriseFactory())
    in_review = journey.submitted(world, enterprise=f.EnterpriseFactory())
    services.application_accept(actor=world.clerk, application=in_review)
    review = journey.review_of(in_review, "market")
    tokens = {
        "investor": _token(world.investor),
        "clerk": _token(world.clerk),
        "market": _token(world.reviewers["market"]),
    }

    url = live.database_url(connection.settings_dict)
    with live.GunicornServer(
        database_url=url,
        workdir=tmp_path / "server",
        workers=1,
        threads=2,
        env={"DB_LOCK_TIMEOUT_MS": "250"},
    ) as server:
        recorder = live.Recorder()

        def as_(who: str, *, retries: int) -> live.HttpClient:
            return live.HttpClient(
                server.base_url,
                token=tokens[who],
                recorder=recorder,
                deadline=time.monotonic() + 60,
                busy_retries=retries,
            )

        cases = [
            (
                "submit",
                lambda: m.Application.objects.select_for_update().filter(pk=ready.pk),
                ("investor", "POST", f"/api/applications/{ready.public_id}/submit/", None),
            ),
            (
                "accept",
                lambda: Process.objects.select_for_update().filter(pk=waiting.process_id),
                ("clerk", "POST", f"/api/window/{waiting.public_id}/accept/", {}),
            ),
            (
                "complete",
                lambda: Process.objects.select_for_update().filter(pk=in_review.process_id),
                ("market", "POST", f"/api/tasks/{review.pk}/complete/", {"decision": "approve"}),
            ),
            (
                "values",
                lambda: m.PrefilledValue.objects.select_for_update().filter(application=draft),
                (
                    "investor",
                    "PATCH",
                    f"/api/applications/{draft.public_id}/",
                    {"values": {"enterprise.address": "手填地址 / typed while locked"}},
                ),
            ),
        ]
        for (label, lock_query, (who, method, path, body)), app in zip(
            cases, (ready, waiting, in_review, draft), strict=True
        ):
            before = written_state(app)
            with holding(lock_query):
                busy = as_(who, retries=0).call(method, path, label=label, json=body)
                refused = written_state(app)
            print(f"\n  {label}: 409 after {busy.seconds:.2f} s (lock_timeout 0.25 s)", end="")
            assert busy.status == 409, (label, busy.status, busy.body[:300])
            assert refused == before, f"{label}: the refused request wrote something"
            assert live.error_shape_problem(busy) == "", label
            assert busy.code == "busy" and busy.retry_after and busy.retry_after > 0
            assert "try again" in busy.json["message"]
            # The retry the answer asks for goes through now that the lock is gone.
            retried = as_(who, retries=3).call(method, path, label=f"{label}-retry", json=body)
            assert retried.ok, (label, retried.status, retried.body[:300])

    # Nothing half-written by the refused attempts; the retries' work is there, once.
    for app in (ready, waiting, in_review, draft):
        app.refresh_from_db()
    assert ready.status == m.ApplicationStatus.SUBMITTED
    assert Process.objects.filter(pk=ready.process_id).count() == 1
    assert m.Step.objects.filter(application=ready, kind=m.StepKind.SUBMISSION).count() == 1
    assert waiting.status == m.ApplicationStatus.IN_REVIEW
    assert m.Step.objects.filter(application=waiting, kind=m.StepKind.ACCEPTANCE).count() == 1
    review.refresh_from_db()
    assert review.decision == m.ReviewDecision.APPROVED
    assert m.Step.objects.filter(task=review.task, finished_at__isnull=False).count() == 1
    address = draft.values.get(field="enterprise.address")
    assert address.value == "手填地址 / typed while locked" and address.confirmed_at
    problems = [
        p
        for app in (ready, waiting, in_review, draft)
        for p in live.application_problems(m.Application.objects.get(pk=app.pk))
    ]
    assert problems == []


# --- (e) the timer sweep run twice at once ---------------------------------------------------

SWEEPERS = 3
OVERDUE_APPLICATIONS = 5


@pytest.mark.postgres_only
@pytest.mark.django_db(transaction=True)
def test_timer_sweeps_run_at_once_escalate_each_overdue_review_exactly_once(world):
    # Accepted on a Monday morning a year ago: every review was due the next morning.
    with time_machine.travel(
        datetime(2025, 11, 3, 9, 0, tzinfo=ZoneInfo("Asia/Shanghai")), tick=False
    ):
        for _ in range(OVERDUE_APPLICATIONS):
            app = journey.submitted(world, enterprise=f.EnterpriseFactory())
            services.application_accept(actor=world.clerk, application=app)
    overdue = OVERDUE_APPLICATIONS * len(world.departments)
    timers = Task.objects.filter(flow_task_type="TIMER")
    assert timers.filter(status=STATUS.SCHEDULED).count() == overdue
    mail.outbox = []

    barrier = threading.Barrier(SWEEPERS)
    fired: list[int] = []
    errors: list[BaseException] = []

    def sweep():
        try:
            barrier.wait(timeout=10)
            fired.append(fire_due_timers())
        except BaseException as exc:  # reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=sweep, daemon=True) for _ in range(SWEEPERS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert not any(t.is_alive() for t in threads), "a sweep hung"
    assert errors == []

    # Each timer fired once, by one sweep or another; each review escalated once.
    print(f"\nTimer sweeps at once: fired {sorted(fired)} of {overdue} due timers")
    assert sum(fired) == overdue, fired
    assert not timers.exclude(status=STATUS.DONE).exists()
    escalations = m.Escalation.objects.all()
    assert escalations.count() == overdue
    assert len(set(escalations.values_list("review_id", flat=True))) == overdue
    assert Task.objects.filter(flow_task=SingleWindowFlow.escalate, status=STATUS.DONE).count() == (
        overdue
    )
    assert not Task.objects.filter(status=STATUS.ERROR).exists()
    overdue_mails = [e for e in mail.outbox if "overdue" in e.subject.lower()]
    assert len(overdue_mails) == overdue
    assert all(e.to == [world.supervisor.email] for e in overdue_mails)
    assert len({e.subject for e in overdue_mails}) == overdue  # one per review, none twice
    # A later sweep finds nothing left; the reviews themselves are still open.
    assert fire_due_timers() == 0
    assert m.DepartmentReview.objects.filter(decision=m.ReviewDecision.PENDING).count() == overdue
