"""Tests for approvals.identifiers: credit codes and resident identity numbers."""

import random
from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone, translation

from approvals.identifiers import (
    USCC_ALPHABET,
    is_valid_resident_id,
    is_valid_uscc,
    mask_resident_id,
    normalize_resident_id,
    normalize_uscc,
    resident_id_check_character,
    uscc_check_character,
    validate_resident_id,
    validate_uscc,
)

# Two real-format codes whose check characters were worked out by hand.
# Weights 3^i mod 31, i = 0..16:
#   1 3 9 27 19 26 16 17 20 29 25 13 8 24 10 30 28
# 91350100M000100Y4|3: values 9 1 3 5 0 1 0 0 M=21 0 0 0 1 0 0 Y=30 4
#   9 + 3 + 27 + 135 + 26 + 21*20 + 8 + 30*30 + 4*28 = 1640; 1640 mod 31 = 28;
#   31 - 28 = 3 -> "3".
# 91110000600037341|L: values 9 1 1 1 0 0 0 0 6 0 0 0 3 7 3 4 1
#   9 + 3 + 9 + 27 + 6*20 + 3*8 + 7*24 + 3*10 + 4*30 + 28 = 538; 538 mod 31 = 11;
#   31 - 11 = 20 -> alphabet[20] = "L".
VALID_USCCS = ["91350100M000100Y43", "91110000600037341L"]

# GB 11643-1999's own example. Weights 7 9 10 5 8 4 2 1 6 3 7 9 10 5 8 4 2 over
# 1 1 0 1 0 5 1 9 4 9 1 2 3 1 0 0 2:
#   7 + 9 + 0 + 5 + 0 + 20 + 2 + 9 + 24 + 27 + 7 + 18 + 30 + 5 + 0 + 0 + 4 = 167;
#   167 mod 11 = 2; (12 - 2) mod 11 = 10 -> "X".
STANDARD_RESIDENT_ID = "11010519491231002X"


def _code(excinfo) -> str:
    return excinfo.value.code


def _message(excinfo) -> str:
    with translation.override("en"):
        return excinfo.value.messages[0]


# --- Unified social credit code ---------------------------------------------


@pytest.mark.parametrize("code", VALID_USCCS)
def test_real_credit_codes_are_valid(code):
    validate_uscc(code)
    assert is_valid_uscc(code)
    assert uscc_check_character(code[:17]) == code[17]


@pytest.mark.parametrize(
    "typed, stored",
    [
        ("91350100m000100y43", "91350100M000100Y43"),
        (" 9135 0100 M000 100Y 43 ", "91350100M000100Y43"),
        # Full-width, as a Chinese input method may type it.
        ("９１１１００００６０００３７３４１Ｌ", "91110000600037341L"),
    ],
)
def test_credit_code_is_normalised_before_validation(typed, stored):
    assert normalize_uscc(typed) == stored
    validate_uscc(typed)


def test_wrong_check_character_is_reported_as_mistyped():
    with pytest.raises(ValidationError) as excinfo:
        validate_uscc("91350100M000100Y44")
    assert _code(excinfo) == "uscc_check"
    assert "check character (18th) does not match" in _message(excinfo)
    assert "mistyped" in _message(excinfo)


@pytest.mark.parametrize("letter", ["I", "O", "Z", "S", "V"])
def test_letters_outside_the_alphabet_are_named_with_their_position(letter):
    code = "91350100" + letter + "000100Y43"
    with pytest.raises(ValidationError) as excinfo:
        validate_uscc(code)
    assert _code(excinfo) == "uscc_charset"
    message = _message(excinfo)
    assert f"“{letter}”" in message
    assert "position(s) 9" in message
    assert "never I, O, Z, S or V" in message


