"""Validation of the national identifiers the single window handles.

This module owns two check-digit schemes, and the shapes of the other
identity documents a person may hold:

* the unified social credit code of an enterprise (统一社会信用代码,
  GB 32100-2015), 18 characters with a MOD 31 check character;
* the resident identity number of a person (公民身份号码, GB 11643-1999),
  18 characters with an ISO 7064 MOD 11-2 check character and an embedded
  birth date.

Each scheme has a ``normalize_*`` function (what we store), a ``validate_*``
function that raises :class:`~django.core.exceptions.ValidationError` with a
stable ``code`` and a message the user can act on (usable directly in a model
field's or form field's ``validators=[...]``), and an ``is_valid_*`` predicate.
Identity numbers are personal data, so :func:`mask_resident_id` is what screens
and the API show unless the viewer needs the full number.
"""

from __future__ import annotations

import re
import secrets
import unicodedata
from datetime import date

from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

# --- Unified social credit code (GB 32100-2015) -----------------------------

# I, O, Z, S and V are left out of the standard's alphabet because they are
# easily confused with 1, 0, 2, 5 and U; a character's value is its index.
USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
USCC_LENGTH = 18
_USCC_VALUES = {char: value for value, char in enumerate(USCC_ALPHABET)}
_USCC_MODULUS = len(USCC_ALPHABET)  # 31, a prime: every single substitution changes the sum
_USCC_WEIGHTS = tuple(pow(3, i, _USCC_MODULUS) for i in range(USCC_LENGTH - 1))

# --- Resident identity number (GB 11643-1999) -------------------------------

RESIDENT_ID_LENGTH = 18
# ISO 7064 MOD 11-2: the weight of position i (1-based, counted from the left)
# is 2^(18 - i) mod 11.
_RESIDENT_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_RESIDENT_ID_EARLIEST_BIRTH_YEAR = 1900


def _clean(value: object) -> str:
    """Fold what people actually type into the standard's form.

    Chinese input methods often produce full-width digits and letters
    (``９１３５…``) and full-width spaces; NFKC folds them to ASCII so that a
    correct code typed that way is not rejected. Whitespace anywhere is
    dropped because codes are commonly written in groups.
    """
    if value is None:
        return ""
    text = unicodedata.normalize("NFKC", str(value))
    return "".join(text.split()).upper()


def _positions(indexes: list[int]) -> str:
    return ", ".join(str(i + 1) for i in indexes)


# Codes are often written in groups joined by a hyphen or a dash; none of them
# is in the alphabet, so dropping them cannot turn one code into another.
_DASHES = str.maketrans("", "", "-\u2010\u2011\u2012\u2013\u2014\u2212")


def normalize_uscc(value: object) -> str:
    """Return the code as stored: no whitespace or dashes, upper case, half-width."""
    return _clean(value).translate(_DASHES)


def uscc_check_character(first17: str) -> str:
    """Return the check character (18th) for the first 17 characters of a USCC.

    Raises ``ValueError`` if ``first17`` is not 17 characters of the alphabet;
    callers validating user input should use :func:`validate_uscc` instead.
    """
    if len(first17) != USCC_LENGTH - 1:
        raise ValueError(f"expected {USCC_LENGTH - 1} characters, got {len(first17)}")
    try:
        total = sum(
            _USCC_VALUES[char] * weight for char, weight in zip(first17, _USCC_WEIGHTS, strict=True)
        )
    except KeyError as exc:
        raise ValueError(f"character {exc.args[0]!r} is not in the USCC alphabet") from None
    return USCC_ALPHABET[(_USCC_MODULUS - total % _USCC_MODULUS) % _USCC_MODULUS]


def validate_uscc(value: object) -> None:
    """Raise ``ValidationError`` unless ``value`` normalises to a valid USCC.

    Problems are reported one at a time, in the order a user would fix them:
    length, then characters, then the check character.
    """
    code = normalize_uscc(value)
    if len(code) != USCC_LENGTH:
        raise ValidationError(
            _("A unified social credit code has %(expected)d characters; this one has %(actual)d."),
            code="uscc_length",
            params={"expected": USCC_LENGTH, "actual": len(code)},
        )
    bad = [i for i, char in enumerate(code) if char not in _USCC_VALUES]
    if bad:
        raise ValidationError(
            _(
                "The character(s) %(characters)s at position(s) %(positions)s cannot "
                "appear in a unified social credit code. Only digits and the capital "
                "letters A–Y are used, never I, O, Z, S or V."
            ),
            code="uscc_charset",
            params={
                "characters": ", ".join(f"“{code[i]}”" for i in bad),
                "positions": _positions(bad),
            },
        )
    expected = uscc_check_character(code[:-1])
    if code[-1] != expected:
        # The expected character is passed in params for logs, but not put in
        # the message: a typo is usually in the first 17 characters, and
        # inviting the user to "fix" the 18th would turn it into a valid code
        # of some other enterprise.
        raise ValidationError(
            _(
                "The check character (18th) does not match: the code is mistyped. "
                "Please compare it with the business licence."
            ),
            code="uscc_check",
            params={"expected": expected, "actual": code[-1]},
        )


