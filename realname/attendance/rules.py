"""Pure daily-attendance rules: one worker's day from their punches, with the rule behind every part.

Plain functions over plain data (no ORM); the DayRecord recomputation calls :func:`compute_day`.

The pipeline, in order (each step leaves :class:`Reason` s behind):

1. **Work day.** A punch belongs to the work day that starts at ``rules.work_day_start`` (local time)
   on or before it (:func:`work_date`). Punches of other work days are ignored, so callers may pass a
   superset (e.g. the punches of the surrounding days).
2. **Sort.** By (instant, direction, area, source_id): the result does not depend on input order.
3. **Debounce.** A punch with the same direction *and* area as an earlier kept punch, at most
   ``debounce_min`` minutes after it, is dropped (the earlier one is kept). The window is anchored on
   the kept punch, not chained, so a run of swipes every minute is not collapsed into one.
4. **Direction.** "01" is in, "02" is out. A punch with unknown direction ("") takes the opposite of
   the previous punch's (effective) direction; the first punch of the day, if unknown, is an in.
5. **Pairing.** An in opens an interval; the next out closes it. Consecutive ins keep the *first*
   (the later ins are ignored); consecutive outs keep the *last* (a further out moves the end of the
   interval just closed). Outs before the first in cannot be paired: missing entry, not counted.
6. **Auto clock-out.** An interval still open at the end of the day is closed according to
   ``rules.auto_clock_out``: "shift_end" closes it at the shift end (only if it opened before it),
   "hours:<n>" closes it n hours after entry (capped at the end of the work day), "none" leaves it
   open: not counted and the day is ``missing_punch``. Auto-closed intervals are flagged ``auto``.
7. **Hours.** Sum of closed intervals minus their overlap with the unpaid break (if configured),
   rounded half-up to 0.01 h. Overtime: on workdays and adjusted workdays the hours beyond
   ``full_day_hours`` (150 %); on weekends and in-lieu rest days all hours (200 % unless 补休 is
   arranged); on statutory holidays all hours (300 %). 劳动法 Art. 44.
8. **Status.** Rest days: ``rest_day`` / ``holiday`` (plus ``missing_punch``). Workdays: no punch
   → ``absent``; otherwise ``late`` (first in after shift start + grace), ``early_leave`` (last *real*
   out before shift end − grace), ``half_day`` (half ≤ hours < full), ``absent`` (hours < half and no
   missing punch; then late/early are not listed), ``missing_punch``; none of those → ``present``.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal
from functools import lru_cache
from typing import Final, Literal
from zoneinfo import ZoneInfo

from realname.attendance.calendar import DayKind

Direction = Literal["01", "02", ""]
Status = Literal[
    "present", "late", "early_leave", "half_day", "absent", "missing_punch", "rest_day", "holiday"
]
OvertimeKind = Literal["workday", "rest_day", "holiday"]

STATUS_ORDER: Final[tuple[Status, ...]] = (
    "present",
    "late",
    "early_leave",
    "half_day",
    "absent",
    "missing_punch",
    "rest_day",
    "holiday",
)
# 劳动法 Art. 44: minimum overtime pay as a percentage of the normal hourly wage.
OVERTIME_RATE_PERCENT: Final[dict[OvertimeKind, int]] = {"workday": 150, "rest_day": 200, "holiday": 300}

_IN: Final = "01"
_OUT: Final = "02"
_DIRECTION_ZH: Final = {_IN: "进场", _OUT: "出场", "": "方向未知"}
_CENT: Final = Decimal("0.01")
_ZERO: Final = Decimal("0.00")


@dataclass(frozen=True, kw_only=True)
class Punch:
    """One recognised passage at a gate: when, which way ("01" in, "02" out, "" unknown), where."""

    at: datetime
    direction: Direction
    source_id: str
    area: str = ""

    def __post_init__(self) -> None:
        if self.at.tzinfo is None or self.at.utcoffset() is None:
            raise ValueError(f"punch {self.source_id}: time must be timezone-aware")
        if self.direction not in (_IN, _OUT, ""):
            raise ValueError(f"punch {self.source_id}: unknown direction {self.direction!r}")


@dataclass(frozen=True, kw_only=True)
class DayRules:
    """A project's (or team's) attendance rules for one day."""

    work_day_start: time = time(4, 0)
    shift_start: time = time(8, 0)
    shift_end: time = time(17, 0)
    late_grace_min: int = 10
    early_grace_min: int = 10
    full_day_hours: Decimal = Decimal("8")
    half_day_hours: Decimal = Decimal("4")
    debounce_min: int = 2
    auto_clock_out: str = "none"  # "none" | "shift_end" | "hours:<n>"
    max_day_hours: Decimal = Decimal("11")
    # Unpaid break (e.g. lunch 12:00–13:00), subtracted from worked time where an interval covers it.
    break_start: time | None = None
    break_end: time | None = None

    def __post_init__(self) -> None:
        for name in ("late_grace_min", "early_grace_min", "debounce_min"):
            if getattr(self, name) < 0:
                raise ValueError(f"{name} must not be negative")
        if not Decimal(0) < self.half_day_hours <= self.full_day_hours:
            raise ValueError("need 0 < half_day_hours <= full_day_hours")
        if self.max_day_hours <= 0:
            raise ValueError("max_day_hours must be positive")
        if self.shift_start == self.shift_end:
            raise ValueError("shift_start and shift_end must differ")
        if (self.break_start is None) != (self.break_end is None) or (
            self.break_start is not None and self.break_start == self.break_end
        ):
            raise ValueError("give both break_start and break_end, and make them differ")
        self.auto_clock_out_hours()  # validates the rule
        # The shift must lie inside one work day, or its end would belong to the next day.
        if _offset(self.shift_start, self) >= _offset(self.shift_end, self) and self.shift_end != (
            self.work_day_start
        ):
            raise ValueError(
                f"shift {self.shift_start:%H:%M}–{self.shift_end:%H:%M} crosses the work-day boundary "
                f"{self.work_day_start:%H:%M}; move work_day_start"
            )

    def auto_clock_out_hours(self) -> Decimal | None:
        """The n of "hours:<n>", None for the other rules; raises on an unknown rule."""
        rule = self.auto_clock_out
        if rule in ("none", "shift_end"):
            return None
        if rule.startswith("hours:"):
            try:
                hours = Decimal(rule.removeprefix("hours:"))
            except ArithmeticError:
                hours = Decimal(0)
            if hours.is_finite() and 0 < hours <= 24:
                return hours
        raise ValueError(f'auto_clock_out must be "none", "shift_end" or "hours:<n>", got {rule!r}')


@dataclass(frozen=True)
class Reason:
    """Why one part of the day came out as it did: a stable code, a Chinese sentence, the numbers."""

    code: str
    message_zh: str
    detail: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Interval:
    """Time on site between an in and an out punch (``auto`` when the out was supplied by a rule)."""

    start: datetime
    end: datetime
    in_source_id: str
    out_source_id: str | None
    auto: bool = False


@dataclass(frozen=True)
class DayResult:
    """Everything derived for one worker and one work day, with the rules that decided it."""

    work_date: date
    day_kind: DayKind
    first_in: datetime | None
    last_out: datetime | None  # the last real out punch; an auto clock-out is only in ``intervals``
    intervals: tuple[Interval, ...]
    worked_hours: Decimal
    overtime_hours: Decimal
    overtime_kind: OvertimeKind
    areas: tuple[str, ...]
    statuses: tuple[Status, ...]
    auto_clock_out: bool
    fatigue: bool
    source_ids: tuple[str, ...]  # every punch of this work day, counted or not (derived rows point back)
    reasons: tuple[Reason, ...]

    def reasons_for(self, prefix: str) -> tuple[Reason, ...]:
        return tuple(r for r in self.reasons if r.code == prefix or r.code.startswith(prefix + "."))


# --- time helpers ---------------------------------------------------------------------------------


def _offset(t: time, rules: DayRules) -> timedelta:
    """How far after the work-day start the time of day ``t`` falls (0 ≤ offset < 24 h)."""
    delta = datetime.combine(date.min, t) - datetime.combine(date.min, rules.work_day_start)
    return delta % timedelta(days=1)


@lru_cache(maxsize=4096)
def _anchor(day: date, t: time, rules: DayRules, tz: ZoneInfo) -> datetime:
    """The instant within work day ``day`` at local time of day ``t``."""
    calendar_day = day if t >= rules.work_day_start else day + timedelta(days=1)
    return datetime.combine(calendar_day, t, tzinfo=tz)


@lru_cache(maxsize=4096)
def _shift(day: date, rules: DayRules, tz: ZoneInfo) -> tuple[datetime, datetime]:
    """Shift start and end instants of work day ``day`` (the end may fall on the next calendar day)."""
    start = _anchor(day, rules.shift_start, rules, tz)
    end_offset = _offset(rules.shift_end, rules) or timedelta(days=1)
    return start, _utc(start) + (end_offset - _offset(rules.shift_start, rules))


@lru_cache(maxsize=4096)
def _window_end(day: date, rules: DayRules, tz: ZoneInfo) -> datetime:
    return datetime.combine(day + timedelta(days=1), rules.work_day_start, tzinfo=tz)


def _utc(at: datetime) -> datetime:
    # Aware datetimes sharing a tzinfo subtract by wall clock; compare and subtract in UTC.
    return at if at.tzinfo is UTC else at.astimezone(UTC)


def _hm(at: datetime, day: date, tz: ZoneInfo, *, seconds: bool = False) -> str:
    local = at.astimezone(tz)
    text = (
        f"{local.hour:02d}:{local.minute:02d}:{local.second:02d}"
        if seconds
        else f"{local.hour:02d}:{local.minute:02d}"
    )
    if local.date() > day:
        return f"次日 {text}"
    if local.date() < day:
        return f"前日 {text}"
    return text


def _hours(seconds: float) -> Decimal:
    return (Decimal(str(seconds)) / Decimal(3600)).quantize(_CENT, rounding=ROUND_HALF_UP)


def _num(value: Decimal) -> str:
    return format(value.normalize(), "f") if value == value.to_integral() else format(value, "f")


def work_date(at: datetime, rules: DayRules, tz: ZoneInfo) -> date:
    """The work day a punch at ``at`` belongs to: local date, minus one before ``work_day_start``."""
    return _work_day_of(at, rules, tz)


def _work_day_of(at: datetime, rules: DayRules, tz: ZoneInfo) -> date:
    if at.tzinfo is None:
        raise ValueError("work_date needs a timezone-aware datetime")
    local = at.astimezone(tz)
    if local.time() < rules.work_day_start:
        return local.date() - timedelta(days=1)
    return local.date()


# --- the day --------------------------------------------------------------------------------------


@dataclass
class _Ctx:
    day: date
    rules: DayRules
    tz: ZoneInfo
    reasons: list[Reason]

    def add(self, code: str, message: str, **detail: object) -> None:
        self.reasons.append(Reason(code, message, {k: str(v) for k, v in detail.items()}))

    def hm(self, at: datetime, *, seconds: bool = False) -> str:
        return _hm(at, self.day, self.tz, seconds=seconds)


def _sort_key(p: Punch) -> tuple[datetime, str, str, str]:
    return (_utc(p.at), p.direction, p.area, p.source_id)


def _debounce(punches: list[Punch], ctx: _Ctx) -> list[Punch]:
    window = timedelta(minutes=ctx.rules.debounce_min)
    last_kept: dict[tuple[str, str], Punch] = {}
    kept: list[Punch] = []
    for p in punches:
        key = (p.direction, p.area)
        prev = last_kept.get(key)
        if prev is not None and _utc(p.at) - _utc(prev.at) <= window:
            gap = (_utc(p.at) - _utc(prev.at)).total_seconds() / 60
            ctx.add(
                "debounce.merged",
                f"防重：{ctx.hm(p.at, seconds=True)} {_DIRECTION_ZH[p.direction]}"
                f"{'（' + p.area + '）' if p.area else ''} 与 {ctx.hm(prev.at, seconds=True)} 的同向打卡"
                f"相隔 {gap:.1f} 分钟，在 {ctx.rules.debounce_min} 分钟防重窗口内，合并为一次",
                dropped=p.source_id,
                kept=prev.source_id,
                window_min=ctx.rules.debounce_min,
            )
            continue
        last_kept[key] = p
        kept.append(p)
    return kept


def infer_direction(previous: str, direction: str) -> str:
    """A punch's direction: its own, or when the gate did not say, the opposite of the previous punch's
    (the first punch of a sequence counts as an entry). The daily rules and the muster list share this."""
    if direction:
        return direction
    return _OUT if previous == _IN else _IN


def _directions(punches: list[Punch], ctx: _Ctx) -> list[tuple[Punch, str]]:
    out: list[tuple[Punch, str]] = []
    previous = ""
    for p in punches:
        direction = infer_direction(previous, p.direction)
        if not p.direction:
            why = "当天第一次打卡视为进场" if not previous else f"上一条为{_DIRECTION_ZH[previous]}，交替"
            ctx.add(
                "pairing.direction_inferred",
                f"方向推定：{ctx.hm(p.at)} 的打卡方向未知，{why}，视为{_DIRECTION_ZH[direction]}",
                source_id=p.source_id,
                direction=direction,
            )
        out.append((p, direction))
        previous = direction
    return out


def _pair(directed: list[tuple[Punch, str]], ctx: _Ctx) -> tuple[list[Interval], Punch | None, list[Punch]]:
    """Closed intervals, the punch of a still-open interval, and outs that had no in before them."""
    intervals: list[Interval] = []
    open_in: Punch | None = None
    orphans: list[Punch] = []
    for p, direction in directed:
        if direction == _IN:
            if open_in is None:
                open_in = p
            else:
                ctx.add(
                    "pairing.repeated_in",
                    f"连续进场：保留首次进场 {ctx.hm(open_in.at)}，忽略 {ctx.hm(p.at)} 的进场",
                    kept=open_in.source_id,
                    ignored=p.source_id,
                )
        elif open_in is not None:
            intervals.append(Interval(open_in.at, p.at, open_in.source_id, p.source_id))
            open_in = None
        elif intervals:
            last = intervals[-1]
            ctx.add(
                "pairing.repeated_out",
                f"连续出场：保留最后一次出场 {ctx.hm(p.at)}，替换 {ctx.hm(last.end)} 的出场",
                kept=p.source_id,
                ignored=str(last.out_source_id),
            )
            intervals[-1] = Interval(last.start, p.at, last.in_source_id, p.source_id)
        else:
            orphans.append(p)
            ctx.add(
                "pairing.missing_in",
                f"缺少进场：{ctx.hm(p.at)} 出场之前没有进场记录，无法配对，不计工时",
                source_id=p.source_id,
            )
    for iv in intervals:
        ctx.add(
            "pairing.interval",
            f"配对：进场 {ctx.hm(iv.start)} — 出场 {ctx.hm(iv.end)}",
            start=iv.start.isoformat(),
            end=iv.end.isoformat(),
        )
    return intervals, open_in, orphans


def _auto_close(open_in: Punch, ctx: _Ctx) -> Interval | None:
    rules, day, tz = ctx.rules, ctx.day, ctx.tz
    start = ctx.hm(open_in.at)
    hours = rules.auto_clock_out_hours()
    if rules.auto_clock_out == "none":
        ctx.add(
            "auto_clock_out.none",
            f"缺少出场：{start} 进场后没有出场打卡，自动出场规则为“不自动出场”，该段不计工时，需补卡",
            source_id=open_in.source_id,
        )
        return None
    if hours is None:  # shift_end
        end = _shift(day, rules, tz)[1].astimezone(tz)
        if _utc(end) <= _utc(open_in.at):
            ctx.add(
                "auto_clock_out.not_applicable",
                f"缺少出场：{start} 进场晚于下班时间 {ctx.hm(end)}，"
                "无法按下班时间自动出场，该段不计工时，需补卡",
                source_id=open_in.source_id,
            )
            return None
        ctx.add(
            "auto_clock_out.shift_end",
            f"自动出场：{start} 进场后没有出场打卡，按规则在下班时间 {ctx.hm(end)} 自动出场（已标记为自动）",
            source_id=open_in.source_id,
            end=end.isoformat(),
        )
    else:
        end = _utc(open_in.at) + timedelta(hours=float(hours))
        cap = _window_end(day, rules, tz)
        capped = _utc(end) > _utc(cap)
        end = min(end, _utc(cap)).astimezone(tz)
        ctx.add(
            "auto_clock_out.hours",
            f"自动出场：{start} 进场后没有出场打卡，按规则进场后 {_num(hours)} 小时即 {ctx.hm(end)} 自动出场"
            f"{'（以工作日结束时间为限）' if capped else ''}（已标记为自动）",
            source_id=open_in.source_id,
            end=end.isoformat(),
        )
    return Interval(open_in.at.astimezone(tz), end.astimezone(tz), open_in.source_id, None, auto=True)


@lru_cache(maxsize=4096)
def _break_window(day: date, rules: DayRules, tz: ZoneInfo) -> tuple[datetime, datetime] | None:
    """The unpaid break of work day ``day`` as two UTC instants, or None without a break."""
    if rules.break_start is None or rules.break_end is None:
        return None
    b_start = _anchor(day, rules.break_start, rules, tz)
    b_end = b_start + (
        datetime.combine(date.min, rules.break_end) - datetime.combine(date.min, rules.break_start)
    ) % timedelta(days=1)
    return _utc(b_start), _utc(b_end)


def _break_overlap(iv: Interval, ctx: _Ctx) -> timedelta:
    window = _break_window(ctx.day, ctx.rules, ctx.tz)
    if window is None:
        return timedelta(0)
    lo, hi = max(_utc(iv.start), window[0]), min(_utc(iv.end), window[1])
    return max(hi - lo, timedelta(0))


def compute_day(
    work_date: date,
    punches: Iterable[Punch],
    rules: DayRules,
    tz: ZoneInfo,
    day_kind: DayKind,
) -> DayResult:
    """Derive one worker's ``work_date`` from their punches; same punches in any order, same result."""
    day = work_date
    ctx = _Ctx(day, rules, tz, [])
    ctx.add("day_kind", f"日期类型：{_DAY_KIND_ZH[day_kind]}", kind=day_kind)

    all_punches = sorted(punches, key=_sort_key)
    mine = [p for p in all_punches if _work_day_of(p.at, rules, tz) == day]
    if len(mine) < len(all_punches):
        ctx.add(
            "pairing.other_day",
            f"{len(all_punches) - len(mine)} 条打卡不属于本工作日"
            f"（工作日从 {rules.work_day_start:%H:%M} 开始），未计入",
            count=len(all_punches) - len(mine),
        )
    areas = tuple(sorted({p.area for p in mine if p.area}))
    source_ids = tuple(sorted({p.source_id for p in mine}))

    kept = _debounce(mine, ctx)
    intervals, open_in, orphans = _pair(_directions(kept, ctx), ctx)
    auto = False
    missing = bool(orphans)
    still_open = False
    if open_in is not None:
        closed = _auto_close(open_in, ctx)
        if closed is None:
            missing = still_open = True
        else:
            intervals.append(closed)
            auto = True
    intervals = [
        Interval(iv.start.astimezone(tz), iv.end.astimezone(tz), iv.in_source_id, iv.out_source_id, iv.auto)
        for iv in intervals
    ]

    # Hours.
    gross = sum(((_utc(iv.end) - _utc(iv.start)) for iv in intervals), timedelta(0))
    unpaid = sum((_break_overlap(iv, ctx) for iv in intervals), timedelta(0))
    worked = _hours((gross - unpaid).total_seconds())
    break_note = f"，扣除休息 {_num(_hours(unpaid.total_seconds()))} 小时" if unpaid else ""
    ctx.add(
        "hours.worked",
        f"工时：{len(intervals)} 段在场合计 {_num(_hours(gross.total_seconds()))} 小时{break_note}，"
        f"计 {worked} 小时",
        worked_hours=worked,
        intervals=len(intervals),
    )
    fatigue = worked > rules.max_day_hours
    if fatigue:
        ctx.add(
            "hours.fatigue",
            f"疲劳：工时 {worked} 小时超过每日上限 {_num(rules.max_day_hours)} 小时",
            worked_hours=worked,
            max_day_hours=rules.max_day_hours,
        )

    first_in = next((iv.start for iv in intervals), open_in.at.astimezone(tz) if open_in else None)
    real_outs = [iv.end for iv in intervals if not iv.auto]
    last_out = real_outs[-1] if real_outs else None

    statuses: set[Status] = set()
    if day_kind in ("workday", "adjusted_workday"):
        overtime_kind: OvertimeKind = "workday"
        overtime = max(worked - rules.full_day_hours, _ZERO).quantize(_CENT)
        if overtime:
            ctx.add(
                "overtime.workday",
                f"加班：工时 {worked} 小时超出全天标准 {_num(rules.full_day_hours)} 小时，"
                f"工作日加班 {overtime} 小时（{OVERTIME_RATE_PERCENT['workday']}%）",
                overtime_hours=overtime,
            )
        else:
            ctx.add(
                "overtime.none",
                f"无加班：工时 {worked} 小时未超出全天标准 {_num(rules.full_day_hours)} 小时",
            )
        statuses |= _workday_statuses(
            ctx, mine, intervals, first_in, last_out, worked, missing=missing, still_open=still_open
        )
    else:
        overtime = worked
        overtime_kind = "holiday" if day_kind == "holiday" else "rest_day"
        label = "法定节假日" if day_kind == "holiday" else "休息日"
        rate = OVERTIME_RATE_PERCENT[overtime_kind]
        note = "" if day_kind == "holiday" else "，未安排补休时"
        ctx.add(
            f"overtime.{overtime_kind}",
            f"加班：{label}出勤，全部 {worked} 小时计为{label}加班（{rate}%{note}）",
            overtime_hours=overtime,
        )
        status: Status = "holiday" if day_kind == "holiday" else "rest_day"
        statuses.add(status)
        ctx.add(f"status.{status}", f"{label}：{_DAY_KIND_ZH[day_kind]}，不考核迟到、早退和缺勤")
        if missing:
            statuses.add("missing_punch")
            ctx.add("status.missing_punch", "缺卡：有未能配对的打卡，见配对说明，需补卡")

    return DayResult(
        work_date=day,
        day_kind=day_kind,
        first_in=first_in,
        last_out=last_out,
        intervals=tuple(intervals),
        worked_hours=worked,
        overtime_hours=overtime,
        overtime_kind=overtime_kind,
        areas=areas,
        statuses=tuple(s for s in STATUS_ORDER if s in statuses),
        auto_clock_out=auto,
        fatigue=fatigue,
        source_ids=source_ids,
        reasons=tuple(ctx.reasons),
    )


