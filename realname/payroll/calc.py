"""Pure pay calculation: one employment's pay for one month, from its days, pay terms and entered lines.

Plain functions over plain data (no ORM); :mod:`realname.payroll.services` feeds it DayRecords, contracts,
piece quantities and typed additions/deductions, and stores what it returns. Every amount is a
:class:`~decimal.Decimal` rounded **once per part** to the fen (half up); totals are sums of rounded parts.

The rules (each part of the result names the rule, the dates and the figures it came from):

* **Which terms.** Each day is paid under the contract in force on that date; a worked day with none is
  not paid and is reported (``no_terms``).
* **Attendance units** on a working day (工作日 or 调休上班): ``absent`` → 0, ``half_day`` → ½, any other day
  with hours worked → 1; a day with no hours (e.g. only a missing punch) → 0 and is reported
  (``unpaid_missing_punch``) so a 补卡 can be requested.
* **Daily (计日):** daily rate × units.
* **Monthly (计月):** the day rate is salary ÷ 21.75 (劳社部发〔2008〕3号). Paid days are the working days and
  statutory holidays (法定节假日 are paid; weekends and 调休 rest days are not). A terms span covering the
  whole month pays the salary less the day rate × units absent (扣减法); a partial month (entry, exit or
  contract change mid-month) pays the day rate × days present, statutory holidays counted as present
  (出勤法), never more than the salary.
* **Hourly (计时):** hourly rate × regular hours (hours less overtime hours) of working days.
* **Piece (计件):** each quantity entered × its unit price, with the overtime multiplier when the quantity was
  produced in overtime (工资支付暂行规定 Art. 13). Attendance pays nothing by itself under piece terms.
* **Overtime (加班):** the DayRecord's overtime hours by kind × the hourly base × 150 % (working day),
  200 % (rest day) or 300 % (statutory holiday) (劳动法 Art. 44). The hourly base is daily rate ÷ the
  full-day hours, salary ÷ 21.75 ÷ 8, or the hourly rate.
* **Warnings** (never silent changes): overtime above 36 hours in the month (劳动法 Art. 41), net pay below
  zero, base pay below the regional minimum wage for the days worked, piece terms with attendance and no
  quantity entered.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal
from types import MappingProxyType
from typing import Any, Final, Literal, NamedTuple

from django.utils.translation import gettext, gettext_noop

from realname.attendance.calendar import DayKind
from realname.core.text import month_days

PayType = Literal["daily", "monthly", "hourly", "piece"]
OvertimeKind = Literal["workday", "rest_day", "holiday"]
ItemDirection = Literal["addition", "deduction"]

MONTHLY_PAY_DAYS: Final = Decimal("21.75")  # 劳社部发〔2008〕3号: (365 − 104) ÷ 12
STANDARD_DAY_HOURS: Final = Decimal("8")  # 国务院关于职工工作时间的规定 Art. 3
OVERTIME_CAP_HOURS: Final = Decimal("36")  # 劳动法 Art. 41: at most 36 hours a month
OVERTIME_PERCENT: Final[Mapping[str, int]] = {"workday": 150, "rest_day": 200, "holiday": 300}

WORKING_KINDS: Final = frozenset({"workday", "adjusted_workday"})
PAID_KINDS: Final = frozenset({"workday", "adjusted_workday", "holiday"})

_NO_PARAMS: Final[Mapping[str, str]] = MappingProxyType({})
CENT: Final = Decimal("0.01")
ZERO: Final = Decimal("0.00")
_HALF: Final = Decimal("0.5")
_ONE: Final = Decimal("1")


def fen(value: Decimal) -> Decimal:
    """Round to the fen, half up (the one rounding each part gets)."""
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


@dataclass(frozen=True, kw_only=True)
class Terms:
    """A contract's pay terms in force from ``start`` to ``end`` (inclusive; None = open-ended)."""

    ref: str
    pay_type: PayType
    rate: Decimal  # the daily rate, monthly salary, hourly rate or piece unit price
    start: date
    end: date | None = None
    piece_unit: str = ""
    full_day_hours: Decimal = STANDARD_DAY_HOURS

    def __post_init__(self) -> None:
        if self.rate <= 0:
            raise ValueError(f"terms {self.ref}: the rate must be positive")
        if self.end is not None and self.end < self.start:
            raise ValueError(f"terms {self.ref}: end before start")
        if self.full_day_hours <= 0:
            raise ValueError(f"terms {self.ref}: full_day_hours must be positive")

    def hourly_base(self) -> Decimal:
        """The normal hourly wage overtime is multiplied from (unrounded)."""
        if self.pay_type == "hourly":
            return self.rate
        if self.pay_type == "monthly":
            return self.rate / MONTHLY_PAY_DAYS / STANDARD_DAY_HOURS
        if self.pay_type == "daily":
            return self.rate / self.full_day_hours
        raise ValueError("piece terms have no hourly base")


