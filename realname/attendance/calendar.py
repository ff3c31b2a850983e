"""The one holiday calendar: what kind of day a date is in mainland China.

Source: python-holidays' China calendar, which carries the State Council's yearly 放假安排 notices
(statutory holidays, in-lieu rest days and the weekend days turned into workdays, 调休上班), plus
per-date overrides given as data so a newly announced schedule can be entered without an upgrade.

What python-holidays (0.109) gives us and how we read it:

* ``China(language="zh_CN")`` holds every day off: statutory days by their own name ("国庆节"),
  in-lieu rest days as "休息日（由 2025-09-28 调休）", weekend-to-weekday moves as "端午节（补假）"
  and one-off decrees such as "春节延长假期" (2020).
* ``China(observed=False)`` drops the 补假 days but keeps the 调休 and decree days; so a date is a
  statutory holiday when it is in that calendar and its name carries none of ``_NOT_STATUTORY``.
* ``weekend_workdays`` (a set of dates on the instance) holds the 调休上班 Saturdays/Sundays; it is
  filled when the year that *uses* the swap is populated, which can be the following year
  (a late-December workday swapped into January), so we populate ``year`` and ``year + 1``.
* Years without an announced notice (2027 at the time of writing) get the statutory days and
  weekend→weekday 补假 moves but no 调休 workdays; the overrides cover them once announced.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from datetime import date
from functools import lru_cache
from typing import Final, Literal, get_args

import holidays

DayKind = Literal["workday", "weekend", "holiday", "in_lieu_rest", "adjusted_workday"]
DAY_KINDS: Final[frozenset[str]] = frozenset(get_args(DayKind))
REST_DAY_KINDS: Final[frozenset[str]] = frozenset({"weekend", "holiday", "in_lieu_rest"})

# A day off whose name contains one of these is a rest day granted by the yearly notice or a decree,
# not a 法定节假日: working it is paid at 200 % (or compensated by 补休), not 300 %.
_NOT_STATUTORY: Final = ("调休", "补假", "延长假期")

_DEFAULT_NAMES: Final[Mapping[str, str]] = {
    "workday": "工作日",
    "weekend": "休息日",
    "adjusted_workday": "调休上班",
}


class _Library:
    """python-holidays' China calendar, built once per process (building it costs milliseconds, and every
    request that ingests a punch asks for the kind of a day); years are filled under a lock."""

    def __init__(self) -> None:
        self.all = holidays.country_holidays("CN", language="zh_CN")
        self.plain = holidays.country_holidays("CN", language="zh_CN", observed=False)
        self._years: set[int] = set()
        self._lock = threading.Lock()

    def load(self, year: int) -> None:
        if year in self._years and year + 1 in self._years:
            return
        with self._lock:
            for y in (year, year + 1):
                if y not in self._years:
                    # Membership tests make python-holidays populate the year (expand=True).
                    _ = date(y, 1, 1) in self.all
                    _ = date(y, 1, 1) in self.plain
                    self._years.add(y)


_LIBRARY = _Library()


@lru_cache(maxsize=8192)
def _library_kind(day: date) -> DayKind:
    _LIBRARY.load(day.year)
    if day in _LIBRARY.all:
        name = _LIBRARY.plain.get(day)
        if name is not None and not any(m in name for m in _NOT_STATUTORY):
            return "holiday"
        return "in_lieu_rest"
    if day.weekday() >= 5:
        return "adjusted_workday" if day in _LIBRARY.all.weekend_workdays else "weekend"
    return "workday"


class HolidayCalendar:
    """Answers the kind and name of any date; overrides (date → (kind, name)) win over the library."""

    def __init__(self, overrides: Mapping[date, tuple[DayKind, str]] | None = None) -> None:
        self._overrides: dict[date, tuple[DayKind, str]] = {}
        for day, (kind, name) in (overrides or {}).items():
            if kind not in DAY_KINDS:
                raise ValueError(f"override for {day.isoformat()}: unknown day kind {kind!r}")
            self._overrides[day] = (kind, name)

    def _library_kind(self, day: date) -> DayKind:
        return _library_kind(day)

    def kind(self, day: date) -> DayKind:
        """The kind of ``day``: workday, weekend, holiday (法定节假日), in_lieu_rest or adjusted_workday."""
        if day in self._overrides:
            return self._overrides[day][0]
        return self._library_kind(day)

    def name(self, day: date) -> str:
        """The day's name: the holiday's own name, else 调休上班 / 休息日 / 工作日."""
        if day in self._overrides:
            return self._overrides[day][1]
        kind = self._library_kind(day)
        if kind in ("holiday", "in_lieu_rest"):
            return str(_LIBRARY.all.get(day))
        return _DEFAULT_NAMES[kind]

    def is_rest_day(self, day: date) -> bool:
        """True on weekends, statutory holidays and in-lieu rest days (not on 调休上班 days)."""
        return self.kind(day) in REST_DAY_KINDS

    def statutory(self, day: date) -> bool:
        """True on a 法定节假日, the days on which work is paid at 300 %."""
        return self.kind(day) == "holiday"
