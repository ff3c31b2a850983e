from __future__ import annotations

import random
from dataclasses import replace
from datetime import UTC, date, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal
from itertools import count
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from realname.attendance.calendar import DayKind
from realname.attendance.rules import (
    STATUS_ORDER,
    DayResult,
    DayRules,
    Punch,
    compute_day,
    work_date,
)

TZ = ZoneInfo("Asia/Shanghai")
DAY = date(2025, 3, 10)  # a Monday
RULES = DayRules(break_start=time(12, 0), break_end=time(13, 0))
NIGHT = DayRules(
    work_day_start=time(12, 0), shift_start=time(20, 0), shift_end=time(6, 0), max_day_hours=Decimal(12)
)
_ids = count()


def at(hm: str, day: date = DAY) -> datetime:
    h, m, *s = (int(x) for x in hm.split(":"))
    return datetime(day.year, day.month, day.day, h, m, s[0] if s else 0, tzinfo=TZ)


def p(hm: str, direction: str = "01", *, day: date = DAY, area: str = "") -> Punch:
    return Punch(at=at(hm, day), direction=direction, area=area, source_id=f"e{next(_ids):05d}")  # type: ignore[arg-type]


def day_of(*punches: Punch, rules: DayRules = RULES, kind: DayKind = "workday", day: date = DAY) -> DayResult:
    return compute_day(day, list(punches), rules, TZ, kind)


def codes(result: DayResult) -> list[str]:
    return [r.code for r in result.reasons]


def message(result: DayResult, code: str) -> str:
    (reason,) = [r for r in result.reasons if r.code == code]
    return reason.message_zh


# --- hand-computed days ---------------------------------------------------------------------------


def test_a_normal_day_is_present_with_eight_hours_after_the_lunch_break() -> None:
    r = day_of(p("08:00", "01", area="北门"), p("17:00", "02", area="北门"))
    assert r.statuses == ("present",)
    assert r.worked_hours == Decimal("8.00")
    assert r.overtime_hours == Decimal("0.00")
    assert r.overtime_kind == "workday"
    assert (r.first_in, r.last_out) == (at("08:00"), at("17:00"))
    assert [(i.start, i.end, i.auto) for i in r.intervals] == [(at("08:00"), at("17:00"), False)]
    assert r.areas == ("北门",)
    assert "扣除休息 1 小时" in message(r, "hours.worked")
    assert "overtime.none" in codes(r)


def test_staying_late_on_a_workday_is_overtime_at_150_percent() -> None:
    r = day_of(p("08:00"), p("19:30", "02"))
    assert r.worked_hours == Decimal("10.50")
    assert r.overtime_hours == Decimal("2.50")
    assert r.overtime_kind == "workday"
    assert (
        message(r, "overtime.workday")
        == "加班：工时 10.50 小时超出全天标准 8 小时，工作日加班 2.50 小时（150%）"
    )


def test_arriving_within_the_grace_period_is_not_late() -> None:
    r = day_of(p("08:10"), p("17:10", "02"))
    assert r.statuses == ("present",)
    assert "08:10 不晚于上班时间 08:00 + 宽限 10 分钟" in message(r, "status.present")


def test_arriving_after_the_grace_period_is_late() -> None:
    r = day_of(p("08:17"), p("17:20", "02"))
    assert r.statuses == ("late",)
    assert r.worked_hours == Decimal("8.05")
    assert message(r, "status.late") == "迟到：首次进场 08:17，晚于上班时间 08:00 + 宽限 10 分钟"
    assert next(x for x in r.reasons if x.code == "status.late").detail["minutes_late"] == "17"


def test_leaving_before_shift_end_minus_grace_is_early_leave() -> None:
    r = day_of(p("07:00"), p("16:45", "02"))
    assert r.statuses == ("early_leave",)
    assert r.worked_hours == Decimal("8.75")
    assert message(r, "status.early_leave") == "早退：最后出场 16:45，早于下班时间 17:00 − 宽限 10 分钟"