@dataclass(frozen=True, kw_only=True)
class Day:
    """What the DayRecord of one work day says (the work day a night shift started on)."""

    work_date: date
    day_kind: DayKind
    hours: Decimal = ZERO
    overtime_hours: Decimal = ZERO
    overtime_kind: OvertimeKind = "workday"
    statuses: tuple[str, ...] = ()

    def unit(self) -> Decimal:
        """Attendance units on a working day: 0, ½ or 1 (rest days have none: their hours are overtime)."""
        if self.day_kind not in WORKING_KINDS or "absent" in self.statuses or self.hours <= 0:
            return ZERO
        return _HALF if "half_day" in self.statuses else _ONE


class Month(Mapping[date, DayKind]):
    """The kind of every date of a month (from the one holiday calendar), with the bit masks the
    calculation works in: bit ``n`` stands for the month's ``n``-th date counted from 0 (1 October is bit 0,
    31 October bit 30). Made once per pay period and shared by every employment's calculation; a plain
    mapping of dates to kinds works too (it is made into a Month on the way in)."""

    __slots__ = ("_kinds", "_byte_dates", "first", "last", "size", "all", "paid", "holiday")

    def __init__(self, kinds: Mapping[date, DayKind]) -> None:
        if not kinds:
            raise ValueError("month must hold the kind of every date of the period")
        dates = sorted(kinds)
        self.first, self.last = dates[0], dates[-1]
        self.size = (self.last - self.first).days + 1
        if len(dates) != self.size:
            raise ValueError("month must hold the kind of every date of the period, with no gaps")
        self._kinds = dict(kinds)
        self.all = (1 << self.size) - 1
        self.paid = self._mask(d for d in dates if kinds[d] in PAID_KINDS)
        self.holiday = self._mask(d for d in dates if kinds[d] == "holiday")
        # The dates of each byte of a mask, made once: turning a mask into dates is then a few lookups.
        self._byte_dates = [
            [
                tuple(dates[base + bit] for bit in range(8) if value >> bit & 1 and base + bit < self.size)
                for value in range(256)
            ]
            for base in range(0, self.size, 8)
        ]

    def __getitem__(self, day: date) -> DayKind:
        return self._kinds[day]

    def __iter__(self) -> Iterator[date]:
        return iter(self._kinds)

    def __len__(self) -> int:
        return self.size

    def bit(self, day: date) -> int:
        """The mask of one date (0 for a date outside the month)."""
        n = (day - self.first).days
        return 1 << n if 0 <= n < self.size else 0

    def _mask(self, days: Iterable[date]) -> int:
        mask = 0
        for d in days:
            mask |= self.bit(d)
        return mask

    def between(self, start: date, end: date | None) -> int:
        """The mask of the month's dates from ``start`` to ``end`` (inclusive; None: open-ended)."""
        lo = max((start - self.first).days, 0)
        hi = self.size - 1 if end is None else min((end - self.first).days, self.size - 1)
        return ((1 << (hi - lo + 1)) - 1) << lo if lo <= hi else 0

    def dates(self, mask: int) -> tuple[date, ...]:
        """The dates of a mask, in order."""
        tables = self._byte_dates
        if len(tables) == 4:  # a calendar month: four bytes, looked up at once
            return (
                tables[0][mask & 255]
                + tables[1][mask >> 8 & 255]
                + tables[2][mask >> 16 & 255]
                + tables[3][mask >> 24 & 255]
            )
        out: tuple[date, ...] = ()
        for table in self._byte_dates:
            if mask & 255:
                out += table[mask & 255]
            mask >>= 8
            if not mask:
                break
        return out


