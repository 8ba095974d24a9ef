"""Validation of the national identifiers the single window handles.

This package owns two check-digit schemes, and the shapes of the other
identity documents a person may hold:

* the unified social credit code of an enterprise (统一社会信用代码,
  GB 32100-2015), 18 characters with a MOD 31 check character (``uscc``);
* the resident identity number of a person (公民身份号码, GB 11643-1999),
  18 characters with an ISO 7064 MOD 11-2 check character and an embedded
  birth date (``resident_id``);
* the other identity documents and their numbers' shapes (``documents``).

Each scheme has a ``normalize_*`` function (what we store), a ``validate_*``
function that raises :class:`~django.core.exceptions.ValidationError` with a
stable ``code`` and a message the user can act on (usable directly in a model
field's or form field's ``validators=[...]``), and an ``is_valid_*`` predicate.
Identity numbers are personal data, so :func:`mask_resident_id` is what screens
and the API show unless the viewer needs the full number. The migrations name
the validators by this package's path (``approvals.identifiers.validate_uscc``).
"""

from approvals.identifiers.documents import (
    DocumentType,
    mask_document_number,
    normalize_document_number,
    validate_document_number,
)
from approvals.identifiers.resident_id import (
    RESIDENT_ID_LENGTH,
    is_valid_resident_id,
    mask_resident_id,
    normalize_resident_id,
    resident_id_check_character,
    validate_resident_id,
)
from approvals.identifiers.uscc import (
    USCC_ALPHABET,
    USCC_AUTHORITY_MARKET_REGULATION,
    USCC_LENGTH,
    USCC_TYPE_ENTERPRISE,
    generate_uscc,
    is_valid_organisation_code,
    is_valid_uscc,
    normalize_uscc,
    organisation_code_check_character,
    uscc_check_character,
    validate_uscc,
)

__all__ = [
    "RESIDENT_ID_LENGTH",
    "USCC_ALPHABET",
    "USCC_AUTHORITY_MARKET_REGULATION",
    "USCC_LENGTH",
    "USCC_TYPE_ENTERPRISE",
    "DocumentType",
    "generate_uscc",
    "is_valid_organisation_code",
    "is_valid_resident_id",
    "is_valid_uscc",
    "mask_document_number",
    "mask_resident_id",
    "normalize_document_number",
    "normalize_resident_id",
    "normalize_uscc",
    "organisation_code_check_character",
    "resident_id_check_character",
    "uscc_check_character",
    "validate_document_number",
    "validate_resident_id",
    "validate_uscc",
]