def test_late_and_early_leave_can_both_apply() -> None:
    r = day_of(p("08:20"), p("16:30", "02"))
    assert r.statuses == ("late", "early_leave", "half_day")
    assert r.worked_hours == Decimal("7.17")


def test_a_half_day_meets_the_half_day_but_not_the_full_day_hours() -> None:
    r = day_of(p("08:00"), p("12:30", "02"))
    assert r.statuses == ("early_leave", "half_day")
    assert r.worked_hours == Decimal("4.00")
    assert "达到半天标准 4 小时" in message(r, "status.half_day")


def test_fewer_than_half_day_hours_is_absent_and_nothing_else() -> None:
    r = day_of(p("09:00"), p("11:00", "02"))
    assert r.statuses == ("absent",)
    assert message(r, "status.absent") == "缺勤：工时 2.00 小时，不足半天标准 4 小时"


def test_no_punch_on_a_workday_is_absent() -> None:
    r = day_of()
    assert r.statuses == ("absent",)
    assert r.worked_hours == Decimal("0.00")
    assert (r.first_in, r.last_out, r.intervals) == (None, None, ())
    assert message(r, "status.absent") == "缺勤：工作日没有任何打卡记录"


def test_a_night_shift_crossing_midnight_belongs_to_the_day_it_started() -> None:
    start, end = p("19:55"), p("06:05", "02", day=DAY + timedelta(days=1))
    assert work_date(start.at, NIGHT, TZ) == DAY
    assert work_date(end.at, NIGHT, TZ) == DAY
    assert work_date(at("12:00", DAY + timedelta(days=1)), NIGHT, TZ) == DAY + timedelta(days=1)
    r = day_of(start, end, rules=NIGHT)
    assert r.statuses == ("present",)
    assert r.worked_hours == Decimal("10.17")
    assert r.overtime_hours == Decimal("2.17")
    assert "出场 次日 06:05" in message(r, "pairing.interval")
    # Nothing of it shows on the next work day.
    nxt = day_of(start, end, rules=NIGHT, day=DAY + timedelta(days=1))
    assert nxt.statuses == ("absent",)
    assert "2 条打卡不属于本工作日" in message(nxt, "pairing.other_day")


def test_a_night_shift_leaving_early_the_next_morning_is_early_leave() -> None:
    r = day_of(p("20:00"), p("05:00", "02", day=DAY + timedelta(days=1)), rules=NIGHT)
    assert r.statuses == ("early_leave",)
    assert "早于下班时间 次日 06:00" in message(r, "status.early_leave")


def test_the_default_boundary_puts_a_punch_at_3am_on_the_previous_work_day() -> None:
    assert work_date(at("03:59"), RULES, TZ) == DAY - timedelta(days=1)
    assert work_date(at("04:00"), RULES, TZ) == DAY
    assert work_date(datetime(2025, 3, 9, 20, 0, tzinfo=UTC), RULES, TZ) == DAY


def test_a_shift_that_crosses_the_work_day_boundary_is_refused() -> None:
    with pytest.raises(ValueError, match="crosses the work-day boundary"):
        DayRules(shift_start=time(20, 0), shift_end=time(6, 0))


def test_three_punches_within_two_minutes_collapse_into_one() -> None:
    r = day_of(p("07:59:00"), p("07:59:40"), p("08:00:50"), p("17:00", "02"))
    assert len(r.intervals) == 1
    assert r.first_in == at("07:59")
    assert r.worked_hours == Decimal("8.02")
    assert codes(r).count("debounce.merged") == 2
    assert "pairing.repeated_in" not in codes(r)
    assert "在 2 分钟防重窗口内" in r.reasons_for("debounce")[0].message_zh
    assert len(r.source_ids) == 4  # all punches still point to the day