class Attendance(NamedTuple):
    """One employment's DayRecords of a month, summed up: which days (bit masks over the :class:`Month`)
    and how many hours. This is all :func:`compute` reads of the days. The database hands each month over
    like this (the month rows it keeps as DayRecords are written, realname/attendance/day_months.py, read by
    realname/payroll/selectors.py: attendance_query; a test holds them to :func:`summarise` of the same
    single days); :func:`summarise` makes it from :class:`Day` records.
    (A named tuple: a month of 10,000 workers makes 10,000 of them.)"""

    recorded: int = 0  # days with a record
    worked: int = 0  # days with hours
    full: int = 0  # working days counted whole (attendance unit 1)
    half: int = 0  # working days counted half (unit ½)
    missing: int = 0  # working days with no hours and a missing punch (unpaid; 补卡 may help)
    regular: int = 0  # working days with regular (non-overtime) hours
    regular_hours: Decimal = ZERO  # the regular hours of those days
    hours: Decimal = ZERO  # every hour of every day
    overtime_hours: Decimal = ZERO
    workday_overtime: int = 0  # days with overtime of each kind, and its hours
    workday_overtime_hours: Decimal = ZERO
    rest_day_overtime: int = 0
    rest_day_overtime_hours: Decimal = ZERO
    holiday_overtime: int = 0
    holiday_overtime_hours: Decimal = ZERO

    def overtime(self) -> tuple[tuple[OvertimeKind, int, Decimal], ...]:
        return (
            ("workday", self.workday_overtime, self.workday_overtime_hours),
            ("rest_day", self.rest_day_overtime, self.rest_day_overtime_hours),
            ("holiday", self.holiday_overtime, self.holiday_overtime_hours),
        )


NO_ATTENDANCE: Final = Attendance()


def summarise(days: Iterable[Day], month: Month) -> Attendance:
    """The :class:`Attendance` of single days (each date at most once; dates outside the month are left
    out)."""
    masks = dict.fromkeys(
        ("recorded", "worked", "full", "half", "missing", "regular", "workday", "rest_day", "holiday"), 0
    )
    regular_hours = hours = overtime_hours = ZERO
    overtime_by_kind = {"workday": ZERO, "rest_day": ZERO, "holiday": ZERO}
    for d in days:
        bit = month.bit(d.work_date)
        if not bit:
            continue
        if masks["recorded"] & bit:
            raise ValueError(f"two records for {d.work_date}")
        masks["recorded"] |= bit
        hours += d.hours
        overtime_hours += d.overtime_hours
        if d.hours > 0:
            masks["worked"] |= bit
        unit = d.unit()
        if unit == _ONE:
            masks["full"] |= bit
        elif unit:
            masks["half"] |= bit
        working = d.day_kind in WORKING_KINDS
        if working and d.hours <= 0 and "missing_punch" in d.statuses:
            masks["missing"] |= bit
        if working and d.hours > d.overtime_hours:
            masks["regular"] |= bit
            regular_hours += d.hours - d.overtime_hours
        if d.overtime_hours > 0:
            masks[d.overtime_kind] |= bit
            overtime_by_kind[d.overtime_kind] += d.overtime_hours
    return Attendance(
        masks["recorded"],
        masks["worked"],
        masks["full"],
        masks["half"],
        masks["missing"],
        masks["regular"],
        regular_hours,
        hours,
        overtime_hours,
        masks["workday"],
        overtime_by_kind["workday"],
        masks["rest_day"],
        overtime_by_kind["rest_day"],
        masks["holiday"],
        overtime_by_kind["holiday"],
    )


