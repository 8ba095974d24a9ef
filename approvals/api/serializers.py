"""How the API shows things and reads input.

Output serializers only present what the selectors return; input
serializers only parse. The rules (who may, what is valid in context) are
the services', so the API and the pages cannot disagree.
"""

from __future__ import annotations

from django.urls import reverse
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from approvals import permits, reports, selectors
from approvals.models import (
    Application,
    ApplicationMaterial,
    CorrectionRequest,
    Department,
    DepartmentReview,
    FiledAs,
    Material,
    Permit,
    PrefilledValue,
    RejectionReason,
    Service,
    ServiceDepartment,
    Step,
)
from approvals.remedies import remedies_for

# --- the catalogue -----------------------------------------------------------


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


# --- prefill preview -----------------------------------------------------------


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


# --- applications: output -------------------------------------------------------


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


# --- applications: input ----------------------------------------------------------


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


# --- the window and the departments -----------------------------------------------


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


# --- permits and reports ------------------------------------------------------------


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


class TaskDetailSerializer(serializers.Serializer):
    task = TaskSerializer()
    application = ApplicationDetailSerializer()
    rejection_reasons = RejectionReasonSerializer(many=True)


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
    steps = ReportRowSerializer(many=True)
    slowest_step = ReportRowSerializer(allow_null=True)
