"""What every official screen shows about one application, as its viewer may see it."""

from __future__ import annotations

from dataclasses import dataclass

from django.utils import timezone

from approvals import prefill, privacy
from approvals.models import (
    DEFERRED_DELIVERY_STATUSES,
    Application,
    ApplicationMaterial,
    CorrectionRequest,
    DepartmentReview,
    PrefilledValue,
    SatisfiedBy,
)
from approvals.selectors.ledger import (
    SUBMITTED_WAYS,
    ClockSummary,
    MaterialsSummary,
    application_clock,
)
from approvals.selectors.portal import (
    application_corrections,
    application_materials,
    application_reviews,
)
from approvals.selectors.values import application_values


@dataclass(frozen=True)
class ApplicationScreen:
    """What every official screen shows about one application."""

    application: Application
    values: list[PrefilledValue]
    materials: list[ApplicationMaterial]
    corrections: list[CorrectionRequest]
    reviews: list[DepartmentReview]
    clock: ClockSummary
    materials_summary: MaterialsSummary

    @property
    def corrected_values(self) -> list[PrefilledValue]:
        return [v for v in self.values if v.corrected]

    @property
    def deferred_materials(self) -> list[ApplicationMaterial]:
        return [m for m in self.materials if m.satisfied_by == SatisfiedBy.DEFERRAL or m.due_date]

    @property
    def overdue_materials(self) -> list[ApplicationMaterial]:
        """Deferred, still expected, and past the due date (as overdue_deferred_materials)."""
        today = timezone.localdate()
        return [
            m
            for m in self.materials
            if m.satisfied_by == SatisfiedBy.DEFERRAL
            and m.received_at is None
            and m.due_date is not None
            and m.due_date < today
            and self.application.status in DEFERRED_DELIVERY_STATUSES
        ]


def application_screen(application: Application, *, viewer=None) -> ApplicationScreen:
    """The application's values with their provenance, its materials, its
    correction history, the departments' progress and its clock, as `viewer`
    may see them: identity numbers masked unless the viewer needs them (no
    viewer: masked), an unmasked view by an official audited (approvals.privacy).

    A fixed number of queries: one per list, two for the clock (plus the
    viewer's role check and the audit entry when identity numbers are held).
    """

    specs = prefill.field_specs()
    source_labels = {src.name: src.label for src in prefill.sources()}
    values = privacy.present_values(
        application_values(application), viewer=viewer, application=application
    )
    for value in values:
        spec = specs.get(value.field)
        value.label = spec[0].label if spec else value.field
        value.source_label = source_labels.get(value.source, value.source)
    materials = list(application_materials(application))
    return ApplicationScreen(
        application=application,
        values=values,
        materials=materials,
        corrections=list(application_corrections(application)),
        reviews=list(application_reviews(application)),
        clock=application_clock(application),
        materials_summary=MaterialsSummary(
            required=len(materials),
            reused=sum(m.satisfied_by == SatisfiedBy.REUSE for m in materials),
            submitted=sum(m.satisfied_by in SUBMITTED_WAYS for m in materials),
        ),
    )
