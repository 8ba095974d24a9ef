"""A permit as the API shows it: on its application, and as a verification answers."""

from __future__ import annotations

from django.urls import reverse
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from approvals import permits
from approvals.models import Permit


class PermitFactsSerializer(serializers.Serializer):
    """What the permit states about its holder: the values held by the application at
    the decision (approvals.engine.licences.decided_facts), not today's registry record."""

    name_zh = serializers.CharField()
    name_en = serializers.CharField(allow_blank=True)
    enterprise_type = serializers.CharField(allow_blank=True)
    legal_representative = serializers.CharField(allow_blank=True)
    registered_capital = serializers.CharField(
        allow_blank=True, help_text="In 10,000 CNY, as approved."
    )
    address = serializers.CharField(allow_blank=True)
    scope = serializers.CharField(allow_blank=True)


class PermitSummarySerializer(serializers.ModelSerializer):
    download_url = serializers.SerializerMethodField()
    verification_url = serializers.SerializerMethodField()
    facts = serializers.SerializerMethodField()

    class Meta:
        model = Permit
        fields = [
            "number",
            "status",
            "valid_from",
            "valid_until",
            "render_status",
            "download_url",
            "verification_url",
            "facts",
        ]

    @extend_schema_field(PermitFactsSerializer)
    def get_facts(self, permit) -> dict:
        return PermitFactsSerializer({**permit.stated, "scope": permit.scope}).data

    def get_download_url(self, permit) -> str:
        return reverse("api:permit-pdf", kwargs={"number": permit.number})

    def get_verification_url(self, permit) -> str:
        return permits.verification_url(permits.permit_token(permit))


class VerificationSerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=["valid", "altered", "revoked", "expired", "unknown"])
    label_zh = serializers.CharField()
    label_en = serializers.CharField()
    message_zh = serializers.CharField()
    message_en = serializers.CharField()
    number = serializers.CharField(allow_null=True)
    holder = serializers.CharField(allow_null=True, help_text="Name (Chinese) as decided.")
    holder_en = serializers.CharField(allow_null=True, help_text="Name (English) as decided.")
    uscc = serializers.CharField(allow_null=True)
    enterprise_type = serializers.CharField(allow_null=True)
    legal_representative = serializers.CharField(
        allow_null=True, help_text="The name only: never the identity number."
    )
    registered_capital = serializers.CharField(
        allow_null=True, help_text="In 10,000 CNY, as approved."
    )
    address = serializers.CharField(allow_null=True)
    scope = serializers.CharField(allow_null=True)
    permit_status = serializers.CharField(
        allow_null=True, help_text="The permit record's status: issued or revoked."
    )
    issued = serializers.DateField(allow_null=True)
    valid_until = serializers.DateField(allow_null=True)
    revoked_at = serializers.DateTimeField(allow_null=True)
