"""Two departments finishing at the same instant must neither stick nor double the join.

This is the trap viewflow's default no-lock leaves open (3 of 3 runs stuck
on PostgreSQL); it runs on PostgreSQL, where row locks are real.
"""

import threading

import pytest
from django.db import connection, transaction
from viewflow.workflow.models import Process, Task
from viewflow.workflow.status import PROCESS, STATUS

from approvals import errors, services
from approvals import models as m
from approvals.flows import SingleWindowFlow
from tests import journey
from tests.conftest import build_bundle

ROUNDS = 20


def _simultaneously(*calls):
    barrier = threading.Barrier(len(calls))
    errors = []

    def run(call):
        try:
            barrier.wait(timeout=10)
            call()
        except Exception as exc:  # reported to the test below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(c,)) for c in calls]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert not any(t.is_alive() for t in threads), "a review thread hung"
    return errors


def _approved_and_ended_once(app, *, matters: int) -> None:
    """Approved, each matter settled once with one outcome; one join, decision and end."""
    app.refresh_from_db()
    app.process.refresh_from_db()
    tasks = Task.objects.filter(process_id=app.process_id)
    assert app.process.status == PROCESS.DONE, "a process was left stuck"
    assert app.status == m.ApplicationStatus.APPROVED
    assert set(app.matters.values_list("state", flat=True)) == {m.MatterState.APPROVED}
    assert tasks.filter(flow_task=SingleWindowFlow.settle, status=STATUS.DONE).count() == matters
    assert tasks.filter(flow_task=SingleWindowFlow.join_reviews).count() == 1
    assert tasks.filter(flow_task=SingleWindowFlow.decide).count() == 1
    assert tasks.filter(flow_task=SingleWindowFlow.end, status=STATUS.DONE).count() == 1
    assert not tasks.filter(status=STATUS.ERROR).exists()
    assert m.Permit.objects.filter(application=app).count() == matters
    assert m.Step.objects.filter(application=app, kind=m.StepKind.DECISION).count() == 1


@pytest.mark.postgres_only
@pytest.mark.django_db(transaction=True)
def test_two_reviews_finishing_at_once_end_every_process_exactly_once(world):
    applications = []
    for _ in range(ROUNDS):
        app = journey.submitted(world)
        services.application_accept(actor=world.clerk, application=app)
        services.review_complete(
            actor=world.reviewers["tax"], review=journey.review_of(app, "tax"), approve=True
        )
        last_two = [journey.review_of(app, code) for code in ("market", "commerce")]
        errors = _simultaneously(
            *(
                (
                    lambda r=r: services.review_complete(
                        actor=world.reviewers[r.department.code], review=r, approve=True
                    )
                )
                for r in last_two
            )
        )
        assert errors == []
        applications.append(app)

    for app in applications:
        _approved_and_ended_once(app, matters=3)


@pytest.mark.postgres_only
@pytest.mark.django_db(transaction=True)
def test_five_matters_decided_at_once_settle_each_once_and_end_every_process_once(world):
    """A bundle of five independent matters: the five reviews finish at the same instant
    from five threads, 20 times. Each matter is settled once, with one outcome, and each
    process joins, decides and ends exactly once."""
    bundle = build_bundle(world, dependent=False)
    applications = []
    for _ in range(ROUNDS):
        app = services.application_create(
            applicant=world.investor, service=bundle["thing"], uscc=world.enterprise.uscc
        )
        journey.complete(world, app)
        services.application_submit(actor=world.investor, application=app)
        services.application_accept(actor=world.clerk, application=app)
        reviews = list(app.reviews.select_related("department"))
        assert len(reviews) == 5
        errors = _simultaneously(
            *(
                (
                    lambda r=r: services.review_complete(
                        actor=world.reviewers[r.department.code], review=r, approve=True
                    )
                )
                for r in reviews
            )
        )
        assert errors == []
        applications.append(app)

    for app in applications:
        _approved_and_ended_once(app, matters=5)


@pytest.mark.postgres_only
@pytest.mark.django_db(transaction=True)
def test_a_lock_held_too_long_is_a_clear_retryable_error_and_loses_nothing(world):
    app = journey.submitted(world)
    services.application_accept(actor=world.clerk, application=app)
    review = journey.review_of(app, "market")
    holding, release = threading.Event(), threading.Event()

    def hold_the_process_row():
        try:
            with transaction.atomic():
                Process.objects.select_for_update().get(pk=app.process_id)
                holding.set()
                release.wait(timeout=30)
        finally:
            connection.close()

    holder = threading.Thread(target=hold_the_process_row)
    holder.start()
    assert holding.wait(timeout=10)
    with connection.cursor() as cursor:
        cursor.execute("SET lock_timeout = '100ms'")
    try:
        with pytest.raises(errors.ApplicationBusy) as err:
            services.review_complete(actor=world.reviewers["market"], review=review, approve=True)
    finally:
        release.set()
        holder.join(timeout=30)
        with connection.cursor() as cursor:
            cursor.execute("RESET lock_timeout")
    assert "try again" in str(err.value)
    review.refresh_from_db()
    assert review.decision == m.ReviewDecision.PENDING
    assert not m.Step.objects.filter(task=review.task, finished_at__isnull=False).exists()
    # The retry the message asks for goes through.
    services.review_complete(actor=world.reviewers["market"], review=review, approve=True)
    review.refresh_from_db()
    assert review.decision == m.ReviewDecision.APPROVED
