"""Issuing each approved matter's outcome, with the facts decided, into the licence library."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from approvals import (
    audit,
    clock,
    establishment,
    jobs,
    permits,
)
from approvals.engine.ledger import step_finish
from approvals.models import (
    Application,
    ApplicationMatter,
    AuditAction,
    ClockHolder,
    Enterprise,
    Licence,
    MatterState,
    Permit,
    Step,
    StepKind,
)
from approvals.models.permits import PERMIT_FACTS, registry_facts


def outcome_number(part: ApplicationMatter) -> str:
    """The outcome's number in its matter's own format."""
    issued = timezone.localdate(clock.now())
    return part.matter.outcome_number_format.format(
        year=issued.year, matter=part.matter_id, application=part.application_id, seq=part.pk
    )


def _holder(application: Application, part: ApplicationMatter) -> Enterprise:
    """The holder: the registry record; for an establishment, the enterprise market regulation
    registers when its matter is approved, with a new credit code (approvals.establishment).

    Nothing else enters the registry here: an application for an existing
    enterprise is opened only on a basis the registry holds
    (approvals.representation), so its enterprise is there. A matter of an
    establishment needs the registering one first (tests/test_fixtures.py)."""
    if application.name_reservation_id and (
        part.matter.establishes_enterprise or application.enterprise_id is None
    ):
        return establishment.register_enterprise(application)
    return application.enterprise


def decided_facts(application: Application, holder: Enterprise) -> tuple[dict[str, str], str]:
    """What the outcome states: each value as the application held it at the decision
    (confirmed or corrected), the registry's where the application has none; and the scope."""
    values = {
        field: value.strip()
        for field, value in application.values.values_list("field", "value")
        if value and value.strip()
    }
    registry = registry_facts(holder)
    facts = {key: values.get(field, registry[key]) for key, field, _attr in PERMIT_FACTS}
    scope = values.get("enterprise.business_scope") or holder.business_scope
    return facts, scope


def _valid_until(today, years):
    if not years:
        return None
    try:
        return today.replace(year=today.year + years)
    except ValueError:  # 29 February
        return today.replace(year=today.year + years, day=28)


def outcome_issue(*, part: ApplicationMatter) -> Permit:
    """Issue an approved matter's outcome and put it into the licence library, once."""
    existing = Permit.objects.filter(matter=part).first()
    if existing is not None:
        return existing
    application, matter = part.application, part.matter
    holder = _holder(application, part)
    now = clock.now()
    today = timezone.localdate(now)
    valid_until = _valid_until(today, matter.outcome_valid_years)
    number = outcome_number(part)
    licence = Licence.objects.create(
        # A business licence is numbered by the enterprise's credit code.
        number=holder.uscc if matter.establishes_enterprise else number,
        licence_type=matter.outcome_licence_type,
        name_zh=matter.outcome_name_zh,
        name_en=matter.outcome_name_en,
        holder=holder,
        issuer=matter.department.name_zh or _("Single window"),
        issued_on=today,
        valid_until=valid_until,
    )
    facts, scope = decided_facts(application, holder)
    permit = Permit.objects.create(
        number=number,
        application=application,
        matter=part,
        holder=holder,
        scope=scope,
        facts=facts,
        issued_at=now,
        valid_from=today,
        valid_until=valid_until,
        licence=licence,
    )
    step = Step.objects.create(
        application=application,
        kind=StepKind.PERMIT,
        matter=part,
        holder=ClockHolder.GOVERNMENT,
        created_at=part.decided_at or now,
    )
    step_finish(step, actor=None, at=now)
    audit.record(
        actor=None,
        application=application,
        action=AuditAction.PERMIT_ISSUED,
        permit=number,
        matter=matter.code,
    )
    # The PDF is made after the decision has committed and outside its
    # transaction: a renderer failure marks the permit for a retry
    # (manage.py render_permits) and never undoes the approval.
    if not jobs.held():  # a simulation's permits wait for the renderer's sweep
        transaction.on_commit(lambda: permits.render_soon(permit.pk))
    return permit


def outcomes_issue(*, application: Application) -> list[Permit]:
    """Every approved matter's outcome, issuing any that is missing (each is issued when its
    matter is approved; this is the decision's check that none was lost)."""
    parts = application.matters.filter(state=MatterState.APPROVED).select_related(
        "matter__department", "application"
    )
    return [outcome_issue(part=part) for part in parts]
