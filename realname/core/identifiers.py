"""Identifier rules: GB 11643 resident ID, GB 32100 credit code, bank cards, mobiles, other ID types.

Checksums come from python-stdnum; this module only decides what is an error and what is a warning
(regulations.md §6: an area code unknown for the birth year is a warning, not a rejection).
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from dataclasses import dataclass, field

from stdnum import luhn
from stdnum.cn import ric, uscc
from stdnum.exceptions import InvalidChecksum, InvalidComponent, InvalidFormat, InvalidLength, ValidationError

RESIDENT_ID = "01"


class IdentifierError(ValueError):
    """An identifier that must be refused, with a message a clerk understands (Chinese)."""


@dataclass
class CheckedId:
    """A validated ID number with what it tells about its holder."""

    number: str
    id_type: str
    birth_date: dt.date | None = None
    sex: str = ""  # "M" / "F" for resident IDs, "" when the document does not say
    area_code: str = ""
    warnings: list[str] = field(default_factory=list)


def clean_text(value: object) -> str:
    """NFKC-folded (full-width letters, digits and spaces become ASCII), trimmed, inner runs of spaces
    collapsed to one — for names and free text."""
    if value is None:
        return ""
    text = unicodedata.normalize("NFKC", str(value))
    return re.sub(r"\s+", " ", text).strip()


def compact(value: object) -> str:
    """All whitespace (incl. U+3000) removed, NFKC-folded, upper-cased."""
    if value is None:
        return ""
    text = unicodedata.normalize("NFKC", str(value))
    return re.sub(r"[\s\-]+", "", text).upper()


def check_resident_id(value: object) -> CheckedId:
    number = compact(value)
    if len(number) != 18:
        raise IdentifierError(f"身份证号应为18位，实际为{len(number)}位")
    if not re.fullmatch(r"\d{17}[\dX]", number):
        raise IdentifierError("身份证号只能包含数字，最后一位可以是 X")
    try:
        birth = ric.get_birth_date(number)
    except (InvalidComponent, ValueError, ValidationError):
        raise IdentifierError("身份证号中的出生日期无效") from None
    if birth > dt.date.today() or birth.year < 1900:  # noqa: DTZ011 - a birth date is a calendar date
        raise IdentifierError("身份证号中的出生日期不合理")
    if ric.calc_check_digit(number) != number[-1]:
        raise IdentifierError("身份证号校验位错误，请核对号码")
    result = CheckedId(
        number=number,
        id_type=RESIDENT_ID,
        birth_date=birth,
        sex="M" if int(number[16]) % 2 else "F",
        area_code=number[:6],
    )
    try:
        ric.validate(number)
    except (InvalidComponent, KeyError):
        # python-stdnum raises KeyError for some codes missing from its table: the same "unknown area" case.
        result.warnings.append(
            f"地区码 {number[:6]} 在出生年份 {birth.year} 的行政区划表中未找到，请人工核对"
        )
    except ValidationError:
        result.warnings.append("身份证号未通过完整校验，请人工核对")
    return result


# Format checks for the other document types of the national 人员证件类型 dictionary.
_OTHER_FORMATS: dict[str, tuple[re.Pattern[str], str]] = {
    "08": (re.compile(r"^[A-Z0-9]{5,17}$"), "护照号码应为5-17位字母或数字"),
    "09": (re.compile(r"^[HM]\d{8,10}$"), "回乡证号码应为 H 或 M 加8-10位数字"),
    "10": (re.compile(r"^[HM]\d{8,10}$"), "港澳居民来往内地通行证号码应为 H 或 M 加8-10位数字"),
    "11": (re.compile(r"^[A-Z]{1,2}\d{7,9}$"), "往来港澳通行证号码格式不正确"),
    "12": (re.compile(r"^\d{8}(\d{2})?$"), "台湾居民来往大陆通行证号码应为8位或10位数字"),
    "13": (re.compile(r"^[A-Z]?\d{8}$"), "往来台湾通行证号码格式不正确"),
    "17": (re.compile(r"^[A-Z]{1,2}\d{6}\(?[0-9A]\)?$"), "香港身份证号码格式不正确"),
}
_GENERIC_FORMAT = re.compile(r"^[A-Z0-9()]{4,30}$")


def check_id(id_type: str, value: object) -> CheckedId:
    """Validate an ID of any national type; resident IDs get the full GB 11643 treatment."""
    from realname.core import dictionaries

    if id_type not in dictionaries.table("id_types"):
        raise IdentifierError(f"证件类型 {id_type} 不在国家证件类型字典中")
    if id_type == RESIDENT_ID:
        return check_resident_id(value)
    number = compact(value)
    if not number:
        raise IdentifierError("证件号码不能为空")
    pattern, message = _OTHER_FORMATS.get(id_type, (_GENERIC_FORMAT, "证件号码只能包含字母和数字（4-30位）"))
    if not pattern.match(number):
        raise IdentifierError(message)
    return CheckedId(number=number, id_type=id_type)


def check_credit_code(value: object) -> str:
    """Return the compact 统一社会信用代码 or raise with the reason."""
    code = compact(value)
    if len(code) != 18:
        raise IdentifierError(f"统一社会信用代码应为18位，实际为{len(code)}位")
    try:
        return str(uscc.validate(code))
    except InvalidChecksum:
        raise IdentifierError("统一社会信用代码校验位错误") from None
    except (InvalidFormat, InvalidLength, InvalidComponent, ValidationError):
        raise IdentifierError("统一社会信用代码格式不正确（不含 I、O、Z、S、V）") from None


@dataclass
class CheckedCard:
    number: str
    warnings: list[str] = field(default_factory=list)


def check_bank_card(value: object) -> CheckedCard:
    number = compact(value)
    if not re.fullmatch(r"\d{12,30}", number):
        raise IdentifierError("银行卡号应为12-30位数字")
    result = CheckedCard(number=number)
    if not luhn.is_valid(number):
        result.warnings.append("银行卡号未通过 Luhn 校验（存折或对公账户可能如此），请核对")
    return result


def check_mobile(value: object) -> str:
    number = compact(value)
    if number.startswith("+86"):
        number = number[3:]
    if not re.fullmatch(r"1[3-9]\d{9}", number):
        raise IdentifierError("手机号应为以1开头的11位数字")
    return number
