"""The approval engine end to end, through the services, on a simulated clock."""

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from viewflow.workflow.models import Task
from viewflow.workflow.status import PROCESS, STATUS
from viewflow.workflow.timers import fire_due_timers

from approvals import models as m
from approvals import selectors, services, timekeeping
from approvals.flows import SingleWindowFlow
from approvals.services import Deferral
from tests import factories as f
from tests import journey

SH = ZoneInfo("Asia/Shanghai")


def at(*args):
    return time_machine.travel(datetime(*args, tzinfo=SH), tick=False)


def tasks_of(app, node):
    return Task.objects.filter(process_id=app.process_id, flow_task=node)


@pytest.mark.django_db
def test_full_path_from_prefill_to_permit_in_the_licence_library(
    world, django_capture_on_commit_callbacks
):
    with at(2025, 11, 3, 9, 0):  # a Monday
        app = journey.draft(world)
        # Prefill: the registry and tax records were reused; nothing to hand in for them.
        reused = set(
            app.materials.filter(satisfied_by=m.SatisfiedBy.REUSE).values_list(
                "material__code", flat=True
            )
        )
        assert reused == {"registry", "tax-info"}
        name = app.values.get(field="enterprise.name_zh")
        assert (name.value, name.state) == (world.enterprise.name_zh, m.ValueState.PREFILLED)
        assert name.record_ref == f"enterprise:{world.enterprise.uscc}"
        assert name.read_at is not None
        journey.complete(world, app)
        app = services.application_submit(actor=world.investor, application=app)
        assert app.status == m.ApplicationStatus.SUBMITTED
    with at(2025, 11, 3, 15, 0), django_capture_on_commit_callbacks(execute=True):
        app = services.application_accept(actor=world.clerk, application=app)
        assert app.status == m.ApplicationStatus.IN_REVIEW
        # One review per department of the service, none for customs.
        assert set(app.reviews.values_list("department__code", flat=True)) == {
            "market",
            "commerce",
            "tax",
        }
        assert tasks_of(app, SingleWindowFlow.review).count() == 3
        assert not m.DepartmentReview.objects.filter(department__code="customs").exists()
    with at(2025, 11, 4, 15, 0), django_capture_on_commit_callbacks(execute=True):
        app = journey.approve_all(world, app)

    app.process.refresh_from_db()
    assert app.status == m.ApplicationStatus.APPROVED
    assert app.process.status == PROCESS.DONE
    permit = app.permit
    licence = m.Licence.objects.get(number=permit.number)
    assert (licence.holder, licence.licence_type) == (world.enterprise, "business-licence")
    assert licence.status == m.LicenceStatus.VALID

    clock = selectors.application_clock(app)
    assert clock.holder_now is None
    assert clock.end_to_end_calendar_days == pytest.approx(30 / 24)  # Mon 09:00 -> Tue 15:00
    assert clock.end_to_end_working_days == pytest.approx(30 / 24)
    assert clock.government_calendar_days == pytest.approx(30 / 24)
    assert clock.investor_calendar_days == 0
    assert clock.statutory_working_days == pytest.approx(1.0)  # accepted Mon 15:00
    assert clock.within_statute and clock.within_target
    # Government: acceptance, three reviews, the decision, and one outcome per matter (3).
    assert (clock.investor_steps, clock.government_steps) == (1, 8)
    review_steps = app.steps.filter(kind=m.StepKind.REVIEW)
    assert [s.working_days for s in review_steps] == [1.0, 1.0, 1.0]
    assert all(s.finished_at for s in app.steps.all())
    human = app.steps.exclude(kind__in=[m.StepKind.DECISION, m.StepKind.PERMIT])
    assert all(s.assigned_at and s.actor_id for s in human)

    summary = selectors.application_materials_summary(app)
    assert (summary.required, summary.reused, summary.submitted) == (6, 2, 4)
    assert summary.avoided_share == pytest.approx(2 / 6)
    assert [e.subject for e in mail.outbox if "accepted" in e.subject.lower()]
    assert [e.subject for e in mail.outbox if "decision" in e.subject.lower()]