@dataclass(frozen=True, kw_only=True)
class Piece:
    """A quantity of work entered by the team leader (计件): unit, quantity, unit price."""

    ref: str
    description: str
    unit: str
    quantity: Decimal
    unit_price: Decimal
    overtime_kind: OvertimeKind | None = None

    def __post_init__(self) -> None:
        if self.quantity <= 0 or self.unit_price <= 0:
            raise ValueError(f"piece {self.ref}: quantity and unit price must be positive")


@dataclass(frozen=True, kw_only=True)
class Item:
    """A typed addition (补贴, 奖金) or deduction (借支, 伙食, 住宿); the amount is positive either way."""

    ref: str
    direction: ItemDirection
    kind: str
    amount: Decimal
    note: str = ""

    def __post_init__(self) -> None:
        if self.amount <= 0:
            raise ValueError(f"item {self.ref}: the amount must be positive")
        if self.kind not in ITEM_KINDS[self.direction]:
            raise ValueError(f"item {self.ref}: unknown {self.direction} kind {self.kind!r}")


class Part(NamedTuple):
    """One line of a pay calculation, with what it came from."""

    code: str
    amount: Decimal  # positive; deductions (direction "deduction") are subtracted
    quantity: Decimal = ZERO
    unit: str = ""
    rate: Decimal = ZERO  # the rate the quantity was paid at (unrounded base for overtime)
    percent: int = 100
    dates: tuple[date, ...] = ()
    terms_ref: str = ""
    params: Mapping[str, str] = _NO_PARAMS

    @property
    def is_deduction(self) -> bool:
        return self.code.startswith("deduction.")

    def label(self) -> str:
        return render(self.code, self.params)

    def as_json(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "amount": str(self.amount),
            "quantity": str(self.quantity),
            "unit": self.unit,
            "rate": str(self.rate),
            "percent": self.percent,
            "dates": list(map(_iso, self.dates)),
            "terms": self.terms_ref,
            "params": dict(self.params),
        }


class _IsoDates(dict[date, str]):
    """Every date's text, made once (a month of 10,000 lines names 250,000 dates)."""

    def __missing__(self, day: date) -> str:
        text = self[day] = day.isoformat()
        return text


_iso = _IsoDates().__getitem__


@dataclass(frozen=True, kw_only=True)
class Warning:
    code: str
    params: Mapping[str, str] = field(default_factory=dict)

    def message(self) -> str:
        return render(self.code, self.params)

    def as_json(self) -> dict[str, Any]:
        return {"code": self.code, "params": dict(self.params)}


class PayResult(NamedTuple):
    """One employment's month: its parts, totals and warnings. (A named tuple: one per line.)"""

    parts: tuple[Part, ...]
    gross: Decimal
    deductions: Decimal
    net: Decimal
    days: Decimal  # attendance units on working days
    hours: Decimal
    overtime_hours: Decimal
    warnings: tuple[Warning, ...]

    def warning_codes(self) -> tuple[str, ...]:
        return tuple(w.code for w in self.warnings)


# Typed additions and deductions (the kinds a pay sheet's lines may carry).
ITEM_KINDS: Final[Mapping[str, Mapping[str, str]]] = {
    "addition": {
        "allowance": gettext_noop("补贴"),
        "bonus": gettext_noop("奖金"),
        "back_pay": gettext_noop("补发"),
        "other": gettext_noop("其他增发"),
    },
    "deduction": {
        "advance": gettext_noop("借支"),
        "meals": gettext_noop("伙食费"),
        "lodging": gettext_noop("住宿费"),
        "social_insurance": gettext_noop("社保个人缴纳（代扣）"),
        "income_tax": gettext_noop("个人所得税（代扣）"),
        "other": gettext_noop("其他扣款"),
    },
}

