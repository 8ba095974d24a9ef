"""What an applicant sends while drafting, and the prefill preview before a draft opens.

These only parse: what is valid in context is the services' to say.
"""

from __future__ import annotations

from rest_framework import serializers

from approvals.models import Service


class PreviewValueSerializer(serializers.Serializer):
    field = serializers.CharField()
    label = serializers.CharField()
    value = serializers.CharField(allow_blank=True)


class PreviewSourceSerializer(serializers.Serializer):
    source = serializers.CharField()
    label = serializers.CharField()
    found = serializers.BooleanField()
    record_ref = serializers.CharField(allow_blank=True)
    read_at = serializers.DateTimeField(allow_null=True)
    error = serializers.CharField(allow_blank=True)
    values = PreviewValueSerializer(many=True)
    documents = serializers.DictField(
        child=serializers.CharField(),
        help_text="Reuse key (as on a material) -> the record that would be reused.",
    )


class PrefillPreviewSerializer(serializers.Serializer):
    uscc = serializers.CharField()
    sources = PreviewSourceSerializer(many=True)


class CodeRelatedField(serializers.SlugRelatedField):
    """A related object by its code. A code with a NUL character is refused
    before the lookup: PostgreSQL cannot even compare such text (a 500)."""

    def to_internal_value(self, data):
        if isinstance(data, str) and "\x00" in data:
            raise serializers.ValidationError("Null characters are not allowed.")
        return super().to_internal_value(data)


class ApplicationCreateSerializer(serializers.Serializer):
    service = CodeRelatedField(
        slug_field="code",
        queryset=Service.objects.filter(is_active=True),
        help_text="The service's code, from /api/services/.",
    )
    uscc = serializers.CharField(
        max_length=40,
        required=False,
        allow_blank=True,
        default="",
        help_text="The enterprise's unified social credit code (18 characters). Required "
        "for every service except one that establishes an enterprise "
        "(`establishes_enterprise` in /api/services/), which has no code yet.",
    )
    reservation_number = serializers.CharField(
        max_length=40,
        required=False,
        allow_blank=True,
        default="",
        help_text="For a service that establishes an enterprise, instead of `uscc`: the "
        "number of the name reservation (名称自主申报) the applicant declared. Only the "
        "verified person named on the reservation may use it; the credit code is assigned "
        "at registration and is empty until then.",
    )
    answers = serializers.DictField(
        required=False,
        default=dict,
        help_text="Answers to the service's guide questions ({question code: answer}: "
        '"yes"/"no", a choice\'s value, or a number); they decide which matters and '
        "materials the draft has. The questions are in /api/services/ (`applies_when`).",
    )
    matters = serializers.ListField(
        child=serializers.SlugField(),
        required=False,
        allow_empty=False,
        help_text="Codes of the service's matters to apply for, instead of what the answers "
        "decide: one alone, or any of them. Omitted: as the answers decide.",
    )


class ValuesUpdateSerializer(serializers.Serializer):
    values = serializers.DictField(
        child=serializers.CharField(allow_blank=True, max_length=4000),
        allow_empty=False,
        help_text="Field -> value: confirms a prefilled value, corrects it, or fills one in.",
    )


class UploadSerializer(serializers.Serializer):
    file = serializers.FileField(help_text="PDF, JPEG or PNG, told from the content.")


class CommitmentSerializer(serializers.Serializer):
    text = serializers.CharField(max_length=4000, help_text="The commitment, written out in full.")


class AnswerSerializer(serializers.Serializer):
    answer = serializers.CharField(required=False, allow_blank=True, max_length=4000, default="")
