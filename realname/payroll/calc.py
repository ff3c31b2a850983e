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

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal
from itertools import chain
from types import MappingProxyType
from typing import Any, Final, Literal, NamedTuple

from django.utils.translation import gettext, gettext_noop

from realname.attendance.calendar import DayKind

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

    def covers(self, day: date) -> bool:
        return self.start <= day and (self.end is None or day <= self.end)

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


class DayGroup(NamedTuple):
    """Days that count the same — one kind of day, one attendance unit each, overtime of one kind or none —
    with their hours added up. The database hands a month over in such groups (a few per worker instead
    of thirty rows); :meth:`of` makes the group of a single :class:`Day`. A group never straddles two
    contracts' terms (the caller gives single days where the terms change within the month). Dates are in
    order. (A named tuple, not a dataclass: a month of 10,000 workers makes 50,000 of them.)"""

    dates: tuple[date, ...]
    day_kind: DayKind
    unit: Decimal  # per day
    hours: Decimal  # in all
    overtime_hours: Decimal  # in all
    overtime_kind: OvertimeKind = "workday"
    missing_punch: bool = False  # working days with no hours and a missing punch (unpaid; 补卡 may help)

    @classmethod
    def of(cls, day: Day) -> DayGroup:
        return cls(
            dates=(day.work_date,),
            day_kind=day.day_kind,
            unit=day.unit(),
            hours=day.hours,
            overtime_hours=day.overtime_hours,
            overtime_kind=day.overtime_kind,
            missing_punch=day.day_kind in WORKING_KINDS
            and day.hours <= 0
            and "missing_punch" in day.statuses,
        )

    @property
    def units(self) -> Decimal:
        return self.unit * len(self.dates)


def group_days(days: Iterable[Day]) -> list[DayGroup]:
    """The groups the database forms (realname/payroll/selectors.py: day_groups), computed from single days:
    one per day kind × attendance unit × overtime kind (or none) × missing punch × has regular hours."""
    buckets: dict[tuple[str, Decimal, str, bool, bool], list[Day]] = {}
    for d in sorted(days, key=lambda d: d.work_date):
        single = DayGroup.of(d)
        key = (
            d.day_kind,
            single.unit,
            d.overtime_kind if d.overtime_hours > 0 else "",
            single.missing_punch,
            d.hours > d.overtime_hours,  # has regular hours (an hourly line lists exactly those days)
        )
        buckets.setdefault(key, []).append(d)
    return [
        DayGroup(
            dates=tuple(d.work_date for d in members),
            day_kind=members[0].day_kind,
            unit=unit,
            hours=sum((d.hours for d in members), ZERO),
            overtime_hours=sum((d.overtime_hours for d in members), ZERO),
            overtime_kind=overtime_kind or "workday",  # type: ignore[arg-type]
            missing_punch=missing,
        )
        for (_, unit, overtime_kind, missing, _regular), members in buckets.items()
    ]


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
            "dates": [d.isoformat() for d in self.dates],
            "terms": self.terms_ref,
            "params": dict(self.params),
        }


@dataclass(frozen=True, kw_only=True)
class Warning:
    code: str
    params: Mapping[str, str] = field(default_factory=dict)

    def message(self) -> str:
        return render(self.code, self.params)

    def as_json(self) -> dict[str, Any]:
        return {"code": self.code, "params": dict(self.params)}


@dataclass(frozen=True, kw_only=True)
class PayResult:
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
    try:
        return gettext(template).format(**values).strip()
    except (KeyError, IndexError):
        return gettext(template)


def _dates_text(dates: Iterable[date]) -> str:
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


