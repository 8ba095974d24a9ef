"""Fifty investors at once, over HTTP, under gunicorn on PostgreSQL.

The production server (gunicorn, threaded workers, DEBUG off) serves the
test database; fifty investors, each with an API token and a thread of their
own, open a draft (Idempotency-Key; some send the create twice at once), hand
in what prefill could not reuse and submit (some double-click submit), while
a window clerk accepts and ten department reviewers take and approve reviews
from their departments' queues. Afterwards nothing may be lost, doubled or
stuck, and every response must have been a success or a clear client error
in the API's error shape.

Throughput and the 95th-percentile latency are printed (``pytest -s``) beside
those of a cheap endpoint of the same server in the same run; no time is
asserted. The data is committed (``transaction=True``), since the server's
workers are other processes.
"""

from __future__ import annotations

import threading
import time
from collections import Counter

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db import connection
from rest_framework.authtoken.models import Token
from viewflow.workflow.models import Process

from approvals import models as m
from approvals.roles import INVESTOR_GROUP
from devtools import livehttp as live
from tests import factories as f

INVESTORS = 50
REVIEWERS_PER_DEPARTMENT = {"market": 4, "commerce": 3, "tax": 3}  # ten officials
DOUBLE_CREATE_EVERY = 7  # these investors send the create twice at the same instant
DOUBLE_SUBMIT_EVERY = 3  # these double-click submit
# A bound, not a target: every application approved by then (typically 40-60 s here).
WORKLOAD_SECONDS = 90
YARDSTICK_THREADS, YARDSTICK_PER_THREAD = 8, 100
# Client errors the workload may meet by design: a colleague took the review first.
EXPECTED_CLIENT_ERRORS = {("task-assign", 400)}


def _user(username: str, group: str):
    user = get_user_model()(username=username, email=f"{username}@load.example")
    user.set_unusable_password()  # no hashing: they authenticate with tokens
    user.save()
    user.groups.add(Group.objects.get_or_create(name=group)[0])
    return user


def _token(user) -> str:
    return Token.objects.create(user=user).key


@pytest.fixture
def crowd(world):
    """Fifty investors, each filing for an enterprise of their own, ten reviewers, one clerk."""
    investors = []
    for i in range(INVESTORS):
        # Each investor the verified legal representative of an enterprise of their own.
        number = f.stranger_id()
        enterprise = f.EnterpriseFactory(legal_representative_id=number)
        if i % 2 == 0:  # half of them have a tax record prefill reuses
            m.TaxRegistration.objects.create(
                enterprise=enterprise,
                taxpayer_type="一般纳税人",
                tax_authority="国家税务总局海口市税务局",
                registered_on="2020-01-02",
            )
        user = f.verified(_user(f"load-investor-{i:02d}", INVESTOR_GROUP), number=number)
        investors.append((user, enterprise, _token(user), f"load-{i:02d}-{user.pk}"))
    reviewers = [
        (f"load-rev-{code}-{n}", _token(_user(f"load-rev-{code}-{n}", f"reviewer:{code}")))
        for code, count in REVIEWERS_PER_DEPARTMENT.items()
        for n in range(count)
    ]
    return {"investors": investors, "reviewers": reviewers, "clerk": _token(world.clerk)}


