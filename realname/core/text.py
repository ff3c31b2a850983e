"""Lists and dates inside messages, as the active language writes them.

Messages are Chinese first: a list of names is joined with 、 and a date written 10月1日. In the English
interface the same list is joined with commas and the date written "October 1" (Django's
``MONTH_DAY_FORMAT`` of the language). Figures stored with a line (realname/payroll/calc.py) keep their
dates in the Chinese form; :func:`month_days` rewrites such text when it is shown.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable

from django.utils import formats, translation


def chinese() -> bool:
    """Whether the active language is Chinese (the default one)."""
    return (translation.get_language() or "zh-hans").startswith("zh")


def listed(items: Iterable[str]) -> str:
    """The items as the active language lists them: 张三、李四 in Chinese, "Zhang San, Li Si" otherwise."""
    return ("、" if chinese() else ", ").join(items)


_MONTH_DAY = re.compile(r"(\d{1,2})月(\d{1,2})日")


def month_days(text: str) -> str:
    """Text written with Chinese month-days (10月1日、10月2日; 10月8日—10月31日) as the active language
    writes it: unchanged in Chinese, "October 1, October 2" and "October 8 – October 31" in English."""
    if chinese():
        return text

    def one(match: re.Match[str]) -> str:
        month, day = int(match[1]), int(match[2])
        try:  # a leap year: the month and day are all that is shown
            return formats.date_format(dt.date(2000, month, day), "MONTH_DAY_FORMAT")
        except ValueError:
            return match[0]

    return _MONTH_DAY.sub(one, text).replace("、", ", ").replace("—", " – ")
