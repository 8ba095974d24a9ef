"""An application as the API shows it: a list row, and the detail of one (the screen's content)."""

from __future__ import annotations

from django.core.exceptions import ObjectDoesNotExist
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from approvals.api.serializers.permits import PermitSummarySerializer
from approvals.models import (
    Application,
    ApplicationMaterial,
    CorrectionRequest,
    DepartmentReview,
    FiledAs,
    MatterState,
    PrefilledValue,
    Step,
)
from approvals.remedies import remedies_for


class ValueSerializer(serializers.ModelSerializer):
    label = serializers.CharField()
    source_label = serializers.CharField()
    corrected = serializers.BooleanField()

    class Meta:
        model = PrefilledValue
        fields = [
            "field",
            "label",
            "value",
            "state",
            "source",
            "source_label",
            "record_ref",
            "read_at",
            "source_value",
            "source_error",
            "corrected",
            "confirmed_at",
        ]


class ApplicationMaterialSerializer(serializers.ModelSerializer):
    code = serializers.CharField(source="material.code")
    name_zh = serializers.CharField(source="material.name_zh")
    name_en = serializers.CharField(source="material.name_en")
    allow_upload = serializers.BooleanField(source="material.allow_upload")
    allow_commitment = serializers.BooleanField(source="material.allow_commitment")
    allow_deferral = serializers.BooleanField(source="material.allow_deferral")
    file_name = serializers.CharField(source="original_name")

    class Meta:
        model = ApplicationMaterial
        fields = [
            "code",
            "name_zh",
            "name_en",
            "satisfied_by",
            "reuse_reference",
            "file_name",
            "content_type",
            "size",
            "commitment_text",
            "due_date",
            "received_at",
            "allow_upload",
            "allow_commitment",
            "allow_deferral",
        ]


class StepSerializer(serializers.ModelSerializer):
    department = serializers.CharField(source="department.code", allow_null=True, default=None)

    class Meta:
        model = Step
        fields = [
            "kind",
            "department",
            "holder",
            "created_at",
            "assigned_at",
            "finished_at",
            "calendar_days",
            "working_days",
            "estimated",
        ]


class CorrectionSerializer(serializers.ModelSerializer):
    items = serializers.ListField(child=serializers.CharField())

    class Meta:
        model = CorrectionRequest
        fields = ["items", "note", "requested_at", "answered_at", "answer"]


class ReviewProgressSerializer(serializers.ModelSerializer):
    department = serializers.CharField(source="department.code")
    department_name_zh = serializers.CharField(source="department.name_zh")
    department_name_en = serializers.CharField(source="department.name_en")

    class Meta:
        model = DepartmentReview
        fields = [
            "department",
            "department_name_zh",
            "department_name_en",
            "decision",
            "due_at",
            "decided_at",
            "reasons",
        ]


class ClockSerializer(serializers.Serializer):
    holder_now = serializers.CharField(allow_null=True)
    government_calendar_days = serializers.FloatField()
    government_working_days = serializers.FloatField()
    investor_calendar_days = serializers.FloatField()
    investor_working_days = serializers.FloatField()
    end_to_end_calendar_days = serializers.FloatField()
    end_to_end_working_days = serializers.FloatField()
    statutory_working_days = serializers.FloatField()
    statutory_limit_days = serializers.IntegerField()
    promised_limit_days = serializers.IntegerField()
    target_days = serializers.FloatField()
    baseline_days = serializers.FloatField()
    investor_steps = serializers.IntegerField()
    government_steps = serializers.IntegerField()
    within_target = serializers.BooleanField()
    within_statute = serializers.BooleanField()


class ApplicationListSerializer(serializers.ModelSerializer):
    id = serializers.UUIDField(source="public_id")
    service = serializers.CharField(source="service.code")
    enterprise_name_zh = serializers.SerializerMethodField()
    enterprise_name_en = serializers.SerializerMethodField()
    clock_holder = serializers.CharField(allow_null=True)

    class Meta:
        model = Application
        fields = [
            "id",
            "reference",
            "service",
            "uscc",
            "enterprise_name_zh",
            "enterprise_name_en",
            "filed_as",
            "status",
            "clock_holder",
            "created_at",
            "submitted_at",
            "decided_at",
        ]

    def get_enterprise_name_zh(self, app) -> str:
        return app.enterprise.name_zh if app.enterprise else (app.typed_name_zh or "")

    def get_enterprise_name_en(self, app) -> str:
        return app.enterprise.name_en if app.enterprise else (app.typed_name_en or "")