def print_figures(title, samples, seconds, yard_path, yard, yard_seconds):
    ours = live.figures(samples, seconds)
    base = live.figures(yard, yard_seconds)
    print(f"\n{title}")
    print(f"{'':<28} {'requests':>8} {'seconds':>8} {'req/s':>8} {'p50 ms':>8} {'p95 ms':>8}")
    for name, fig in (("workload (all requests)", ours), (f"yardstick GET {yard_path}", base)):
        print(
            f"{name:<28} {fig.requests:>8} {fig.seconds:>8.1f} {fig.per_second:>8.1f} "
            f"{fig.p50_ms:>8.1f} {fig.p95_ms:>8.1f}"
        )
    print(
        f"{'ratio workload/yardstick':<28} {'':>8} {'':>8} "
        f"{ours.per_second / base.per_second:>7.2f}x {'':>8} {ours.p95_ms / base.p95_ms:>7.2f}x"
    )
    by_label: dict[str, list[float]] = {}
    for s in samples:
        by_label.setdefault(s.label, []).append(s.seconds * 1000)
    print(f"{'endpoint':<28} {'requests':>8} {'p50 ms':>8} {'p95 ms':>8}")
    for label, times in sorted(by_label.items()):
        print(
            f"{label:<28} {len(times):>8} {live.percentile(times, 50):>8.1f} "
            f"{live.percentile(times, 95):>8.1f}"
        )
    print(
        "(the workload's rate is paced by its people: investors one step after another, "
        "officials polling their queues with back-off; the yardstick's clients send back to "
        "back, so its rate is the server's for that request)"
    )
    errors = live.status_table(samples)
    if errors:
        print("non-2xx responses (endpoint, status, code): count")
        for key, count in sorted(errors.items()):
            print(f"  {key}: {count}")