_TEMPLATES: dict[str, str] = {
    "base.daily": gettext_noop("计日工资：{days} 天 × 日工资 {rate} 元"),
    "base.hourly": gettext_noop("计时工资：{hours} 小时 × {rate} 元/小时"),
    "base.monthly": gettext_noop(
        "月工资 {salary} 元，缺勤 {absent} 天 × 日工资 {day_rate} 元（月工资 ÷ 21.75）"
    ),
    "base.monthly_partial": gettext_noop(
        "月工资 {salary} 元按出勤折算：{days} 天 × 日工资 {day_rate} 元（月工资 ÷ 21.75），{span}"
    ),
    "piece": gettext_noop("计件：{description} {quantity} {unit} × {rate} 元"),
    "piece.overtime": gettext_noop("计件（加班 {percent}%）：{description} {quantity} {unit} × {rate} 元"),
    "overtime.workday": gettext_noop("工作日加班 {hours} 小时 × {base} 元/小时 × 150%"),
    "overtime.rest_day": gettext_noop("休息日加班 {hours} 小时 × {base} 元/小时 × 200%"),
    "overtime.holiday": gettext_noop("法定节假日加班 {hours} 小时 × {base} 元/小时 × 300%"),
    "addition": gettext_noop("增发：{kind} {note}"),
    "deduction": gettext_noop("扣款：{kind} {note}"),
    # warnings
    "no_terms": gettext_noop("以下日期有出勤但没有有效的劳动合同计薪条款，未计薪：{dates}"),
    "unpaid_missing_punch": gettext_noop("以下工作日只有缺卡记录、没有工时，未计薪（可申请补卡）：{dates}"),
    "overtime_cap": gettext_noop("本月加班 {hours} 小时，超过法定上限 36 小时（劳动法第四十一条）"),
    "net_negative": gettext_noop("扣款 {deductions} 元超过应发 {gross} 元，实发为负"),
    "below_minimum": gettext_noop("出勤 {days} 天，折合月工资 {monthly} 元，低于当地最低工资 {minimum} 元"),
    "piece_without_quantity": gettext_noop("计件合同有 {days} 天出勤，但本月没有录入计件数量"),
}


def render(code: str, params: Mapping[str, str]) -> str:
    """The message for ``code`` in the active language (English in the English UI)."""
    key = code.split(":", 1)[0]
    template = _TEMPLATES.get(key) or _TEMPLATES.get(key.split(".", 1)[0])
    if template is None:
        return code
    values = dict(params)
    direction = key.split(".", 1)[0]
    if direction in ITEM_KINDS and values.get("kind") in ITEM_KINDS[direction]:
        values["kind"] = gettext(ITEM_KINDS[direction][values["kind"]])
    for name in ("dates", "span"):  # stored as 10月1日、10月2日 (see _dates_text): shown in the language
        if name in values:
            values[name] = month_days(values[name])
    try:
        return gettext(template).format(**values).strip()
    except (KeyError, IndexError):
        return gettext(template)


def _dates_text(dates: Iterable[date]) -> str:
    # Stored with the line in this one form (a line's figures do not change with the reader's language);
    # render() shows it in the active language (realname.core.text.month_days).
    return "、".join(f"{d.month}月{d.day}日" for d in sorted(dates))


def month_dates(first: date) -> list[date]:
    """Every date of the month that starts on ``first``."""
    if first.day != 1:
        raise ValueError("a pay period starts on the first of a month")
    nxt = (first.replace(day=28) + timedelta(days=4)).replace(day=1)
    return [first + timedelta(days=n) for n in range((nxt - first).days)]


def _num(value: Decimal) -> str:
    """A quantity as people write it: 22, 21.5, 3.25 (no trailing zeros, no exponent)."""
    text = f"{value:f}"
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return text or "0"