def test_the_debounce_window_is_anchored_not_chained() -> None:
    r = day_of(
        p("08:00:00", ""), p("08:01:30", ""), p("08:03:00", ""), rules=replace(RULES, auto_clock_out="none")
    )
    # 08:01:30 merges into 08:00; 08:03 is 3 minutes after the kept 08:00, so it counts (as an out).
    assert codes(r).count("debounce.merged") == 1
    assert [(i.start, i.end) for i in r.intervals] == [(at("08:00"), at("08:03"))]


def test_a_missing_exit_with_no_auto_rule_is_a_missing_punch_and_not_counted() -> None:
    r = day_of(p("08:00"))
    assert r.statuses == ("missing_punch",)
    assert r.worked_hours == Decimal("0.00")
    assert r.intervals == ()
    assert r.first_in == at("08:00") and r.last_out is None
    assert not r.auto_clock_out
    assert "auto_clock_out.none" in codes(r)


def test_a_missing_exit_closes_at_shift_end_when_the_rule_says_so() -> None:
    r = day_of(p("08:00"), rules=replace(RULES, auto_clock_out="shift_end"))
    assert r.statuses == ("present",)
    assert [(i.start, i.end, i.auto, i.out_source_id) for i in r.intervals] == [
        (at("08:00"), at("17:00"), True, None)
    ]
    assert r.worked_hours == Decimal("8.00")
    assert r.auto_clock_out and r.last_out is None
    assert "按规则在下班时间 17:00 自动出场（已标记为自动）" in message(r, "auto_clock_out.shift_end")


def test_a_missing_exit_after_shift_end_cannot_be_closed_at_shift_end() -> None:
    r = day_of(p("08:00"), p("12:00", "02"), p("18:00"), rules=replace(RULES, auto_clock_out="shift_end"))
    # Back at 18:00 with no exit: not an early leave at 12:00, the re-entry is a missing punch.
    assert r.statuses == ("half_day", "missing_punch")
    assert r.worked_hours == Decimal("4.00")
    assert "auto_clock_out.not_applicable" in codes(r)


def test_a_missing_exit_closes_n_hours_after_entry_with_the_hours_rule() -> None:
    r = day_of(p("08:00"), rules=replace(RULES, auto_clock_out="hours:6"))
    assert [(i.start, i.end, i.auto) for i in r.intervals] == [(at("08:00"), at("14:00"), True)]
    assert r.worked_hours == Decimal("5.00")
    assert r.statuses == ("half_day",)  # an auto exit is never called an early leave


def test_the_hours_rule_stops_at_the_end_of_the_work_day() -> None:
    r = day_of(p("23:00"), rules=replace(RULES, auto_clock_out="hours:8"), kind="weekend")
    assert r.intervals[0].end == at("04:00", DAY + timedelta(days=1))
    assert r.worked_hours == Decimal("5.00")
    assert "以工作日结束时间为限" in message(r, "auto_clock_out.hours")


def test_unknown_directions_alternate_starting_with_an_in() -> None:
    r = day_of(p("08:00", ""), p("12:00", ""), p("13:00", ""), p("17:00", ""))
    assert [(i.start, i.end) for i in r.intervals] == [(at("08:00"), at("12:00")), (at("13:00"), at("17:00"))]
    assert r.worked_hours == Decimal("8.00")
    assert r.statuses == ("present",)
    assert codes(r).count("pairing.direction_inferred") == 4


def test_an_unknown_direction_takes_the_opposite_of_the_previous_known_one() -> None:
    r = day_of(p("08:00", "01"), p("17:00", ""))
    assert [(i.start, i.end) for i in r.intervals] == [(at("08:00"), at("17:00"))]


def test_consecutive_ins_keep_the_first_and_consecutive_outs_keep_the_last() -> None:
    r = day_of(p("08:00"), p("08:30"), p("16:00", "02"), p("17:00", "02"))
    assert [(i.start, i.end) for i in r.intervals] == [(at("08:00"), at("17:00"))]
    assert message(r, "pairing.repeated_in") == "连续进场：保留首次进场 08:00，忽略 08:30 的进场"
    assert message(r, "pairing.repeated_out") == "连续出场：保留最后一次出场 17:00，替换 16:00 的出场"