def test_every_offending_character_is_named():
    # Not "-": hyphens and dashes are dropped as group separators (normalize_uscc).
    with pytest.raises(ValidationError) as excinfo:
        validate_uscc("9135010OM000100Y4*")
    message = _message(excinfo)
    assert "“O”" in message
    assert "“*”" in message
    assert "8, 18" in message


@pytest.mark.parametrize(
    "value, length", [("91350100M000100Y4", 17), ("91350100M000100Y433", 19), ("", 0), (None, 0)]
)
def test_wrong_length_says_expected_and_actual(value, length):
    with pytest.raises(ValidationError) as excinfo:
        validate_uscc(value)
    assert _code(excinfo) == "uscc_length"
    message = _message(excinfo)
    assert "18 characters" in message
    assert f"has {length}." in message
    assert not is_valid_uscc(value)


def test_check_character_rejects_bad_input():
    with pytest.raises(ValueError, match=r"^expected 17 characters, got 7$"):
        uscc_check_character("9135010")
    with pytest.raises(ValueError, match=r"^character 'O' is not in the USCC alphabet$"):
        uscc_check_character("91350100O000100Y4")


def _random_bodies(count: int) -> list[str]:
    rng = random.Random(32100)
    return ["".join(rng.choice(USCC_ALPHABET) for _ in range(17)) for _ in range(count)]


@pytest.mark.parametrize("body", _random_bodies(20))
def test_generated_codes_validate_and_detect_any_single_substitution(body):
    code = body + uscc_check_character(body)
    validate_uscc(code)
    for position in range(18):
        for replacement in USCC_ALPHABET:
            if replacement == code[position]:
                continue
            altered = code[:position] + replacement + code[position + 1 :]
            assert not is_valid_uscc(altered), (code, altered)


# --- Resident identity number ------------------------------------------------


def test_standard_example_is_valid():
    assert resident_id_check_character(STANDARD_RESIDENT_ID[:17]) == "X"
    validate_resident_id(STANDARD_RESIDENT_ID)
    assert is_valid_resident_id(STANDARD_RESIDENT_ID.lower())
    assert normalize_resident_id(" 11010519491231002x ") == STANDARD_RESIDENT_ID


@pytest.mark.parametrize("body", ["46010019900101123", "44030420000229001", "11010519000101000"])
def test_numbers_built_with_the_check_function_are_valid(body):
    number = body + resident_id_check_character(body)
    validate_resident_id(number)


def test_wrong_check_character_is_rejected():
    with pytest.raises(ValidationError) as excinfo:
        validate_resident_id("110105194912310021")
    assert _code(excinfo) == "resident_id_check"
    assert "check character (18th) does not match" in _message(excinfo)


@pytest.mark.parametrize(
    "number, position", [("1101051949123100X2", "17"), ("X10105194912310021", "1")]
)
def test_x_anywhere_but_last_is_a_charset_error(number, position):
    with pytest.raises(ValidationError) as excinfo:
        validate_resident_id(number)
    assert _code(excinfo) == "resident_id_charset"
    message = _message(excinfo)
    assert "“X”" in message
    assert f"position(s) {position} " in message


def test_a_letter_other_than_x_at_the_end_is_rejected():
    with pytest.raises(ValidationError) as excinfo:
        validate_resident_id("11010519491231002Y")
    assert _code(excinfo) == "resident_id_charset"
    assert "position(s) 18 " in _message(excinfo)


def _with_check(body: str) -> str:
    return body + resident_id_check_character(body)


@pytest.mark.parametrize(
    "birth",
    [
        "19490230",  # 30 February
        "19491301",  # month 13
        "18991231",  # before 1900
        "00000000",
    ],
)
def test_impossible_birth_dates_are_rejected(birth):
    # A correct check character, so only the date can be at fault.
    number = _with_check("110105" + birth + "002")
    with pytest.raises(ValidationError) as excinfo:
        validate_resident_id(number)
    assert _code(excinfo) == "resident_id_birthdate"
    assert birth in _message(excinfo)


