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
from operator import attrgetter
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


def _anchor(day: date, t: time, rules: DayRules, tz: ZoneInfo) -> datetime:
    """The instant within work day ``day`` at local time of day ``t``."""
    calendar_day = day if t >= rules.work_day_start else day + timedelta(days=1)
    return datetime.combine(calendar_day, t, tzinfo=tz)


def _utc(at: datetime) -> datetime:
    # Aware datetimes sharing a tzinfo subtract by wall clock; compare and subtract in UTC.
    return at if at.tzinfo is UTC else at.astimezone(UTC)


# "00:00" … "23:59", made once: the reasons quote clock times several times a day.
_HH_MM: Final = tuple(f"{h:02d}:{m:02d}" for h in range(24) for m in range(60))


_SS: Final = tuple(f"{s:02d}" for s in range(60))
_OFFSET_TEXTS: dict[timedelta | None, str] = {}
_DATE_TEXTS: dict[date, str] = {}


def iso(at: datetime) -> str:
    """``at.isoformat()`` for an aware datetime, about twice as fast for whole seconds (every gate's
    clock): the date and the zone offset texts are made once and the clock comes from a table. The
    reasons and intervals quote four instants a day."""
    offset = at.utcoffset()
    if at.microsecond or offset is None:
        return at.isoformat()
    suffix = _OFFSET_TEXTS.get(offset)
    if suffix is None:
        suffix = _OFFSET_TEXTS[offset] = at.isoformat()[19:]  # after "YYYY-MM-DDTHH:MM:SS"
    on = at.date()
    day_text = _DATE_TEXTS.get(on)
    if day_text is None:
        if len(_DATE_TEXTS) > 10_000:
            _DATE_TEXTS.clear()
        day_text = _DATE_TEXTS[on] = on.isoformat()
    return f"{day_text}T{_HH_MM[at.hour * 60 + at.minute]}:{_SS[at.second]}{suffix}"


def _clock(local: datetime, day: date, *, seconds: bool = False) -> str:
    """A time in the project's zone as the reasons quote it, marked when it is not on ``day``'s date."""
    text = _HH_MM[local.hour * 60 + local.minute]
    if seconds:
        text = f"{text}:{local.second:02d}"
    on = local.date()
    if on > day:
        return f"次日 {text}"
    if on < day:
        return f"前日 {text}"
    return text


@lru_cache(maxsize=4096)
def _cents(n: int) -> Decimal:
    return Decimal(n).scaleb(-2)


