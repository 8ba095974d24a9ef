"""The values an application holds: in the sources' order, or one of them as a
subquery, so a list shows the name an applicant typed in the same SELECT."""

from __future__ import annotations

from django.db.models import OuterRef, Subquery

from approvals import prefill
from approvals.models import Application, PrefilledValue


def application_values(application: Application) -> list[PrefilledValue]:
    """The application's fields in the order the sources define them."""
    order = {key: i for i, key in enumerate(prefill.field_specs())}
    return sorted(application.values.all(), key=lambda v: (order.get(v.field, len(order)), v.pk))


def typed_value(field: str) -> Subquery:
    """`field`'s value of the application in the outer query (a list of applications)."""
    return Subquery(
        PrefilledValue.objects.filter(application=OuterRef("pk"), field=field)
        .order_by()
        .values("value")[:1]
    )


def typed_value_of_application(field: str) -> Subquery:
    """`field`'s value of the outer row's application (a list of reviews)."""
    return Subquery(
        PrefilledValue.objects.filter(application=OuterRef("application_id"), field=field)
        .order_by()
        .values("value")[:1]
    )
