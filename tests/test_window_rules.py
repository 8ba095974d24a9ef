"""The window's rules, each checked by what the user is told and what is kept.

Materials met by a commitment or handed in later, acceptance with materials
deferred or missing, the return for correction and the resubmission, and the
withdrawal: each refusal is checked by its whole message (written out here,
never taken from the code under test) and by nothing having been written; each
success by the ledger, the clock and the audit trail it leaves.
"""

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import OperationalError
from viewflow.workflow.status import PROCESS

from approvals import audit, errors, services
from approvals import models as m
from approvals.services import Deferral
from tests import factories as f
from tests import journey

SH = ZoneInfo("Asia/Shanghai")
LONG_COMMITMENT = (
    "本企业承诺所提交的材料真实、合法、有效 / We commit that this is true and complete."
)


def at(*args):
    return time_machine.travel(datetime(*args, tzinfo=SH), tick=False)


def local(*args) -> datetime:
    return datetime(*args, tzinfo=SH)


def actions(app) -> list[str]:
    return list(app.audit_entries.order_by("at", "pk").values_list("action", flat=True))


def refused(excinfo) -> dict[str, list[str]]:
    return excinfo.value.message_dict


# --- commitments and deferrals ------------------------------------------------------


@pytest.mark.django_db
def test_a_material_without_the_commitment_lane_refuses_even_a_full_commitment(world):
    app = journey.draft(world)
    # A commitment long enough for the length rule: only the lane can refuse it.
    with pytest.raises(ValidationError) as excinfo:
        services.material_commit(
            actor=world.investor, application=app, material_code="form", text=LONG_COMMITMENT
        )
    assert refused(excinfo) == {"commitment": ["This material cannot be replaced by a commitment."]}
    row = app.materials.get(material__code="form")
    assert (row.satisfied_by, row.commitment_text) == (m.SatisfiedBy.MISSING, "")
    assert m.AuditAction.MATERIAL_COMMITTED not in actions(app)


@pytest.mark.django_db
@pytest.mark.parametrize("text", ["", "   ", "九个字的承诺文本啊", "  123456789  "])
def test_a_commitment_shorter_than_ten_characters_is_refused(world, text):
    app = journey.draft(world)
    with pytest.raises(ValidationError) as excinfo:
        services.material_commit(
            actor=world.investor, application=app, material_code="lease", text=text
        )
    assert refused(excinfo) == {
        "commitment": ["Write the commitment out in full (at least 10 characters)."]
    }
    assert app.materials.get(material__code="lease").satisfied_by == m.SatisfiedBy.MISSING


@pytest.mark.django_db
def test_a_commitment_of_ten_characters_is_kept_trimmed_and_audited(world):
    app = journey.draft(world)
    row = services.material_commit(
        actor=world.investor,
        application=app,
        material_code="lease",
        text="  十个字的承诺文本写完  ",
    )
    row.refresh_from_db()
    assert (row.satisfied_by, row.commitment_text) == (
        m.SatisfiedBy.COMMITMENT,
        "十个字的承诺文本写完",
    )
    entry = app.audit_entries.get(action=m.AuditAction.MATERIAL_COMMITTED)
    assert (entry.actor, entry.detail) == (world.investor, {"material": "lease"})
    services.material_commit(
        actor=world.investor, application=app, material_code="lease", text="长" * 5000
    )
    assert app.materials.get(material__code="lease").commitment_text == "长" * 4000


@pytest.mark.django_db
def test_a_material_without_the_deferral_lane_cannot_be_handed_in_later(world):
    app = journey.draft(world)
    with pytest.raises(ValidationError) as excinfo:
        services.material_defer(actor=world.investor, application=app, material_code="lease")
    assert refused(excinfo) == {"material": ["This material cannot be handed in later."]}
    assert app.materials.get(material__code="lease").satisfied_by == m.SatisfiedBy.MISSING
    services.material_defer(actor=world.investor, application=app, material_code="seal")
    assert app.materials.get(material__code="seal").satisfied_by == m.SatisfiedBy.DEFERRAL
    entry = app.audit_entries.get(action=m.AuditAction.MATERIAL_DEFERRED)
    assert (entry.actor, entry.detail) == (world.investor, {"material": "seal"})