def _hours(span: timedelta) -> Decimal:
    """``span`` in hours, rounded half-up to 0.01 h."""
    if not span.microseconds and span.days >= 0:
        # Whole seconds (every gate's clock): hours·100 = seconds/36, so the rounding is integer
        # arithmetic, exact like the Decimal division below and a tenth of its cost.
        return _cents((span.days * 86400 + span.seconds + 18) // 36)
    return (Decimal(str(span.total_seconds())) / Decimal(3600)).quantize(_CENT, rounding=ROUND_HALF_UP)


def _num(value: Decimal) -> str:
    return format(value.normalize(), "f") if value == value.to_integral() else format(value, "f")


# Hours by whole hundredths: the value, its str() and its _num(). A month of days repeats the same few
# hundred values, and each is quoted several times a day.
_HOURS_TEXTS: dict[int, tuple[Decimal, str, str]] = {}


def _hours_texts(span: timedelta) -> tuple[Decimal, str, str]:
    """``_hours(span)``, its ``str()`` and its ``_num()``, worked out once per value."""
    if span.microseconds or span.days < 0:
        value = _hours(span)
        return value, str(value), _num(value)
    n = (span.days * 86400 + span.seconds + 18) // 36  # as in _hours
    texts = _HOURS_TEXTS.get(n)
    if texts is None:
        value = _cents(n)
        texts = (value, str(value), _num(value))
        if len(_HOURS_TEXTS) < 100_000:
            _HOURS_TEXTS[n] = texts
    return texts


def work_date(at: datetime, rules: DayRules, tz: ZoneInfo) -> date:
    """The work day a punch at ``at`` belongs to: local date, minus one before ``work_day_start``."""
    if at.tzinfo is None:
        raise ValueError("work_date needs a timezone-aware datetime")
    return local_work_date(at.astimezone(tz), rules)


def local_work_date(local: datetime, rules: DayRules) -> date:
    """:func:`work_date` of a time already in the project's zone (``at.astimezone(tz)``)."""
    if local.time() < rules.work_day_start:
        return local.date() - timedelta(days=1)
    return local.date()


@dataclass(frozen=True)
class _WorkDay:
    """What the rules fix about one work day before any punch is looked at: its bounds, the shift and the
    break as instants, and the texts the reasons quote. The same for everyone under the same rules, so
    :func:`_work_day` works it out once per (day, rules, zone) instead of once per worker."""

    # Local, in the zone: compared with a punch's local time they compare by wall clock, which is how
    # work_date() assigns punches (including on a DST change).
    opens: datetime
    closes: datetime  # the next work day's start; the hours rule's auto clock-out stops there too
    shift_start: datetime  # local
    shift_end: datetime  # local (may fall on the next calendar day)
    shift_start_utc: datetime
    shift_end_utc: datetime
    latest_in_utc: datetime  # shift start + late grace: a first entry after it is late
    earliest_out_utc: datetime  # shift end − early grace: a last exit before it is early leave
    shift_start_text: str
    shift_end_text: str
    break_window: tuple[datetime, datetime] | None  # UTC
    full_day_text: str
    half_day_text: str
    max_day_text: str
    debounce_window: timedelta


@lru_cache(maxsize=4096)
def _work_day(day: date, rules: DayRules, tz: ZoneInfo) -> _WorkDay:
    shift_start = _anchor(day, rules.shift_start, rules, tz)
    end_offset = _offset(rules.shift_end, rules) or timedelta(days=1)
    shift_end_utc = _utc(shift_start) + (end_offset - _offset(rules.shift_start, rules))
    shift_end = shift_end_utc.astimezone(tz)
    return _WorkDay(
        opens=datetime.combine(day, rules.work_day_start, tzinfo=tz),
        closes=datetime.combine(day + timedelta(days=1), rules.work_day_start, tzinfo=tz),
        shift_start=shift_start,
        shift_end=shift_end,
        shift_start_utc=_utc(shift_start),
        shift_end_utc=shift_end_utc,
        # The grace is added on the wall clock and subtracted in UTC, as the rules always did.
        latest_in_utc=_utc(shift_start + timedelta(minutes=rules.late_grace_min)),
        earliest_out_utc=shift_end_utc - timedelta(minutes=rules.early_grace_min),
        shift_start_text=_clock(shift_start, day),
        shift_end_text=_clock(shift_end, day),
        break_window=_break_window(day, rules, tz),
        full_day_text=_num(rules.full_day_hours),
        half_day_text=_num(rules.half_day_hours),
        max_day_text=_num(rules.max_day_hours),
        debounce_window=timedelta(minutes=rules.debounce_min),
    )


def _break_window(day: date, rules: DayRules, tz: ZoneInfo) -> tuple[datetime, datetime] | None:
    """The unpaid break of work day ``day`` as two UTC instants, or None without a break."""
    if rules.break_start is None or rules.break_end is None:
        return None
    b_start = _anchor(day, rules.break_start, rules, tz)
    b_end = b_start + (
        datetime.combine(date.min, rules.break_end) - datetime.combine(date.min, rules.break_start)
    ) % timedelta(days=1)
    return _utc(b_start), _utc(b_end)


# --- the day --------------------------------------------------------------------------------------

# A month of days for ten thousand people makes millions of these frozen objects. Their generated
# __init__ sets each field through object.__setattr__ (the price of frozen); these fill the instance's
# __dict__ directly, which gives the same object (same fields, equal, same repr) for about a third of
# the time. test_rules checks each against its class's own constructor.


def _reason(code: str, message: str, detail: dict[str, str]) -> Reason:
    made = object.__new__(Reason)
    made.__dict__.update(code=code, message_zh=message, detail=detail)
    return made


def _interval(
    start: datetime, end: datetime, in_source_id: str, out_source_id: str | None, auto: bool
) -> Interval:
    made = object.__new__(Interval)
    made.__dict__.update(
        start=start, end=end, in_source_id=in_source_id, out_source_id=out_source_id, auto=auto
    )
    return made


def _day_result(  # noqa: PLR0913 - one argument per field of DayResult
    work_date: date,
    day_kind: DayKind,
    first_in: datetime | None,
    last_out: datetime | None,
    intervals: tuple[Interval, ...],
    worked_hours: Decimal,
    overtime_hours: Decimal,
    overtime_kind: OvertimeKind,
    areas: tuple[str, ...],
    statuses: tuple[Status, ...],
    auto_clock_out: bool,
    fatigue: bool,
    source_ids: tuple[str, ...],
    reasons: tuple[Reason, ...],
) -> DayResult:
    made = object.__new__(DayResult)
    made.__dict__.update(
        work_date=work_date,
        day_kind=day_kind,
        first_in=first_in,
        last_out=last_out,
        intervals=intervals,
        worked_hours=worked_hours,
        overtime_hours=overtime_hours,
        overtime_kind=overtime_kind,
        areas=areas,
        statuses=statuses,
        auto_clock_out=auto_clock_out,
        fatigue=fatigue,
        source_ids=source_ids,
        reasons=reasons,
    )
    return made


class _Seen:
    """A punch of the day being computed, with its instant in UTC (to order, subtract and compare) and in
    the project's zone (to quote), each converted once."""

    __slots__ = ("at", "direction", "area", "source_id", "utc", "local")

    def __init__(self, at: datetime, local: datetime, direction: str, source_id: str, area: str) -> None:
        self.at = at
        self.direction = direction
        self.area = area
        self.source_id = source_id
        self.utc = at if at.tzinfo is UTC else at.astimezone(UTC)
        self.local = local


_ORDER: Final = attrgetter("utc", "direction", "area", "source_id")


class _Ctx:
    __slots__ = ("day", "rules", "tz", "frame", "reasons")

    def __init__(self, day: date, rules: DayRules, tz: ZoneInfo, frame: _WorkDay) -> None:
        self.day = day
        self.rules = rules
        self.tz = tz
        self.frame = frame
        self.reasons: list[Reason] = []

    def add(self, code: str, message: str, **detail: str) -> None:
        made = object.__new__(Reason)  # as _reason
        made.__dict__.update(code=code, message_zh=message, detail=detail)
        self.reasons.append(made)

    def clock(self, local: datetime, *, seconds: bool = False) -> str:
        return _clock(local, self.day, seconds=seconds)


def _debounce(punches: list[_Seen], ctx: _Ctx) -> list[_Seen]:
    window = ctx.frame.debounce_window
    last_kept: dict[tuple[str, str], _Seen] = {}
    kept: list[_Seen] = []
    for p in punches:
        key = (p.direction, p.area)
        prev = last_kept.get(key)
        if prev is not None and p.utc - prev.utc <= window:
            gap = (p.utc - prev.utc).total_seconds() / 60
            ctx.add(
                "debounce.merged",
                f"防重：{ctx.clock(p.local, seconds=True)} {_DIRECTION_ZH[p.direction]}"
                f"{'（' + p.area + '）' if p.area else ''} 与 {ctx.clock(prev.local, seconds=True)} "
                "的同向打卡"
                f"相隔 {gap:.1f} 分钟，在 {ctx.rules.debounce_min} 分钟防重窗口内，合并为一次",
                dropped=p.source_id,
                kept=prev.source_id,
                window_min=str(ctx.rules.debounce_min),
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


def _directions(punches: list[_Seen], ctx: _Ctx) -> list[tuple[_Seen, str]]:
    out: list[tuple[_Seen, str]] = []
    previous = ""
    for p in punches:
        direction = infer_direction(previous, p.direction)
        if not p.direction:
            why = "当天第一次打卡视为进场" if not previous else f"上一条为{_DIRECTION_ZH[previous]}，交替"
            ctx.add(
                "pairing.direction_inferred",
                f"方向推定：{ctx.clock(p.local)} 的打卡方向未知，{why}，视为{_DIRECTION_ZH[direction]}",
                source_id=p.source_id,
                direction=direction,
            )
        out.append((p, direction))
        previous = direction
    return out


def _pair(
    directed: list[tuple[_Seen, str]], ctx: _Ctx
) -> tuple[list[tuple[_Seen, _Seen]], _Seen | None, list[_Seen]]:
    """Closed intervals (entry and exit punch), the punch of a still-open interval, and outs that had no
    in before them."""
    pairs: list[tuple[_Seen, _Seen]] = []
    open_in: _Seen | None = None
    orphans: list[_Seen] = []
    for p, direction in directed:
        if direction == _IN:
            if open_in is None:
                open_in = p
            else:
                ctx.add(
                    "pairing.repeated_in",
                    f"连续进场：保留首次进场 {ctx.clock(open_in.local)}，忽略 {ctx.clock(p.local)} 的进场",
                    kept=open_in.source_id,
                    ignored=p.source_id,
                )
        elif open_in is not None:
            pairs.append((open_in, p))
            open_in = None
        elif pairs:
            start, end = pairs[-1]
            ctx.add(
                "pairing.repeated_out",
                f"连续出场：保留最后一次出场 {ctx.clock(p.local)}，替换 {ctx.clock(end.local)} 的出场",
                kept=p.source_id,
                ignored=end.source_id,
            )
            pairs[-1] = (start, p)
        else:
            orphans.append(p)
            ctx.add(
                "pairing.missing_in",
                f"缺少进场：{ctx.clock(p.local)} 出场之前没有进场记录，无法配对，不计工时",
                source_id=p.source_id,
            )
    for start, end in pairs:
        # The detail keeps each punch's instant as it was given (the texts are in the project's zone).
        ctx.add(
            "pairing.interval",
            f"配对：进场 {ctx.clock(start.local)} — 出场 {ctx.clock(end.local)}",
            start=iso(start.at),
            end=iso(end.at),
        )
    return pairs, open_in, orphans


def _auto_close(open_in: _Seen, ctx: _Ctx) -> Interval | None:
    rules, frame, tz = ctx.rules, ctx.frame, ctx.tz
    start = ctx.clock(open_in.local)
    hours = rules.auto_clock_out_hours()
    if rules.auto_clock_out == "none":
        ctx.add(
            "auto_clock_out.none",
            f"缺少出场：{start} 进场后没有出场打卡，自动出场规则为“不自动出场”，该段不计工时，需补卡",
            source_id=open_in.source_id,
        )
        return None
    if hours is None:  # shift_end
        end = frame.shift_end
        if frame.shift_end_utc <= open_in.utc:
            ctx.add(
                "auto_clock_out.not_applicable",
                f"缺少出场：{start} 进场晚于下班时间 {frame.shift_end_text}，"
                "无法按下班时间自动出场，该段不计工时，需补卡",
                source_id=open_in.source_id,
            )
            return None
        ctx.add(
            "auto_clock_out.shift_end",
            f"自动出场：{start} 进场后没有出场打卡，按规则在下班时间 {frame.shift_end_text} "
            "自动出场（已标记为自动）",
            source_id=open_in.source_id,
            end=end.isoformat(),
        )
    else:
        end = open_in.utc + timedelta(hours=float(hours))
        cap = _utc(frame.closes)
        capped = end > cap
        end = min(end, cap).astimezone(tz)
        ctx.add(
            "auto_clock_out.hours",
            f"自动出场：{start} 进场后没有出场打卡，按规则进场后 {_num(hours)} 小时即 {ctx.clock(end)} "
            f"自动出场{'（以工作日结束时间为限）' if capped else ''}（已标记为自动）",
            source_id=open_in.source_id,
            end=end.isoformat(),
        )
    return _interval(open_in.local, end, open_in.source_id, None, True)


def _break_overlap(start: datetime, end: datetime, window: tuple[datetime, datetime] | None) -> timedelta:
    """How much of the UTC span start–end falls in the unpaid break."""
    if window is None:
        return _NO_TIME
    lo, hi = max(start, window[0]), min(end, window[1])
    return max(hi - lo, _NO_TIME)


_NO_TIME: Final = timedelta(0)
_FRAMES: dict[tuple[date, int, ZoneInfo], tuple[DayRules, _WorkDay]] = {}
_VALID_DIRECTIONS: Final = frozenset((_IN, _OUT, ""))


def compute_day(
    work_date: date,
    punches: Iterable[Punch],
    rules: DayRules,
    tz: ZoneInfo,
    day_kind: DayKind,
) -> DayResult:
    """Derive one worker's ``work_date`` from their punches; same punches in any order, same result."""
    return compute_day_rows(
        work_date,
        [(p.at, p.at.astimezone(tz), p.direction, p.source_id, p.area) for p in punches],
        rules,
        tz,
        day_kind,
    )


def compute_day_rows(
    work_date: date,
    rows: Iterable[tuple[datetime, datetime, str, str, str]],
    rules: DayRules,
    tz: ZoneInfo,
    day_kind: DayKind,
) -> DayResult:
    """:func:`compute_day` for punches given as plain tuples — (instant, the same instant in ``tz``, i.e.
    ``at.astimezone(tz)``, direction, source id, area) — as the DayRecord recomputation holds them after
    working out each punch's work day (a month of days makes no Punch objects). What Punch refuses, this
    refuses too."""
    day = work_date
    known = _FRAMES.get((day, id(rules), tz))
    if known is not None and known[0] is rules:
        frame = known[1]
    else:  # first day under these rules (hashing DayRules, twelve fields, costs more than the lookup)
        frame = _work_day(day, rules, tz)
        if len(_FRAMES) > 4096:
            _FRAMES.clear()
        _FRAMES[(day, id(rules), tz)] = (rules, frame)  # holds the rules, so their id is not reused
    ctx = _Ctx(day, rules, tz, frame)
    ctx.add("day_kind", _DAY_KIND_TEXT[day_kind], kind=day_kind)

    given = 0
    mine: list[_Seen] = []
    opens, closes = frame.opens, frame.closes
    for at, local, direction, source_id, area in rows:
        given += 1
        if at.tzinfo is None or at.utcoffset() is None:
            raise ValueError(f"punch {source_id}: time must be timezone-aware")
        if direction not in _VALID_DIRECTIONS:
            raise ValueError(f"punch {source_id}: unknown direction {direction!r}")
        if opens <= local < closes:  # same zone on both sides: the wall clock decides
            mine.append(_Seen(at, local, direction, source_id, area))
    mine.sort(key=_ORDER)
    if len(mine) < given:
        ctx.add(
            "pairing.other_day",
            f"{given - len(mine)} 条打卡不属于本工作日（工作日从 {rules.work_day_start:%H:%M} 开始），未计入",
            count=str(given - len(mine)),
        )
    areas = tuple(sorted({p.area for p in mine if p.area}))
    source_ids = tuple(sorted({p.source_id for p in mine}))

    kept = _debounce(mine, ctx)
    pairs, open_in, orphans = _pair(_directions(kept, ctx), ctx)
    intervals = [
        _interval(start.local, end.local, start.source_id, end.source_id, False) for start, end in pairs
    ]
    spans = [(start.utc, end.utc) for start, end in pairs]
    auto = False
    missing = bool(orphans)
    still_open = False
    if open_in is not None:
        closed = _auto_close(open_in, ctx)
        if closed is None:
            missing = still_open = True
        else:
            intervals.append(closed)
            spans.append((open_in.utc, _utc(closed.end)))
            auto = True

    # Hours.
    gross = unpaid = _NO_TIME
    for start_utc, end_utc in spans:
        gross += end_utc - start_utc
        unpaid += _break_overlap(start_utc, end_utc, frame.break_window)
    worked, worked_text, _ = _hours_texts(gross - unpaid)
    break_note = f"，扣除休息 {_hours_texts(unpaid)[2]} 小时" if unpaid else ""
    ctx.add(
        "hours.worked",
        f"工时：{len(intervals)} 段在场合计 {_hours_texts(gross)[2]} 小时{break_note}，计 {worked_text} 小时",
        worked_hours=worked_text,
        intervals=str(len(intervals)),
    )
    fatigue = worked > rules.max_day_hours
    if fatigue:
        ctx.add(
            "hours.fatigue",
            f"疲劳：工时 {worked_text} 小时超过每日上限 {frame.max_day_text} 小时",
            worked_hours=worked_text,
            max_day_hours=str(rules.max_day_hours),
        )

    # The first entry (a pair's or a still-open one's) and the last real exit, with their UTC instants.
    first = pairs[0][0] if pairs else open_in
    first_in = first.local if first is not None else None
    last = pairs[-1][1] if pairs else None
    last_out = last.local if last is not None else None

    statuses: set[Status] = set()
    if day_kind in ("workday", "adjusted_workday"):
        overtime_kind: OvertimeKind = "workday"
        # max(worked − full, 0), to the hundredth
        overtime = (worked - rules.full_day_hours).quantize(_CENT) if worked > rules.full_day_hours else _ZERO
        if overtime:
            ctx.add(
                "overtime.workday",
                f"加班：工时 {worked_text} 小时超出全天标准 {frame.full_day_text} 小时，"
                f"工作日加班 {overtime} 小时（{OVERTIME_RATE_PERCENT['workday']}%）",
                overtime_hours=str(overtime),
            )
        else:
            ctx.add(
                "overtime.none",
                f"无加班：工时 {worked_text} 小时未超出全天标准 {frame.full_day_text} 小时",
            )
        statuses |= _workday_statuses(
            ctx,
            mine,
            intervals,
            first,
            last,
            worked,
            worked_text,
            missing=missing,
            still_open=still_open,
        )
    else:
        overtime = worked
        overtime_kind = "holiday" if day_kind == "holiday" else "rest_day"
        label = "法定节假日" if day_kind == "holiday" else "休息日"
        rate = OVERTIME_RATE_PERCENT[overtime_kind]
        note = "" if day_kind == "holiday" else "，未安排补休时"
        ctx.add(
            f"overtime.{overtime_kind}",
            f"加班：{label}出勤，全部 {worked_text} 小时计为{label}加班（{rate}%{note}）",
            overtime_hours=worked_text,
        )
        status: Status = "holiday" if day_kind == "holiday" else "rest_day"
        statuses.add(status)
        ctx.add(f"status.{status}", f"{label}：{_DAY_KIND_ZH[day_kind]}，不考核迟到、早退和缺勤")
        if missing:
            statuses.add("missing_punch")
            ctx.add("status.missing_punch", "缺卡：有未能配对的打卡，见配对说明，需补卡")

    return _day_result(
        work_date=day,
        day_kind=day_kind,
        first_in=first_in,
        last_out=last_out,
        intervals=tuple(intervals),
        worked_hours=worked,
        overtime_hours=overtime,
        overtime_kind=overtime_kind,
        areas=areas,
        statuses=tuple(statuses) if len(statuses) == 1 else tuple(s for s in STATUS_ORDER if s in statuses),
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
_DAY_KIND_TEXT: Final[dict[str, str]] = {kind: f"日期类型：{text}" for kind, text in _DAY_KIND_ZH.items()}


def _workday_statuses(
    ctx: _Ctx,
    mine: list[_Seen],
    intervals: list[Interval],
    first: _Seen | None,
    last: _Seen | None,
    worked: Decimal,
    worked_text: str,
    *,
    missing: bool,
    still_open: bool,
) -> set[Status]:
    """``first``: the first entry; ``last``: the last real exit (not an auto clock-out)."""
    rules, frame = ctx.rules, ctx.frame
    statuses: set[Status] = set()
    if not mine:
        ctx.add("status.absent", "缺勤：工作日没有任何打卡记录")
        return {"absent"}
    if missing:
        statuses.add("missing_punch")
        ctx.add("status.missing_punch", "缺卡：有未能配对的打卡，见配对说明，需补卡")

    final = intervals[-1] if intervals else None
    # Early leave needs a real final exit: not an auto one, and no re-entry left open after it.
    early = (
        final is not None
        and not final.auto
        and not still_open
        and last is not None
        and last.utc < frame.earliest_out_utc
    )

    if worked < rules.half_day_hours and not missing:
        ctx.add(
            "status.absent",
            f"缺勤：工时 {worked_text} 小时，不足半天标准 {frame.half_day_text} 小时",
            worked_hours=worked_text,
        )
        return {"absent"}
    if first is not None and first.utc > frame.latest_in_utc:
        statuses.add("late")
        ctx.add(
            "status.late",
            f"迟到：首次进场 {ctx.clock(first.local)}，晚于上班时间 {frame.shift_start_text}"
            f" + 宽限 {rules.late_grace_min} 分钟",
            first_in=iso(first.local),
            minutes_late=str(int((first.utc - frame.shift_start_utc).total_seconds() // 60)),
        )
    if early and last is not None:
        statuses.add("early_leave")
        ctx.add(
            "status.early_leave",
            f"早退：最后出场 {ctx.clock(last.local)}，早于下班时间 {frame.shift_end_text}"
            f" − 宽限 {rules.early_grace_min} 分钟",
            last_out=iso(last.local),
            minutes_early=str(int((frame.shift_end_utc - last.utc).total_seconds() // 60)),
        )
    if rules.half_day_hours <= worked < rules.full_day_hours:
        statuses.add("half_day")
        ctx.add(
            "status.half_day",
            f"半天：工时 {worked_text} 小时，不足全天标准 {frame.full_day_text} 小时，"
            f"达到半天标准 {frame.half_day_text} 小时",
            worked_hours=worked_text,
        )
    if not statuses:
        statuses.add("present")
        in_text = (
            f"首次进场 {ctx.clock(first.local)} 不晚于上班时间 {frame.shift_start_text}"
            f" + 宽限 {rules.late_grace_min} 分钟，"
            if first is not None
            else ""
        )
        ctx.add(
            "status.present",
            f"出勤：{in_text}工时 {worked_text} 小时达到全天标准 {frame.full_day_text} 小时",
            worked_hours=worked_text,
        )
    return statuses
