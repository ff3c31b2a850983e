"""Reading DayRecords for people: a project's day list, one day explained, and the monthly attendance
sheet (考勤表) of a team.

The sheet is built here once, as plain data (dataclasses), and the page, the print view and the Excel
export (:mod:`realname.attendance.monthly_excel`) all render the same :class:`MonthlySheet`. Building it
costs a fixed number of queries whatever the team's size: the employments (scoped), their DayRecords of
the month, the team's rules and the holiday calendar's overrides.

What a cell says (one symbol per worker and day, :data:`LEGEND`):

* blank: not employed that day (before entry, after exit); "—": employed, no DayRecord yet (today, or the
  nightly close has not run);
* rest days and holidays: 休 / 节 when not worked, 加 when worked (all hours there are overtime);
* workdays: × absent, 缺 missing punch (needs a 补卡), 半 half day, 迟 late, 早 early leave, 迟早 both,
  √ present.

Attendance days (出勤天数): 1 for a present / late / early-leave day, 0.5 for a half day, 0 for an absence.
Where the statuses do not say (a missing punch, work on a rest day or holiday) the paired hours decide with
the team's rules: at least the full-day hours → 1, at least the half-day hours → 0.5, else 0.
"""

from __future__ import annotations

import calendar as pycalendar
import datetime as dt
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import TYPE_CHECKING, Any, Final
from uuid import UUID
from zoneinfo import ZoneInfo

from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from realname.accounts.roles import Perm
from realname.accounts.scope import restrict
from realname.attendance import daycalc
from realname.attendance.days import DEFAULT_DAY_RULES, DayRecord
from realname.attendance.models import AccessEvent
from realname.attendance.rules import DayRules
from realname.orgs.models import Project, Team
from realname.workers.models import Employment
from realname.workers.selectors import on_site_between

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

ZERO: Final = Decimal("0.00")
ONE: Final = Decimal(1)
HALF: Final = Decimal("0.5")

# Status code → (Chinese label, badge class) for lists and the detail page.
STATUS_LABELS: Final[dict[str, tuple[StrOrPromise, str]]] = {
    "present": (_("出勤"), "ok"),
    "late": (_("迟到"), "warn"),
    "early_leave": (_("早退"), "warn"),
    "half_day": (_("半天"), "warn"),
    "absent": (_("缺勤"), "bad"),
    "missing_punch": (_("缺卡"), "bad"),
    "rest_day": (_("休息日"), ""),
    "holiday": (_("节假日"), ""),
}

DAY_KIND_LABELS: Final[dict[str, StrOrPromise]] = {
    "workday": _("工作日"),
    "weekend": _("周末休息日"),
    "holiday": _("法定节假日"),
    "in_lieu_rest": _("调休休息日"),
    "adjusted_workday": _("调休上班日"),
}

SYMBOL_PRESENT: Final = "√"
SYMBOL_LATE: Final = "迟"
SYMBOL_EARLY: Final = "早"
SYMBOL_HALF: Final = "半"
SYMBOL_ABSENT: Final = "×"
SYMBOL_MISSING: Final = "缺"
SYMBOL_REST: Final = "休"
SYMBOL_HOLIDAY: Final = "节"
SYMBOL_REST_WORKED: Final = "加"
SYMBOL_NOT_COMPUTED: Final = "—"
SYMBOL_NOT_EMPLOYED: Final = ""

LEGEND: Final[tuple[tuple[str, StrOrPromise], ...]] = (
    (SYMBOL_PRESENT, _("出勤（全天，计 1 天）")),
    (SYMBOL_LATE, _("迟到（计 1 天）")),
    (SYMBOL_EARLY, _("早退（计 1 天）")),
    (SYMBOL_LATE + SYMBOL_EARLY, _("迟到且早退（计 1 天）")),
    (SYMBOL_HALF, _("半天（计 0.5 天）")),
    (SYMBOL_ABSENT, _("缺勤（计 0 天）")),
    (SYMBOL_MISSING, _("缺卡，需补卡（按已配对工时计天数）")),
    (SYMBOL_REST, _("休息日未出勤")),
    (SYMBOL_HOLIDAY, _("法定节假日未出勤")),
    (SYMBOL_REST_WORKED, _("休息日或节假日出勤，工时全部计加班（按工时计天数）")),
    (SYMBOL_NOT_COMPUTED, _("在场，尚未生成日考勤")),
    ("", _("空白：未在场（进场前或退场后）")),
)

