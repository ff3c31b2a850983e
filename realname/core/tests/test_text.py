"""Lists and month-days inside messages follow the active language (realname/core/text.py)."""

from __future__ import annotations

from django.utils import translation

from realname.core.text import listed, month_days


def test_a_list_is_joined_as_the_language_lists() -> None:
    assert listed(["张三", "李四"]) == "张三、李四"  # Chinese, the default
    with translation.override("en"):
        assert listed(["Zhang San", "Li Si"]) == "Zhang San, Li Si"
    with translation.override("zh-hans"):
        assert listed(iter(["甲", "乙", "丙"])) == "甲、乙、丙"


def test_chinese_month_days_are_written_in_the_language() -> None:
    text = "10月1日、10月2日"
    assert month_days(text) == text
    with translation.override("en"):
        assert month_days(text) == "October 1, October 2"
        assert month_days("10月8日—10月31日") == "October 8 – October 31"
        assert month_days("2月29日") == "February 29"  # a leap day is a day
        assert month_days("13月1日") == "13月1日"  # not a date: left as it is
        assert month_days("no dates") == "no dates"
