"""Establishing a new enterprise: opened on a name reservation, registered on approval.

An establishment is not an application "for" an enterprise: there is none
yet. It is opened with the number of the name reserved through name
self-declaration (名称自主申报), by the verified person who declared it; the
prefill reads the reservation, the property register (the domicile) and the
register of persons (the legal representative), see ``approvals.prefill``.
When the application is approved, market regulation registers the
enterprise: it assigns a new unified social credit code (GB 32100), the
enterprise enters the registry, its business licence enters the licence
library and the reservation is used. ``engine.licences.permit_issue`` calls
:func:`register_enterprise` inside its transaction; a retry finds the
enterprise the reservation already became and registers nothing twice.

Who may open one is kept to the person who declared the name: a
reservation carries the declarer's identity document, and nothing else in
the registers says who the future company's founders authorise. Anyone
else, verified or not, gets the same answer as for a number that does not
exist, so a reservation's existence is not revealed.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from approvals import prefill, representation
from approvals.identifiers import (
    generate_uscc,
    normalize_document_number,
    validate_document_number,
)
from approvals.models import (
    OPEN_STATUSES,
    Application,
    Enterprise,
    NameReservation,
    PropertyRecord,
    ReservationStatus,
)

# The registering office when the domicile's division is not known: the
# provincial administration for market regulation (海南省, GB/T 2260 460000).
PROVINCE_DIVISION_CODE = "460000"
# Draws of a new code before giving up; with 31^6 codes per division a
# collision is rare, and ten in a row means the generator is broken.
CODE_ATTEMPTS = 10


def normalize_reservation_number(value: object) -> str:
    return "".join(str(value or "").split()).upper()


def reservation_for_opening(*, applicant, number: str) -> NameReservation:
    """The reservation an establishment may be opened with, or the reason it may not.

    Refused: an unverified account; a number that is not a reservation the
    applicant declared (one message for both, revealing nothing); a
    reservation used or expired; one already in an application under way.
    """
    if not representation.is_verified(applicant):
        raise PermissionDenied(
            _(
                "Verify your identity first: an enterprise is established by the verified "
                "person who declared its name."
            )
        )
    number = normalize_reservation_number(number)
    if not number:
        raise ValidationError(
            {
                "reservation_number": _(
                    "Enter the number of the name self-declaration notice (名称自主申报告知书)."
                )
            }
        )
    identity = applicant.identity
    reservation = NameReservation.objects.filter(
        number=number,
        reserver_document_type=identity.document_type,
        reserver_document_number=identity.document_number,
    ).first()
    if reservation is None:
        raise ValidationError(
            {
                "reservation_number": _(
                    "You hold no name reservation with this number. Check the number on the "
                    "name self-declaration notice: only the person who declared the name can "
                    "apply to establish the enterprise."
                )
            }
        )
    if reservation.status == ReservationStatus.USED:
        raise ValidationError(
            {
                "reservation_number": _(
                    "This name reservation has been used: the enterprise is registered with "
                    "the credit code %(uscc)s. Apply for its later services with that code."
                )
                % {"uscc": reservation.enterprise.uscc if reservation.enterprise_id else ""}
            }
        )
    if reservation.status == ReservationStatus.EXPIRED or (
        reservation.valid_until < timezone.localdate()
    ):
        raise ValidationError(
            {
                "reservation_number": _(
                    "This name reservation expired on %(date)s. Declare the name again "
                    "(名称自主申报) and apply with the new number."
                )
                % {"date": reservation.valid_until.isoformat()}
            }
        )
    return reservation


def open_elsewhere(reservation: NameReservation) -> Application | None:
    """An application under way (submitted, not decided) with this reservation."""
    return (
        Application.objects.filter(name_reservation=reservation, status__in=OPEN_STATUSES)
        .order_by("pk")
        .first()
    )


def subject_of(application: Application) -> prefill.Subject:
    """What the prefill engine reads for this application."""
    if application.name_reservation_id:
        return prefill.Subject(
            reservation_number=application.name_reservation.number,
            applicant=application.applicant,
        )
    return prefill.Subject(uscc=application.uscc)


def division_code_of(reservation: NameReservation) -> str:
    """The 6-digit division of the domicile, from the property register."""
    division = (
        PropertyRecord.objects.filter(certificate_number=reservation.domicile_certificate)
        .values_list("division_code", flat=True)
        .first()
    )
    return division or PROVINCE_DIVISION_CODE


def assign_uscc(division_code: str, *, draw=None) -> str:
    """A new credit code no enterprise holds; drawn again on a collision."""
    for _attempt in range(CODE_ATTEMPTS):
        code = generate_uscc(division_code, draw=draw)
        if not Enterprise.objects.filter(uscc=code).exists():
            return code
    raise RuntimeError(f"no free credit code after {CODE_ATTEMPTS} draws in {division_code}")


def _amount(value: str, default: Decimal) -> Decimal:
    try:
        return Decimal(value)
    except (InvalidOperation, TypeError):
        return default


def _enterprise_fields(application: Application, reservation: NameReservation) -> dict:
    """The registry record as approved: the confirmed values, the reservation's otherwise."""
    values = {
        field: value.strip()
        for field, value in application.values.values_list("field", "value")
        if value and value.strip()
    }
    fields = {
        "name_zh": values.get("enterprise.name_zh", reservation.name_zh),
        "name_en": values.get("enterprise.name_en", reservation.name_en),
        "enterprise_type": values.get("enterprise.type", reservation.enterprise_type),
        "legal_representative": values.get("enterprise.legal_representative", ""),
        "registered_capital": _amount(
            values.get("enterprise.registered_capital", ""), reservation.registered_capital
        ),
        "address": values.get("enterprise.address", ""),
        "business_scope": values.get("enterprise.business_scope", reservation.business_scope),
        "established_on": timezone.localdate(),
    }
    # The register's document as read (or as corrected), when it is a possible one:
    # the registry's legal representative is who may act for the enterprise next
    # (approvals.representation), so a number that is not a document's names no one.
    document_type = values.get("legal_representative.document_type", "")
    document_number = normalize_document_number(
        values.get("legal_representative.document_number", "")
    )
    try:
        validate_document_number(document_type, document_number)
    except ValidationError:
        pass
    else:
        fields["legal_representative_document_type"] = document_type
        fields["legal_representative_id"] = document_number
    return fields