@pytest.mark.django_db
def test_correction_time_is_the_investors_not_the_governments(
    world, django_capture_on_commit_callbacks
):
    with at(2025, 11, 3, 9, 0):
        app = journey.submitted(world)
    with at(2025, 11, 3, 11, 0), django_capture_on_commit_callbacks(execute=True):
        request = services.application_return(
            actor=world.clerk,
            application=app,
            items=[
                "租赁合同缺少签字页 / lease lacks the signature page",
                "章程日期 / articles date",
            ],
        )
        assert request.items[1].startswith("章程")
        app.refresh_from_db()
        assert app.status == m.ApplicationStatus.RETURNED
        correction = tasks_of(app, SingleWindowFlow.correct).get()
        assert correction.owner == world.investor
    assert "correction" in mail.outbox[-1].subject
    with at(2025, 11, 5, 11, 0):
        services.application_values_update(
            actor=world.investor, application=app, values={"enterprise.address": "海口市新地址8号"}
        )
        app = services.application_resubmit(actor=world.investor, application=app, answer="已补正")
        assert app.status == m.ApplicationStatus.SUBMITTED
    with at(2025, 11, 5, 12, 0):
        services.application_accept(actor=world.clerk, application=app)
    with at(2025, 11, 6, 12, 0):
        app = journey.approve_all(world, app)

    assert app.status == m.ApplicationStatus.APPROVED
    clock = selectors.application_clock(app)
    assert clock.investor_calendar_days == pytest.approx(2.0)
    assert clock.government_calendar_days == pytest.approx(27 / 24)
    assert clock.end_to_end_calendar_days == pytest.approx(3 + 3 / 24)
    assert clock.statutory_working_days == pytest.approx(1.0)
    assert (clock.investor_steps, clock.government_steps) == (2, 9)
    assert app.corrections.get().answered_at is not None
    corrected = app.values.get(field="enterprise.address")
    assert corrected.corrected and corrected.source_value == world.enterprise.address


@pytest.mark.django_db
def test_one_refused_matter_is_refused_with_its_reasons_and_the_others_stand(world):
    app = journey.submitted(world)
    services.application_accept(actor=world.clerk, application=app)
    market = journey.review_of(app, "market")
    with pytest.raises(ValidationError) as err:
        services.review_complete(actor=world.reviewers["market"], review=market, approve=False)
    assert "reasons" in err.value.message_dict
    market.refresh_from_db()
    assert market.decision == m.ReviewDecision.PENDING
    services.review_complete(
        actor=world.reviewers["market"],
        review=market,
        approve=False,
        reasons="经营范围涉及禁止类 / scope is on the negative list",
    )
    for code in ("commerce", "tax"):
        services.review_complete(
            actor=world.reviewers[code], review=journey.review_of(app, code), approve=True
        )
    app.refresh_from_db()
    app.process.refresh_from_db()
    assert app.status == m.ApplicationStatus.PARTLY_APPROVED
    assert "negative list" in app.decision_reasons
    assert app.process.status == PROCESS.DONE
    # No outcome for the refused matter; one for each matter that needed nothing of it.
    assert sorted(
        m.Permit.objects.filter(application=app).values_list("matter__matter__code", flat=True)
    ) == sorted([world.matters["commerce"].code, world.matters["tax"].code])


@pytest.mark.django_db
def test_every_matter_refused_rejects_the_application(world):
    app = journey.submitted(world)
    services.application_accept(actor=world.clerk, application=app)
    for code in ("market", "commerce", "tax"):
        services.review_complete(
            actor=world.reviewers[code],
            review=journey.review_of(app, code),
            approve=False,
            reasons=f"{code}: scope is on the negative list",
        )
    app.refresh_from_db()
    assert app.status == m.ApplicationStatus.REJECTED
    assert not m.Permit.objects.filter(application=app).exists()


@pytest.mark.django_db
def test_deferred_material_gets_a_due_date_and_can_be_handed_in_later(world):
    with at(2025, 9, 30, 10, 0):  # the day before the National Day holiday
        app = journey.submitted(world)
        seal = app.materials.get(material__code="seal")
        assert seal.satisfied_by == m.SatisfiedBy.DEFERRAL
        services.application_accept(actor=world.clerk, application=app)
    seal.refresh_from_db()
    # Five working days from Sep 30 10:00 skip Oct 1-8: Oct 9, 10, 11 (make-up), 13, 14.
    assert seal.due_date == date(2025, 10, 14)
    assert (
        seal.due_date
        == timekeeping.add_working_days(datetime(2025, 9, 30, 10, tzinfo=SH), 5).date()
    )
    with at(2025, 10, 9, 9, 0):
        services.material_upload(
            actor=world.investor, application=app, material_code="seal", upload=f.pdf_upload()
        )
    seal.refresh_from_db()
    assert seal.satisfied_by == m.SatisfiedBy.UPLOAD and seal.received_at is not None


@pytest.mark.django_db
def test_clerk_sets_a_due_date_and_cannot_defer_what_the_service_does_not_allow(world):
    app = journey.submitted(world)
    with pytest.raises(ValidationError) as err:
        services.application_accept(
            actor=world.clerk,
            application=app,
            deferrals=[Deferral("form"), Deferral("seal", date(2000, 1, 1))],
        )
    messages = err.value.message_dict
    assert "cannot be handed in later" in messages["material:form"][0]
    assert "future" in messages["material:seal"][0]
    app.refresh_from_db()
    assert app.status == m.ApplicationStatus.SUBMITTED  # nothing half-written
    due = date(2099, 1, 5)
    services.application_accept(
        actor=world.clerk, application=app, deferrals=[Deferral("seal", due)]
    )
    assert app.materials.get(material__code="seal").due_date == due


