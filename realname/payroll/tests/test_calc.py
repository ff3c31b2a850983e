"""payroll.calc: hand-computed months, and properties over random ones.

October 2026 is written out by hand (the 2026 国庆 notice as python-holidays carries it): Thu 1 – Sat 3
statutory holidays, Sun 4 weekend, Mon 5 – Wed 7 调休 rest days, Sat 10 调休上班, then ordinary weeks.
Working days: 8, 9, 10, 12–16, 19–23, 26–30 = 18; paid days (working days + statutory holidays) = 21.
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from realname.attendance.calendar import HolidayCalendar
from realname.payroll import calc
from realname.payroll.calc import Day, Item, Piece, Terms

D = Decimal
OCT = date(2026, 10, 1)


def october() -> dict[date, calc.DayKind]:
    kinds: dict[date, calc.DayKind] = {}
    for day in calc.month_dates(OCT):
        kinds[day] = "weekend" if day.weekday() >= 5 else "workday"
    for n in (1, 2, 3):
        kinds[date(2026, 10, n)] = "holiday"
    for n in (5, 6, 7):
        kinds[date(2026, 10, n)] = "in_lieu_rest"
    kinds[date(2026, 10, 10)] = "adjusted_workday"
    return kinds


MONTH = october()
WORKING = [d for d, k in sorted(MONTH.items()) if k in ("workday", "adjusted_workday")]


def oct_(n: int) -> date:
    return date(2026, 10, n)


def worked(n: int, hours: str = "8", *statuses: str, overtime: str = "0", kind: str = "workday") -> Day:
    return Day(
        work_date=oct_(n),
        day_kind=MONTH[oct_(n)],
        hours=D(hours),
        overtime_hours=D(overtime),
        overtime_kind=kind,  # type: ignore[arg-type]
        statuses=statuses or ("present",),
    )


def daily(rate: str, start: date = OCT, end: date | None = None, ref: str = "C1") -> Terms:
    return Terms(ref=ref, pay_type="daily", rate=D(rate), start=start, end=end)


def part(result: calc.PayResult, code: str) -> calc.Part:
    (found,) = [p for p in result.parts if p.code == code]
    return found


def test_the_hand_written_october_matches_the_library_calendar() -> None:
    cal = HolidayCalendar()
    assert {d: cal.kind(d) for d in MONTH} == MONTH
    assert len(WORKING) == 18


def test_daily_rate_with_half_day_and_all_three_overtime_kinds() -> None:
    days = [worked(n) for n in (8, 10, 13, 14, 15, 16, 19, 20, 21, 22, 23, 26, 27, 28, 29, 30)]
    days.append(worked(9, "10", overtime="2"))  # 2 h beyond the full day
    days.append(worked(12, "5", "late", "half_day"))
    days.append(worked(17, "10", "rest_day", overtime="10", kind="rest_day"))  # a Saturday
    days.append(worked(2, "8", "holiday", overtime="8", kind="holiday"))  # 国庆
    items = [
        Item(ref="i1", direction="deduction", kind="meals", amount=D("300")),
        Item(ref="i2", direction="deduction", kind="advance", amount=D("1000")),
    ]
    result = calc.compute(
        month=MONTH,
        employed_from=date(2026, 9, 1),
        employed_to=None,
        terms=[daily("300")],
        days=days,
        items=items,
    )
    # 17 full days + one half day = 17.5 × 300
    assert part(result, "base.daily").amount == D("5250.00")
    assert part(result, "base.daily").quantity == D("17.5")
    # hourly base 300 / 8 = 37.5
    assert part(result, "overtime.workday").amount == D("112.50")  # 2 × 37.5 × 150 %
    assert part(result, "overtime.rest_day").amount == D("750.00")  # 10 × 37.5 × 200 %
    assert part(result, "overtime.holiday").amount == D("900.00")  # 8 × 37.5 × 300 %
    assert part(result, "overtime.holiday").dates == (oct_(2),)
    assert result.gross == D("7012.50")
    assert result.deductions == D("1300.00")
    assert result.net == D("5712.50")
    assert result.overtime_hours == D("20")
    assert result.warnings == ()


def test_an_adjusted_workday_is_an_ordinary_day_not_rest_day_overtime() -> None:
    result = calc.compute(
        month=MONTH, employed_from=OCT, employed_to=None, terms=[daily("300")], days=[worked(10)]
    )
    assert [p.code for p in result.parts] == ["base.daily"]
    assert result.gross == D("300.00")


def test_monthly_salary_full_month_deducts_absences_at_salary_over_21_75() -> None:
    days = [worked(d.day) for d in WORKING if d.day not in (20, 21)]
    days.append(worked(20, "0", "absent"))
    days.append(worked(21, "0", "missing_punch"))
    terms = [Terms(ref="M", pay_type="monthly", rate=D("6000"), start=date(2026, 1, 1))]
    result = calc.compute(
        month=MONTH, employed_from=date(2026, 3, 1), employed_to=None, terms=terms, days=days
    )
    # 6000 − 2 × (6000 / 21.75) = 6000 − 551.7241… = 5448.2758… → 5448.28
    base = part(result, "base.monthly")
    assert base.amount == D("5448.28")
    assert base.quantity == D("19")  # 21 paid days less 2 absent
    assert result.warning_codes() == ("unpaid_missing_punch",)
    assert "10月21日" in result.warnings[0].message()


def test_monthly_salary_full_month_with_no_absence_is_the_salary() -> None:
    terms = [Terms(ref="M", pay_type="monthly", rate=D("6000"), start=date(2026, 1, 1))]
    result = calc.compute(
        month=MONTH, employed_from=OCT, employed_to=None, terms=terms, days=[worked(d.day) for d in WORKING]
    )
    assert result.gross == D("6000.00")


def test_monthly_salary_mid_month_entry_is_pro_rated_over_21_75() -> None:
    entry = oct_(19)
    terms = [Terms(ref="M", pay_type="monthly", rate=D("6000"), start=entry)]
    days = [worked(d.day) for d in WORKING if d >= entry]
    result = calc.compute(month=MONTH, employed_from=entry, employed_to=None, terms=terms, days=days)
    # 10 paid days (19–23, 26–30) × 275.862068… = 2758.6206… → 2758.62
    base = part(result, "base.monthly_partial")
    assert base.amount == D("2758.62")
    assert base.quantity == D("10")


def test_monthly_salary_mid_month_exit_counts_statutory_holidays_as_present() -> None:
    terms = [Terms(ref="M", pay_type="monthly", rate=D("6000"), start=date(2026, 1, 1))]
    days = [worked(n) for n in (8, 9)]
    result = calc.compute(
        month=MONTH, employed_from=date(2026, 6, 1), employed_to=oct_(9), terms=terms, days=days
    )
    # paid days 1–3 (holidays, paid) + 8, 9 = 5 × 275.862068… = 1379.31
    assert part(result, "base.monthly_partial").amount == D("1379.31")


def test_a_contract_change_mid_month_pays_each_day_at_the_terms_in_force() -> None:
    terms = [daily("300", end=oct_(15), ref="old"), daily("350", start=oct_(16), ref="new")]
    days = [worked(d.day) for d in WORKING]
    result = calc.compute(month=MONTH, employed_from=OCT, employed_to=None, terms=terms, days=days)
    old, new = [p for p in result.parts if p.code == "base.daily"]
    assert (old.terms_ref, old.quantity, old.amount) == ("old", D("7"), D("2100.00"))
    assert (new.terms_ref, new.quantity, new.amount) == ("new", D("11"), D("3850.00"))
    assert result.gross == D("5950.00")


def test_hourly_pays_regular_hours_and_overtime_separately() -> None:
    terms = [Terms(ref="H", pay_type="hourly", rate=D("40"), start=OCT)]
    days = [worked(8, "10", overtime="2"), worked(9, "8")]
    result = calc.compute(month=MONTH, employed_from=OCT, employed_to=None, terms=terms, days=days)
    assert part(result, "base.hourly").amount == D("640.00")  # (8 + 8) × 40
    assert part(result, "overtime.workday").amount == D("120.00")  # 2 × 40 × 150 %


def test_piece_rate_from_quantities_with_overtime_quantities_multiplied() -> None:
    terms = [Terms(ref="P", pay_type="piece", rate=D("12.5"), start=OCT, piece_unit="㎡")]
    pieces = [
        Piece(ref="p1", description="墙面抹灰", unit="㎡", quantity=D("100.4"), unit_price=D("12.5")),
        Piece(
            ref="p2",
            description="墙面抹灰",
            unit="㎡",
            quantity=D("10"),
            unit_price=D("12.5"),
            overtime_kind="rest_day",
        ),
    ]
    days = [
        worked(8),
        worked(9, "10", overtime="2"),
        worked(17, "6", "rest_day", overtime="6", kind="rest_day"),
    ]
    result = calc.compute(
        month=MONTH, employed_from=OCT, employed_to=None, terms=terms, days=days, pieces=pieces
    )
    assert [p.code for p in result.parts] == ["piece", "piece.overtime"]  # attendance pays nothing itself
    assert result.parts[0].amount == D("1255.00")  # 100.4 × 12.5
    assert result.parts[1].amount == D("250.00")  # 10 × 12.5 × 200 %
    assert result.overtime_hours == D("8")
    assert result.warnings == ()


def test_piece_terms_with_attendance_and_no_quantity_warn() -> None:
    terms = [Terms(ref="P", pay_type="piece", rate=D("12.5"), start=OCT, piece_unit="㎡")]
    result = calc.compute(month=MONTH, employed_from=OCT, employed_to=None, terms=terms, days=[worked(8)])
    assert result.gross == D("0.00")
    assert result.warning_codes() == ("piece_without_quantity",)


def test_night_shifts_belong_to_the_day_they_started() -> None:
    # A shift from Sat 3 Oct 20:00 (国庆) to Sun 4 Oct 06:00 is the work day of the 3rd: all 10 h at 300 %.
    # A shift from 30 Sep 22:00 to 1 Oct 06:00 belongs to September and is not paid in October.
    days = [
        worked(3, "10", "holiday", overtime="10", kind="holiday"),
        Day(work_date=date(2026, 9, 30), day_kind="workday", hours=D("8"), statuses=("present",)),
        worked(30, "10", overtime="2"),  # Fri 30 Oct 20:00 → Sat 31 Oct 06:00
    ]
    result = calc.compute(
        month=MONTH, employed_from=date(2026, 9, 1), employed_to=None, terms=[daily("300")], days=days
    )
    assert part(result, "base.daily").quantity == D("1")  # only the 30th
    assert part(result, "overtime.holiday").amount == D("1125.00")  # 10 × 37.5 × 300 %
    assert part(result, "overtime.workday").amount == D("112.50")


def test_mid_month_exit_ignores_days_after_it() -> None:
    days = [worked(d.day) for d in WORKING]
    result = calc.compute(
        month=MONTH, employed_from=OCT, employed_to=oct_(14), terms=[daily("300")], days=days
    )
    assert part(result, "base.daily").quantity == D("6")  # 8, 9, 10, 12, 13, 14


def test_overtime_above_36_hours_warns() -> None:
    days = [worked(d.day, "10", overtime="2") for d in WORKING]  # 18 × 2 = 36: at the cap, no warning
    result = calc.compute(month=MONTH, employed_from=OCT, employed_to=None, terms=[daily("300")], days=days)
    assert "overtime_cap" not in result.warning_codes()
    days.append(worked(24, "1", "rest_day", overtime="1", kind="rest_day"))
    result = calc.compute(month=MONTH, employed_from=OCT, employed_to=None, terms=[daily("300")], days=days)
    assert "overtime_cap" in result.warning_codes()
    assert "37" in result.warnings[-1].message()


def test_worked_days_without_terms_are_reported_not_paid() -> None:
    days = [worked(8), worked(12)]
    result = calc.compute(
        month=MONTH, employed_from=OCT, employed_to=None, terms=[daily("300", start=oct_(12))], days=days
    )
    assert part(result, "base.daily").quantity == D("1")
    assert result.warning_codes() == ("no_terms",)
    assert "10月8日" in result.warnings[0].message()


def test_base_pay_below_the_minimum_wage_warns() -> None:
    days = [worked(d.day) for d in WORKING]
    low = calc.compute(
        month=MONTH,
        employed_from=OCT,
        employed_to=None,
        terms=[daily("80")],
        days=days,
        minimum_monthly=D("2690"),
    )
    assert low.warning_codes() == ("below_minimum",)  # 80 × 21.75 = 1740 < 2690
    ok = calc.compute(
        month=MONTH,
        employed_from=OCT,
        employed_to=None,
        terms=[daily("130")],
        days=days,
        minimum_monthly=D("2690"),
    )
    assert ok.warnings == ()  # 130 × 21.75 = 2827.50


def test_deductions_above_gross_warn() -> None:
    result = calc.compute(
        month=MONTH,
        employed_from=OCT,
        employed_to=None,
        terms=[daily("300")],
        days=[worked(8)],
        items=[Item(ref="a", direction="deduction", kind="advance", amount=D("500"))],
    )
    assert result.net == D("-200.00")
    assert result.warning_codes() == ("net_negative",)


def test_unknown_item_kinds_and_bad_terms_are_refused() -> None:
    import pytest

    with pytest.raises(ValueError):
        Item(ref="x", direction="deduction", kind="fine", amount=D("1"))  # 罚款 is not a deduction we take
    with pytest.raises(ValueError):
        Terms(ref="t", pay_type="daily", rate=D("0"), start=OCT)


def test_labels_explain_each_part() -> None:
    result = calc.compute(
        month=MONTH,
        employed_from=OCT,
        employed_to=None,
        terms=[daily("300")],
        days=[worked(9, "10", overtime="2")],
    )
    assert part(result, "base.daily").label() == "计日工资：1 天 × 日工资 300 元"
    assert part(result, "overtime.workday").label() == "工作日加班 2 小时 × 37.50 元/小时 × 150%"


# ---- properties ---------------------------------------------------------------------------------------

_KINDS = st.sampled_from(["workday", "weekend", "holiday", "in_lieu_rest", "adjusted_workday"])
_MONEY = st.decimals(min_value=D("0.01"), max_value=D("20000"), places=2)
_HOURS = st.decimals(min_value=D("0"), max_value=D("14"), places=2)


@st.composite
def months(draw: st.DrawFn) -> dict[str, object]:
    first = date(2026, draw(st.integers(1, 12)), 1)
    kinds = {d: draw(_KINDS) for d in calc.month_dates(first)}
    dates = sorted(kinds)
    days = []
    for d in draw(st.lists(st.sampled_from(dates), unique=True)):
        hours = draw(_HOURS)
        rest = kinds[d] not in calc.WORKING_KINDS
        statuses = draw(
            st.sampled_from([("present",), ("half_day",), ("absent",), ("missing_punch",), ("late",)])
        )
        overtime = hours if rest else max(hours - D("8"), D("0"))
        ot_kind = "holiday" if kinds[d] == "holiday" else ("rest_day" if rest else "workday")
        days.append(
            Day(
                work_date=d,
                day_kind=kinds[d],
                hours=hours,
                overtime_hours=overtime,
                overtime_kind=ot_kind,
                statuses=statuses,
            )  # type: ignore[arg-type]
        )
    pay_type = draw(st.sampled_from(["daily", "monthly", "hourly", "piece"]))
    start = draw(st.sampled_from(dates))
    terms = [
        Terms(
            ref="T",
            pay_type=pay_type,
            rate=draw(_MONEY),
            start=start - timedelta(days=draw(st.integers(0, 40))),
        )
    ]
    pieces = [
        Piece(ref=f"p{n}", description="x", unit="m", quantity=q, unit_price=p, overtime_kind=k)
        for n, (q, p, k) in enumerate(
            draw(
                st.lists(
                    st.tuples(
                        st.decimals(min_value=D("0.01"), max_value=D("1000"), places=3),
                        _MONEY,
                        st.sampled_from([None, "workday", "rest_day", "holiday"]),
                    ),
                    max_size=3,
                )
            )
        )
    ]
    items = [
        Item(ref=f"i{n}", direction=direction, kind=kind, amount=amount)
        for n, (direction, kind, amount) in enumerate(
            draw(
                st.lists(
                    st.one_of(
                        st.tuples(st.just("addition"), st.sampled_from(["allowance", "bonus"]), _MONEY),
                        st.tuples(
                            st.just("deduction"), st.sampled_from(["advance", "meals", "lodging"]), _MONEY
                        ),
                    ),
                    max_size=4,
                )
            )
        )
    ]
    employed_from = draw(st.sampled_from(dates))
    employed_to = draw(st.one_of(st.none(), st.sampled_from([d for d in dates if d >= employed_from])))
    return {
        "month": kinds,
        "employed_from": employed_from,
        "employed_to": employed_to,
        "terms": terms,
        "days": days,
        "pieces": pieces,
        "items": items,
        "minimum_monthly": draw(st.one_of(st.none(), _MONEY)),
    }


@settings(max_examples=300, deadline=None)
@given(months())
def test_totals_are_the_sums_of_the_rounded_parts(case: dict[str, object]) -> None:
    result = calc.compute(**case)  # type: ignore[arg-type]
    earnings = [p.amount for p in result.parts if not p.is_deduction]
    deductions = [p.amount for p in result.parts if p.is_deduction]
    assert result.gross == sum(earnings, D("0"))
    assert result.deductions == sum(deductions, D("0"))
    assert result.net == result.gross - result.deductions
    for p in result.parts:
        assert p.amount >= 0
        assert p.amount == p.amount.quantize(D("0.01"))  # each part rounded once, to the fen
        assert p.label() and "{" not in p.label()


@settings(max_examples=300, deadline=None)
@given(months())
def test_no_negative_net_pay_without_a_warning(case: dict[str, object]) -> None:
    result = calc.compute(**case)  # type: ignore[arg-type]
    if result.net < 0:
        assert "net_negative" in result.warning_codes()
    else:
        assert "net_negative" not in result.warning_codes()


@settings(max_examples=200, deadline=None)
@given(months())
def test_monthly_base_never_exceeds_the_salary(case: dict[str, object]) -> None:
    result = calc.compute(**case)  # type: ignore[arg-type]
    (terms,) = case["terms"]  # type: ignore[misc]
    for p in result.parts:
        if p.code.startswith("base.monthly"):
            assert p.amount <= terms.rate


@settings(max_examples=300, deadline=None)
@given(months(), st.data())
def test_a_summed_up_month_pays_exactly_what_its_single_days_pay(
    case: dict[str, object], data: st.DataObject
) -> None:
    # Sometimes a second contract from a date in the month: the summary then fits only when every day
    # falls under one of them, and compute refuses one that does not.
    month = calc.Month(case["month"])  # type: ignore[arg-type]
    if data.draw(st.booleans()):
        (terms,) = case["terms"]  # type: ignore[misc]
        raise_from = data.draw(st.sampled_from(sorted(month)))
        case["terms"] = [terms, Terms(ref="U", pay_type="daily", rate=D("123.45"), start=raise_from)]
    span = month.between(case["employed_from"], case["employed_to"])  # type: ignore[arg-type]
    in_span = [d for d in case["days"] if month.bit(d.work_date) & span]  # type: ignore[attr-defined]
    summary = calc.summarise(in_span, month)
    single = calc.compute(**case)  # type: ignore[arg-type]
    fits = calc.fits(month, case["employed_from"], case["employed_to"], case["terms"], summary)  # type: ignore[arg-type]
    if fits:
        assert calc.compute(**{**case, "month": month, "days": summary}) == single  # type: ignore[arg-type]
    else:
        with pytest.raises(ValueError, match="give single days"):
            calc.compute(**{**case, "days": summary})  # type: ignore[arg-type]
    (first, *more) = case["terms"]  # type: ignore[misc]
    if not more and span & ~month.between(first.start, first.end) == 0:
        assert fits  # one contract over the whole span: every month fits


def test_month_masks_name_the_dates_they_hold() -> None:
    month = calc.Month(MONTH)
    assert month.dates(month.paid) == tuple(sorted(d for d, k in MONTH.items() if k in calc.PAID_KINDS))
    assert month.dates(month.holiday) == (oct_(1), oct_(2), oct_(3))
    assert month.dates(month.between(oct_(30), None)) == (oct_(30), oct_(31))
    assert month.dates(month.between(date(2026, 9, 1), oct_(2))) == (oct_(1), oct_(2))
    assert month.between(date(2026, 11, 1), None) == 0 and month.bit(date(2026, 11, 1)) == 0
    assert month.dates(month.all) == tuple(sorted(MONTH)) and len(month.dates(month.all)) == 31
    assert month.dates(0) == ()
    with pytest.raises(ValueError, match="no gaps"):
        calc.Month({oct_(1): "holiday", oct_(3): "holiday"})


def test_summarise_counts_each_day_once_in_its_place() -> None:
    month = calc.Month(MONTH)
    days = [
        worked(8),
        worked(9, "10", overtime="2"),
        worked(12, "5", "late", "half_day"),
        worked(13, "0", "missing_punch"),
        worked(14, "0", "absent"),
        worked(17, "10", "rest_day", overtime="10", kind="rest_day"),
        worked(2, "8", "holiday", overtime="8", kind="holiday"),
    ]
    a = calc.summarise(days, month)
    assert month.dates(a.recorded) == tuple(sorted(d.work_date for d in days))
    assert month.dates(a.worked) == (oct_(2), oct_(8), oct_(9), oct_(12), oct_(17))
    assert month.dates(a.full) == (oct_(8), oct_(9)) and month.dates(a.half) == (oct_(12),)
    assert month.dates(a.missing) == (oct_(13),)
    assert month.dates(a.regular) == (oct_(8), oct_(9), oct_(12)) and a.regular_hours == D("21")
    assert (a.hours, a.overtime_hours) == (D("41"), D("20"))
    assert [(k, month.dates(mask), h) for k, mask, h in a.overtime()] == [
        ("workday", (oct_(9),), D("2")),
        ("rest_day", (oct_(17),), D("10")),
        ("holiday", (oct_(2),), D("8")),
    ]
    with pytest.raises(ValueError, match="two records"):
        calc.summarise([worked(8), worked(8)], month)


def test_overlapping_contracts_pay_each_day_under_the_one_that_started_last() -> None:
    # A raise entered as a new contract from 16 Oct, the old open-ended one left as it was.
    terms = [daily("300", ref="old"), daily("350", start=oct_(16), ref="new")]
    result = calc.compute(
        month=MONTH, employed_from=OCT, employed_to=None, terms=terms, days=[worked(d.day) for d in WORKING]
    )
    old, new = [p for p in result.parts if p.code == "base.daily"]
    assert (old.terms_ref, old.quantity, new.terms_ref, new.quantity) == ("old", D("7"), "new", D("11"))
    monthly = [
        Terms(ref="m1", pay_type="monthly", rate=D("6000"), start=date(2026, 1, 1)),
        Terms(ref="m2", pay_type="monthly", rate=D("7000"), start=oct_(2)),
    ]
    result = calc.compute(
        month=MONTH, employed_from=OCT, employed_to=None, terms=monthly, days=[worked(d.day) for d in WORKING]
    )
    first_, second = [p for p in result.parts if p.code.startswith("base.monthly")]
    # m1 owns only 1 Oct (a holiday, paid as present): 6000 / 21.75; m2 owns the rest: 20 paid days, capped
    assert first_.amount == D("275.86") and second.amount == D("6436.78")  # 20 × 7000 / 21.75


def test_a_monthly_worker_never_at_work_earns_nothing_and_one_who_came_is_not_left_with_nothing() -> None:
    terms = [Terms(ref="M", pay_type="monthly", rate=D("6000"), start=date(2026, 1, 1))]
    idle = calc.compute(month=MONTH, employed_from=date(2026, 6, 1), employed_to=None, terms=terms, days=[])
    assert idle.gross == D("0.00")
    one = calc.compute(
        month=MONTH, employed_from=date(2026, 6, 1), employed_to=None, terms=terms, days=[worked(8)]
    )
    # 21 paid days, 1 worked + 3 holidays present, 17 absent: 6000 − 17 × 275.86… = 1310.34
    assert one.gross == D("1310.34")


def test_a_monthly_salary_at_the_minimum_is_not_below_it_in_a_long_month() -> None:
    terms = [Terms(ref="M", pay_type="monthly", rate=D("2690"), start=date(2026, 1, 1))]
    result = calc.compute(
        month=MONTH,
        employed_from=OCT,
        employed_to=None,
        terms=terms,
        days=[worked(d.day) for d in WORKING],
        minimum_monthly=D("2690"),
    )
    assert "below_minimum" not in result.warning_codes()
    lower = [Terms(ref="M", pay_type="monthly", rate=D("2500"), start=date(2026, 1, 1))]
    result = calc.compute(
        month=MONTH,
        employed_from=OCT,
        employed_to=None,
        terms=lower,
        days=[worked(d.day) for d in WORKING],
        minimum_monthly=D("2690"),
    )
    assert result.warning_codes() == ("below_minimum",)


def test_a_message_shows_its_stored_dates_in_the_readers_language() -> None:
    """Dates are stored with a line in one form (10月1日、10月2日); the English interface shows them in
    English, and the pay slip's days too."""
    from django.utils import translation

    from realname.payroll.exports import dates_text

    params = {"dates": calc._dates_text([date(2026, 10, 2), date(2026, 10, 1)])}
    assert params["dates"] == "10月1日、10月2日"
    assert "10月1日、10月2日" in calc.render("unpaid_missing_punch", params)
    span = {"salary": "6000.00", "days": "10", "day_rate": "275.86", "span": "10月19日—10月31日"}
    with translation.override("en"):
        message = calc.render("unpaid_missing_punch", params)
        assert "October 1, October 2" in message and "月" not in message
        assert "October 19 – October 31" in calc.render("base.monthly_partial", span)
        assert dates_text(["2026-10-08", "2026-10-09", "2026-11-02"]) == "Oct 8, 9; Nov 2"
    assert dates_text(["2026-10-08", "2026-10-09", "2026-11-02"]) == "10月8、9日；11月2日"
