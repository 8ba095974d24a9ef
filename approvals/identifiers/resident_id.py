"""The resident identity number of a person (公民身份号码, GB 11643-1999).

18 characters with an ISO 7064 MOD 11-2 check character and an embedded
birth date. It is personal data: :func:`mask_resident_id` is what screens and
the API show unless the viewer needs the full number.
"""

from __future__ import annotations

from datetime import date

from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from approvals.identifiers.folding import fold, positions

RESIDENT_ID_LENGTH = 18

# ISO 7064 MOD 11-2: the weight of position i (1-based, counted from the left)
# is 2^(18 - i) mod 11.
_RESIDENT_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_RESIDENT_ID_EARLIEST_BIRTH_YEAR = 1900


def normalize_resident_id(value: object) -> str:
    """Return the number as stored: no whitespace, half-width, a capital X."""
    return fold(value)


def resident_id_check_character(first17: str) -> str:
    """Return the check character (digit or ``X``) for the first 17 digits.

    Raises ``ValueError`` if ``first17`` is not exactly 17 ASCII digits.
    """
    if len(first17) != RESIDENT_ID_LENGTH - 1 or not (first17.isascii() and first17.isdigit()):
        raise ValueError(f"expected {RESIDENT_ID_LENGTH - 1} digits, got {first17!r}")
    total = sum(int(d) * w for d, w in zip(first17, _RESIDENT_ID_WEIGHTS, strict=True))
    check = (12 - total % 11) % 11
    return "X" if check == 10 else str(check)


def _resident_id_birth_date(number: str) -> date | None:
    try:
        return date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
    except ValueError:
        return None


def validate_resident_id(value: object) -> None:
    """Raise ``ValidationError`` unless ``value`` normalises to a valid identity number.

    Checks, in order: length, characters, birth date (positions 7–14), check
    character.
    """
    number = normalize_resident_id(value)
    if len(number) != RESIDENT_ID_LENGTH:
        raise ValidationError(
            _(
                "A resident identity number has %(expected)d characters; this one has "
                "%(actual)d. Old 15-digit numbers are not accepted: please enter the "
                "18-character number on the current card."
            ),
            code="resident_id_length",
            params={"expected": RESIDENT_ID_LENGTH, "actual": len(number)},
        )
    bad = [i for i, char in enumerate(number[:-1]) if not ("0" <= char <= "9")]
    if not ("0" <= number[-1] <= "9" or number[-1] == "X"):
        bad.append(RESIDENT_ID_LENGTH - 1)
    if bad:
        raise ValidationError(
            _(
                "The character(s) %(characters)s at position(s) %(positions)s are not "
                "allowed: the first 17 characters of a resident identity number are "
                "digits, and only the last one may be the letter X."
            ),
            code="resident_id_charset",
            params={
                "characters": ", ".join(f"“{number[i]}”" for i in bad),
                "positions": positions(bad),
            },
        )
    born = _resident_id_birth_date(number)
    if born is None or born.year < _RESIDENT_ID_EARLIEST_BIRTH_YEAR or born > timezone.localdate():
        raise ValidationError(
            _(
                "Positions 7–14 of a resident identity number are the birth date "
                "(YYYYMMDD); “%(digits)s” is not a possible birth date. Please check "
                "the number."
            ),
            code="resident_id_birthdate",
            params={"digits": number[6:14]},
        )
    expected = resident_id_check_character(number[:-1])
    if number[-1] != expected:
        # As for the credit code, the expected character stays out of the
        # message so that a typo elsewhere is not "repaired" into another
        # person's number.
        raise ValidationError(
            _(
                "The check character (18th) does not match: the number is mistyped. "
                "Please compare it with the identity card."
            ),
            code="resident_id_check",
            params={"expected": expected, "actual": number[-1]},
        )


def is_valid_resident_id(value: object) -> bool:
    try:
        validate_resident_id(value)
    except ValidationError:
        return False
    return True


def mask_resident_id(value: object) -> str:
    """Show the first 6 (region) and last 4 characters, asterisks in between.

    ``460100199001011234`` becomes ``460100********1234``. Anything too short to
    keep 10 characters and still hide something is masked completely, so that a
    malformed number never leaks in full.
    """
    number = normalize_resident_id(value)
    if len(number) <= 10:
        return "*" * len(number)
    return f"{number[:6]}{'*' * (len(number) - 10)}{number[-4:]}"