@pytest.mark.django_db
def test_a_submitted_application_takes_no_more_commitments_or_deferrals(world):
    app = journey.submitted(world)
    message = ["This application can no longer be changed (status: submitted)."]
    with pytest.raises(ValidationError) as excinfo:
        services.material_commit(
            actor=world.investor, application=app, material_code="lease", text=LONG_COMMITMENT
        )
    assert excinfo.value.messages == message
    with pytest.raises(ValidationError) as excinfo:
        services.material_defer(actor=world.investor, application=app, material_code="seal")
    assert excinfo.value.messages == message


@pytest.mark.django_db
def test_completeness_lists_every_missing_material_and_value_by_name(world):
    app = journey.draft(world)
    app.values.filter(field="enterprise.address").update(value="  ")
    errors = services.application_completeness_errors(app)
    assert errors == {
        "enterprise.address": ["Address is required."],
        "material:prior-licence": ["Material prior-licence is missing."],
        "material:form": ["Material form is missing."],
        "material:lease": ["Material lease is missing."],
        "material:seal": ["Material seal is missing."],
    }
    journey.complete(world, app)
    app.values.filter(field="enterprise.address").update(value="海口市滨海大道1号")
    assert services.application_completeness_errors(app) == {}


# --- submission -----------------------------------------------------------------------


@pytest.mark.django_db
def test_submission_opens_the_ledger_and_gives_the_clock_to_the_government(world):
    with at(2026, 6, 8, 9, 0):  # a Monday
        app = journey.complete(world, journey.draft(world))
    with at(2026, 6, 9, 15, 0):
        app = services.application_submit(actor=world.investor, application=app)
    assert (app.status, app.submitted_at) == (m.ApplicationStatus.SUBMITTED, local(2026, 6, 9, 15))
    submission = app.steps.get(kind=m.StepKind.SUBMISSION)
    # The investor's step runs from the draft's opening to the submission.
    assert (submission.created_at, submission.assigned_at, submission.finished_at) == (
        local(2026, 6, 8, 9),
        local(2026, 6, 8, 9),
        local(2026, 6, 9, 15),
    )
    assert (submission.holder, submission.actor) == (m.ClockHolder.INVESTOR, world.investor)
    assert (submission.calendar_days, submission.working_days) == (
        pytest.approx(30 / 24),
        pytest.approx(30 / 24),
    )
    window = app.steps.get(kind=m.StepKind.ACCEPTANCE)
    assert (window.created_at, window.finished_at) == (local(2026, 6, 9, 15), None)
    interval = app.clock_intervals.get()
    assert (interval.holder, interval.started_at, interval.ended_at) == (
        m.ClockHolder.GOVERNMENT,
        local(2026, 6, 9, 15),
        None,
    )
    entry = app.audit_entries.get(action=m.AuditAction.SUBMITTED)
    assert entry.actor == world.investor


@pytest.mark.django_db
def test_an_incomplete_draft_is_not_submitted(world):
    app = journey.draft(world)
    with pytest.raises(ValidationError) as excinfo:
        services.application_submit(actor=world.investor, application=app)
    assert refused(excinfo)["material:form"] == ["Material form is missing."]
    app.refresh_from_db()
    assert (app.status, app.submitted_at, app.process_id) == (m.ApplicationStatus.DRAFT, None, None)
    assert not app.steps.exists() and not app.clock_intervals.exists()


# --- acceptance at the window -----------------------------------------------------------


@pytest.mark.django_db
def test_the_window_refuses_to_accept_with_a_material_missing(world):
    app = journey.submitted(world)
    # Submission checks completeness, so a material is missing at the window
    # only when its row is reset after submission (an upload removed, say);
    # the window checks again.
    app.materials.filter(material__code="form").update(satisfied_by=m.SatisfiedBy.MISSING)
    with pytest.raises(ValidationError) as excinfo:
        services.application_accept(actor=world.clerk, application=app)
    assert refused(excinfo) == {
        "material:form": ["Material form is missing: defer it or return the application."]
    }
    app.refresh_from_db()
    assert (app.status, app.accepted_at) == (m.ApplicationStatus.SUBMITTED, None)
    assert app.materials.get(material__code="seal").due_date is None  # nothing half-written
    assert m.AuditAction.ACCEPTED not in actions(app)
    assert not app.reviews.exists()
    assert app.steps.get(kind=m.StepKind.ACCEPTANCE).finished_at is None