def compute(
    *,
    month: Mapping[date, DayKind],
    employed_from: date,
    employed_to: date | None,
    terms: Sequence[Terms],
    days: Iterable[Day | DayGroup],
    pieces: Sequence[Piece] = (),
    items: Sequence[Item] = (),
    minimum_monthly: Decimal | None = None,
) -> PayResult:
    """One employment's pay for one month.

    ``month`` gives the kind of every date of the month (from the one holiday calendar); the employment
    ran from ``employed_from`` to ``employed_to`` (None: still on site). Days outside both are ignored.
    """
    if not month:
        raise ValueError("month must hold the kind of every date of the period")
    first, last = min(month), max(month)
    span_from = max(first, employed_from)
    span_to = last if employed_to is None else min(last, employed_to)
    groups: list[DayGroup] = []
    for d in days:
        g = DayGroup.of(d) if isinstance(d, Day) else d
        if span_from <= g.dates[0] and g.dates[-1] <= span_to:  # dates are in order
            groups.append(g)
        elif any(span_from <= x <= span_to for x in g.dates):
            raise ValueError("a group of days straddles the employment's span: give single days")
    groups.sort(key=lambda g: g.dates)

    parts: list[Part] = []
    warnings: list[Warning] = []
    no_terms: list[date] = []
    missing: list[date] = []
    units_total = ZERO
    hours_total = sum((g.hours for g in groups), ZERO)
    overtime_total = sum((g.overtime_hours for g in groups), ZERO)

    ordered_terms = sorted(terms, key=lambda t: (t.start, t.ref))
    # Where contracts overlap (a raise entered as a new contract, the old one left open), the one that
    # started last is in force: each date has one owner.
    latest_first = ordered_terms[::-1]

    def owner_of(day: date) -> Terms | None:
        return next((t for t in latest_first if t.covers(day)), None)

    under: dict[str, list[DayGroup]] = {t.ref: [] for t in ordered_terms}
    # The usual month: one contract covering the whole span owns every group.
    whole = (
        ordered_terms[0]
        if len(ordered_terms) == 1 and ordered_terms[0].covers(span_from) and ordered_terms[0].covers(span_to)
        else None
    )
    for g in groups:
        if g.missing_punch:
            missing.extend(g.dates)
        owner = whole
        if owner is None:
            owners = {owner_of(x) for x in g.dates}
            if len(owners) > 1:
                raise ValueError("a group of days straddles two contracts' terms: give single days")
            owner = owners.pop()
        if owner is not None:
            under[owner.ref].append(g)
        elif g.hours > 0:
            no_terms.extend(g.dates)

    in_span = [d for d in sorted(month) if span_from <= d <= span_to]
    came_to_work = any(g.unit > 0 and g.day_kind in WORKING_KINDS for g in groups)
    monthly_salaries: list[Decimal] = []
    other_base = ZERO  # base pay of daily, hourly and piece work, for the minimum-wage comparison
    other_units = ZERO
    for t in ordered_terms:
        owned = in_span if whole is t else [d for d in in_span if owner_of(d) is t]
        mine = under[t.ref]
        if not owned and not mine:
            continue
        units = sum((g.units for g in mine if g.day_kind in WORKING_KINDS), ZERO)
        units_total += units
        if t.pay_type == "daily":
            base = _daily(t, mine, units)
        elif t.pay_type == "hourly":
            base = _hourly(t, mine)
        elif t.pay_type == "monthly":
            base = _monthly(t, month, owned, mine, first, last, came_to_work=came_to_work)
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
        if t.pay_type != "piece":
            parts.extend(_overtime(t, mine))

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

    gross = sum((p.amount for p in parts if not p.is_deduction), ZERO)
    deductions = sum((p.amount for p in parts if p.is_deduction), ZERO)
    net = gross - deductions

    if no_terms:
        warnings.append(Warning(code="no_terms", params={"dates": _dates_text(no_terms)}))
    if missing:
        warnings.append(Warning(code="unpaid_missing_punch", params={"dates": _dates_text(missing)}))
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


def _dates(groups: Iterable[DayGroup]) -> tuple[date, ...]:
    return tuple(sorted(chain.from_iterable(g.dates for g in groups)))


