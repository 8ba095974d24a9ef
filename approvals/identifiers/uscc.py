"""The unified social credit code of an enterprise (统一社会信用代码, GB 32100-2015).

18 characters with a MOD 31 check character: normalised, validated, and the
new code market regulation assigns at registration. GB 32100-2015 composes a
code from: the registration authority (1 character, 9 = market regulation),
the entity type under it (1 character, 1 = enterprise), the administrative
division of the registering office (6 digits, GB/T 2260: Haikou 460100, Sanya
460200, ...), the organisation code (9 characters, GB 11714-1997: 8
characters and their own check character), and the check character over all
17. Market regulation assigns it when an enterprise is registered; nothing
else in the product makes one.
"""

from __future__ import annotations

import secrets

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from approvals.identifiers.folding import fold, positions

# I, O, Z, S and V are left out of the standard's alphabet because they are
# easily confused with 1, 0, 2, 5 and U; a character's value is its index.
USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
USCC_LENGTH = 18
_USCC_VALUES = {char: value for value, char in enumerate(USCC_ALPHABET)}
_USCC_MODULUS = len(USCC_ALPHABET)  # 31, a prime: every single substitution changes the sum
_USCC_WEIGHTS = tuple(pow(3, i, _USCC_MODULUS) for i in range(USCC_LENGTH - 1))

# Codes are often written in groups joined by a hyphen or a dash; none of them
# is in the alphabet, so dropping them cannot turn one code into another.
_DASHES = str.maketrans("", "", "-\u2010\u2011\u2012\u2013\u2014\u2212")


def normalize_uscc(value: object) -> str:
    """Return the code as stored: no whitespace or dashes, upper case, half-width."""
    return fold(value).translate(_DASHES)


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
                "positions": positions(bad),
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


# --- Assigning a new unified social credit code -----------------------------

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