def fits(
    month: Month, employed_from: date, employed_to: date | None, terms: Sequence[Terms], days: Attendance
) -> bool:
    """Whether :func:`compute` can take this month's :class:`Attendance` as it is: every day it holds lies
    inside the employment's span and under one contract's terms (or under none). Otherwise give single
    days, so each day is paid under its own terms."""
    span = month.between(employed_from, employed_to)
    if days.recorded & ~span:
        return False
    if not terms or (len(terms) == 1 and not span & ~month.between(terms[0].start, terms[0].end)):
        return True  # one region only: every date of the span has the same terms (or none)
    return len(_regions_hit(days, _owned(month, span, _in_order(terms)))) <= 1


def _regions_hit(days: Attendance, owned: Sequence[int]) -> list[int]:
    """Which of the regions (:func:`_owned`) hold any of the days."""
    return [n for n, o in enumerate(owned) if days.recorded & o]


def _in_order(terms: Sequence[Terms]) -> Sequence[Terms]:
    return terms if len(terms) < 2 else sorted(terms, key=lambda t: (t.start, t.ref))


def _owned(month: Month, span: int, ordered: Sequence[Terms]) -> list[int]:
    """The dates each contract's terms own within the span (in the order given), and last the dates no
    terms cover. Where contracts overlap (a raise entered as a new contract, the old one left open), the
    one that started last is in force: each date has one owner."""
    owned = [0] * (len(ordered) + 1)
    free = span
    for n in range(len(ordered) - 1, -1, -1):
        t = ordered[n]
        owned[n] = mine = free & month.between(t.start, t.end)
        free &= ~mine
    owned[-1] = free
    return owned