@pytest.mark.django_db
def test_the_clerk_may_defer_a_missing_material_the_service_allows_to_come_later(world):
    with at(2026, 6, 8, 9, 0):  # a Monday
        app = journey.submitted(world)
    app.materials.filter(material__code="seal").update(satisfied_by=m.SatisfiedBy.MISSING)
    with at(2026, 6, 8, 10, 0):
        services.application_accept(
            actor=world.clerk, application=app, deferrals=[Deferral("seal")]
        )
    seal = app.materials.get(material__code="seal")
    # Five working days from Monday 8 June 2026 10:00, whole days: 9-12 and 15 June.
    assert (seal.satisfied_by, seal.due_date) == (m.SatisfiedBy.DEFERRAL, date(2026, 6, 15))
    entry = app.audit_entries.get(action=m.AuditAction.ACCEPTED)
    assert (entry.actor, entry.detail) == (world.clerk, {"deferred": ["seal"]})


@pytest.mark.django_db
def test_a_deferral_asked_for_a_material_already_handed_in_changes_nothing(world):
    app = journey.complete(world, journey.draft(world))
    services.material_upload(
        actor=world.investor, application=app, material_code="seal", upload=f.pdf_upload()
    )
    app = services.application_submit(actor=world.investor, application=app)
    services.application_accept(
        actor=world.clerk, application=app, deferrals=[Deferral("seal", date(2099, 1, 5))]
    )
    seal = app.materials.get(material__code="seal")
    assert (seal.satisfied_by, seal.due_date) == (m.SatisfiedBy.UPLOAD, None)
    assert app.audit_entries.get(action=m.AuditAction.ACCEPTED).detail == {"deferred": []}


@pytest.mark.django_db
def test_a_due_date_must_lie_after_today(world):
    with at(2026, 6, 8, 10, 0):
        app = journey.submitted(world)
        with pytest.raises(ValidationError) as excinfo:
            services.application_accept(
                actor=world.clerk, application=app, deferrals=[Deferral("seal", date(2026, 6, 8))]
            )
        assert refused(excinfo) == {"material:seal": ["The due date must be in the future."]}
        services.application_accept(
            actor=world.clerk, application=app, deferrals=[Deferral("seal", date(2026, 6, 9))]
        )
    assert app.materials.get(material__code="seal").due_date == date(2026, 6, 9)


@pytest.mark.django_db
def test_the_window_names_each_deferral_it_cannot_grant(world):
    app = journey.submitted(world)
    with pytest.raises(ValidationError) as excinfo:
        services.application_accept(
            actor=world.clerk,
            application=app,
            deferrals=[Deferral("no-such"), Deferral("lease")],
        )
    assert refused(excinfo) == {
        "material:no-such": ["No such material."],
        "material:lease": ["Material lease cannot be handed in later."],
    }
    app.refresh_from_db()
    assert app.status == m.ApplicationStatus.SUBMITTED