@pytest.mark.django_db
def test_second_application_reuses_the_permit_of_the_first(world):
    project = f.ServiceFactory(code="project")
    f.thing_part(project, world.departments[0])
    f.MaterialFactory(
        service=project, code="business-licence", reuse_key="licence:business-licence"
    )
    f.MaterialFactory(service=project, code="registry", reuse_key="enterprise_registry")
    f.MaterialFactory(service=project, code="plan")

    def project_draft():
        return services.application_create(
            applicant=world.investor, service=project, uscc=world.enterprise.uscc
        )

    before = project_draft()
    assert selectors.application_materials_summary(before).reused == 1

    first = journey.submitted(world)
    services.application_accept(actor=world.clerk, application=first)
    first = journey.approve_all(world, first)

    after = project_draft()
    reused = after.materials.get(material__code="business-licence")
    assert reused.satisfied_by == m.SatisfiedBy.REUSE
    assert reused.reuse_reference == first.permit.number
    assert selectors.application_materials_summary(after).reused == 2


@pytest.mark.django_db
def test_an_overdue_review_escalates_once_and_still_completes_the_process(
    world, django_capture_on_commit_callbacks
):
    with at(2025, 11, 3, 9, 0):
        app = journey.submitted(world)
        services.application_accept(actor=world.clerk, application=app)
    market = journey.review_of(app, "market")
    # One working day from Monday 09:00 is the whole of Monday: due at its close.
    assert market.due_at == datetime(2025, 11, 3, 17, 30, tzinfo=SH)
    with at(2025, 11, 3, 16, 0):
        for code in ("commerce", "tax"):
            services.review_complete(
                actor=world.reviewers[code], review=journey.review_of(app, code), approve=True
            )
        assert fire_due_timers() == 0
    with at(2025, 11, 4, 9, 30), django_capture_on_commit_callbacks(execute=True):
        assert fire_due_timers() == 1
        assert fire_due_timers() == 0
    escalation = m.Escalation.objects.get()
    assert (escalation.review, escalation.department.code) == (market, "market")
    assert [e for e in mail.outbox if "overdue" in e.subject and world.supervisor.email in e.to]
    with at(2025, 11, 4, 11, 0):
        services.review_complete(actor=world.reviewers["market"], review=market, approve=True)
    app.refresh_from_db()
    app.process.refresh_from_db()
    assert app.status == m.ApplicationStatus.APPROVED
    assert app.process.status == PROCESS.DONE
    assert not tasks_of(app, SingleWindowFlow.review).filter(status=STATUS.CANCELED).exists()
    assert tasks_of(app, SingleWindowFlow.review).filter(status=STATUS.DONE).count() == 3
    assert m.Escalation.objects.count() == 1


@pytest.mark.django_db
def test_a_reviewer_cannot_decide_another_departments_review(world):
    app = journey.submitted(world)
    services.application_accept(actor=world.clerk, application=app)
    market = journey.review_of(app, "market")
    for outsider in (world.reviewers["customs"], world.reviewers["tax"], world.investor):
        with pytest.raises(PermissionDenied, match=r"^Only reviewers of Department market may"):
            services.review_complete(actor=outsider, review=market, approve=True)
    market.refresh_from_db()
    assert market.decision == m.ReviewDecision.PENDING and market.task.owner is None
    # Someone who took the task owns it; a colleague cannot complete it under them.
    colleague = f.UserFactory(groups=["reviewer:market"])
    services.task_assign(actor=world.reviewers["market"], task=market.task)
    with pytest.raises(PermissionDenied, match=r"^This task is assigned to someone else\.$"):
        services.review_complete(actor=colleague, review=market, approve=True)
    with pytest.raises(PermissionDenied, match=r"^Only window clerks may accept or return"):
        services.application_accept(actor=world.investor, application=app)


@pytest.mark.django_db
def test_an_investor_cannot_touch_another_investors_application(world):
    app = journey.complete(world, journey.draft(world))
    other = world.other_investor
    attempts = [
        lambda: services.application_values_update(
            actor=other, application=app, values={"enterprise.address": "x"}
        ),
        lambda: services.material_upload(
            actor=other, application=app, material_code="form", upload=f.pdf_upload()
        ),
        lambda: services.material_commit(
            actor=other, application=app, material_code="lease", text="a long enough text"
        ),
        lambda: services.application_submit(actor=other, application=app),
        lambda: services.application_withdraw(actor=other, application=app),
    ]
    for attempt in attempts:
        with pytest.raises(PermissionDenied, match=r"^Only the applicant may change this"):
            attempt()
    app.refresh_from_db()
    assert app.status == m.ApplicationStatus.DRAFT
    assert app.values.get(field="enterprise.address").value == world.enterprise.address


