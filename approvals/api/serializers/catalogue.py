"""The catalogue as the API shows it: services (things), their matters and materials, reasons."""

from __future__ import annotations

from rest_framework import serializers

from approvals import selectors
from approvals.models import Department, Material, RejectionReason, Service, ThingMatter


class DepartmentSerializer(serializers.ModelSerializer):
    class Meta:
        model = Department
        fields = ["code", "name_zh", "name_en"]


class ThingMatterSerializer(serializers.ModelSerializer):
    """A matter of a service: its department, its outcome, its limits, and when it applies."""

    code = serializers.CharField(source="matter.code")
    name_zh = serializers.CharField(source="matter.name_zh")
    name_en = serializers.CharField(source="matter.name_en")
    department = serializers.CharField(source="matter.department.code")
    outcome_kind = serializers.CharField(source="matter.outcome_kind")
    outcome_name_zh = serializers.CharField(source="matter.outcome_name_zh")
    outcome_name_en = serializers.CharField(source="matter.outcome_name_en")
    outcome_valid_years = serializers.IntegerField(
        source="matter.outcome_valid_years", allow_null=True, help_text="Null: until revoked."
    )
    promised_limit_days = serializers.FloatField(source="matter.promised_limit_days")
    statutory_limit_days = serializers.IntegerField(source="matter.statutory_limit_days")
    review_limit_days = serializers.FloatField(
        source="matter.review_limit_days",
        help_text="Working days before the review escalates to the supervisors.",
    )
    requires = serializers.SerializerMethodField(
        help_text="Codes of the matters whose outcome this one needs first."
    )
    applies_when = serializers.SerializerMethodField(
        help_text="The guide's rule that brings this matter in; empty: always."
    )

    class Meta:
        model = ThingMatter
        fields = [
            "code",
            "name_zh",
            "name_en",
            "department",
            "outcome_kind",
            "outcome_name_zh",
            "outcome_name_en",
            "outcome_valid_years",
            "promised_limit_days",
            "statutory_limit_days",
            "review_limit_days",
            "requires",
            "applies_when",
        ]

    def get_requires(self, part) -> list[str]:
        return sorted(m.code for m in part.matter.requires.all())

    def get_applies_when(self, part) -> str:
        return part.rule_text()


class MaterialSerializer(serializers.ModelSerializer):
    department = serializers.CharField(source="department.code", allow_null=True, default=None)
    matters = serializers.SlugRelatedField(
        slug_field="code",
        many=True,
        read_only=True,
        help_text="The matters that need it; empty: every matter of the service.",
    )
    reusable = serializers.SerializerMethodField(
        help_text="Read from shared data or the licence library when the government holds it."
    )
    legal_basis_zh = serializers.CharField(
        read_only=True, help_text="The law and article that require this material, in Chinese."
    )
    legal_basis_en = serializers.CharField(
        read_only=True, help_text="The same law and article, in English."
    )

    class Meta:
        model = Material
        fields = [
            "code",
            "name_zh",
            "name_en",
            "legal_basis_zh",
            "legal_basis_en",
            "department",
            "matters",
            "reusable",
            "reuse_key",
            "allow_upload",
            "allow_commitment",
            "allow_deferral",
            "deferral_days",
        ]

    def get_reusable(self, material) -> bool:
        return bool(material.reuse_key)


class ServiceSerializer(serializers.ModelSerializer):
    matters = ThingMatterSerializer(source="thing_matters", many=True)
    departments = serializers.SerializerMethodField(
        help_text="The departments of the service's matters, each once."
    )
    materials = MaterialSerializer(many=True)

    class Meta:
        model = Service
        fields = [
            "code",
            "name_zh",
            "name_en",
            "description_zh",
            "description_en",
            "statutory_limit_days",
            "promised_limit_days",
            "legacy_steps",
            "establishes_enterprise",
            "matters",
            "departments",
            "materials",
        ]

    def get_departments(self, service) -> list[dict]:
        seen = {}
        for part in service.thing_matters.all():
            department = part.matter.department
            seen.setdefault(
                department.code,
                {
                    "code": department.code,
                    "name_zh": department.name_zh,
                    "name_en": department.name_en,
                },
            )
        return [seen[code] for code in sorted(seen)]


class ServiceDetailSerializer(ServiceSerializer):
    median_decision_days = serializers.SerializerMethodField(
        help_text="Median calendar days from submission to decision so far; null before any."
    )

    class Meta(ServiceSerializer.Meta):
        fields = [*ServiceSerializer.Meta.fields, "median_decision_days"]

    def get_median_decision_days(self, service) -> float | None:
        return selectors.median_decision_days(service)


class RejectionReasonSerializer(serializers.ModelSerializer):
    department = serializers.CharField(source="department.code", allow_null=True, default=None)

    class Meta:
        model = RejectionReason
        fields = ["code", "text_zh", "text_en", "department"]