@pytest.mark.django_db
def test_only_a_clerk_accepts_and_only_once(world):
    with at(2026, 6, 8, 9, 0):
        app = journey.submitted(world)
    for outsider in (world.investor, world.reviewers["market"], world.supervisor):
        with pytest.raises(PermissionDenied) as excinfo:
            services.application_accept(actor=outsider, application=app)
        assert str(excinfo.value) == "Only window clerks may accept or return applications."
    with at(2026, 6, 8, 10, 0):
        services.application_accept(actor=world.clerk, application=app)
    app.refresh_from_db()
    assert (app.status, app.accepted_at) == (m.ApplicationStatus.IN_REVIEW, local(2026, 6, 8, 10))
    window = app.steps.get(kind=m.StepKind.ACCEPTANCE)
    assert (window.finished_at, window.actor) == (local(2026, 6, 8, 10), world.clerk)
    # The same acceptance again (a retried request) changes nothing; a return now
    # has nothing to act on.
    services.application_accept(actor=world.clerk, application=app)
    with pytest.raises(ValidationError) as excinfo:
        services.application_return(actor=world.clerk, application=app, items=["late"])
    assert excinfo.value.messages == [
        "There is nothing to do on this application at this stage (status: in review)."
    ]
    assert actions(app).count(m.AuditAction.ACCEPTED) == 1
    assert app.steps.filter(kind=m.StepKind.ACCEPTANCE).count() == 1


# --- return for correction and resubmission ----------------------------------------------


@pytest.mark.django_db
def test_a_return_lists_the_items_and_is_audited(world):
    with at(2026, 6, 8, 10, 0):
        app = journey.submitted(world)
    with pytest.raises(ValidationError) as excinfo:
        services.application_return(actor=world.clerk, application=app, items=["", "  ", None])
    assert refused(excinfo) == {"items": ["List at least one thing the investor must correct."]}
    with pytest.raises(PermissionDenied) as excinfo:
        services.application_return(actor=world.investor, application=app, items=["x"])
    assert str(excinfo.value) == "Only window clerks may accept or return applications."
    assert m.AuditAction.RETURNED not in actions(app)
    with at(2026, 6, 8, 11, 0):
        request = services.application_return(
            actor=world.clerk,
            application=app,
            items=["  租赁合同 / the lease  ", "", "章程 / articles"],
            note="请补签 / please sign",
        )
    assert request.items == ["租赁合同 / the lease", "章程 / articles"]
    assert (request.note, request.requested_by) == ("请补签 / please sign", world.clerk)
    app.refresh_from_db()
    assert app.status == m.ApplicationStatus.RETURNED
    entry = app.audit_entries.get(action=m.AuditAction.RETURNED)
    assert (entry.actor, entry.detail) == (world.clerk, {"items": 2})
    correction = app.steps.get(kind=m.StepKind.CORRECTION)
    assert (correction.created_at, correction.finished_at, correction.actor) == (
        local(2026, 6, 8, 11),
        None,
        world.investor,
    )
    holders = list(app.clock_intervals.order_by("started_at").values_list("holder", "ended_at"))
    assert holders == [
        (m.ClockHolder.GOVERNMENT, local(2026, 6, 8, 11)),
        (m.ClockHolder.INVESTOR, None),
    ]


@pytest.mark.django_db
def test_a_return_keeps_at_most_fifty_items_and_4000_characters_of_note(world):
    app = journey.submitted(world)
    request = services.application_return(
        actor=world.clerk, application=app, items=[f"item {i}" for i in range(60)], note="n" * 5000
    )
    assert request.items == [f"item {i}" for i in range(50)]
    assert request.note == "n" * 4000
    assert app.audit_entries.get(action=m.AuditAction.RETURNED).detail == {"items": 60}


