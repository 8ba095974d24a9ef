"""The admin: where the catalogue and the shared data are edited.

Applications are shown read-only: they change only through the services,
which keep them consistent with their process and ledger.
"""

from django import forms
from django.contrib import admin, messages
from django.contrib.auth.models import Group
from django.utils.translation import gettext_lazy as _

from approvals import models as m
from approvals.identifiers import mask_document_number


class ThingMatterInline(admin.TabularInline):
    model = m.ThingMatter
    extra = 1
    fields = ("matter", "order", "determinant", "operator", "value")


class MaterialInline(admin.StackedInline):
    model = m.Material
    extra = 0
    fields = (
        ("code", "order", "department"),
        ("name_zh", "name_en"),
        "matters",
        ("determinant", "operator", "value"),
        ("legal_basis_zh", "legal_basis_en"),
        "reuse_key",
        ("allow_upload", "allow_commitment", "allow_deferral", "deferral_days"),
    )


@admin.register(m.Service)
class ServiceAdmin(admin.ModelAdmin):
    list_display = (
        "code",
        "name_zh",
        "name_en",
        "promised_limit_days",
        "statutory_limit_days",
        "is_active",
    )
    list_filter = ("is_active",)
    search_fields = ("code", "name_zh", "name_en")
    inlines = [ThingMatterInline, MaterialInline]


class MatterForm(forms.ModelForm):
    class Meta:
        model = m.Matter
        fields = [
            "code",
            "name_zh",
            "name_en",
            "department",
            "mode",
            "outcome_kind",
            "outcome_name_zh",
            "outcome_name_en",
            "outcome_licence_type",
            "outcome_number_format",
            "outcome_valid_years",
            "statutory_limit_days",
            "promised_limit_days",
            "review_limit_days",
            "requires",
            "establishes_enterprise",
            "is_active",
        ]

    def clean(self):
        cleaned = super().clean()
        requires = cleaned.get("requires")
        if requires is not None and self.instance.pk:
            cycle = m.requirement_cycle(self.instance, requires)
            if cycle:
                raise forms.ValidationError(
                    _("These prerequisites would make a cycle: %(cycle)s.")
                    % {"cycle": " → ".join(cycle)}
                )
        return cleaned


@admin.register(m.Matter)
class MatterAdmin(admin.ModelAdmin):
    form = MatterForm
    list_display = (
        "code",
        "name_zh",
        "name_en",
        "department",
        "outcome_kind",
        "promised_limit_days",
        "is_active",
    )
    list_filter = ("department", "outcome_kind", "is_active")
    search_fields = ("code", "name_zh", "name_en")
    filter_horizontal = ("requires",)


@admin.register(m.Determinant)
class DeterminantAdmin(admin.ModelAdmin):
    list_display = ("code", "question_zh", "question_en", "kind", "order")
    search_fields = ("code", "question_zh", "question_en")


@admin.register(m.Department)
class DepartmentAdmin(admin.ModelAdmin):
    list_display = ("code", "name_zh", "name_en", "reviewer_group")
    search_fields = ("code", "name_zh", "name_en")
    fields = ("code", "name_zh", "name_en")

    def save_model(self, request, obj, form, change):
        # A new department brings its own reviewer group: no code, no migration.
        if not obj.reviewer_group_id:
            obj.reviewer_group, _created = Group.objects.get_or_create(
                name=f"{m.Department.GROUP_PREFIX}{obj.code}"
            )
        super().save_model(request, obj, form, change)


class LicenceInline(admin.TabularInline):
    model = m.Licence
    extra = 0


@admin.register(m.Enterprise)
class EnterpriseAdmin(admin.ModelAdmin):
    list_display = ("uscc", "name_zh", "enterprise_type", "status")
    list_filter = ("status", "enterprise_type")
    search_fields = ("uscc", "name_zh", "name_en")
    exclude = ("legal_representative_id",)
    inlines = [LicenceInline]


@admin.register(m.Licence)
class LicenceAdmin(admin.ModelAdmin):
    list_display = ("number", "licence_type", "holder", "issued_on", "valid_until", "status")
    list_filter = ("licence_type", "status")
    search_fields = ("number", "holder__uscc", "holder__name_zh")
    list_select_related = ("holder",)


admin.site.register(m.TaxRegistration)
admin.site.register(m.SocialSecurityRegistration)
admin.site.register(m.InvestmentProject)


@admin.register(m.NameReservation)
class NameReservationAdmin(admin.ModelAdmin):
    list_display = ("number", "name_zh", "investor_name", "valid_until", "status", "enterprise")
    list_filter = ("status", "investor_kind")
    search_fields = ("number", "name_zh", "name_en", "investor_name")
    raw_id_fields = ("enterprise",)


