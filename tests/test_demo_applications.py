"""The demo's own applications (``approvals.demo``) are in the states ``seed_demo`` says
and the README describes: one establishment in each state, and a filing by an agent."""

from __future__ import annotations

import pytest

from approvals import models as m
from approvals.demo import DEMO_RESERVATIONS, IN_REVIEW_LEFT
from tests import demo_data

pytestmark = pytest.mark.django_db
demo = pytest.fixture(scope="module")(demo_data.seeded)


def establishment(n: int) -> m.Application:
    return m.Application.objects.get(name_reservation__number=DEMO_RESERVATIONS[n])


def states(app: m.Application) -> dict[str, tuple[str, str]]:
    return {
        part.matter.code: (part.matter.department.code, part.state)
        for part in app.matters.select_related("matter__department")
    }


def test_one_establishment_in_each_state(demo):
    assert [establishment(n).status for n in range(5)] == [
        m.ApplicationStatus.DRAFT,
        m.ApplicationStatus.SUBMITTED,
        m.ApplicationStatus.RETURNED,
        m.ApplicationStatus.IN_REVIEW,
        m.ApplicationStatus.APPROVED,
    ]


def test_the_one_in_review_has_its_licence_and_two_departments_still_to_decide(demo):
    app = establishment(3)
    matters = states(app)
    assert matters["company-registration"][1] == m.MatterState.APPROVED
    open_ = {code: dept for code, (dept, state) in matters.items() if state != "approved"}
    assert sorted(open_.values()) == sorted(IN_REVIEW_LEFT)
    assert all(matters[code][1] == m.MatterState.IN_REVIEW for code in open_)
    # Each approved matter has its outcome; the business licence is in the licence library.
    approved = {code for code, (_d, state) in matters.items() if state == "approved"}
    assert set(app.permits.values_list("matter__matter__code", flat=True)) == approved
    assert app.permit.matter.matter.code == "company-registration"
    assert app.permit.licence is not None
    pending = app.reviews.filter(decision=m.ReviewDecision.PENDING)
    assert sorted(pending.values_list("department__code", flat=True)) == sorted(IN_REVIEW_LEFT)


def test_the_approved_one_has_every_outcome_and_its_enterprise(demo):
    app = establishment(4)
    matters = states(app)
    assert len(matters) == 5
    assert {state for _dept, state in matters.values()} == {m.MatterState.APPROVED}
    assert sorted(app.permits.values_list("matter__matter__code", flat=True)) == sorted(matters)
    # Every outcome is held by the enterprise registration created, under its new code.
    assert app.enterprise.uscc == app.uscc
    assert {p.holder_id for p in app.permits.all()} == {app.enterprise_id}
    assert app.permit.licence.number == app.uscc  # the library's business licence: by its code
    # The agent's filing for the new enterprise reuses its registry record.
    filing = m.Application.objects.get(service__code="investment-project-filing", uscc=app.uscc)
    assert filing.status == m.ApplicationStatus.SUBMITTED
    assert filing.applicant.username == "agent"