@pytest.mark.django_db
def test_a_resubmission_answers_the_correction_and_is_audited(world):
    with at(2026, 6, 8, 10, 0):
        app = journey.submitted(world)
    with pytest.raises(ValidationError) as excinfo:
        services.application_resubmit(actor=world.investor, application=app)
    assert excinfo.value.messages == [
        "Only an application returned for correction can be resubmitted."
    ]
    with at(2026, 6, 8, 11, 0):
        services.application_return(actor=world.clerk, application=app, items=["the lease"])
    with pytest.raises(PermissionDenied) as excinfo:
        services.application_resubmit(actor=world.other_investor, application=app)
    assert str(excinfo.value) == "Only the applicant may change this application."
    # An incomplete correction goes nowhere.
    app.materials.filter(material__code="form").update(satisfied_by=m.SatisfiedBy.MISSING)
    with pytest.raises(ValidationError) as excinfo:
        services.application_resubmit(actor=world.investor, application=app)
    assert refused(excinfo) == {"material:form": ["Material form is missing."]}
    app.materials.filter(material__code="form").update(satisfied_by=m.SatisfiedBy.UPLOAD)
    assert m.AuditAction.RESUBMITTED not in actions(app)
    with at(2026, 6, 9, 11, 0):
        app = services.application_resubmit(
            actor=world.investor, application=app, answer="已补 / " + "a" * 5000
        )
    assert app.status == m.ApplicationStatus.SUBMITTED
    correction_request = app.corrections.get()
    assert correction_request.answered_at == local(2026, 6, 9, 11)
    assert correction_request.answer == ("已补 / " + "a" * 5000)[:4000]
    entry = app.audit_entries.get(action=m.AuditAction.RESUBMITTED)
    assert entry.actor == world.investor
    correction = app.steps.get(kind=m.StepKind.CORRECTION)
    assert (correction.finished_at, correction.working_days) == (
        local(2026, 6, 9, 11),
        pytest.approx(1.0),
    )
    holders = list(app.clock_intervals.order_by("started_at").values_list("holder", "ended_at"))
    assert holders == [
        (m.ClockHolder.GOVERNMENT, local(2026, 6, 8, 11)),
        (m.ClockHolder.INVESTOR, local(2026, 6, 9, 11)),
        (m.ClockHolder.GOVERNMENT, None),
    ]
    # Back at the window: a new acceptance step, opened at the resubmission.
    windows = app.steps.filter(kind=m.StepKind.ACCEPTANCE).order_by("created_at")
    assert [(s.created_at, s.finished_at) for s in windows] == [
        (local(2026, 6, 8, 10), local(2026, 6, 8, 11)),
        (local(2026, 6, 9, 11), None),
    ]


# --- withdrawal ---------------------------------------------------------------------------


@pytest.mark.django_db
def test_withdrawing_a_draft_is_audited_and_leaves_no_process(world):
    app = journey.draft(world)
    app = services.application_withdraw(actor=world.investor, application=app)
    assert (app.status, app.process_id) == (m.ApplicationStatus.WITHDRAWN, None)
    entry = app.audit_entries.get(action=m.AuditAction.WITHDRAWN)
    assert entry.actor == world.investor
    with pytest.raises(ValidationError) as excinfo:
        services.application_withdraw(actor=world.investor, application=app)
    assert excinfo.value.messages == ["A decided application cannot be withdrawn."]
    assert actions(app).count(m.AuditAction.WITHDRAWN) == 1


@pytest.mark.django_db
def test_withdrawing_a_submitted_application_closes_every_step_and_the_clock(world):
    with at(2026, 6, 8, 10, 0):
        app = journey.submitted(world)
    assert app.steps.filter(finished_at__isnull=True).count() == 1  # the window's step
    with at(2026, 6, 8, 16, 0):
        app = services.application_withdraw(actor=world.investor, application=app)
    app.process.refresh_from_db()
    assert (app.status, app.decided_at) == (m.ApplicationStatus.WITHDRAWN, local(2026, 6, 8, 16))
    assert app.process.status == PROCESS.CANCELED
    assert not app.steps.filter(finished_at__isnull=True).exists()
    assert app.steps.get(kind=m.StepKind.ACCEPTANCE).finished_at == local(2026, 6, 8, 16)
    interval = app.clock_intervals.get()
    assert (interval.ended_at, interval.calendar_days, interval.working_days) == (
        local(2026, 6, 8, 16),
        pytest.approx(0.25),
        pytest.approx(0.25),
    )
    entry = app.audit_entries.get(action=m.AuditAction.WITHDRAWN)
    assert entry.actor == world.investor
    assert actions(app)[-1] == m.AuditAction.WITHDRAWN


@pytest.mark.django_db
def test_withdrawing_in_review_closes_the_reviews_steps(world):
    with at(2026, 6, 8, 10, 0):
        app = journey.submitted(world)
        services.application_accept(actor=world.clerk, application=app)
    with at(2026, 6, 9, 10, 0):
        app = services.application_withdraw(actor=world.investor, application=app)
    reviews = app.steps.filter(kind=m.StepKind.REVIEW)
    assert [s.finished_at for s in reviews] == [local(2026, 6, 9, 10)] * 3
    assert not app.clock_intervals.filter(ended_at__isnull=True).exists()