def compute(
    *,
    month: Mapping[date, DayKind],
    employed_from: date,
    employed_to: date | None,
    terms: Sequence[Terms],
    days: Iterable[Day] | Attendance,
    pieces: Sequence[Piece] = (),
    items: Sequence[Item] = (),
    minimum_monthly: Decimal | None = None,
) -> PayResult:
    """One employment's pay for one month.

    ``month`` gives the kind of every date of the month (from the one holiday calendar; a :class:`Month`
    made once serves many calls); the employment ran from ``employed_from`` to ``employed_to`` (None:
    still on site). ``days`` are the month's single :class:`Day` records, of which days outside the month
    and the span are left out, or their :class:`Attendance`, which must :func:`fit`.
    """
    m = month if isinstance(month, Month) else Month(month)
    span = m.between(employed_from, employed_to)
    ordered = _in_order(terms)
    owned = _owned(m, span, ordered)
    mine: list[Attendance]
    if isinstance(days, Attendance):
        if days.recorded & ~span:
            raise ValueError("the attendance holds days outside the employment's span: give single days")
        hit = _regions_hit(days, owned)
        if len(hit) > 1:
            raise ValueError("the attendance straddles two contracts' terms: give single days")
        mine = [NO_ATTENDANCE] * len(owned)
        if hit:
            mine[hit[0]] = days
    else:
        buckets: list[list[Day]] = [[] for _ in owned]
        for d in days:
            bit = m.bit(d.work_date) & span
            if bit:
                buckets[next(n for n, o in enumerate(owned) if o & bit)].append(d)
        mine = [summarise(bucket, m) if bucket else NO_ATTENDANCE for bucket in buckets]

    parts: list[Part] = []
    warnings: list[Warning] = []
    units_total = hours_total = overtime_total = ZERO
    missing = came = 0
    for a in mine:
        if a.recorded:
            hours_total += a.hours
            overtime_total += a.overtime_hours
            missing |= a.missing
            came |= a.full | a.half
    no_terms = mine[-1].worked
    came_to_work = bool(came)

    monthly_salaries: list[Decimal] = []
    other_base = ZERO  # base pay of daily, hourly and piece work, for the minimum-wage comparison
    other_units = ZERO
    for n, t in enumerate(ordered):
        a = mine[n]
        if not owned[n] and not a.recorded:
            continue
        # Sums start from ZERO, so every figure keeps the same two places whichever way the days came.
        units = ZERO + a.full.bit_count() + _HALF * a.half.bit_count() if a.full or a.half else ZERO
        units_total += units
        base: Part | None
        if t.pay_type == "daily":
            base = _daily(t, m, a, units)
        elif t.pay_type == "hourly":
            base = _hourly(t, m, a)
        elif t.pay_type == "monthly":
            base = _monthly(t, m, owned[n], a, came_to_work=came_to_work)
        else:
            base = None
            if units > 0 and not pieces:
                warnings.append(Warning(code="piece_without_quantity", params={"days": _num(units)}))
        if base is not None:
            parts.append(base)
            if t.pay_type == "monthly":
                if units > 0:
                    monthly_salaries.append(t.rate)
            else:
                other_base += base.amount
                other_units += units
        if t.pay_type != "piece" and (a.workday_overtime or a.rest_day_overtime or a.holiday_overtime):
            parts.extend(_overtime(t, m, a))

    for p in pieces:
        percent = OVERTIME_PERCENT[p.overtime_kind] if p.overtime_kind else 100
        amount = fen(p.quantity * p.unit_price * percent / 100)
        parts.append(
            Part(
                code="piece.overtime" if p.overtime_kind else "piece",
                amount=amount,
                quantity=p.quantity,
                unit=p.unit,
                rate=p.unit_price,
                percent=percent,
                terms_ref=p.ref,
                params={
                    "description": p.description,
                    "quantity": _num(p.quantity),
                    "unit": p.unit,
                    "rate": str(p.unit_price),
                    "percent": str(percent),
                },
            )
        )
        if not p.overtime_kind:
            other_base += amount

    for it in items:
        parts.append(
            Part(
                code=f"{it.direction}.{it.kind}",
                amount=fen(it.amount),
                quantity=_ONE,
                rate=fen(it.amount),
                terms_ref=it.ref,
                params={"kind": it.kind, "note": it.note},
            )
        )

    gross = deductions = ZERO
    for part in parts:
        if part.is_deduction:
            deductions += part.amount
        else:
            gross += part.amount
    net = gross - deductions

    if no_terms:
        warnings.append(Warning(code="no_terms", params={"dates": _dates_text(m.dates(no_terms))}))
    if missing:
        warnings.append(Warning(code="unpaid_missing_punch", params={"dates": _dates_text(m.dates(missing))}))
    if overtime_total > OVERTIME_CAP_HOURS:
        warnings.append(Warning(code="overtime_cap", params={"hours": _num(overtime_total)}))
    if net < 0:
        warnings.append(
            Warning(code="net_negative", params={"gross": str(gross), "deductions": str(deductions)})
        )
    if minimum_monthly is not None and units_total > 0:
        # A monthly salary is compared as it is; other pay by its day rate over 21.75 days (a full month).
        below = [salary for salary in monthly_salaries if salary < minimum_monthly]
        if other_units > 0:
            equivalent = fen(other_base / other_units * MONTHLY_PAY_DAYS)
            if equivalent < minimum_monthly:
                below.append(equivalent)
        if below:
            warnings.append(
                Warning(
                    code="below_minimum",
                    params={
                        "days": _num(units_total),
                        "monthly": str(min(below)),
                        "minimum": str(minimum_monthly),
                    },
                )
            )

    return PayResult(
        parts=tuple(parts),
        gross=gross,
        deductions=deductions,
        net=net,
        days=units_total,
        hours=hours_total,
        overtime_hours=overtime_total,
        warnings=tuple(warnings),
    )


def _daily(t: Terms, m: Month, a: Attendance, units: Decimal) -> Part:
    return Part(
        code="base.daily",
        amount=fen(t.rate * units),
        quantity=units,
        unit="天",
        rate=t.rate,
        dates=m.dates(a.full | a.half),
        terms_ref=t.ref,
        params={"days": _num(units), "rate": str(t.rate)},
    )


