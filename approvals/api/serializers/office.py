"""The window's and the departments' side: queue rows, acceptance, returns, review tasks."""

from __future__ import annotations

from rest_framework import serializers

from approvals.api.serializers.applications import (
    ApplicationDetailSerializer,
    ApplicationListSerializer,
)
from approvals.api.serializers.catalogue import RejectionReasonSerializer
from approvals.models import DepartmentReview


class WindowRowSerializer(ApplicationListSerializer):
    waiting_since = serializers.DateTimeField()
    corrections_count = serializers.IntegerField()

    class Meta(ApplicationListSerializer.Meta):
        fields = [
            f for f in ApplicationListSerializer.Meta.fields if f not in ("clock_holder",)
        ] + ["waiting_since", "corrections_count"]


class DeferralSerializer(serializers.Serializer):
    material = serializers.CharField(max_length=60)
    due = serializers.DateField(required=False, allow_null=True, default=None)


class AcceptSerializer(serializers.Serializer):
    deferrals = DeferralSerializer(many=True, required=False, default=list)


class ReturnSerializer(serializers.Serializer):
    items = serializers.ListField(
        child=serializers.CharField(max_length=500),
        allow_empty=False,
        max_length=50,
        help_text="Everything the investor must correct, one item each.",
    )
    note = serializers.CharField(required=False, allow_blank=True, max_length=4000, default="")


class TaskSerializer(serializers.ModelSerializer):
    """A department's review of an application: its task in the flow."""

    application = serializers.UUIDField(source="application.public_id")
    reference = serializers.CharField(source="application.reference")
    service = serializers.CharField(source="application.service.code")
    department = serializers.CharField(source="department.code")
    assigned_to = serializers.SerializerMethodField()
    escalated = serializers.SerializerMethodField()

    class Meta:
        model = DepartmentReview
        fields = [
            "id",
            "application",
            "reference",
            "service",
            "department",
            "decision",
            "due_at",
            "decided_at",
            "assigned_to",
            "escalated",
        ]

    def get_assigned_to(self, review) -> str | None:
        task = review.task
        return task.owner.get_username() if task is not None and task.owner_id else None

    def get_escalated(self, review) -> bool:
        return hasattr(review, "escalation") and review.escalation is not None


class TaskDecisionSerializer(serializers.Serializer):
    decision = serializers.ChoiceField(choices=["approve", "reject"])
    reasons = serializers.ListField(
        child=serializers.SlugField(max_length=60),
        required=False,
        default=list,
        max_length=50,
        help_text="Codes of catalogue reasons (rejection), from the task's `rejection_reasons`.",
    )
    note = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=4000,
        default="",
        help_text="Further reasons or remarks in the reviewer's own words.",
    )


class TaskDetailSerializer(serializers.Serializer):
    task = TaskSerializer()
    application = ApplicationDetailSerializer()
    rejection_reasons = RejectionReasonSerializer(many=True)