@pytest.mark.postgres_only
@pytest.mark.django_db(transaction=True)
def test_fifty_investors_at_once_lose_nothing_double_nothing_and_leave_nothing_stuck(
    world, crowd, tmp_path
):
    wall = time.monotonic()
    url = live.database_url(connection.settings_dict)
    with live.GunicornServer(database_url=url, workdir=tmp_path / "server") as server:
        booted = time.monotonic() - wall
        # Warm every worker (imports, URL resolver) before anything is measured.
        live.burst(
            server.base_url,
            "/api/services/",
            recorder=live.Recorder(),
            label="warm",
            threads=4,
            per_thread=5,
        )
        yard_path = live.cheapest_get(server.base_url)

        recorder = live.Recorder()
        deadline = time.monotonic() + WORKLOAD_SECONDS + 15
        stop = threading.Event()

        def client(token: str) -> live.HttpClient:
            return live.HttpClient(
                server.base_url, token=token, recorder=recorder, deadline=deadline, stop=stop
            )

        journeys = [
            (
                lambda i=i, user=user, enterprise=enterprise, token=token, key=key: (
                    live.investor_journey(
                        client(token),
                        service=world.service.code,
                        uscc=enterprise.uscc,
                        key=key,
                        double_create=i % DOUBLE_CREATE_EVERY == 0,
                        double_submit=i % DOUBLE_SUBMIT_EVERY == 0,
                    )
                )
            )
            for i, (user, enterprise, token, key) in enumerate(crowd["investors"])
        ]
        officials = [lambda: live.window_clerk(client(crowd["clerk"]), seed=1)] + [
            (
                lambda n=n, name=name, token=token: live.department_reviewer(
                    client(token), name=name, seed=100 + n
                )
            )
            for n, (name, token) in enumerate(crowd["reviewers"])
        ]
        started = time.monotonic()
        people = live.Crowd(journeys + officials)
        # Poll the database (with a bound) until every application is approved.
        applications = m.Application.objects.filter(applicant__username__startswith="load-")
        approved = 0
        while time.monotonic() < started + WORKLOAD_SECONDS:
            approved = applications.filter(status=m.ApplicationStatus.APPROVED).count()
            if approved == INVESTORS:
                break
            stop.wait(0.25)
        finished = time.monotonic()
        stop.set()
        results = people.join(timeout=40)
        workload_seconds = finished - started
        samples = [s for s in recorder.snapshot() if s.started <= finished]

        yard = live.Recorder()
        yard_seconds = live.burst(
            server.base_url,
            yard_path,
            recorder=yard,
            label="yardstick",
            threads=YARDSTICK_THREADS,
            per_thread=YARDSTICK_PER_THREAD,
        )
        # Each investor looks at their application afterwards: decided, with its permit.
        seen = live.Crowd(
            [
                (
                    lambda token=token, journey=journey: live.HttpClient(
                        server.base_url,
                        token=token,
                        recorder=live.Recorder(),
                        deadline=time.monotonic() + 30,
                    ).call(
                        "GET",
                        f"/api/applications/{next(iter(getattr(journey, 'ids', ())), 'x')}/",
                        label="afterwards",
                    )
                )
                for (_user, _enterprise, token, _key), journey in zip(
                    crowd["investors"], results, strict=False
                )
            ]
        ).join(timeout=40)
        server_log = server.log_text()

    print_figures(
        f"Load: {INVESTORS} investors, 1 clerk, {len(crowd['reviewers'])} reviewers; gunicorn "
        f"{server.workers} workers x {server.threads} threads on PostgreSQL "
        f"(server up in {booted:.1f} s, everything approved in {workload_seconds:.1f} s, "
        f"test {time.monotonic() - wall:.1f} s so far)",
        samples,
        workload_seconds,
        yard_path,
        yard.snapshot(),
        yard_seconds,
    )

    # Nobody's script broke, and every investor ended with a submitted application.
    crashed = [r for r in results if isinstance(r, BaseException)]
    assert not crashed, crashed
    journeys_seen = results[:INVESTORS]
    assert [j.problems for j in journeys_seen if j.problems] == []
    assert all(j.done for j in journeys_seen)

    # Every response was a success or a clear client error in the API's error shape;
    # busy (409) only with Retry-After, and retried.
    everything = recorder.snapshot()
    assert not [s for s in everything if s.status == 0], "connections were lost"
    server_errors = [s for s in everything if s.status >= 500]
    assert not server_errors, (server_errors[:5], server_log[-3000:])
    assert not [s.shape_problem for s in everything if s.shape_problem]
    unexpected = Counter(
        (s.label, s.status, s.code)
        for s in everything
        if s.status >= 400
        and (s.label, s.status) not in EXPECTED_CLIENT_ERRORS
        and not (s.status in live.RETRY_LATER and s.retried)
    )
    assert not unexpected, unexpected

    # What each investor sees afterwards: one application, approved, with its permit.
    for response in seen:
        assert response.status == 200, (response.status, response.body[:300])
        detail = response.json
        assert detail["status"] == "approved" and detail["permit"]["number"], detail["status"]

    # None lost, none doubled: one application per investor and key, one process each.
    assert approved == INVESTORS, f"only {approved} of {INVESTORS} approved in time"
    by_investor = Counter(applications.values_list("applicant_id", flat=True))
    assert sorted(by_investor.values()) == [1] * INVESTORS
    for (user, enterprise, _token_key, key), journey in zip(
        crowd["investors"], journeys_seen, strict=True
    ):
        app = applications.get(applicant=user)
        assert (app.idempotency_key, app.uscc) == (key, enterprise.uscc)
        assert journey.ids == {str(app.public_id)}, "the API returned another draft"
    assert Process.objects.count() == INVESTORS
    assert len(set(applications.values_list("process_id", flat=True))) == INVESTORS

    # None stuck: every process finished, every review decided once.
    problems = [
        p for app in applications.select_related("service") for p in live.application_problems(app)
    ]
    assert problems == []
    reviews = m.DepartmentReview.objects.filter(application__in=applications)
    assert reviews.count() == INVESTORS * len(world.departments)
    assert not reviews.exclude(decision=m.ReviewDecision.APPROVED).exists()
    completions = [s for s in everything if s.label == "task-complete" and 200 <= s.status < 300]
    assert len(completions) == reviews.count(), "a review was completed twice"
    acceptances = [s for s in everything if s.label == "window-accept" and 200 <= s.status < 300]
    assert len(acceptances) == INVESTORS, "an application was accepted twice"
    # One outcome per matter of each application.
    outcomes = INVESTORS * len(world.matters)
    assert m.Permit.objects.filter(application__in=applications).count() == outcomes