def _daily(t: Terms, mine: list[DayGroup], units: Decimal) -> Part:
    return Part(
        code="base.daily",
        amount=fen(t.rate * units),
        quantity=units,
        unit="天",
        rate=t.rate,
        dates=_dates(g for g in mine if g.day_kind in WORKING_KINDS and g.unit > 0),
        terms_ref=t.ref,
        params={"days": _num(units), "rate": str(t.rate)},
    )


def _hourly(t: Terms, mine: list[DayGroup]) -> Part:
    # A day's overtime hours are part of its hours, so a group's regular hours are the difference.
    regular = [(g, g.hours - g.overtime_hours) for g in mine if g.day_kind in WORKING_KINDS]
    hours = sum((h for _, h in regular if h > 0), ZERO)
    return Part(
        code="base.hourly",
        amount=fen(t.rate * hours),
        quantity=hours,
        unit="小时",
        rate=t.rate,
        dates=_dates(g for g, h in regular if h > 0),
        terms_ref=t.ref,
        params={"hours": _num(hours), "rate": str(t.rate)},
    )


def _monthly(
    t: Terms,
    month: Mapping[date, DayKind],
    owned: list[date],
    mine: list[DayGroup],
    first: date,
    last: date,
    *,
    came_to_work: bool,
) -> Part:
    """A salary over the dates these terms own. Statutory holidays count as days present when the worker
    came to work at least one working day of the month; a month with no attendance pays nothing."""
    day_rate = t.rate / MONTHLY_PAY_DAYS
    paid = [d for d in owned if month[d] in PAID_KINDS]
    unit_of: dict[date, Decimal] = {}
    for g in mine:
        if g.day_kind in WORKING_KINDS:
            for x in g.dates:
                unit_of[x] = g.unit
    present = ZERO
    attended: list[date] = []
    for d in paid:
        unit = (_ONE if came_to_work else ZERO) if month[d] == "holiday" else unit_of.get(d, ZERO)
        present += unit
        if unit > 0:
            attended.append(d)
    absent = Decimal(len(paid)) - present
    day_rate_text = str(fen(day_rate))
    if owned and owned[0] == first and owned[-1] == last:
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
            dates=tuple(attended),
            terms_ref=t.ref,
            params={"salary": str(t.rate), "absent": _num(absent), "day_rate": day_rate_text},
        )
    amount = min(fen(day_rate * present), t.rate)
    lo, hi = (owned[0], owned[-1]) if owned else (first, first)
    return Part(
        code="base.monthly_partial",
        amount=amount,
        quantity=present,
        unit="天",
        rate=t.rate,
        dates=tuple(attended),
        terms_ref=t.ref,
        params={
            "salary": str(t.rate),
            "days": _num(present),
            "day_rate": day_rate_text,
            "span": f"{lo.month}月{lo.day}日—{hi.month}月{hi.day}日",
        },
    )


def _overtime(t: Terms, mine: list[DayGroup]) -> list[Part]:
    base = t.hourly_base()
    out: list[Part] = []
    by_kind: dict[str, list[DayGroup]] = {}
    for g in mine:
        if g.overtime_hours > 0:
            by_kind.setdefault(g.overtime_kind, []).append(g)
    for kind in ("workday", "rest_day", "holiday"):
        hit = by_kind.get(kind)
        if not hit:
            continue
        hours = sum((g.overtime_hours for g in hit), ZERO)
        percent = OVERTIME_PERCENT[kind]
        out.append(
            Part(
                code=f"overtime.{kind}",
                amount=fen(hours * base * percent / 100),
                quantity=hours,
                unit="小时",
                rate=base.quantize(Decimal("0.0001"), rounding=ROUND_HALF_UP),
                percent=percent,
                dates=_dates(hit),
                terms_ref=t.ref,
                params={"hours": _num(hours), "base": str(fen(base))},
            )
        )
    return out