_DAY_KIND_ZH: Final[dict[str, str]] = {
    "workday": "工作日",
    "weekend": "周末休息日",
    "holiday": "法定节假日",
    "in_lieu_rest": "调休休息日",
    "adjusted_workday": "调休上班日，按工作日规则考勤",
}


def _workday_statuses(
    ctx: _Ctx,
    mine: list[Punch],
    intervals: list[Interval],
    first_in: datetime | None,
    last_out: datetime | None,
    worked: Decimal,
    *,
    missing: bool,
    still_open: bool,
) -> set[Status]:
    rules = ctx.rules
    statuses: set[Status] = set()
    if not mine:
        ctx.add("status.absent", "缺勤：工作日没有任何打卡记录")
        return {"absent"}
    if missing:
        statuses.add("missing_punch")
        ctx.add("status.missing_punch", "缺卡：有未能配对的打卡，见配对说明，需补卡")

    shift_start, shift_end = _shift(ctx.day, rules, ctx.tz)
    latest_ok = shift_start + timedelta(minutes=rules.late_grace_min)
    earliest_ok = shift_end - timedelta(minutes=rules.early_grace_min)
    late = first_in is not None and _utc(first_in) > _utc(latest_ok)
    last = intervals[-1] if intervals else None
    # Early leave needs a real final exit: not an auto one, and no re-entry left open after it.
    early = (
        last is not None
        and not last.auto
        and not still_open
        and last_out is not None
        and _utc(last_out) < _utc(earliest_ok)
    )

    if worked < rules.half_day_hours and not missing:
        ctx.add(
            "status.absent",
            f"缺勤：工时 {worked} 小时，不足半天标准 {_num(rules.half_day_hours)} 小时",
            worked_hours=worked,
        )
        return {"absent"}
    if late and first_in is not None:
        statuses.add("late")
        ctx.add(
            "status.late",
            f"迟到：首次进场 {ctx.hm(first_in)}，晚于上班时间 {ctx.hm(shift_start)}"
            f" + 宽限 {rules.late_grace_min} 分钟",
            first_in=first_in.isoformat(),
            minutes_late=int((_utc(first_in) - _utc(shift_start)).total_seconds() // 60),
        )
    if early and last_out is not None:
        statuses.add("early_leave")
        ctx.add(
            "status.early_leave",
            f"早退：最后出场 {ctx.hm(last_out)}，早于下班时间 {ctx.hm(shift_end)}"
            f" − 宽限 {rules.early_grace_min} 分钟",
            last_out=last_out.isoformat(),
            minutes_early=int((_utc(shift_end) - _utc(last_out)).total_seconds() // 60),
        )
    if rules.half_day_hours <= worked < rules.full_day_hours:
        statuses.add("half_day")
        ctx.add(
            "status.half_day",
            f"半天：工时 {worked} 小时，不足全天标准 {_num(rules.full_day_hours)} 小时，"
            f"达到半天标准 {_num(rules.half_day_hours)} 小时",
            worked_hours=worked,
        )
    if not statuses:
        statuses.add("present")
        in_text = (
            f"首次进场 {ctx.hm(first_in)} 不晚于上班时间 {ctx.hm(shift_start)}"
            f" + 宽限 {rules.late_grace_min} 分钟，"
            if first_in is not None
            else ""
        )
        ctx.add(
            "status.present",
            f"出勤：{in_text}工时 {worked} 小时达到全天标准 {_num(rules.full_day_hours)} 小时",
            worked_hours=worked,
        )
    return statuses
