"""The filters of the API's lists (django-filter). Each narrows a queryset a
selector has already scoped to the user; none widens it."""

from __future__ import annotations

import datetime
import re

import django_filters
from django import forms
from django.core.exceptions import ValidationError
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext_lazy as _

from approvals.models import Application, ApplicationStatus, DepartmentReview, Service


class FilterForm(forms.Form):
    """A date or a choice sent empty is refused, not read as "no filter": the
    schema gives such a parameter a form (a date-time, one of a list) that an
    empty value does not have, and a client sending one has a bug to hear of.
    A text filter sent empty still means no filter."""

    def clean(self):
        cleaned = super().clean()
        for name, field in self.fields.items():
            if type(field) is not forms.CharField and self.data.get(name) == "":
                self.add_error(name, _("Leave this parameter out rather than send it empty."))
        return cleaned


# RFC 3339's date-time, which the schema promises: a time zone offset is required.
_DATE_TIME = re.compile(r"\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})")


class MomentField(forms.Field):
    """A date and time with its offset, read as UTC.

    In UTC because an offset RFC 3339 allows (up to 23:59) is one PostgreSQL
    refuses (beyond 15:59), and a moment that falls outside the years 1 to
    9999 once in UTC is one SQLite's adapter cannot convert: both were 500s.
    """

    def to_python(self, value):
        if value in self.empty_values:
            return None
        invalid = ValidationError(
            _("Enter a date and time with its offset, for example 2025-03-01T09:00:00+08:00."),
            code="invalid",
        )
        if not _DATE_TIME.fullmatch(value):
            raise invalid
        try:
            moment = parse_datetime(value.upper())
            return moment.astimezone(datetime.UTC)
        except (ValueError, OverflowError) as exc:
            raise invalid from exc


class MomentFilter(django_filters.IsoDateTimeFilter):
    field_class = MomentField


class ServiceFilter(django_filters.FilterSet):
    department = django_filters.CharFilter(
        field_name="thing_matters__matter__department__code",
        distinct=True,
        help_text="Only services one of whose matters this department decides (department code).",
    )

    class Meta:
        model = Service
        fields = ["department"]
        form = FilterForm


class ApplicationFilter(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(choices=ApplicationStatus.choices)
    service = django_filters.CharFilter(field_name="service__code", help_text="Service code.")
    uscc = django_filters.CharFilter(help_text="Unified social credit code.")
    created_after = MomentFilter(
        field_name="created_at",
        lookup_expr="gte",
        help_text="Created at or after (RFC 3339, with an offset: 2025-03-01T09:00:00+08:00).",
    )
    created_before = MomentFilter(
        field_name="created_at",
        lookup_expr="lt",
        help_text="Created before (RFC 3339, with an offset).",
    )

    class Meta:
        model = Application
        fields = ["status", "service", "uscc", "created_after", "created_before"]
        form = FilterForm


class WindowFilter(django_filters.FilterSet):
    service = django_filters.CharFilter(field_name="service__code", help_text="Service code.")

    class Meta:
        model = Application
        fields = ["service"]
        form = FilterForm


class TaskFilter(django_filters.FilterSet):
    service = django_filters.CharFilter(
        field_name="application__service__code", help_text="Service code."
    )
    department = django_filters.CharFilter(
        field_name="department__code", help_text="Department code (one of yours)."
    )
    due_before = MomentFilter(
        field_name="due_at", lookup_expr="lt", help_text="Due before (RFC 3339, with an offset)."
    )

    class Meta:
        model = DepartmentReview
        fields = ["service", "department", "due_before"]
        form = FilterForm
