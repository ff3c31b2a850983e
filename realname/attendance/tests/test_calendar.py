from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from realname.attendance.calendar import DAY_KINDS, REST_DAY_KINDS, HolidayCalendar

CAL = HolidayCalendar()


def kinds(first: date, last: date, cal: HolidayCalendar = CAL) -> dict[date, str]:
    days = (first + timedelta(days=n) for n in range((last - first).days + 1))
    return {d: cal.kind(d) for d in days}


def test_new_years_day_2025_is_a_statutory_holiday() -> None:
    assert CAL.kind(date(2025, 1, 1)) == "holiday"
    assert CAL.name(date(2025, 1, 1)) == "元旦"
    assert CAL.statutory(date(2025, 1, 1))
    assert CAL.is_rest_day(date(2025, 1, 1))


def test_spring_festival_2025_follows_the_official_notice() -> None:
    # 国办发明电〔2024〕12号: 1/28–2/4 off (除夕 + 初一至初三 statutory), 1/26 Sun and 2/8 Sat at work.
    assert kinds(date(2025, 1, 25), date(2025, 2, 9)) == {
        date(2025, 1, 25): "weekend",
        date(2025, 1, 26): "adjusted_workday",
        date(2025, 1, 27): "workday",
        date(2025, 1, 28): "holiday",
        date(2025, 1, 29): "holiday",
        date(2025, 1, 30): "holiday",
        date(2025, 1, 31): "holiday",
        date(2025, 2, 1): "weekend",
        date(2025, 2, 2): "weekend",
        date(2025, 2, 3): "in_lieu_rest",
        date(2025, 2, 4): "in_lieu_rest",
        date(2025, 2, 5): "workday",
        date(2025, 2, 6): "workday",
        date(2025, 2, 7): "workday",
        date(2025, 2, 8): "adjusted_workday",
        date(2025, 2, 9): "weekend",
    }
    assert CAL.name(date(2025, 1, 28)) == "农历除夕"
    assert CAL.name(date(2025, 1, 29)) == "春节"
    assert CAL.name(date(2025, 2, 3)) == "休息日（由 2025-01-26 调休）"
    assert CAL.name(date(2025, 1, 26)) == "调休上班"
    assert not CAL.is_rest_day(date(2025, 1, 26))
    assert CAL.is_rest_day(date(2025, 2, 3))
    assert not CAL.statutory(date(2025, 2, 3))


def test_national_day_and_mid_autumn_2025_run_from_october_1_to_8() -> None:
    assert kinds(date(2025, 9, 27), date(2025, 10, 12)) == {
        date(2025, 9, 27): "weekend",
        date(2025, 9, 28): "adjusted_workday",
        date(2025, 9, 29): "workday",
        date(2025, 9, 30): "workday",
        date(2025, 10, 1): "holiday",
        date(2025, 10, 2): "holiday",
        date(2025, 10, 3): "holiday",
        date(2025, 10, 4): "weekend",
        date(2025, 10, 5): "weekend",
        date(2025, 10, 6): "holiday",  # 中秋节 falls on 10/6 in 2025
        date(2025, 10, 7): "in_lieu_rest",
        date(2025, 10, 8): "in_lieu_rest",
        date(2025, 10, 9): "workday",
        date(2025, 10, 10): "workday",
        date(2025, 10, 11): "adjusted_workday",
        date(2025, 10, 12): "weekend",
    }
    assert CAL.name(date(2025, 10, 6)) == "中秋节"
    assert all(CAL.is_rest_day(date(2025, 10, d)) for d in range(1, 9))


def test_a_holiday_on_a_saturday_is_statutory_and_its_bujia_monday_is_an_in_lieu_rest_day() -> None:
    # 端午节 2025 is Saturday 5/31; Monday 6/2 is the 补假 day: a rest day, not a 300 % day.
    assert CAL.kind(date(2025, 5, 31)) == "holiday"
    assert CAL.kind(date(2025, 6, 2)) == "in_lieu_rest"
    assert CAL.name(date(2025, 6, 2)) == "端午节（补假）"


def test_the_2020_spring_festival_extension_is_a_rest_day_not_a_statutory_holiday() -> None:
    assert CAL.kind(date(2020, 1, 31)) == "in_lieu_rest"


def test_a_workday_swap_reaching_into_the_previous_year_is_seen() -> None:
    # 2002's New Year swap put Saturday 2001-12-29 to work; it lives in the 2002 notice.
    assert HolidayCalendar().kind(date(2001, 12, 29)) == "adjusted_workday"


def test_a_date_in_2027_works_without_an_announced_schedule() -> None:
    cal = HolidayCalendar()
    assert cal.kind(date(2027, 1, 1)) == "holiday"
    assert cal.kind(date(2027, 2, 6)) == "holiday"  # 春节 on a Saturday
    assert cal.kind(date(2027, 3, 3)) == "workday"
    assert cal.kind(date(2027, 3, 6)) == "weekend"


def test_an_override_turns_a_weekend_into_an_adjusted_workday() -> None:
    # Without an announced notice python-holidays knows no 调休上班 Saturdays for 2027.
    saturday = date(2027, 2, 20)
    assert CAL.kind(saturday) == "weekend"
    cal = HolidayCalendar({saturday: ("adjusted_workday", "春节调休上班")})
    assert cal.kind(saturday) == "adjusted_workday"
    assert cal.name(saturday) == "春节调休上班"
    assert not cal.is_rest_day(saturday)
    assert cal.kind(saturday + timedelta(days=1)) == "weekend"  # only the given date changes


def test_overrides_win_over_the_library() -> None:
    cal = HolidayCalendar(
        {
            date(2025, 10, 1): ("workday", "项目抢工"),
            date(2027, 2, 11): ("in_lieu_rest", "春节调休"),
            date(2027, 2, 12): ("holiday", "特别假日"),
        }
    )
    assert cal.kind(date(2025, 10, 1)) == "workday"
    assert not cal.statutory(date(2025, 10, 1))
    assert cal.kind(date(2027, 2, 11)) == "in_lieu_rest"
    assert cal.is_rest_day(date(2027, 2, 11))
    assert cal.statutory(date(2027, 2, 12))
    assert cal.name(date(2027, 2, 12)) == "特别假日"


def test_an_unknown_override_kind_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown day kind"):
        HolidayCalendar({date(2025, 1, 2): ("festival", "x")})  # type: ignore[dict-item]


@given(st.dates(min_value=date(2001, 1, 1), max_value=date(2035, 12, 31)))
def test_every_date_has_one_consistent_kind(day: date) -> None:
    kind = CAL.kind(day)
    assert kind in DAY_KINDS
    assert CAL.is_rest_day(day) == (kind in REST_DAY_KINDS)
    assert CAL.statutory(day) == (kind == "holiday")
    assert CAL.name(day)
    if kind == "weekend" or kind == "adjusted_workday":
        assert day.weekday() >= 5
    if kind == "workday":
        assert day.weekday() < 5