def test_an_out_before_any_in_is_a_missing_entry() -> None:
    r = day_of(p("07:00", "02"), p("08:00"), p("17:00", "02"))
    assert r.statuses == ("missing_punch",)
    assert r.worked_hours == Decimal("8.00")
    assert "pairing.missing_in" in codes(r)


def test_work_on_a_rest_day_is_all_overtime_at_the_rest_day_rate() -> None:
    rest_kinds: list[DayKind] = ["weekend", "in_lieu_rest"]
    for kind in rest_kinds:
        r = day_of(p("08:00"), p("17:00", "02"), kind=kind)
        assert r.statuses == ("rest_day",)
        assert r.worked_hours == r.overtime_hours == Decimal("8.00")
        assert r.overtime_kind == "rest_day"
        assert "200%" in message(r, "overtime.rest_day")


def test_work_on_a_statutory_holiday_is_all_overtime_at_the_holiday_rate() -> None:
    r = day_of(p("09:00"), p("12:00", "02"), kind="holiday")
    assert r.statuses == ("holiday",)
    assert r.overtime_hours == Decimal("3.00")
    assert r.overtime_kind == "holiday"
    assert message(r, "overtime.holiday") == "加班：法定节假日出勤，全部 3.00 小时计为法定节假日加班（300%）"


def test_a_holiday_without_punches_is_a_holiday_not_an_absence() -> None:
    assert day_of(kind="holiday").statuses == ("holiday",)
    assert day_of(kind="weekend").statuses == ("rest_day",)


def test_a_missing_exit_on_a_rest_day_is_also_a_missing_punch() -> None:
    assert day_of(p("08:00"), kind="weekend").statuses == ("missing_punch", "rest_day")


def test_an_adjusted_workday_is_a_workday() -> None:
    r = day_of(p("08:30"), p("19:00", "02"), kind="adjusted_workday")
    assert r.statuses == ("late",)
    assert r.overtime_kind == "workday"
    assert r.overtime_hours == Decimal("1.50")
    assert "调休上班日" in message(r, "day_kind")
    assert day_of(kind="adjusted_workday").statuses == ("absent",)


def test_more_than_the_daily_maximum_is_flagged_as_fatigue() -> None:
    r = day_of(p("06:00"), p("20:00", "02"))
    assert r.fatigue
    assert message(r, "hours.fatigue") == "疲劳：工时 13.00 小时超过每日上限 11 小时"
    assert not day_of(p("08:00"), p("17:00", "02")).fatigue


def test_areas_are_collected_sorted_and_unique() -> None:
    r = day_of(
        p("08:00", area="北门"),
        p("10:00", "02", area="A区"),
        p("10:05", area="A区"),
        p("17:00", "02", area="北门"),
    )
    assert r.areas == ("A区", "北门")
    assert r.worked_hours == Decimal("7.92")


def test_bad_inputs_are_refused() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        Punch(at=datetime(2025, 3, 10, 8, 0), direction="01", source_id="x")  # noqa: DTZ001 - the point
    with pytest.raises(ValueError, match="direction"):
        Punch(at=at("08:00"), direction="03", source_id="x")  # type: ignore[arg-type]
    for bad in ("sometimes", "hours:", "hours:-1", "hours:abc", "hours:nan"):
        with pytest.raises(ValueError, match="auto_clock_out"):
            DayRules(auto_clock_out=bad)
    with pytest.raises(ValueError, match="half_day_hours"):
        DayRules(half_day_hours=Decimal(9))


# --- properties -----------------------------------------------------------------------------------

RULE_SETS = [
    RULES,
    replace(RULES, auto_clock_out="shift_end"),
    replace(RULES, auto_clock_out="hours:9.5", debounce_min=5),
    NIGHT,
    replace(NIGHT, auto_clock_out="shift_end", debounce_min=0),
]
KINDS: list[DayKind] = ["workday", "weekend", "holiday", "in_lieu_rest", "adjusted_workday"]


