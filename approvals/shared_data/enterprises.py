"""The default sources about an existing enterprise, read by its credit code.

Adapters over this project's own copy of the registers (approvals.models.shared_data
and the licence library); a real deployment points an adapter at the
data-exchange service and lists it in ``settings.PREFILL_SOURCES`` instead.
"""

from __future__ import annotations

from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from approvals.models import (
    Enterprise,
    InvestmentProject,
    Licence,
    LicenceStatus,
    SocialSecurityRegistration,
    TaxRegistration,
)
from approvals.prefill.base import Fetched, FieldKind, FieldSpec, Source, as_text


class EnterpriseRegistrySource(Source):
    name = "enterprise_registry"
    label = _("Enterprise registry (market regulation)")
    fields = (
        FieldSpec("enterprise.name_zh", _("Enterprise name (Chinese)")),
        FieldSpec("enterprise.name_en", _("Enterprise name (English)"), required=False),
        FieldSpec("enterprise.type", _("Enterprise type")),
        FieldSpec("enterprise.legal_representative", _("Legal representative")),
        FieldSpec(
            "enterprise.legal_representative_id",
            _("Legal representative's identity number"),
            required=False,
            sensitive=True,
            kind=FieldKind.RESIDENT_ID,
        ),
        FieldSpec(
            "enterprise.registered_capital",
            _("Registered capital (10,000 CNY)"),
            kind=FieldKind.AMOUNT,
        ),
        FieldSpec("enterprise.address", _("Address")),
        FieldSpec("enterprise.business_scope", _("Business scope")),
        FieldSpec(
            "enterprise.established_on", _("Established on"), required=False, kind=FieldKind.DATE
        ),
    )

    def fetch(self, uscc: str) -> Fetched:

        e = Enterprise.objects.filter(uscc=uscc).first()
        if e is None:
            return Fetched()
        return Fetched(
            record_ref=f"enterprise:{e.uscc}",
            values={
                "enterprise.name_zh": e.name_zh,
                "enterprise.name_en": e.name_en,
                "enterprise.type": e.enterprise_type,
                "enterprise.legal_representative": e.legal_representative,
                "enterprise.legal_representative_id": e.legal_representative_id,
                "enterprise.registered_capital": as_text(e.registered_capital),
                "enterprise.address": e.address,
                "enterprise.business_scope": e.business_scope,
                "enterprise.established_on": as_text(e.established_on),
            },
            documents={"enterprise_registry": e.uscc},
        )


class TaxRegistrationSource(Source):
    name = "tax_registration"
    label = _("Tax registration (tax bureau)")
    fields = (
        FieldSpec("tax.taxpayer_type", _("Taxpayer type"), required=False),
        FieldSpec("tax.tax_authority", _("Tax authority"), required=False),
    )

    def fetch(self, uscc: str) -> Fetched:

        t = TaxRegistration.objects.filter(enterprise__uscc=uscc).first()
        if t is None:
            return Fetched()
        return Fetched(
            record_ref=f"tax:{t.pk}",
            values={"tax.taxpayer_type": t.taxpayer_type, "tax.tax_authority": t.tax_authority},
            documents={"tax_registration": f"tax:{t.pk}"},
        )


class SocialSecuritySource(Source):
    name = "social_security"
    label = _("Social-security registration (human resources)")
    fields = (
        FieldSpec("social_security.account_number", _("Social-security account"), required=False),
        FieldSpec(
            "social_security.insured_employees",
            _("Insured employees"),
            required=False,
            kind=FieldKind.INTEGER,
        ),
    )

    def fetch(self, uscc: str) -> Fetched:

        s = SocialSecurityRegistration.objects.filter(enterprise__uscc=uscc).first()
        if s is None:
            return Fetched()
        return Fetched(
            record_ref=f"social_security:{s.account_number}",
            values={
                "social_security.account_number": s.account_number,
                "social_security.insured_employees": as_text(s.insured_employees),
            },
            documents={"social_security": s.account_number},
        )


class InvestmentProjectSource(Source):
    name = "investment_project"
    label = _("Investment projects (development and reform)")
    fields = (
        FieldSpec("project.code", _("Investment project code"), required=False),
        FieldSpec("project.name", _("Investment project name"), required=False),
        FieldSpec(
            "project.total_investment",
            _("Total investment (10,000 CNY)"),
            required=False,
            kind=FieldKind.AMOUNT,
        ),
    )

    def fetch(self, uscc: str) -> Fetched:

        p = InvestmentProject.objects.filter(enterprise__uscc=uscc).order_by("-filed_on").first()
        if p is None:
            return Fetched()
        return Fetched(
            record_ref=f"project:{p.project_code}",
            values={
                "project.code": p.project_code,
                "project.name": p.name,
                "project.total_investment": as_text(p.total_investment),
            },
            documents={"investment_project": p.project_code},
        )


class LicenceLibrarySource(Source):
    """The electronic licence library: licences already issued are not asked for again."""

    name = "licence_library"
    label = _("Electronic licence library")
    fields = ()

    def fetch(self, uscc: str) -> Fetched:

        today = timezone.localdate()
        licences = (
            Licence.objects.filter(holder__uscc=uscc, status=LicenceStatus.VALID)
            .exclude(valid_until__lt=today)
            .order_by("licence_type", "-issued_on")
            .values_list("licence_type", "number")
        )
        documents: dict[str, str] = {}
        for licence_type, number in licences:
            documents.setdefault(f"licence:{licence_type}", number)
        return Fetched(
            record_ref=f"licences:{uscc}" if documents else "",
            documents=documents,
        )
