"""The report's filters: one definition for the page, the exports, the API, the task, the command.

A FilterSet turns the page's query string (or the command's options) into a
``Population``: a service, a department, a range of decision dates,
with or without simulated applications.
``manage.py approval_report`` feeds its options through the same FilterSet,
so the command and the page can never disagree on what "from 1 March" means.
"""

from __future__ import annotations

import django_filters
from django import forms
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from approvals.models import Application, Department, Service
from approvals.reports.figures import Population, Report, approval_report


class ReportFilterForm(forms.Form):
    def clean(self):
        cleaned = super().clean()
        start, end = cleaned.get("decided_from"), cleaned.get("decided_to")
        if start and end and start > end:
            raise ValidationError(
                _("The first day (%(start)s) is after the last day (%(end)s).")
                % {"start": start.isoformat(), "end": end.isoformat()},
                code="date_order",
            )
        return cleaned


class CheckboxFilter(django_filters.Filter):
    """A checkbox: unticked is False (not "unknown"), so its method always runs."""

    field_class = forms.BooleanField


class ReportFilterSet(django_filters.FilterSet):
    """The form of the report's filters; what they mean is ``Population``.

    The declared filters parse, validate and render the input; the filtering
    itself is the population's condition, so the page, its exports and the
    command all count the same applications.
    """

    service = django_filters.ModelChoiceFilter(
        label=_("Service"),
        queryset=Service.objects.order_by("code"),
        to_field_name="code",
        empty_label=_("All services"),
    )
    department = django_filters.ModelChoiceFilter(
        label=_("Department"),
        queryset=Department.objects.order_by("code"),
        to_field_name="code",
        empty_label=_("All departments"),
        help_text=_("Applications of the services this department takes part in."),
    )
    decided_from = django_filters.DateFilter(
        label=_("Decided from"),
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text=_("First day of decision, included (YYYY-MM-DD)."),
    )
    decided_to = django_filters.DateFilter(
        label=_("Decided until"),
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text=_("Last day of decision, included (YYYY-MM-DD)."),
    )
    include_simulated = CheckboxFilter(label=_("Include simulated applications"))

    class Meta:
        model = Application
        fields = ["service", "department", "decided_from", "decided_to", "include_simulated"]
        form = ReportFilterForm

    def __init__(self, data=None, queryset=None, **kwargs):
        # Always bound, so that "no simulated applications" applies to a bare URL too.
        if queryset is None:
            queryset = Application.objects.all()
        super().__init__(data if data is not None else {}, queryset=queryset, **kwargs)

    def population(self) -> Population:
        """The applications asked for; call after is_valid()."""
        data = self.form.cleaned_data
        return Population(
            service=data.get("service"),
            department=data.get("department"),
            decided_from=data.get("decided_from"),
            decided_to=data.get("decided_to"),
            include_simulated=bool(data.get("include_simulated")),
        )

    def filter_queryset(self, queryset: QuerySet) -> QuerySet:
        return queryset.filter(self.population().q())

    def report(self) -> Report:
        """The figures for the applications asked for; call after is_valid()."""
        return approval_report(self.population())