def is_valid_uscc(value: object) -> bool:
    try:
        validate_uscc(value)
    except ValidationError:
        return False
    return True


def normalize_resident_id(value: object) -> str:
    """Return the number as stored: no whitespace, half-width, a capital X."""
    return _clean(value)


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
                "positions": _positions(bad),
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


# --- Assigning a new unified social credit code -----------------------------
#
# GB 32100-2015 composes a code from: the registration authority (1 character,
# 9 = market regulation), the entity type under it (1 character, 1 =
# enterprise), the administrative division of the registering office (6
# digits, GB/T 2260: Haikou 460100, Sanya 460200, ...), the organisation code
# (9 characters, GB 11714-1997: 8 characters and their own check character),
# and the check character over all 17. Market regulation assigns it when an
# enterprise is registered; nothing else in the product makes one.

USCC_AUTHORITY_MARKET_REGULATION = "9"
USCC_TYPE_ENTERPRISE = "1"
# GB 11714: weights of the 8 body characters; digits count as themselves and
# the letters A–Z as 10–35 (the full Latin alphabet, not the USCC's).
_ORG_CODE_WEIGHTS = (3, 7, 9, 10, 5, 8, 4, 2)
# Codes assigned since the 2015 reform begin with "MA"; the rest is drawn from
# the USCC alphabet, so the organisation code is also a valid part of a USCC.
_ORG_CODE_PREFIX = "MA"


def _org_value(char: str) -> int:
    if "0" <= char <= "9":
        return ord(char) - ord("0")
    if "A" <= char <= "Z":
        return ord(char) - ord("A") + 10
    raise ValueError(f"character {char!r} is not allowed in an organisation code")


def organisation_code_check_character(body: str) -> str:
    """The 9th character of a GB 11714 organisation code for its first 8.

    ``11 - (Σ value × weight mod 11)``: 10 is written ``X``, 11 is written ``0``.
    """
    if len(body) != len(_ORG_CODE_WEIGHTS):
        raise ValueError(f"expected {len(_ORG_CODE_WEIGHTS)} characters, got {len(body)}")
    total = sum(_org_value(c) * w for c, w in zip(body, _ORG_CODE_WEIGHTS, strict=True))
    check = 11 - total % 11
    return {10: "X", 11: "0"}.get(check, str(check))


def is_valid_organisation_code(code: str) -> bool:
    code = normalize_uscc(code)
    try:
        return len(code) == 9 and organisation_code_check_character(code[:8]) == code[8]
    except ValueError:
        return False


def generate_uscc(division_code: str, *, draw=None) -> str:
    """A new valid credit code for an enterprise registered in ``division_code``.

    ``draw(n)`` returns ``n`` random characters of the USCC alphabet (the
    default uses :mod:`secrets`); the caller checks uniqueness and draws again
    on a collision (see ``approvals.establishment``).
    """
    if not (len(division_code) == 6 and division_code.isascii() and division_code.isdigit()):
        raise ValueError(f"a division code has 6 digits, got {division_code!r}")
    if draw is None:

        def draw(n: int) -> str:
            return "".join(secrets.choice(USCC_ALPHABET) for _ in range(n))

    body = _ORG_CODE_PREFIX + draw(len(_ORG_CODE_WEIGHTS) - len(_ORG_CODE_PREFIX))
    org_code = body + organisation_code_check_character(body)
    first17 = USCC_AUTHORITY_MARKET_REGULATION + USCC_TYPE_ENTERPRISE + division_code + org_code
    return first17 + uscc_check_character(first17)


# --- Identity documents of a person ------------------------------------------
#
# An investor proves who they are with one of these. Only the resident identity
# number carries a check character of its own (GB 11643); the others are checked
# for their published shape. The permanent residence card of 2023 reuses GB
# 11643's check (ISO 7064 MOD 11-2) on an 18-character number beginning with 9;
# the 2017 card has 3 letters (the nationality) and 12 digits.


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
    return _clean(value)


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