def test_birth_date_in_the_future_is_rejected():
    tomorrow = timezone.localdate() + timedelta(days=1)
    number = _with_check("110105" + tomorrow.strftime("%Y%m%d") + "002")
    with pytest.raises(ValidationError) as excinfo:
        validate_resident_id(number)
    assert _code(excinfo) == "resident_id_birthdate"


def test_birth_date_today_is_accepted():
    number = _with_check("110105" + timezone.localdate().strftime("%Y%m%d") + "002")
    validate_resident_id(number)


@pytest.mark.parametrize(
    "number, length",
    [("110105491231002", 15), ("11010519491231002", 17), ("11010519491231002X1", 19), ("", 0)],
)
def test_wrong_length_is_rejected(number, length):
    with pytest.raises(ValidationError) as excinfo:
        validate_resident_id(number)
    assert _code(excinfo) == "resident_id_length"
    message = _message(excinfo)
    assert "18 characters" in message
    assert f"has {length}." in message


@pytest.mark.parametrize(
    "value, masked",
    [
        ("46010019900101123X", "460100********123X"),
        ("46010019900101123x", "460100********123X"),
        ("123456789", "*********"),
        ("", ""),
    ],
)
def test_masking_keeps_region_and_last_four_only(value, masked):
    assert mask_resident_id(value) == masked


def test_validators_work_on_a_model_field():
    from django.db import models

    field = models.CharField(max_length=18, validators=[validate_uscc])
    field.run_validators("91350100M000100Y43")
    with pytest.raises(ValidationError) as excinfo:
        field.run_validators("91350100M000100Y44")
    assert [e.code for e in excinfo.value.error_list] == ["uscc_check"]


# --- What a mutation run showed the tests above did not pin down ---------------
#
# Every expected value below is written out by hand: no check character or
# message is taken from the function under test.

# Resident identity numbers whose check characters were worked out by hand,
# with digits other than 0 at positions 3, 5, 15 and 16 (the example above has
# zeros there, so a wrong weight at those positions would go unnoticed).
# Weights by position 1..17: 7 9 10 5 8 4 2 1 6 3 7 9 10 5 8 4 2; the check is
# (12 - sum mod 11) mod 11, 10 written "X".
HAND_CHECKED_RESIDENT_IDS = [
    # 4 6 2 5 1 3 1 9 8 5 0 6 1 5 7 8 3:
    #   28+54+20+25+8+12+2+9+48+15+0+54+10+25+56+32+6 = 404; 404 mod 11 = 8; 12-8 = 4.
    "462513198506157834",
    # the same with 5 last: 404 - 6 + 10 = 408; 408 mod 11 = 1; (12-1) mod 11 = 0.
    "462513198506157850",
    # 5 3 3 1 2 7 1 9 8 3 0 3 1 6 6 5 4:
    #   35+27+30+5+16+28+2+9+48+9+0+27+10+30+48+20+8 = 352; 352 mod 11 = 0; 12 mod 11 = 1.
    "533127198303166541",
    # the same with 5 last: 352 - 8 + 10 = 354; 354 mod 11 = 2; 12-2 = 10 -> "X".
    "53312719830316655X",
    # 6 2 2 1 5 3 1 9 9 8 0 5 0 8 9 4 2:
    #   42+18+20+5+40+12+2+9+54+24+0+45+0+40+72+16+4 = 403; 403 mod 11 = 7; 12-7 = 5.
    "622153199805089425",
    # Born 29 February 2000 (a leap year). 4 4 0 3 2 5 2 0 0 0 0 2 2 9 3 7 1:
    #   28+36+0+15+16+20+4+0+0+0+0+18+20+45+24+28+2 = 256; 256 mod 11 = 3; 12-3 = 9.
    "440325200002293719",
]


