"""The filters of the API's lists (django-filter). Each narrows a queryset a
selector has already scoped to the user; none widens it."""

from __future__ import annotations

import django_filters

from approvals.models import Application, ApplicationStatus, DepartmentReview, Service


class ServiceFilter(django_filters.FilterSet):
    department = django_filters.CharFilter(
        field_name="service_departments__department__code",
        help_text="Only services this department takes part in (department code).",
    )

    class Meta:
        model = Service
        fields = ["department"]


class ApplicationFilter(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(choices=ApplicationStatus.choices)
    service = django_filters.CharFilter(field_name="service__code", help_text="Service code.")
    uscc = django_filters.CharFilter(help_text="Unified social credit code.")
    created_after = django_filters.IsoDateTimeFilter(
        field_name="created_at", lookup_expr="gte", help_text="Created at or after (ISO 8601)."
    )
    created_before = django_filters.IsoDateTimeFilter(
        field_name="created_at", lookup_expr="lt", help_text="Created before (ISO 8601)."
    )

    class Meta:
        model = Application
        fields = ["status", "service", "uscc", "created_after", "created_before"]


class WindowFilter(django_filters.FilterSet):
    service = django_filters.CharFilter(field_name="service__code", help_text="Service code.")

    class Meta:
        model = Application
        fields = ["service"]


class TaskFilter(django_filters.FilterSet):
    service = django_filters.CharFilter(
        field_name="application__service__code", help_text="Service code."
    )
    department = django_filters.CharFilter(
        field_name="department__code", help_text="Department code (one of yours)."
    )
    due_before = django_filters.IsoDateTimeFilter(
        field_name="due_at", lookup_expr="lt", help_text="Due before (ISO 8601)."
    )

    class Meta:
        model = DepartmentReview
        fields = ["service", "department", "due_before"]
