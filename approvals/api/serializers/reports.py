"""The approval-time report as the API documents it: its query and its figures."""

from __future__ import annotations

from rest_framework import serializers

from approvals import reports


def _report_row_field(column: reports.Column) -> serializers.Field:
    if column.kind == reports.TEXT:
        return serializers.CharField()
    if column.kind == reports.COUNT:
        return serializers.IntegerField(allow_null=column.nullable)
    return serializers.FloatField(allow_null=True)


class ReportQuerySerializer(serializers.Serializer):
    """The report's query as the API documents it, checked before the report's
    filters read it: those read a page's form, where any value but "false"
    ticks the checkbox and an empty date means no date."""

    decided_from = serializers.DateField(required=False)
    decided_to = serializers.DateField(required=False)
    include_simulated = serializers.ChoiceField(choices=["true", "false"], required=False)


# One field per column of the report's registry, so the schema lists every figure.
ReportRowSerializer = type(
    "ReportRowSerializer",
    (serializers.Serializer,),
    {c.key: _report_row_field(c) for c in reports.COLUMNS},
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
    matters = ReportRowSerializer(
        many=True,
        help_text="Per matter: its reviews (a bundled application counts once in the other "
        "tables, and each of its matters here).",
    )
    steps = ReportRowSerializer(many=True)
    slowest_step = ReportRowSerializer(allow_null=True)
