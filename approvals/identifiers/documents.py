"""The identity documents of a person, and the shape of each one's number.

An investor proves who they are with one of these. Only the resident identity
number carries a check character of its own (GB 11643); the others are checked
for their published shape. The permanent residence card of 2023 reuses GB
11643's check (ISO 7064 MOD 11-2) on an 18-character number beginning with 9;
the 2017 card has 3 letters (the nationality) and 12 digits.
"""

from __future__ import annotations

import re

from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

from approvals.identifiers.folding import fold
from approvals.identifiers.resident_id import (
    mask_resident_id,
    resident_id_check_character,
    validate_resident_id,
)


class DocumentType(models.TextChoices):
    RESIDENT_ID = "resident_id", _("Resident identity card (居民身份证)")
    PASSPORT = "passport", _("Passport (护照)")
    HK_MACAO_PERMIT = (
        "hk_macao_permit",
        _("Mainland travel permit for Hong Kong and Macao residents (港澳居民来往内地通行证)"),
    )
    TAIWAN_PERMIT = (
        "taiwan_permit",
        _("Mainland travel permit for Taiwan residents (台湾居民来往大陆通行证)"),
    )
    FOREIGN_PERMANENT_RESIDENCE = (
        "foreign_permanent_residence",
        _("Foreigner's permanent residence ID card (外国人永久居留身份证)"),
    )


_DOCUMENT_SHAPES = {
    DocumentType.PASSPORT: (
        re.compile(r"[A-Z0-9]{5,20}"),
        _("A passport number has 5 to 20 letters and digits, as printed on its data page."),
    ),
    DocumentType.HK_MACAO_PERMIT: (
        re.compile(r"[HM]\d{8}(?:\d{2})?"),
        _(
            "A Hong Kong or Macao residents' permit number is the letter H or M followed by "
            "8 digits (10 on older permits)."
        ),
    ),
    DocumentType.TAIWAN_PERMIT: (
        re.compile(r"\d{8}(?:\d{2})?"),
        _("A Taiwan residents' permit number has 8 digits (10 on older permits)."),
    ),
}


def normalize_document_number(value: object) -> str:
    """The number as stored: half-width, no whitespace, capitals."""
    return fold(value)


def validate_document_number(document_type: str, value: object) -> None:
    """Raise ``ValidationError`` unless `value` is a possible number of that document."""
    number = normalize_document_number(value)
    if document_type == DocumentType.RESIDENT_ID:
        validate_resident_id(number)
        return
    if document_type == DocumentType.FOREIGN_PERMANENT_RESIDENCE:
        if re.fullmatch(r"[A-Z]{3}\d{12}", number):
            return
        if re.fullmatch(r"9\d{16}[\dX]", number):
            if resident_id_check_character(number[:-1]) == number[-1]:
                return
            raise ValidationError(
                _(
                    "The check character (18th) does not match: the number is mistyped. "
                    "Please compare it with the card."
                ),
                code="document_check",
            )
        raise ValidationError(
            _(
                "A permanent residence card number has 18 characters beginning with 9 (cards "
                "since 2023), or 3 letters and 12 digits (earlier cards)."
            ),
            code="document_shape",
        )
    shape = _DOCUMENT_SHAPES.get(document_type)
    if shape is None:
        raise ValidationError(_("Choose the type of identity document."), code="document_type")
    pattern, message = shape
    if not pattern.fullmatch(number):
        raise ValidationError(message, code="document_shape")


def mask_document_number(value: object) -> str:
    """Any document number as screens show it to those who do not need it in full."""
    number = normalize_document_number(value)
    if len(number) >= 15:
        return mask_resident_id(number)
    if len(number) <= 4:
        return "*" * len(number)
    return f"{number[:2]}{'*' * (len(number) - 4)}{number[-2:]}"
