"""Model-field validators shared by forms, the API and imports."""

from __future__ import annotations

import re
import zoneinfo
from collections.abc import Callable

from django.core.exceptions import ValidationError

from realname.core import dictionaries
from realname.core.identifiers import IdentifierError, check_credit_code, check_mobile


def validate_region_code(value: str) -> None:
    if not re.fullmatch(r"[1-9]\d{5}", value or ""):
        raise ValidationError("行政区划代码应为6位数字", code="region_code")


def validate_time_zone(value: str) -> None:
    try:
        zoneinfo.ZoneInfo(value)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        raise ValidationError(f"未知的时区：{value}", code="time_zone") from None


def validate_credit_code(value: str) -> None:
    try:
        check_credit_code(value)
    except IdentifierError as exc:
        raise ValidationError(str(exc), code="credit_code") from None


def validate_mobile(value: str) -> None:
    try:
        check_mobile(value)
    except IdentifierError as exc:
        raise ValidationError(str(exc), code="mobile") from None


def dictionary_validator(name: str) -> Callable[[str], None]:
    def validate(value: str) -> None:
        if value and value not in dictionaries.table(name):
            raise ValidationError(f"代码 {value} 不在字典“{name}”中", code="dictionary")

    validate.__name__ = f"validate_{name}"
    return validate
