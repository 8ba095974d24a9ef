"""The default sources about an enterprise being established.

They answer for a Subject with a reservation number (名称自主申报): the
reserved name and the investor, the declared domicile in the real-estate
register, the legal representative's identity, and what the investor
established here before.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from approvals import representation
from approvals.models import (
    Licence,
    LicenceStatus,
    NameReservation,
    Person,
    PropertyRecord,
    ReservationStatus,
)
from approvals.prefill.base import (
    Fetched,
    FieldKind,
    FieldSpec,
    Source,
    Subject,
    SubjectKind,
    as_text,
)


def _reservation(subject: Subject):

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
                "enterprise.registered_capital": as_text(r.registered_capital),
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
