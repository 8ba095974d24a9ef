"""The rejection reasons a department may give (approvals.reasons): the one rule the
review screen, the API and the services share."""

import pytest
from django.core.exceptions import ValidationError

from approvals import reasons, services
from approvals.models import AuditEntry, RejectionReason, ReviewDecision
from tests import factories as f
from tests import journey


@pytest.fixture
def catalogue(db):
    market, commerce = f.DepartmentFactory(code="market"), f.DepartmentFactory(code="commerce")
    make = RejectionReason.objects.create
    return {
        "market": market,
        "own": make(code="name-taken", text_zh="名称近似", text_en="Name taken", department=market),
        "general": make(code="address", text_zh="住所", text_en="Address"),
        "other": make(code="negative-list", text_zh="负面", text_en="Neg", department=commerce),
        "retired": make(code="retired", text_zh="停用", text_en="Retired", is_active=False),
    }


def test_a_department_is_offered_its_own_reasons_first_then_the_general_ones(catalogue):
    assert list(reasons.offered_by(catalogue["market"])) == [catalogue["own"], catalogue["general"]]


def test_the_reasons_chosen_come_back_in_the_order_given(catalogue):
    chosen = reasons.chosen(catalogue["market"], ["address", "name-taken"])
    assert chosen == [catalogue["general"], catalogue["own"]]
    assert reasons.chosen(catalogue["market"], []) == []


def test_every_code_the_department_may_not_give_is_named_on_reasons(catalogue):
    with pytest.raises(ValidationError) as refused:
        reasons.chosen(catalogue["market"], ["name-taken", "negative-list", "retired", "nonsense"])
    messages = refused.value.message_dict["reasons"]
    assert len(messages) == 3
    for code in ("negative-list", "retired", "nonsense"):
        assert any(code in message for message in messages), code
    assert not any("name-taken" in message for message in messages)


def test_the_service_refuses_another_departments_reason_and_writes_nothing(world):
    """services.review_complete is the authority: a script or a front end that
    skips the form still cannot reject with a reason the department may not give."""
    commerce = next(d for d in world.departments if d.code == "commerce")
    foreign = RejectionReason.objects.create(
        code="neg-list", text_zh="负面清单", text_en="Negative list", department=commerce
    )
    own = RejectionReason.objects.create(code="addr", text_zh="住所不符", text_en="Address")
    app = journey.submitted(world)
    services.application_accept(actor=world.clerk, application=app)
    review = journey.review_of(app, "market")
    audit_before = AuditEntry.objects.count()
    with pytest.raises(ValidationError) as refused:
        services.review_complete(
            actor=world.reviewers["market"],
            review=review,
            approve=False,
            reason_codes=[foreign.code],
        )
    assert "neg-list" in refused.value.message_dict["reasons"][0]
    review.refresh_from_db()
    assert review.decision == ReviewDecision.PENDING and AuditEntry.objects.count() == audit_before
    services.review_complete(
        actor=world.reviewers["market"],
        review=review,
        approve=False,
        reasons="See the lease.",
        reason_codes=[own.code],
    )
    review.refresh_from_db()
    assert review.reasons == "- 住所不符 / Address\nSee the lease."
