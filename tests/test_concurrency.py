"""Two departments finishing at the same instant must neither stick nor double the join.

This is the trap viewflow's default no-lock leaves open (3 of 3 runs stuck
on PostgreSQL); it runs on PostgreSQL, where row locks are real.
"""

import threading

import pytest
from django.db import connection
from viewflow.workflow.models import Task
from viewflow.workflow.status import PROCESS, STATUS

from approvals import models as m
from approvals import services
from approvals.flows import SingleWindowFlow
from tests import journey

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
        app.refresh_from_db()
        app.process.refresh_from_db()
        tasks = Task.objects.filter(process_id=app.process_id)
        assert app.process.status == PROCESS.DONE, "a process was left stuck"
        assert app.status == m.ApplicationStatus.APPROVED
        assert tasks.filter(flow_task=SingleWindowFlow.join_reviews).count() == 1
        assert tasks.filter(flow_task=SingleWindowFlow.decide).count() == 1
        assert tasks.filter(flow_task=SingleWindowFlow.end, status=STATUS.DONE).count() == 1
        assert not tasks.filter(status=STATUS.ERROR).exists()
        assert m.Permit.objects.filter(application=app).count() == 1
