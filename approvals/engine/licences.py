"""Issuing the permit of an approved application, with the facts decided,
into the licence library."""

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
    AuditAction,
    ClockHolder,
    Enterprise,
    Licence,
    Permit,
    Step,
    StepKind,
)
from approvals.models.permits import PERMIT_FACTS, registry_facts


def permit_number(application: Application) -> str:
    issued = timezone.localdate()
    return f"HNSW-{issued:%Y}-{application.service_id:03d}-{application.pk:08d}"


def _enterprise_for_permit(application: Application) -> Enterprise:
    """The holder: the registry record; for an establishment, the enterprise market
    regulation registers now, with a new credit code (approvals.establishment).

    Nothing else enters the registry here: an application for an existing
    enterprise is opened only on a basis the registry holds
    (approvals.representation), so its enterprise is there."""
    if application.name_reservation_id:
        return establishment.register_enterprise(application)
    return application.enterprise


def decided_facts(application: Application, holder: Enterprise) -> tuple[dict[str, str], str]:
    """What the permit states: each value as the application held it at the decision
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


def permit_issue(*, application: Application) -> Permit:
    """Issue the permit record and put it into the licence library, once."""
    existing = Permit.objects.filter(application=application).first()
    if existing is not None:
        return existing
    service = application.service
    holder = _enterprise_for_permit(application)
    now = clock.now()
    today = timezone.localdate(now)
    valid_until = None
    if service.permit_valid_years:
        try:
            valid_until = today.replace(year=today.year + service.permit_valid_years)
        except ValueError:  # 29 February
            valid_until = today.replace(year=today.year + service.permit_valid_years, day=28)
    number = permit_number(application)
    departments = ", ".join(
        service.service_departments.order_by("department__code").values_list(
            "department__name_zh", flat=True
        )
    )
    licence = Licence.objects.create(
        # A business licence is numbered by the enterprise's credit code.
        number=holder.uscc if service.establishes_enterprise else number,
        licence_type=service.permit_licence_type,
        name_zh=service.permit_name_zh,
        name_en=service.permit_name_en,
        holder=holder,
        issuer=departments or _("Single window"),
        issued_on=today,
        valid_until=valid_until,
    )
    facts, scope = decided_facts(application, holder)
    permit = Permit.objects.create(
        number=number,
        application=application,
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
        holder=ClockHolder.GOVERNMENT,
        created_at=application.decided_at or now,
    )
    step_finish(step, actor=None, at=now)
    audit.record(
        actor=None, application=application, action=AuditAction.PERMIT_ISSUED, permit=number
    )
    # The PDF is made after the decision has committed and outside its
    # transaction: a renderer failure marks the permit for a retry
    # (manage.py render_permits) and never undoes the approval.
    if not jobs.held():  # a simulation's permits wait for the renderer's sweep
        transaction.on_commit(lambda: permits.render_soon(permit.pk))
    return permit