@st.composite
def days(draw: st.DrawFn) -> tuple[DayRules, DayKind, list[Punch]]:
    rules = draw(st.sampled_from(RULE_SETS))
    kind = draw(st.sampled_from(KINDS))
    start = datetime.combine(DAY, rules.work_day_start, tzinfo=TZ)
    seconds = draw(st.lists(st.integers(0, 24 * 3600 - 1), max_size=12))
    punches = [
        Punch(
            at=start + timedelta(seconds=s),
            direction=draw(st.sampled_from(["01", "02", ""])),
            area=draw(st.sampled_from(["", "A", "B"])),
            source_id=f"s{n:03d}",
        )
        for n, s in enumerate(seconds)
    ]
    return rules, kind, punches


def essence(r: DayResult) -> tuple[object, ...]:
    """What a duplicate punch must not change (ids and reasons may name the duplicate)."""
    ivs = tuple((i.start, i.end, i.auto) for i in r.intervals)
    return (r.first_in, r.last_out, ivs, r.worked_hours, r.overtime_hours, r.statuses, r.areas, r.fatigue)


@given(days(), st.randoms(use_true_random=False))
def test_the_order_of_punches_does_not_matter(
    day: tuple[DayRules, DayKind, list[Punch]], rnd: random.Random
) -> None:
    rules, kind, punches = day
    shuffled = list(punches)
    rnd.shuffle(shuffled)
    assert compute_day(DAY, shuffled, rules, TZ, kind) == compute_day(DAY, punches, rules, TZ, kind)


@given(days())
def test_hours_are_never_negative_and_never_exceed_the_time_on_site(
    day: tuple[DayRules, DayKind, list[Punch]],
) -> None:
    rules, kind, punches = day
    r = compute_day(DAY, punches, rules, TZ, kind)
    assert Decimal(0) <= r.overtime_hours <= r.worked_hours
    assert r.worked_hours == r.worked_hours.quantize(Decimal("0.01"))
    if not punches:
        assert r.worked_hours == 0
        return
    first = min(x.at for x in punches)
    last = max([x.at for x in punches] + [i.end for i in r.intervals])
    span = Decimal((last - first).total_seconds()) / 3600
    assert r.worked_hours <= span + Decimal("0.005")
    if not r.auto_clock_out:
        real_span = Decimal((max(x.at for x in punches) - first).total_seconds()) / 3600
        assert r.worked_hours <= real_span + Decimal("0.005")
    for iv in r.intervals:
        assert iv.start < iv.end or (iv.start == iv.end and not iv.auto)


@given(days())
def test_every_status_has_a_reason(day: tuple[DayRules, DayKind, list[Punch]]) -> None:
    rules, kind, punches = day
    r = compute_day(DAY, punches, rules, TZ, kind)
    assert r.statuses
    assert list(r.statuses) == [s for s in STATUS_ORDER if s in r.statuses]
    for status in r.statuses:
        assert r.reasons_for(f"status.{status}"), status
    assert r.reasons_for("hours") and r.reasons_for("overtime")
    if r.auto_clock_out:
        assert r.reasons_for("auto_clock_out")
    assert all(reason.message_zh for reason in r.reasons)


@settings(max_examples=200)
@given(days(), st.data())
def test_a_duplicate_punch_within_the_debounce_window_changes_nothing(
    day: tuple[DayRules, DayKind, list[Punch]], data: st.DataObject
) -> None:
    rules, kind, punches = day
    before = compute_day(DAY, punches, rules, TZ, kind)
    dropped = {r.detail["dropped"] for r in before.reasons_for("debounce")}
    kept = [x for x in punches if x.source_id not in dropped]
    if not kept:
        return
    original = data.draw(st.sampled_from(kept))
    window_end = datetime.combine(DAY + timedelta(days=1), rules.work_day_start, tzinfo=TZ)
    room = min(rules.debounce_min * 60, int((window_end - original.at).total_seconds()) - 1)
    delay = data.draw(st.integers(0, max(room, 0)))
    duplicate = replace(original, at=original.at + timedelta(seconds=delay), source_id="dup")
    after = compute_day(DAY, [*punches, duplicate], rules, TZ, kind)
    assert essence(after) == essence(before)