@admin.register(m.PropertyRecord)
class PropertyRecordAdmin(admin.ModelAdmin):
    list_display = ("certificate_number", "address", "division_code", "owner_name", "usage")
    search_fields = ("certificate_number", "address", "owner_name")


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(m.Application)
class ApplicationAdmin(ReadOnlyAdmin):
    list_display = ("__str__", "service", "uscc", "status", "submitted_at", "decided_at")
    list_filter = ("status", "service", "is_simulated")
    search_fields = ("uscc",)
    list_select_related = ("service",)


@admin.register(m.Step)
class StepAdmin(ReadOnlyAdmin):
    list_display = (
        "application",
        "kind",
        "department",
        "holder",
        "created_at",
        "finished_at",
        "working_days",
    )
    list_filter = ("kind", "holder")
    list_select_related = ("application", "department")


@admin.register(m.Escalation)
class EscalationAdmin(ReadOnlyAdmin):
    list_display = ("application", "department", "due_at", "fired_at")
    list_select_related = ("application", "department")


@admin.register(m.Permit)
class PermitAdmin(ReadOnlyAdmin):
    # A failed rendering shows here (filter "rendering: failed") until
    # `manage.py render_permits` has produced the PDF.
    list_display = (
        "number",
        "holder",
        "issued_at",
        "valid_until",
        "status",
        "render_status",
        "render_attempts",
        "render_error",
    )
    list_filter = ("render_status", "status")
    search_fields = ("number", "holder__uscc", "holder__name_zh")
    list_select_related = ("holder",)


admin.site.site_header = _("Single window administration")


@admin.register(m.RejectionReason)
class RejectionReasonAdmin(admin.ModelAdmin):
    list_display = ("code", "text_zh", "text_en", "department", "is_active")
    list_filter = ("is_active", "department")
    search_fields = ("code", "text_zh", "text_en")
    list_select_related = ("department",)


@admin.register(m.AuditEntry)
class AuditEntryAdmin(ReadOnlyAdmin):
    list_display = ("at", "actor_name", "action", "application", "address", "channel")
    list_filter = ("action", "channel")
    search_fields = ("actor_name",)
    date_hierarchy = "at"


@admin.register(m.CalendarNotice)
class CalendarNoticeAdmin(admin.ModelAdmin):
    """Next year's holidays, entered from the State Council notice before the
    calendar package knows them; then run ``manage.py recompute_estimates``
    (the background sweep does it too)."""

    list_display = ("year", "title", "entered_by", "entered_at")
    fields = ("year", "title", "holidays", "make_up_days")

    def save_model(self, request, obj, form, change):
        obj.entered_by = request.user
        super().save_model(request, obj, form, change)
        messages.info(
            request,
            _(
                "Figures and deadlines computed on an estimate for %(year)d are recomputed"
                " by the next background sweep (or run manage.py recompute_estimates)."
            )
            % {"year": obj.year},
        )


# --- identities and mandates: read here, written through the services ------------------
#
# Identity numbers are personal data: the lists and forms show them masked, as the
# screens do (approvals.privacy). Mandates are granted, registered and revoked only
# through approvals.mandates, which writes the audit trail.


@admin.register(m.Person)
class PersonAdmin(ReadOnlyAdmin):
    list_display = ("name", "document_type", "masked_number", "nationality")
    list_filter = ("document_type", "nationality")
    search_fields = ("name",)
    exclude = ("document_number",)
    readonly_fields = ("masked_number",)

    @admin.display(description=_("document number"))
    def masked_number(self, obj):
        return mask_document_number(obj.document_number)


@admin.register(m.Identity)
class IdentityAdmin(ReadOnlyAdmin):
    list_display = ("user", "name", "document_type", "document_number_masked", "status")
    list_filter = ("status", "document_type")
    search_fields = ("user__username", "name")
    exclude = ("document_number",)
    readonly_fields = ("document_number_masked",)
    list_select_related = ("user",)


@admin.register(m.Agency)
class AgencyAdmin(admin.ModelAdmin):
    list_display = ("uscc", "name_zh", "name_en")
    search_fields = ("uscc", "name_zh", "name_en")
    filter_horizontal = ("members",)


@admin.register(m.Mandate)
class MandateAdmin(ReadOnlyAdmin):
    list_display = ("enterprise", "grantee_user", "grantee_agency", "valid_until", "revoked_at")
    list_filter = ("origin",)
    search_fields = ("enterprise__uscc", "grantee_user__username", "grantee_agency__uscc")
    list_select_related = ("enterprise", "grantee_user", "grantee_agency")