@pytest.mark.django_db
def test_a_decided_application_cannot_be_withdrawn(world):
    app = journey.submitted(world)
    services.application_accept(actor=world.clerk, application=app)
    app = journey.approve_all(world, app)
    with pytest.raises(ValidationError) as excinfo:
        services.application_withdraw(actor=world.investor, application=app)
    assert excinfo.value.messages == ["A decided application cannot be withdrawn."]
    app.refresh_from_db()
    assert app.status == m.ApplicationStatus.APPROVED
    assert m.AuditAction.WITHDRAWN not in actions(app)


@pytest.mark.django_db
def test_only_the_applicant_withdraws(world):
    app = journey.submitted(world)
    with pytest.raises(PermissionDenied) as excinfo:
        services.application_withdraw(actor=world.other_investor, application=app)
    assert str(excinfo.value) == "Only the applicant may change this application."
    app.refresh_from_db()
    assert app.status == m.ApplicationStatus.SUBMITTED


@pytest.mark.django_db
def test_a_review_step_opens_with_its_department_and_task(world):
    with at(2026, 6, 8, 10, 0):
        app = journey.submitted(world)
        services.application_accept(actor=world.clerk, application=app)
    steps = app.steps.filter(kind=m.StepKind.REVIEW).select_related("department", "task")
    assert sorted(s.department.code for s in steps) == ["commerce", "market", "tax"]
    for step in steps:
        review = m.DepartmentReview.objects.get(task=step.task)
        assert review.department == step.department
        assert (step.holder, step.created_at, step.assigned_at) == (
            m.ClockHolder.GOVERNMENT,
            local(2026, 6, 8, 10),
            None,
        )
        # One working day (the catalogue's limit) after the task opened.
        assert review.due_at.date() == (local(2026, 6, 8, 10) + timedelta(days=1)).date()


@pytest.mark.django_db
def test_a_second_service_reviews_only_in_its_own_departments(world):
    project = f.ServiceFactory(code="project")
    f.thing_part(project, world.departments[1], review_limit_days=3)
    app = services.application_create(
        applicant=world.investor, service=project, uscc=world.enterprise.uscc
    )
    app = services.application_submit(actor=world.investor, application=app)
    services.application_accept(actor=world.clerk, application=app)
    assert list(app.reviews.values_list("department__code", flat=True)) == ["commerce"]


# --- taking up and completing a review task ----------------------------------------------


@pytest.mark.django_db
def test_taking_up_a_review_records_who_and_when_and_refuses_outsiders(world):
    with at(2026, 6, 8, 9, 0):
        app = journey.submitted(world)
        services.application_accept(actor=world.clerk, application=app)
    market = journey.review_of(app, "market")
    with pytest.raises(PermissionDenied) as excinfo:
        services.task_assign(actor=world.reviewers["customs"], task=market.task)
    assert str(excinfo.value) == "You may not take this task."
    with at(2026, 6, 8, 11, 0):
        services.task_assign(actor=world.reviewers["market"], task=market.task)
    step = app.steps.get(task=market.task)
    assert (step.assigned_at, step.actor, step.finished_at) == (
        local(2026, 6, 8, 11),
        world.reviewers["market"],
        None,
    )
    entry = app.audit_entries.get(action=m.AuditAction.TASK_ASSIGNED)
    assert (entry.actor, entry.detail) == (world.reviewers["market"], {"department": "market"})
    colleague = f.UserFactory(groups=["reviewer:market"])
    with pytest.raises(ValidationError) as excinfo:
        services.task_assign(actor=colleague, task=market.task)
    assert excinfo.value.messages == ["This task has already been taken."]
    step.refresh_from_db()
    assert step.actor == world.reviewers["market"]