_WEEKDAYS_ZH: Final = "一二三四五六日"
# Short mark of a day's kind in the sheet's header ("" for an ordinary workday).
_KIND_MARK: Final[dict[str, str]] = {
    "workday": "",
    "adjusted_workday": "班",
    "weekend": "休",
    "in_lieu_rest": "休",
    "holiday": "节",
}
_MONTH_RE: Final = re.compile(r"^(\d{4})-(\d{1,2})$")


# --- months --------------------------------------------------------------------------------------------


def parse_month(text: str) -> dt.date:
    """The first day of the month written "YYYY-MM"; ValueError for anything else."""
    found = _MONTH_RE.match(text.strip())
    if found is None:
        raise ValueError(f"not a month (YYYY-MM): {text!r}")
    year, month = int(found.group(1)), int(found.group(2))
    if not (2000 <= year <= 2100 and 1 <= month <= 12):
        raise ValueError(f"month out of range: {text!r}")
    return dt.date(year, month, 1)


def month_end(first: dt.date) -> dt.date:
    return first.replace(day=pycalendar.monthrange(first.year, first.month)[1])


def shift_month(first: dt.date, months: int) -> dt.date:
    index = first.year * 12 + first.month - 1 + months
    return dt.date(index // 12, index % 12 + 1, 1)


def local_today(project: Project, *, now: dt.datetime | None = None) -> dt.date:
    """Today's calendar date in the project's time zone."""
    return (now or timezone.now()).astimezone(ZoneInfo(project.time_zone)).date()


# --- the day list and one day ---------------------------------------------------------------------------


def list_day_records(
    user: Any,
    *,
    project: Project,
    work_date: dt.date,
    team: Team | None = None,
    status: str = "",
    name: str = "",
) -> QuerySet[DayRecord]:
    """The DayRecords of one project and work day that ``user`` may see, filtered, ready for a list page
    (worker, team and employment joined in the same query)."""
    qs = DayRecord.objects.filter(project=project, work_date=work_date)
    if team is not None:
        qs = qs.filter(employment__team=team)
    if status:
        # statuses is a JSON list of codes; no code is part of another once quoted, and this text match
        # works the same on SQLite and PostgreSQL (JSON "contains" does not exist on SQLite).
        qs = qs.filter(statuses__icontains=f'"{status}"')
    if name.strip():
        qs = qs.filter(worker__name__icontains=name.strip())
    qs = restrict(qs, user, Perm.ATTENDANCE_VIEW)
    return qs.select_related("worker", "employment__team").order_by(
        "employment__team__name", "worker__name", "pk"
    )


def get_day_record(user: Any, *, employment_id: UUID, work_date: dt.date) -> DayRecord | None:
    """One employment's DayRecord of one work day if ``user`` may see it (None: missing or out of scope)."""
    qs = DayRecord.objects.filter(employment__public_id=employment_id, work_date=work_date)
    return (
        restrict(qs, user, Perm.ATTENDANCE_VIEW)
        .select_related("worker", "project", "employment__team", "employment__participant__company")
        .first()
    )


@dataclass(frozen=True)
class Punch:
    """A source punch of a day as the detail page lists it: the event, and whether a pairing used it."""

    event: AccessEvent
    local: dt.datetime
    paired: bool


def day_punches(user: Any, record: DayRecord) -> list[Punch]:
    """The punches a DayRecord was computed from (its event_ids), oldest first, in the project's zone."""
    tz = ZoneInfo(record.project.time_zone)
    used = {iv.get("in") for iv in record.intervals} | {iv.get("out") for iv in record.intervals}
    events = restrict(
        AccessEvent.objects.filter(public_id__in=list(record.event_ids)), user, Perm.ATTENDANCE_VIEW
    ).select_related("device")
    return [
        Punch(event=event, local=event.occurred_at.astimezone(tz), paired=str(event.public_id) in used)
        for event in events.order_by("occurred_at", "id")
    ]


@dataclass(frozen=True)
class Span:
    """One paired interval of a day, for display: start and end in the project's zone."""

    start: dt.datetime
    end: dt.datetime
    auto: bool

    @property
    def hours(self) -> Decimal:
        return (Decimal((self.end - self.start).total_seconds()) / 3600).quantize(Decimal("0.01"))


def day_spans(record: DayRecord) -> list[Span]:
    tz = ZoneInfo(record.project.time_zone)
    return [
        Span(
            start=dt.datetime.fromisoformat(iv["start"]).astimezone(tz),
            end=dt.datetime.fromisoformat(iv["end"]).astimezone(tz),
            auto=bool(iv.get("auto")),
        )
        for iv in record.intervals
    ]


@dataclass(frozen=True)
class StatusExplained:
    code: str
    label: StrOrPromise
    badge: str
    messages: tuple[str, ...]


def explain_statuses(record: DayRecord) -> list[StatusExplained]:
    """Each status of the day with the reason messages (``status.<code>``) that decided it."""
    out = []
    for code in record.statuses:
        label, badge = STATUS_LABELS.get(code, (code, ""))
        messages = tuple(
            str(r.get("message", "")) for r in record.reasons if r.get("code") == f"status.{code}"
        )
        out.append(StatusExplained(code, label, badge, messages))
    return out


# --- the monthly sheet ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class SheetDay:
    """One column of the sheet: a date, its kind in the holiday calendar and its name."""

    date: dt.date
    kind: str
    name: str

    @property
    def weekday(self) -> str:
        return _WEEKDAYS_ZH[self.date.weekday()]

    @property
    def mark(self) -> str:
        return _KIND_MARK.get(self.kind, "")

    @property
    def is_rest(self) -> bool:
        return self.kind in ("weekend", "in_lieu_rest", "holiday")


@dataclass(frozen=True)
class Cell:
    """One worker's day in the sheet: the symbol, the attendance credit and hours behind it."""

    date: dt.date
    symbol: str
    credit: Decimal = ZERO
    hours: Decimal = ZERO
    overtime: Decimal = ZERO
    overtime_kind: str = ""
    statuses: tuple[str, ...] = ()
    employed: bool = True
    computed: bool = False


@dataclass
class Totals:
    """Sums over a worker's month (or over everybody's): days, hours, overtime by kind, incidents."""

    attendance_days: Decimal = ZERO
    hours: Decimal = ZERO
    overtime_workday: Decimal = ZERO
    overtime_rest_day: Decimal = ZERO
    overtime_holiday: Decimal = ZERO
    late: int = 0
    early: int = 0
    absent: int = 0
    missing: int = 0

    def add(self, other: Totals) -> None:
        self.attendance_days += other.attendance_days
        self.hours += other.hours
        self.overtime_workday += other.overtime_workday
        self.overtime_rest_day += other.overtime_rest_day
        self.overtime_holiday += other.overtime_holiday
        self.late += other.late
        self.early += other.early
        self.absent += other.absent
        self.missing += other.missing

    @property
    def days_text(self) -> str:
        """Attendance days without trailing zeros: "21", "20.5"."""
        return format(self.attendance_days.normalize(), "f")

    @property
    def overtime(self) -> Decimal:
        return self.overtime_workday + self.overtime_rest_day + self.overtime_holiday


@dataclass(frozen=True)
class SheetRow:
    """One employment on the sheet: who, their cells day by day, their totals."""

    number: int
    employment_id: UUID
    worker_name: str
    trade: str
    entry_date: dt.date
    exit_date: dt.date | None
    cells: tuple[Cell, ...]
    totals: Totals
    note: str = ""  # entry or exit inside the month, e.g. "05-11 进场，05-20 退场"


@dataclass(frozen=True)
class MonthlySheet:
    """The monthly attendance sheet (考勤表) of one team: days × workers, totals, legend."""

    project_code: str
    project_name: str
    team_name: str
    company_name: str
    leader_name: str
    month: dt.date  # the first day
    days: tuple[SheetDay, ...]
    rows: tuple[SheetRow, ...]
    headcount: tuple[int, ...]  # per day: workers with attendance (credit > 0)
    totals: Totals
    full_day_hours: Decimal
    half_day_hours: Decimal
    generated_at: dt.datetime
    legend: tuple[tuple[str, StrOrPromise], ...] = field(default=LEGEND)

    @property
    def month_label(self) -> str:
        return f"{self.month.year}年{self.month.month:02d}月"

    @property
    def month_param(self) -> str:
        return f"{self.month:%Y-%m}"

    @property
    def title(self) -> str:
        return f"{self.project_name} {self.team_name} {self.month_label} 考勤表"


def day_credit(statuses: Sequence[str], hours: Decimal, rules: DayRules) -> Decimal:
    """Attendance days a DayRecord counts for (see the module docstring)."""
    found = set(statuses)
    if "absent" in found:
        return ZERO
    if "half_day" in found:
        return HALF
    if found & {"missing_punch", "rest_day", "holiday"}:
        if hours >= rules.full_day_hours:
            return ONE
        if hours >= rules.half_day_hours:
            return HALF
        return ZERO
    return ONE


def day_symbol(statuses: Sequence[str], hours: Decimal) -> str:
    """The sheet symbol of a DayRecord's statuses (see :data:`LEGEND`)."""
    found = set(statuses)
    if "absent" in found:
        return SYMBOL_ABSENT
    if "missing_punch" in found:
        return SYMBOL_MISSING
    if found & {"rest_day", "holiday"}:
        if hours > 0:
            return SYMBOL_REST_WORKED
        return SYMBOL_HOLIDAY if "holiday" in found else SYMBOL_REST
    if "half_day" in found:
        return SYMBOL_HALF
    symbol = (SYMBOL_LATE if "late" in found else "") + (SYMBOL_EARLY if "early_leave" in found else "")
    return symbol or SYMBOL_PRESENT


def _cell(day: dt.date, record: DayRecord | None, *, employed: bool, rules: DayRules) -> Cell:
    if record is not None and not employed and not record.event_ids:
        # Outside the employment a day without punches (a bulk recompute's absence or rest day) means
        # nothing; punches there (an exited worker still at the gate) are facts and stay visible.
        record = None
    if record is None:
        return Cell(day, SYMBOL_NOT_COMPUTED if employed else SYMBOL_NOT_EMPLOYED, employed=employed)
    hours = Decimal(record.hours)
    statuses = tuple(record.statuses)
    return Cell(
        date=day,
        symbol=day_symbol(statuses, hours),
        credit=day_credit(statuses, hours, rules),
        hours=hours,
        overtime=Decimal(record.overtime_hours),
        overtime_kind=record.overtime_kind,
        statuses=statuses,
        employed=employed,
        computed=True,
    )


def _totals(cells: Iterable[Cell]) -> Totals:
    totals = Totals()
    for cell in cells:
        if not cell.computed:
            continue
        statuses = set(cell.statuses)
        totals.attendance_days += cell.credit
        totals.hours += cell.hours
        if cell.overtime_kind == "holiday":
            totals.overtime_holiday += cell.overtime
        elif cell.overtime_kind == "rest_day":
            totals.overtime_rest_day += cell.overtime
        else:
            totals.overtime_workday += cell.overtime
        totals.late += "late" in statuses
        totals.early += "early_leave" in statuses
        totals.absent += "absent" in statuses
        totals.missing += "missing_punch" in statuses
    return totals


def sheet_employments(
    user: Any, *, team: Team, month: dt.date, perm: str = Perm.ATTENDANCE_VIEW
) -> QuerySet[Employment]:
    """The team's employments overlapping the month that ``user`` may ``perm`` (a worker: their own)."""
    last = month_end(month)
    qs = Employment.objects.filter(on_site_between(month, last), team=team)
    return restrict(qs, user, perm).select_related("worker").order_by("entry_date", "pk")


def build_sheet(
    user: Any, *, team: Team, month: dt.date, perm: str = Perm.ATTENDANCE_VIEW, now: dt.datetime | None = None
) -> MonthlySheet:
    """The monthly sheet of ``team`` for the month starting ``month``, with the rows ``user`` may see.

    ``team`` should come with ``project``, ``participant__company`` and ``leader`` loaded (else they cost
    a query each). Queries: employments, DayRecords, rules, holiday overrides — whatever the team's size.
    """
    first, last = month, month_end(month)
    dates = [first + dt.timedelta(days=n) for n in range((last - first).days + 1)]
    employments = sorted(sheet_employments(user, team=team, month=month, perm=perm), key=_row_order)
    rules = daycalc.rules_for(employments[0]) if employments else DEFAULT_DAY_RULES
    calendar = daycalc.holiday_calendar()
    days = tuple(SheetDay(day, calendar.kind(day), calendar.name(day)) for day in dates)

    by_employment: dict[int, dict[dt.date, DayRecord]] = {e.pk: {} for e in employments}
    if employments:
        records = DayRecord.objects.filter(
            employment_id__in=list(by_employment), work_date__gte=first, work_date__lte=last
        ).only(
            "employment_id", "work_date", "statuses", "hours", "overtime_hours", "overtime_kind", "event_ids"
        )
        for record in records:
            by_employment[record.employment_id][record.work_date] = record

    rows: list[SheetRow] = []
    headcount = [0] * len(dates)
    grand = Totals()
    for number, employment in enumerate(employments, start=1):
        mine = by_employment[employment.pk]
        cells = tuple(
            _cell(
                day,
                mine.get(day),
                employed=employment.entry_date <= day
                and (employment.exit_date is None or day <= employment.exit_date),
                rules=rules,
            )
            for day in dates
        )
        for index, cell in enumerate(cells):
            if cell.credit > 0:
                headcount[index] += 1
        totals = _totals(cells)
        grand.add(totals)
        rows.append(
            SheetRow(
                number=number,
                employment_id=employment.public_id,
                worker_name=employment.worker.name,
                trade=str(employment.get_trade_display()),
                entry_date=employment.entry_date,
                exit_date=employment.exit_date,
                cells=cells,
                totals=totals,
                note=_row_note(employment, first, last),
            )
        )
    project = team.project
    leader = team.leader
    return MonthlySheet(
        project_code=project.code,
        project_name=project.name,
        team_name=team.name,
        company_name=team.participant.company.name,
        leader_name=leader.name if leader is not None else "",
        month=first,
        days=days,
        rows=tuple(rows),
        headcount=tuple(headcount),
        totals=grand,
        full_day_hours=rules.full_day_hours,
        half_day_hours=rules.half_day_hours,
        generated_at=(now or timezone.now()).astimezone(ZoneInfo(project.time_zone)),
    )


def _row_note(employment: Employment, first: dt.date, last: dt.date) -> str:
    parts = []
    if first < employment.entry_date <= last:
        parts.append(gettext("%(date)s 进场") % {"date": f"{employment.entry_date:%m-%d}"})
    if employment.exit_date is not None and first <= employment.exit_date <= last:
        parts.append(gettext("%(date)s 退场") % {"date": f"{employment.exit_date:%m-%d}"})
    return "，".join(parts)


def _row_order(employment: Employment) -> tuple[dt.date, str, int]:
    return (employment.entry_date, employment.worker.name, employment.pk)