@given(days())
def test_computing_twice_gives_the_same_result(day: tuple[DayRules, DayKind, list[Punch]]) -> None:
    rules, kind, punches = day
    assert compute_day(DAY, punches, rules, TZ, kind) == compute_day(DAY, tuple(punches), rules, TZ, kind)


@given(st.integers(0, 2 * 24 * 3600), st.integers(0, 999_999))
def test_hours_round_half_up_to_the_hundredth_like_decimal_division(seconds: int, micro: int) -> None:
    from realname.attendance.rules import _hours

    for span in (timedelta(seconds=seconds), timedelta(seconds=seconds, microseconds=micro)):
        exact = (Decimal(str(span.total_seconds())) / Decimal(3600)).quantize(Decimal("0.01"), ROUND_HALF_UP)
        assert repr(_hours(span)) == repr(exact)


def test_the_quick_constructors_make_what_the_dataclasses_make() -> None:
    from dataclasses import fields

    from realname.attendance.rules import Interval, Reason, _day_result, _interval, _reason

    start, end = at("08:00"), at("17:00")
    made: list[tuple[Any, Any]] = [
        (_reason("c", "m", {"k": "v"}), Reason("c", "m", {"k": "v"})),
        (_interval(start, end, "a", None, True), Interval(start, end, "a", None, auto=True)),
    ]
    result = day_of(p("08:00"), p("17:00", "02"))
    values = {f.name: getattr(result, f.name) for f in fields(DayResult)}
    made.append((_day_result(**values), DayResult(**values)))
    for quick, regular in made:
        assert quick == regular and repr(quick) == repr(regular)
        assert vars(quick) == vars(regular)
        with pytest.raises(AttributeError):  # still frozen
            quick.day_kind = "x"


def test_rows_with_their_local_times_give_what_punches_give() -> None:
    from realname.attendance.rules import compute_day_rows

    given = [p("07:55"), p("12:00", ""), p("12:01", area="B"), p("17:30", "02")]
    punches = [replace(x, at=x.at.astimezone(UTC)) for x in given]  # as the database gives them
    rows = [(x.at, x.at.astimezone(TZ), x.direction, x.source_id, x.area) for x in punches]

    assert compute_day_rows(DAY, rows, RULES, TZ, "workday") == day_of(*punches)


def test_rows_are_refused_where_punches_are() -> None:
    from realname.attendance.rules import compute_day_rows

    naive = datetime(2025, 3, 10, 8, 0)  # noqa: DTZ001 - the case under test
    with pytest.raises(ValueError, match="timezone-aware"):
        compute_day_rows(DAY, [(naive, at("08:00"), "01", "e1", "")], RULES, TZ, "workday")
    with pytest.raises(ValueError, match="unknown direction"):
        compute_day_rows(DAY, [(at("08:00"), at("08:00"), "03", "e1", "")], RULES, TZ, "workday")


@given(
    st.datetimes(
        min_value=datetime(1900, 1, 1),  # noqa: DTZ001 - hypothesis draws naive bounds, zones below
        max_value=datetime(2100, 1, 1),  # noqa: DTZ001
        timezones=st.sampled_from(
            [UTC, TZ, ZoneInfo("Europe/Berlin"), ZoneInfo("America/St_Johns"), ZoneInfo("Asia/Kathmandu")]
        ),
        allow_imaginary=True,
    ),
    st.booleans(),
)
def test_iso_writes_what_isoformat_writes(moment: datetime, whole: bool) -> None:
    from realname.attendance.rules import iso

    if whole:
        moment = moment.replace(microsecond=0)
    assert iso(moment) == moment.isoformat()