def _hourly(t: Terms, m: Month, a: Attendance) -> Part:
    # A day's overtime hours are part of its hours: its regular hours are the difference.
    hours = a.regular_hours if a.regular else ZERO
    return Part(
        code="base.hourly",
        amount=fen(t.rate * hours),
        quantity=hours,
        unit="小时",
        rate=t.rate,
        dates=m.dates(a.regular),
        terms_ref=t.ref,
        params={"hours": _num(hours), "rate": str(t.rate)},
    )


def _monthly(t: Terms, m: Month, owned: int, a: Attendance, *, came_to_work: bool) -> Part:
    """A salary over the dates these terms own. Statutory holidays count as days present when the worker
    came to work at least one working day of the month; a month with no attendance pays nothing."""
    day_rate = t.rate / MONTHLY_PAY_DAYS
    paid = owned & m.paid
    holidays = owned & m.holiday if came_to_work else 0
    other = paid & ~m.holiday
    full, half = a.full & other, a.half & other
    present = ZERO + (full.bit_count() + holidays.bit_count()) + _HALF * half.bit_count()
    attended = m.dates(full | half | holidays)
    absent = Decimal(paid.bit_count()) - present
    day_rate_text = str(fen(day_rate))
    if owned & 1 and owned >> (m.size - 1):
        # 扣减法, but never less than the days present at the day rate (出勤法): many absences in a long
        # month would otherwise leave a worker who came to work with nothing.
        amount = min(max(fen(t.rate - day_rate * absent), fen(day_rate * present)), t.rate)
        if not came_to_work:
            amount = ZERO  # on the books all month, never at work: nothing is earned
        return Part(
            code="base.monthly",
            amount=amount,
            quantity=present,
            unit="天",
            rate=t.rate,
            dates=attended,
            terms_ref=t.ref,
            params={"salary": str(t.rate), "absent": _num(absent), "day_rate": day_rate_text},
        )
    amount = min(fen(day_rate * present), t.rate)
    if owned:
        lo = m.first + timedelta(days=(owned & -owned).bit_length() - 1)
        hi = m.first + timedelta(days=owned.bit_length() - 1)
    else:
        lo = hi = m.first
    return Part(
        code="base.monthly_partial",
        amount=amount,
        quantity=present,
        unit="天",
        rate=t.rate,
        dates=attended,
        terms_ref=t.ref,
        params={
            "salary": str(t.rate),
            "days": _num(present),
            "day_rate": day_rate_text,
            "span": f"{lo.month}月{lo.day}日—{hi.month}月{hi.day}日",
        },
    )


_BASE_PLACES: Final = Decimal("0.0001")


_BASES: dict[tuple[str, Decimal, Decimal], tuple[Decimal, Decimal, str]] = {}


def _overtime(t: Terms, m: Month, a: Attendance) -> list[Part]:
    # The hourly base, as computed, as shown (to 0.0001) and as text: once per distinct contract rate.
    key = (t.pay_type, t.rate, t.full_day_hours)
    known = _BASES.get(key)
    if known is None:
        base = t.hourly_base()
        known = _BASES[key] = (base, base.quantize(_BASE_PLACES, rounding=ROUND_HALF_UP), str(fen(base)))
        if len(_BASES) > 10_000:  # a bound, never reached by one installation's rates
            _BASES.clear()
    base, base_rate, base_text = known
    out: list[Part] = []
    for kind, mask, hours in a.overtime():
        if mask:
            code, percent, factor = _OVERTIME_PARTS[kind]
            out.append(
                Part(
                    code,
                    fen(hours * base * factor),
                    hours,
                    "小时",
                    base_rate,
                    percent,
                    m.dates(mask),
                    t.ref,
                    {"hours": _num(hours), "base": base_text},
                )
            )
    return out


# Each kind's part code, percent and multiplier (× 1.5 rounds as × 150 ÷ 100 did: dividing by 100 is exact).
_OVERTIME_PARTS: Final = {
    kind: (f"overtime.{kind}", percent, Decimal(percent) / 100) for kind, percent in OVERTIME_PERCENT.items()
}
