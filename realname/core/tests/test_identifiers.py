from __future__ import annotations

import datetime as dt
import random

import pytest
from hypothesis import given
from hypothesis import strategies as st
from stdnum.cn import ric

from realname.core import synthetic
from realname.core.identifiers import (
    IdentifierError,
    check_bank_card,
    check_credit_code,
    check_id,
    check_mobile,
    check_resident_id,
)
from realname.core.masking import mask_bank_card, mask_id_number, mask_phone

# GB 11643 by hand, independent of python-stdnum: weights 7 9 10 5 8 4 2 1 6 3 7 9 10 5 8 4 2, "10X98765432".
WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)


def check_char(body: str) -> str:
    return "10X98765432"[sum(int(d) * w for d, w in zip(body, WEIGHTS, strict=True)) % 11]


birth_dates = st.dates(min_value=dt.date(1950, 1, 1), max_value=dt.date(2008, 12, 31))


@given(
    birth=birth_dates,
    seq=st.integers(min_value=0, max_value=999),
    area=st.sampled_from(["110105", "310104", "110101"]),
)
def test_a_correct_check_character_is_accepted_and_its_facts_derived(
    birth: dt.date, seq: int, area: str
) -> None:
    body = f"{area}{birth:%Y%m%d}{seq:03d}"
    checked = check_resident_id(body + check_char(body))
    assert checked.birth_date == birth
    assert checked.sex == ("M" if seq % 2 else "F")


@given(birth=birth_dates, seq=st.integers(min_value=0, max_value=999), wrong=st.sampled_from("0123456789X"))
def test_any_other_check_character_is_refused(birth: dt.date, seq: int, wrong: str) -> None:
    body = f"110105{birth:%Y%m%d}{seq:03d}"
    if wrong == check_char(body):
        return
    with pytest.raises(IdentifierError, match="校验位"):
        check_resident_id(body + wrong)


def test_lower_case_x_and_full_width_spaces_are_tolerated() -> None:
    number = "11010519491231002X"
    assert check_resident_id("\u3000" + number.lower() + " ").number == number
    assert check_resident_id("１１０１０５１９４９１２３１００２Ｘ").number == number


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("1101051949123100", "18位"),
        ("11010519491331002X", "出生日期"),
        ("1101051949123100X2", "数字"),
        ("110105" + "2099" + "0101" + "0011", "出生日期"),
    ],
)
def test_malformed_ids_are_refused_with_a_reason(value: str, message: str) -> None:
    with pytest.raises(IdentifierError, match=message):
        check_resident_id(value)


def test_an_area_code_unknown_in_the_birth_year_is_only_a_warning() -> None:
    # 330109 (萧山区) exists only since 2001; someone born in 1990 with it is flagged, not refused.
    body = "33010919900101001"
    checked = check_resident_id(body + ric.calc_check_digit(body + "0"))
    assert checked.birth_date == dt.date(1990, 1, 1)
    assert checked.warnings and "地区码" in checked.warnings[0]


def test_other_document_types_get_format_checks() -> None:
    assert check_id("08", "e12345678").number == "E12345678"
    with pytest.raises(IdentifierError):
        check_id("08", "#?")
    with pytest.raises(IdentifierError, match="字典"):
        check_id("99", "E12345678")


@given(st.integers(min_value=0, max_value=10**9))
def test_synthetic_credit_codes_validate(seed: int) -> None:
    code = synthetic.credit_code(random.Random(seed))
    assert check_credit_code(code.lower()) == code


def test_a_credit_code_with_a_wrong_check_character_is_refused() -> None:
    code = synthetic.credit_code(random.Random(1))
    wrong = code[:-1] + ("0" if code[-1] != "0" else "1")
    with pytest.raises(IdentifierError, match="校验位"):
        check_credit_code(wrong)
    with pytest.raises(IdentifierError, match="18位"):
        check_credit_code(code[:-1])


@given(st.integers(min_value=0, max_value=10**9))
def test_synthetic_people_have_valid_ids_and_cards(seed: int) -> None:
    rng = random.Random(seed)
    birth = synthetic.birth_date_for_age(rng, age_min=18, age_max=60, today=dt.date(2026, 11, 25))
    number = synthetic.id_number(rng, birth_date=birth, sex="F")
    checked = check_resident_id(number)
    assert checked.sex == "F" and checked.birth_date == birth and not checked.warnings
    assert not check_bank_card(synthetic.bank_card(rng)[2]).warnings


def test_a_card_failing_luhn_is_a_warning_not_an_error() -> None:
    assert check_bank_card("6222021234567890123").warnings
    assert not check_bank_card("6222 0212 3456 7890 128").warnings
    with pytest.raises(IdentifierError):
        check_bank_card("12345")


def test_mobiles() -> None:
    assert check_mobile("+86 138 1234 5678") == "13812345678"
    for bad in ("12812345678", "1381234567", "phone"):
        with pytest.raises(IdentifierError):
            check_mobile(bad)


def test_masks() -> None:
    assert mask_id_number("11010519491231002X") == "110105********002X"
    assert mask_bank_card("6222021234567890128") == "6222 **** **** 0128"
    assert mask_phone("13812345678") == "138****5678"
