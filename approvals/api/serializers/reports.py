"""The approval-time report as the API documents it: its query and its figures."""

from __future__ import annotations

import dataclasses

from rest_framework import serializers

from approvals import reports


def _report_row_field(annotation) -> serializers.Field:
    text = str(annotation)
    if text.startswith("str"):
        return serializers.CharField()
    if text.startswith("int"):
        return serializers.IntegerField(allow_null="None" in text)
    return serializers.FloatField(allow_null=True)


class ReportQuerySerializer(serializers.Serializer):
    """The report's query as the API documents it, checked before the report's
    filters read it: those read a page's form, where any value but "false"
    ticks the checkbox and an empty date means no date."""

    decided_from = serializers.DateField(required=False)
    decided_to = serializers.DateField(required=False)
    include_simulated = serializers.ChoiceField(choices=["true", "false"], required=False)


# One field per figure of reports.Row, so the schema lists every figure.
ReportRowSerializer = type(
    "ReportRowSerializer",
    (serializers.Serializer,),
    {f.name: _report_row_field(f.type) for f in dataclasses.fields(reports.Row)},
)


class ReportSerializer(serializers.Serializer):
    baseline_days = serializers.FloatField()
    target_days = serializers.FloatField()
    include_simulated = serializers.BooleanField()
    generated_at = serializers.DateTimeField()
    filters = serializers.DictField()
    overall = ReportRowSerializer()
    services = ReportRowSerializer(many=True)
    months = ReportRowSerializer(many=True)
    departments = ReportRowSerializer(many=True)
    steps = ReportRowSerializer(many=True)
    slowest_step = ReportRowSerializer(allow_null=True)