class RemediesSerializer(serializers.Serializer):
    """A refusal's remedies (approvals.remedies), in the request's language."""

    decided_by = serializers.CharField()
    reconsideration_days = serializers.IntegerField()
    lawsuit_months = serializers.IntegerField()
    reconsideration = serializers.CharField()
    lawsuit = serializers.CharField()
    text = serializers.CharField()


class ApplicationMatterSerializer(serializers.Serializer):
    """One matter of an application: its department, state, own clock and outcome."""

    code = serializers.CharField(source="matter.code")
    name_zh = serializers.CharField(source="matter.name_zh")
    name_en = serializers.CharField(source="matter.name_en")
    department = serializers.CharField(source="matter.department.code")
    state = serializers.ChoiceField(choices=MatterState.choices)
    reason = serializers.CharField(
        help_text="Why it was not decided (the refused matter it needs); empty otherwise."
    )
    requires = serializers.SerializerMethodField(
        help_text="Codes of the matters of this application it waits for."
    )
    started_at = serializers.DateTimeField(allow_null=True)
    decided_at = serializers.DateTimeField(allow_null=True)
    working_days = serializers.FloatField(allow_null=True)
    outcome = serializers.SerializerMethodField()

    def get_requires(self, part) -> list[str]:
        return sorted(m.code for m in part.matter.requires.all())

    @extend_schema_field(PermitSummarySerializer(allow_null=True))
    def get_outcome(self, part):
        try:
            outcome = part.outcome
        except ObjectDoesNotExist:
            return None
        return PermitSummarySerializer(outcome).data


class ApplicationDetailSerializer(serializers.Serializer):
    """One application as its applicant (or an official) sees it: the screen's content."""

    id = serializers.UUIDField(source="application.public_id")
    reference = serializers.CharField(source="application.reference")
    service = serializers.CharField(source="application.service.code")
    uscc = serializers.CharField(source="application.uscc")
    filed_as = serializers.ChoiceField(
        source="application.filed_as",
        choices=FiledAs.choices,
        help_text="Read from the ground checked when the draft was opened: `agent` under a "
        "mandate, `investor` as the legal representative or the founder.",
    )
    status = serializers.CharField(source="application.status")
    created_at = serializers.DateTimeField(source="application.created_at")
    submitted_at = serializers.DateTimeField(source="application.submitted_at", allow_null=True)
    accepted_at = serializers.DateTimeField(source="application.accepted_at", allow_null=True)
    decided_at = serializers.DateTimeField(source="application.decided_at", allow_null=True)
    decision_reasons = serializers.CharField(source="application.decision_reasons")
    expected_completion = serializers.DateTimeField(allow_null=True)
    values = ValueSerializer(many=True)
    materials = ApplicationMaterialSerializer(many=True)
    timeline = StepSerializer(many=True)
    clock = ClockSerializer()
    corrections = CorrectionSerializer(many=True)
    reviews = ReviewProgressSerializer(many=True)
    matters = ApplicationMatterSerializer(many=True)
    matters_expected_by = serializers.DateTimeField(
        allow_null=True,
        help_text="When every matter is expected to be settled: the critical path through the "
        "matters' graph in promised working days (actual times where known). Null before "
        "acceptance.",
    )
    critical_path = serializers.ListField(
        child=serializers.CharField(),
        help_text="The codes of the matters on that path, first to last.",
    )
    permit = serializers.SerializerMethodField()
    remedies = serializers.SerializerMethodField()

    @extend_schema_field(RemediesSerializer(allow_null=True))
    def get_remedies(self, detail: dict):
        remedies = remedies_for(detail["application"], detail["reviews"])
        return RemediesSerializer(remedies).data if remedies is not None else None

    @extend_schema_field(PermitSummarySerializer(allow_null=True))
    def get_permit(self, detail: dict):
        permit = getattr(detail["application"], "permit", None)
        return PermitSummarySerializer(permit).data if permit is not None else None
