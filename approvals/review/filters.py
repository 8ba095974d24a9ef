"""Filters of the supervisors' audit trail page (django-filter)."""

from __future__ import annotations

import django_filters
from django import forms
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from approvals.models import AuditAction, AuditEntry


class AuditFilter(django_filters.FilterSet):
    application = django_filters.CharFilter(
        label=_("Application"),
        method="filter_application",
        help_text=_("Its reference, e.g. HW20260000123."),
    )
    actor = django_filters.CharFilter(
        label=_("Who"), field_name="actor_name", help_text=_("Username, exactly.")
    )
    action = django_filters.ChoiceFilter(
        label=_("What"), choices=AuditAction.choices, empty_label=_("Every action")
    )
    since = django_filters.DateFilter(
        label=pgettext_lazy("start of a date range", "From"),
        field_name="at",
        lookup_expr="date__gte",
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    until = django_filters.DateFilter(
        label=pgettext_lazy("end of a date range", "Until"),
        field_name="at",
        lookup_expr="date__lte",
        widget=forms.DateInput(attrs={"type": "date"}),
    )

    class Meta:
        model = AuditEntry
        fields = ["application", "actor", "action", "since", "until"]

    def filter_application(self, queryset, name, value):
        # HW + year (4) + zero-padded primary key: see Application.reference.
        value = value.strip().upper()
        if value.startswith("HW") and value[2:].isdigit() and len(value) > 6:
            return queryset.filter(application_id=int(value[6:]))
        return queryset.none()
