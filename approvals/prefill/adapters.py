"""The default sources: adapters over this project's own copy of the shared data.

A real deployment points an adapter at the data-exchange service and lists it
in ``settings.PREFILL_SOURCES`` instead.
"""

from __future__ import annotations

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from approvals.prefill.base import (
    Fetched,
    FieldKind,
    FieldSpec,
    Source,
    Subject,
    SubjectKind,
    _text,
)


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
        from approvals.models import Enterprise

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
                "enterprise.registered_capital": _text(e.registered_capital),
                "enterprise.address": e.address,
                "enterprise.business_scope": e.business_scope,
                "enterprise.established_on": _text(e.established_on),
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
        from approvals.models import TaxRegistration

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
        from approvals.models import SocialSecurityRegistration

        s = SocialSecurityRegistration.objects.filter(enterprise__uscc=uscc).first()
        if s is None:
            return Fetched()
        return Fetched(
            record_ref=f"social_security:{s.account_number}",
            values={
                "social_security.account_number": s.account_number,
                "social_security.insured_employees": _text(s.insured_employees),
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
        from approvals.models import InvestmentProject

        p = InvestmentProject.objects.filter(enterprise__uscc=uscc).order_by("-filed_on").first()
        if p is None:
            return Fetched()
        return Fetched(
            record_ref=f"project:{p.project_code}",
            values={
                "project.code": p.project_code,
                "project.name": p.name,
                "project.total_investment": _text(p.total_investment),
            },
            documents={"investment_project": p.project_code},
        )


class LicenceLibrarySource(Source):
    """The electronic licence library: licences already issued are not asked for again."""

    name = "licence_library"
    label = _("Electronic licence library")
    fields = ()

    def fetch(self, uscc: str) -> Fetched:
        from approvals.models import Licence, LicenceStatus

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


# --- sources about an enterprise being established --------------------------
#
# They answer for a Subject with a reservation number. The models import this
# module (catalog.Service.clean checks source names), so these adapters, like
# the ones above, import the models when they read.


def _reservation(subject: Subject):
    from approvals.models import NameReservation  # cycle: see the comment above

    if not subject.reservation_number:
        return None
    return NameReservation.objects.filter(number=subject.reservation_number).first()


class NameReservationSource(Source):
    """名称自主申报: the reserved name, the investor and the intended company."""

    name = "name_reservation"
    label = _("Name self-declaration (market regulation)")
    subjects = (SubjectKind.ESTABLISHMENT,)
    fields = (
        FieldSpec("enterprise.name_zh", _("Enterprise name (Chinese)")),
        FieldSpec("enterprise.name_en", _("Enterprise name (English)"), required=False),
        FieldSpec("enterprise.type", _("Enterprise type")),
        FieldSpec(
            "enterprise.registered_capital",
            _("Registered capital (10,000 CNY)"),
            kind=FieldKind.AMOUNT,
        ),
        FieldSpec("enterprise.business_scope", _("Business scope")),
        FieldSpec("investor.name", _("Foreign investor")),
        FieldSpec("investor.country", _("Foreign investor's country or region (ISO 3166-1)")),
        FieldSpec(
            "investor.registration_number",
            _("Foreign investor's registration or document number"),
            required=False,
        ),
    )

    def read(self, subject: Subject) -> Fetched:
        r = _reservation(subject)
        if r is None:
            return Fetched()
        return Fetched(
            record_ref=f"name_reservation:{r.number}",
            values={
                "enterprise.name_zh": r.name_zh,
                "enterprise.name_en": r.name_en,
                "enterprise.type": r.enterprise_type,
                "enterprise.registered_capital": _text(r.registered_capital),
                "enterprise.business_scope": r.business_scope,
                "investor.name": r.investor_name,
                "investor.country": r.investor_country,
                "investor.registration_number": r.investor_registration_number,
            },
            documents={"name_reservation": r.number},
        )


class PropertyRegistrySource(Source):
    """不动产登记: the domicile declared with the name, as the register holds it."""

    name = "property_registry"
    label = _("Real-estate register (natural resources and planning)")
    subjects = (SubjectKind.ESTABLISHMENT,)
    fields = (
        FieldSpec("enterprise.address", _("Address")),
        FieldSpec(
            "domicile.certificate_number", _("Real-estate certificate number"), required=False
        ),
        FieldSpec("domicile.usage", _("Registered usage of the premises"), required=False),
    )

    def read(self, subject: Subject) -> Fetched:
        from approvals.models import PropertyRecord  # cycle: see the comment above

        r = _reservation(subject)
        if r is None or not r.domicile_certificate:
            return Fetched()
        p = PropertyRecord.objects.filter(certificate_number=r.domicile_certificate).first()
        if p is None:
            return Fetched()
        return Fetched(
            record_ref=f"property:{p.certificate_number}",
            values={
                "enterprise.address": p.address,
                "domicile.certificate_number": p.certificate_number,
                "domicile.usage": p.usage,
            },
            documents={"property_registry": p.certificate_number},
        )


class LegalRepresentativeSource(Source):
    """The legal representative's identity, from the population or exit-entry register.

    The person establishing the enterprise is the one named on the
    reservation and, unless they correct it, its legal representative: their
    verified identity names the register's record.
    """

    name = "legal_representative_identity"
    label = _("Population and exit-entry registers (public security)")
    subjects = (SubjectKind.ESTABLISHMENT,)
    fields = (
        FieldSpec("enterprise.legal_representative", _("Legal representative")),
        FieldSpec(
            "legal_representative.document_type",
            _("Legal representative's identity document"),
            required=False,
        ),
        FieldSpec(
            "legal_representative.document_number",
            _("Legal representative's document number"),
            required=False,
            sensitive=True,
        ),
        FieldSpec(
            "legal_representative.nationality",
            _("Legal representative's nationality (ISO 3166-1)"),
            required=False,
        ),
    )

    def read(self, subject: Subject) -> Fetched:
        from approvals import representation  # cycle: see the comment above
        from approvals.models import Person

        applicant = subject.applicant
        if applicant is None or not representation.is_verified(applicant):
            return Fetched()
        identity = applicant.identity
        person = Person.objects.filter(
            document_type=identity.document_type, document_number=identity.document_number
        ).first()
        if person is None:
            return Fetched()
        return Fetched(
            record_ref=f"person:{person.pk}",
            values={
                "enterprise.legal_representative": person.name,
                "legal_representative.document_type": person.document_type,
                "legal_representative.document_number": person.document_number,
                "legal_representative.nationality": person.nationality,
            },
            documents={"legal_representative_identity": f"person:{person.pk}"},
        )


class InvestorRecordsSource(Source):
    """What the investor established here before: enterprises registered under its
    earlier reservations, with the licences they hold (shown, never reused for the
    new enterprise, which holds none yet)."""

    name = "investor_records"
    label = _("The investor's earlier registrations and licences")
    subjects = (SubjectKind.ESTABLISHMENT,)
    fields = (
        FieldSpec(
            "investor.earlier_enterprises",
            _("Enterprises the investor established before"),
            required=False,
        ),
    )

    def read(self, subject: Subject) -> Fetched:
        from approvals.models import (  # cycle: see the comment above
            Licence,
            LicenceStatus,
            NameReservation,
            ReservationStatus,
        )

        r = _reservation(subject)
        if r is None or not r.investor_registration_number:
            return Fetched()
        earlier = (
            NameReservation.objects.filter(
                investor_country=r.investor_country,
                investor_registration_number=r.investor_registration_number,
                status=ReservationStatus.USED,
                enterprise__isnull=False,
            )
            .exclude(pk=r.pk)
            .select_related("enterprise")
            .order_by("enterprise__established_on", "pk")
        )
        enterprises = [e.enterprise for e in earlier]
        if not enterprises:
            return Fetched()
        licences = dict(
            Licence.objects.filter(holder__in=enterprises, status=LicenceStatus.VALID)
            .values_list("holder_id")
            .annotate(n=models.Count("pk"))
        )
        lines = [
            ngettext(
                "%(name)s (%(uscc)s): %(count)s valid licence",
                "%(name)s (%(uscc)s): %(count)s valid licences",
                licences.get(e.pk, 0),
            )
            % {"name": e.name_zh, "uscc": e.uscc, "count": licences.get(e.pk, 0)}
            for e in enterprises
        ]
        return Fetched(
            record_ref=f"investor:{r.investor_country}:{r.investor_registration_number}",
            values={"investor.earlier_enterprises": "; ".join(lines)},
            documents={"investor_records": ",".join(e.uscc for e in enterprises)},
        )