@pytest.mark.parametrize("number", HAND_CHECKED_RESIDENT_IDS)
def test_hand_checked_resident_ids_are_valid_and_their_check_is_computed(number):
    assert resident_id_check_character(number[:17]) == number[17]
    validate_resident_id(number)
    assert is_valid_resident_id(number)


@pytest.mark.parametrize("number", HAND_CHECKED_RESIDENT_IDS)
def test_every_other_check_character_of_a_hand_checked_number_is_refused(number):
    for wrong in "0123456789X":
        if wrong == number[17]:
            continue
        altered = number[:17] + wrong
        assert not is_valid_resident_id(altered), altered
        with pytest.raises(ValidationError) as excinfo:
            validate_resident_id(altered)
        assert _code(excinfo) == "resident_id_check"
        assert excinfo.value.params == {"expected": number[17], "actual": wrong}


@pytest.mark.parametrize(
    "value",
    [
        "11010519491231002",  # too short
        "110105194912310021",  # wrong check character
        "1101051949123100X2",  # X inside
        "110105194904310023",  # 31 April
        "",
        None,
    ],
)
def test_is_valid_resident_id_is_false_for_what_validation_refuses(value):
    assert is_valid_resident_id(value) is False


@pytest.mark.parametrize(
    "birth",
    [
        "19490431",  # 31 April
        "19490631",  # 31 June
        "19000229",  # 1900 is not a leap year (divisible by 100, not by 400)
        "20230229",  # nor is 2023
    ],
)
def test_a_day_the_month_does_not_have_is_not_a_birth_date(birth):
    number = _with_check("110105" + birth + "002")
    with pytest.raises(ValidationError) as excinfo:
        validate_resident_id(number)
    assert _code(excinfo) == "resident_id_birthdate"
    assert _message(excinfo) == (
        "Positions 7–14 of a resident identity number are the birth date (YYYYMMDD); "
        f"“{birth}” is not a possible birth date. Please check the number."
    )


def test_the_first_day_of_1900_is_the_earliest_birth_date():
    # 1 1 0 1 0 5 1 9 0 0 0 1 0 1 0 0 2:
    #   7+9+0+5+0+20+2+9+0+0+0+9+0+5+0+0+4 = 70; 70 mod 11 = 4; 12-4 = 8.
    validate_resident_id("110105190001010028")


@pytest.mark.parametrize(
    "number, position",
    [
        ("11010519491231002A", "18"),  # a letter that sorts between "9" and "X"
        ("11010519491231002:", "18"),  # the character after "9"
    ],
)
def test_only_a_digit_or_x_may_end_a_resident_id(number, position):
    with pytest.raises(ValidationError) as excinfo:
        validate_resident_id(number)
    assert _code(excinfo) == "resident_id_charset"
    assert _message(excinfo) == (
        f"The character(s) “{number[-1]}” at position(s) {position} are not allowed: the "
        "first 17 characters of a resident identity number are digits, and only the last "
        "one may be the letter X."
    )


def test_every_bad_character_of_a_resident_id_is_named():
    with pytest.raises(ValidationError) as excinfo:
        validate_resident_id("1101A519491231002Y")
    assert _message(excinfo) == (
        "The character(s) “A”, “Y” at position(s) 5, 18 are not allowed: the first 17 "
        "characters of a resident identity number are digits, and only the last one may be "
        "the letter X."
    )


def test_resident_id_messages_in_full():
    with pytest.raises(ValidationError) as excinfo:
        validate_resident_id("110105491231002")
    assert _message(excinfo) == (
        "A resident identity number has 18 characters; this one has 15. Old 15-digit "
        "numbers are not accepted: please enter the 18-character number on the current card."
    )
    with pytest.raises(ValidationError) as excinfo:
        validate_resident_id("110105194912310021")
    assert _message(excinfo) == (
        "The check character (18th) does not match: the number is mistyped. "
        "Please compare it with the identity card."
    )
    assert excinfo.value.params == {"expected": "X", "actual": "1"}