@pytest.mark.django_db
def test_a_completed_review_cannot_be_completed_again(world):
    app = journey.submitted(world)
    services.application_accept(actor=world.clerk, application=app)
    market = journey.review_of(app, "market")
    services.review_complete(actor=world.reviewers["market"], review=market, approve=True)
    with pytest.raises(ValidationError) as excinfo:
        services.review_complete(
            actor=world.reviewers["market"], review=market, approve=False, reasons="changed my mind"
        )
    assert excinfo.value.messages == ["This review has already been decided."]
    market.refresh_from_db()
    assert market.decision == m.ReviewDecision.APPROVED


# --- withdrawal, corrections: only the application concerned ------------------------------


@pytest.mark.django_db
def test_a_draft_submitted_in_another_tab_is_withdrawn_as_a_submitted_case(world):
    stale = journey.complete(world, journey.draft(world))
    services.application_submit(
        actor=world.investor, application=m.Application.objects.get(pk=stale.pk)
    )
    assert stale.status == m.ApplicationStatus.DRAFT  # this tab has not seen the submission
    app = services.application_withdraw(actor=world.investor, application=stale)
    app.process.refresh_from_db()
    assert app.status == m.ApplicationStatus.WITHDRAWN
    assert app.process.status == PROCESS.CANCELED
    assert not app.steps.filter(finished_at__isnull=True).exists()
    assert not app.clock_intervals.filter(ended_at__isnull=True).exists()
    assert actions(app).count(m.AuditAction.WITHDRAWN) == 1


@pytest.mark.django_db
def test_withdrawing_touches_no_other_application_and_no_finished_step(world):
    with at(2026, 6, 8, 10, 0):
        app = journey.submitted(world)
        other = journey.submitted(world)
    with at(2026, 6, 8, 16, 0):
        services.application_withdraw(actor=world.investor, application=app)
    submission = app.steps.get(kind=m.StepKind.SUBMISSION)
    assert submission.finished_at == local(2026, 6, 8, 10)  # finished before: left alone
    other.refresh_from_db()
    assert other.status == m.ApplicationStatus.SUBMITTED
    assert other.steps.get(kind=m.StepKind.ACCEPTANCE).finished_at is None
    assert other.clock_intervals.get().ended_at is None
    draft = journey.draft(world)
    services.application_withdraw(actor=world.investor, application=draft)
    other.refresh_from_db()
    assert other.status == m.ApplicationStatus.SUBMITTED


@pytest.mark.django_db
def test_a_resubmission_answers_only_its_own_open_correction(world):
    with at(2026, 6, 8, 10, 0):
        app = journey.submitted(world)
        other = journey.submitted(world)
    with at(2026, 6, 8, 11, 0):
        services.application_return(actor=world.clerk, application=app, items=["first"])
        services.application_return(actor=world.clerk, application=other, items=["other"])
    with at(2026, 6, 8, 12, 0):
        services.application_resubmit(actor=world.investor, application=app, answer="one")
    with at(2026, 6, 8, 13, 0):
        services.application_return(actor=world.clerk, application=app, items=["second"])
    with at(2026, 6, 8, 14, 0):
        services.application_resubmit(actor=world.investor, application=app, answer="two")
    answers = list(
        app.corrections.order_by("requested_at", "pk").values_list("items", "answered_at", "answer")
    )
    assert answers == [
        (["first"], local(2026, 6, 8, 12), "one"),
        (["second"], local(2026, 6, 8, 14), "two"),
    ]
    assert other.corrections.get().answered_at is None


@pytest.mark.django_db
@pytest.mark.parametrize("stage", ["draft", "submitted"])
def test_a_locked_database_makes_a_withdrawal_busy_not_half_done(world, monkeypatch, stage):
    app = journey.draft(world) if stage == "draft" else journey.submitted(world)

    def locked(**kwargs):
        raise OperationalError("database is locked")

    monkeypatch.setattr(audit, "record", locked)
    with pytest.raises(errors.ApplicationBusy):
        services.application_withdraw(actor=world.investor, application=app)
    app.refresh_from_db()
    assert app.status == stage


