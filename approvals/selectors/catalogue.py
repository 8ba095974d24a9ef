"""Reads of the catalogue: the public guide, a service's decision times, reasons, departments."""

from __future__ import annotations

from django.db.models import DurationField, ExpressionWrapper, F, Prefetch, QuerySet

from approvals.models import (
    Application,
    Department,
    Material,
    Service,
    ThingMatter,
)


def service_guide() -> QuerySet[Service]:
    """Open services with their matters (and each matter's department) and materials, for the
    public guide."""
    return (
        Service.objects.filter(is_active=True)
        .prefetch_related(
            Prefetch(
                "thing_matters",
                queryset=ThingMatter.objects.select_related("matter__department", "determinant")
                .prefetch_related("matter__requires")
                .order_by("order", "matter__code"),
            ),
            Prefetch(
                "materials",
                queryset=Material.objects.select_related(
                    "department", "determinant"
                ).prefetch_related("matters"),
            ),
        )
        .order_by("code")
    )


def median_decision_days(service: Service) -> float | None:
    """Median calendar days from submission to decision of the service's real applications.

    Computed in the database (order by the duration, read the middle one or
    two rows), so it costs two queries whatever the number of applications.
    """
    durations = (
        Application.objects.filter(
            service=service,
            decided_at__isnull=False,
            submitted_at__isnull=False,
            is_simulated=False,
        )
        .annotate(
            took=ExpressionWrapper(
                F("decided_at") - F("submitted_at"), output_field=DurationField()
            )
        )
        .order_by("took")
    )
    n = durations.count()
    if n == 0:
        return None
    middle = list(durations.values_list("took", flat=True)[(n - 1) // 2 : n // 2 + 1])
    seconds = sum(d.total_seconds() for d in middle) / len(middle)
    return round(seconds / 86400, 2)


def departments_all() -> QuerySet[Department]:
    return Department.objects.order_by("code")


def departments_deciding(*thing_codes: str) -> QuerySet[Department]:
    """The departments deciding a matter of these things, each once, by code, with the
    reviewers' group (a thing's departments are its matters')."""
    return (
        Department.objects.filter(matters__things__code__in=thing_codes)
        .select_related("reviewer_group")
        .distinct()
        .order_by("code")
    )