@pytest.mark.django_db
def test_submitting_twice_or_retrying_create_makes_one_application(world):
    first = services.application_create(
        applicant=world.investor,
        service=world.service,
        uscc=world.enterprise.uscc,
        idempotency_key="k-1",
    )
    again = services.application_create(
        applicant=world.investor,
        service=world.service,
        uscc=world.enterprise.uscc,
        idempotency_key="k-1",
    )
    assert again.pk == first.pk
    journey.complete(world, first)
    services.application_submit(actor=world.investor, application=first)
    services.application_submit(actor=world.investor, application=first)
    assert m.Application.objects.count() == 1
    assert Task.objects.filter(flow_task=SingleWindowFlow.start).count() == 1
    assert Task.objects.filter(flow_task=SingleWindowFlow.accept).count() == 1


@pytest.mark.django_db
def test_incomplete_or_invalid_input_is_refused_with_every_problem_listed(world):
    with pytest.raises(ValidationError) as err:
        services.application_create(
            applicant=world.investor, service=world.service, uscc="91460100MA0000001X"
        )
    assert "check character" in " ".join(err.value.messages)
    assert m.Application.objects.count() == 0

    app = journey.draft(world)
    with pytest.raises(ValidationError) as err:
        services.application_submit(actor=world.investor, application=app)
    problems = err.value.message_dict
    assert {"material:form", "material:lease", "material:seal", "material:prior-licence"} <= set(
        problems
    )
    app.refresh_from_db()
    assert app.status == m.ApplicationStatus.DRAFT and app.process is None
    with pytest.raises(ValidationError) as err:
        services.application_values_update(
            actor=world.investor,
            application=app,
            values={"enterprise.registered_capital": "lots", "no.such": "x"},
        )
    assert set(err.value.message_dict) == {"enterprise.registered_capital", "no.such"}
    # A commitment long enough for the 10-character rule: only the lane can refuse it.
    with pytest.raises(ValidationError, match=r"cannot be replaced by a commitment\."):
        services.material_commit(
            actor=world.investor,
            application=app,
            material_code="form",
            text="本企业承诺此项材料真实有效 / we commit that it is true",
        )
    with pytest.raises(ValidationError, match=r"This material cannot be handed in later\."):
        services.material_defer(actor=world.investor, application=app, material_code="form")


@pytest.mark.django_db
def test_withdrawal_cancels_the_process_and_stops_the_clock(world):
    app = journey.submitted(world)
    app = services.application_withdraw(actor=world.investor, application=app)
    app.process.refresh_from_db()
    assert app.status == m.ApplicationStatus.WITHDRAWN
    assert app.process.status == PROCESS.CANCELED
    assert not app.clock_intervals.filter(ended_at__isnull=True).exists()
    with pytest.raises(ValidationError, match=r"A decided application cannot be withdrawn\."):
        services.application_withdraw(actor=world.investor, application=app)


@pytest.mark.django_db
def test_status_follows_the_process(world):
    """The business status and viewflow's process never disagree."""
    app = journey.submitted(world)
    assert app.process.status == PROCESS.NEW
    services.application_return(actor=world.clerk, application=app, items=["x"])
    app.refresh_from_db()
    assert app.status == m.ApplicationStatus.RETURNED
    assert tasks_of(app, SingleWindowFlow.correct).exclude(status=STATUS.DONE).count() == 1
    services.application_resubmit(actor=world.investor, application=app)
    app.refresh_from_db()
    assert tasks_of(app, SingleWindowFlow.accept).exclude(status=STATUS.DONE).count() == 1
    # The same resubmission again (a retried request) changes nothing; a different one
    # is refused.
    services.application_resubmit(actor=world.investor, application=app)
    assert tasks_of(app, SingleWindowFlow.accept).count() == 2
    assert app.audit_entries.filter(action=m.AuditAction.RESUBMITTED).count() == 1
    with pytest.raises(ValidationError, match=r"Only an application returned for correction"):
        services.application_resubmit(actor=world.investor, application=app, answer="other")


@pytest.mark.django_db
@pytest.mark.parametrize(
    "amount", ["NaN", "sNaN", "Infinity", "-Infinity", "1e999999999", "1e-999999", "0", "-5"]
)
def test_amounts_that_are_not_amounts_are_refused_with_a_reason(world, amount):
    app = journey.draft(world)
    with pytest.raises(ValidationError) as error:
        services.application_values_update(
            actor=world.investor,
            application=app,
            values={"enterprise.registered_capital": amount},
        )
    assert error.value.message_dict["enterprise.registered_capital"]
    assert app.values.get(field="enterprise.registered_capital").confirmed_at is None