def register_enterprise(application: Application) -> Enterprise:
    """Market regulation registers the approved establishment, once.

    In the caller's transaction: the reservation is locked, so two workers
    finishing the same case register one enterprise; a reservation already
    used by this application gives back its enterprise.
    """
    with transaction.atomic():
        reservation = NameReservation.objects.select_for_update().get(
            pk=application.name_reservation_id
        )
        if reservation.enterprise_id:
            enterprise = reservation.enterprise
        else:
            fields = _enterprise_fields(application, reservation)
            division = division_code_of(reservation)
            enterprise = None
            for _attempt in range(CODE_ATTEMPTS):
                code = assign_uscc(division)
                try:
                    # A savepoint: a code another registration took in the
                    # meantime fails this insert only, and is drawn again.
                    with transaction.atomic():
                        enterprise = Enterprise.objects.create(uscc=code, **fields)
                except IntegrityError:
                    continue
                break
            if enterprise is None:
                raise RuntimeError("no free credit code could be registered")
            reservation.status = ReservationStatus.USED
            reservation.enterprise = enterprise
            reservation.save(update_fields=["status", "enterprise"])
        Application.objects.filter(pk=application.pk).update(
            uscc=enterprise.uscc, enterprise=enterprise
        )
        application.uscc, application.enterprise = enterprise.uscc, enterprise
    return enterprise