@pytest.mark.django_db
def test_a_return_or_resubmission_without_a_note_or_answer_keeps_them_empty(world):
    app = journey.submitted(world)
    request = services.application_return(actor=world.clerk, application=app, items=["x"])
    assert request.note == ""
    services.application_resubmit(actor=world.investor, application=app)
    assert app.corrections.get().answer == ""
    request = services.application_return(
        actor=world.clerk, application=app, items=["y"], note=None
    )
    assert request.note == ""
    services.application_resubmit(actor=world.investor, application=app, answer=None)
    assert list(app.corrections.values_list("answer", flat=True)) == ["", ""]


@pytest.mark.django_db
def test_a_case_decided_while_the_investor_looked_cannot_be_withdrawn(world):
    app = journey.submitted(world)
    stale = m.Application.objects.get(pk=app.pk)
    services.application_accept(actor=world.clerk, application=app)
    journey.approve_all(world, app)
    assert stale.status == m.ApplicationStatus.SUBMITTED  # what the investor's page showed
    with pytest.raises(ValidationError) as excinfo:
        services.application_withdraw(actor=world.investor, application=stale)
    assert excinfo.value.messages == ["A decided application cannot be withdrawn."]
    app.refresh_from_db()
    assert app.status == m.ApplicationStatus.APPROVED
    assert not app.steps.filter(finished_at__isnull=True).exists()
    assert m.AuditAction.WITHDRAWN not in actions(app)


@pytest.mark.django_db
def test_withdrawing_a_draft_leaves_the_other_drafts(world):
    app, other = journey.draft(world), journey.draft(world)
    services.application_withdraw(actor=world.investor, application=app)
    other.refresh_from_db()
    assert other.status == m.ApplicationStatus.DRAFT
    assert not other.audit_entries.filter(action=m.AuditAction.WITHDRAWN).exists()


@pytest.mark.django_db
def test_a_locked_database_makes_taking_a_task_busy(world, monkeypatch):
    app = journey.submitted(world)
    services.application_accept(actor=world.clerk, application=app)
    market = journey.review_of(app, "market")

    def locked(**kwargs):
        raise OperationalError("database is locked")

    monkeypatch.setattr(audit, "record", locked)
    with pytest.raises(errors.ApplicationBusy):
        services.task_assign(actor=world.reviewers["market"], task=market.task)
    assert app.steps.get(task=market.task).assigned_at is None


@pytest.mark.django_db
def test_accepting_one_case_leaves_the_next_one_waiting(world):
    # In either order: the window's task is looked up for this application only.
    for accepted, waiting in [(0, 1), (1, 0)]:
        cases = [journey.submitted(world), journey.submitted(world)]
        services.application_accept(actor=world.clerk, application=cases[accepted])
        for case in cases:
            case.refresh_from_db()
        assert (cases[accepted].status, cases[waiting].status) == (
            m.ApplicationStatus.IN_REVIEW,
            m.ApplicationStatus.SUBMITTED,
        )
        assert cases[accepted].reviews.count() == 3
        assert not cases[waiting].reviews.exists()
        assert cases[waiting].steps.get(kind=m.StepKind.ACCEPTANCE).finished_at is None


@pytest.mark.django_db
def test_a_value_no_longer_in_the_catalogue_is_not_asked_for(world):
    app = journey.complete(world, journey.draft(world))
    m.PrefilledValue.objects.create(
        application=app, field="retired.field", source="registry", state=m.ValueState.NOT_FOUND
    )
    assert services.application_completeness_errors(app) == {}


@pytest.mark.django_db
@pytest.mark.parametrize("step", ["submit", "accept"])
def test_a_locked_database_makes_submission_and_acceptance_busy(world, monkeypatch, step):
    app = journey.complete(world, journey.draft(world))
    if step == "accept":
        app = services.application_submit(actor=world.investor, application=app)

    def locked(**kwargs):
        raise OperationalError("database is locked")

    monkeypatch.setattr(audit, "record", locked)
    with pytest.raises(errors.ApplicationBusy):
        if step == "submit":
            services.application_submit(actor=world.investor, application=app)
        else:
            services.application_accept(actor=world.clerk, application=app)
    app.refresh_from_db()
    assert app.status == ("draft" if step == "submit" else "submitted")