def test_resident_id_check_character_refuses_anything_but_17_ascii_digits():
    with pytest.raises(ValueError, match=r"^expected 17 digits, got '1101051949123100'$"):
        resident_id_check_character("1101051949123100")
    # 17 characters, one of them a letter: refused by the check, not by int().
    with pytest.raises(ValueError, match=r"^expected 17 digits, got '1101051949123100A'$"):
        resident_id_check_character("1101051949123100A")
    # Full-width digits are digits to Python but not to the standard.
    full_width = "１１０１０５１９４９１２３１００２"
    with pytest.raises(ValueError, match=f"^expected 17 digits, got '{full_width}'$"):
        resident_id_check_character(full_width)


def test_credit_code_messages_in_full():
    with pytest.raises(ValidationError) as excinfo:
        validate_uscc("91350100M000100Y4")
    assert _message(excinfo) == "A unified social credit code has 18 characters; this one has 17."
    with pytest.raises(ValidationError) as excinfo:
        validate_uscc("9135010OM000100Y4*")
    assert _message(excinfo) == (
        "The character(s) “O”, “*” at position(s) 8, 18 cannot appear in a unified social "
        "credit code. Only digits and the capital letters A–Y are used, never I, O, Z, S or V."
    )
    with pytest.raises(ValidationError) as excinfo:
        validate_uscc("91350100M000100Y45")
    assert _message(excinfo) == (
        "The check character (18th) does not match: the code is mistyped. "
        "Please compare it with the business licence."
    )
    # The expected character is kept for the logs, out of the message.
    assert excinfo.value.params == {"expected": "3", "actual": "5"}


@pytest.mark.parametrize(
    "value, masked",
    [
        ("1234567890", "**********"),  # 10 characters: nothing left to hide, all masked
        ("12345678901", "123456*8901"),  # 11: one character hidden
        ("460100199001011", "460100*****1011"),  # an old 15-digit number
    ],
)
def test_masking_at_the_edges_of_what_can_be_hidden(value, masked):
    assert mask_resident_id(value) == masked


# Credit codes with no 0 among their first 17 characters, so that every weight
# counts (the two codes above have zeros at positions 5, 7, 8 and 10-12).
# Weights 3^i mod 31 by position 1..17: 1 3 9 27 19 26 16 17 20 29 25 13 8 24 10 30 28;
# the check is (31 - sum mod 31) mod 31, as a character of the alphabet.
HAND_CHECKED_USCCS = [
    # 9 1 4 6 9 5 2 7 M=21 A=10 5 R=25 Q=24 3 L=20 X=29 8:
    #   9+3+36+162+171+130+32+119+420+290+125+325+192+72+200+870+224 = 3380;
    #   3380 mod 31 = 1; 31-1 = 30 -> "Y".
    "91469527MA5RQ3LX8Y",
    # 1 2 4 6 3 2 8 7 M=21 B=11 1 Y=30 7 C=12 J=18 4 W=28:
    #   1+6+36+162+57+52+128+119+420+319+25+390+56+288+180+120+784 = 3143;
    #   3143 mod 31 = 12; 31-12 = 19 -> "K".
    "12463287MB1Y7CJ4WK",
    # 5 2 4 6 7 8 1 3 R=25 T=26 9 U=27 6 P=23 H=17 2 K=19:
    #   5+6+36+162+133+208+16+51+500+754+225+351+48+552+170+60+532 = 3809;
    #   3809 mod 31 = 27; 31-27 = 4 -> "4".
    "52467813RT9U6PH2K4",
]


@pytest.mark.parametrize("code", HAND_CHECKED_USCCS)
def test_hand_checked_credit_codes_with_every_weight_in_play(code):
    assert uscc_check_character(code[:17]) == code[17]
    validate_uscc(code)
    for wrong in USCC_ALPHABET:
        if wrong != code[17]:
            assert not is_valid_uscc(code[:17] + wrong), wrong
