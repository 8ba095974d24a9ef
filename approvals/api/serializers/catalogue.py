"""The catalogue as the API shows it: services, their departments and materials, reasons."""

from __future__ import annotations

from rest_framework import serializers

from approvals import selectors
from approvals.models import Department, Material, RejectionReason, Service, ServiceDepartment


class DepartmentSerializer(serializers.ModelSerializer):
    class Meta:
        model = Department
        fields = ["code", "name_zh", "name_en"]


class ServiceDepartmentSerializer(serializers.ModelSerializer):
    code = serializers.CharField(source="department.code")
    name_zh = serializers.CharField(source="department.name_zh")
    name_en = serializers.CharField(source="department.name_en")
    review_limit_days = serializers.FloatField(
        help_text="Working days before the review escalates to the supervisors."
    )

    class Meta:
        model = ServiceDepartment
        fields = ["code", "name_zh", "name_en", "review_limit_days"]


class MaterialSerializer(serializers.ModelSerializer):
    department = serializers.CharField(source="department.code", allow_null=True, default=None)
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
    departments = ServiceDepartmentSerializer(source="service_departments", many=True)
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
            "permit_name_zh",
            "permit_name_en",
            "departments",
            "materials",
        ]


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
