"""Keeping DayRecords in step with the punches: the glue between the event table and the pure rules.

Every write here is a recomputation: load the punches of the work days asked for, run
:func:`realname.attendance.rules.compute_day` with the employment's rules (team rules win over the
project's, which win over the platform defaults) and the holiday calendar, and upsert the result.

* **Idempotent.** A day whose computed result equals the stored row is not written at all (its
  ``computed_at`` does not move), so recomputing the same input twice writes nothing.
* **Exact.** Late-arriving events (offline gates, replays) recompute only the work days they fall in:
  :func:`recompute_for_events` groups them by (employment, work day).
* **Bounded.** A batch costs a fixed number of queries (project, rules, holiday overrides, employment
  locks, events, existing rows, one upsert; on PostgreSQL new days go by one COPY that is fed while the
  days are computed), whatever the number of events or days.
* **Serialised per employment.** The employments' rows are locked (``SELECT … FOR UPDATE``) before the
  events are read, so a nightly close and an ingest touching the same person take turns and the later one
  sees the earlier one's punches.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from functools import lru_cache
from typing import TYPE_CHECKING, Any, cast
from zoneinfo import ZoneInfo

import orjson
from django.db import connection, transaction
from django.db.models import CharField, Q
from django.db.models.functions import Cast
from django.utils import timezone
from psycopg.types.datetime import TimestamptzLoader

from realname.attendance import rules as day_rules
from realname.attendance.calendar import HolidayCalendar
from realname.attendance.days import (
    DEFAULT_DAY_RULES,
    AttendanceRules,
    DayQueue,
    DayRecord,
    HolidayOverride,
)
from realname.attendance.models import AccessEvent
from realname.core.bulk import streamed_insert, upsert_rows
from realname.core.services import create_row, update_row
from realname.orgs.models import Project, Team
from realname.workers.models import Employment
from realname.workers.selectors import on_site_between

if TYPE_CHECKING:
    from realname.attendance.calendar import DayKind

# Fields of a DayRecord that the computation decides (compared to tell whether a day changed).
COMPUTED_FIELDS: tuple[str, ...] = (
    "project_id",
    "worker_id",
    "day_kind",
    "first_in",
    "last_out",
    "intervals",
    "hours",
    "overtime_hours",
    "overtime_kind",
    "areas",
    "statuses",
    "reasons",
    "auto_clock_out",
    "fatigue",
    "event_ids",
)
_UPSERT_FIELDS: list[str] = [*COMPUTED_FIELDS, "computed_at"]
_EMPLOYMENT_CHUNK = 500


@dataclass(frozen=True)
class RecomputeResult:
    """What a recomputation did: rows created, rows changed, and days that came out as already stored."""

    created: int = 0
    updated: int = 0
    unchanged: int = 0

    def __add__(self, other: RecomputeResult) -> RecomputeResult:
        return RecomputeResult(
            self.created + other.created, self.updated + other.updated, self.unchanged + other.unchanged
        )

    @property
    def written(self) -> int:
        return self.created + self.updated


# --- rules and calendar ---------------------------------------------------------------------------------


class RuleBook:
    """The attendance rules of one project and its teams, loaded in one query."""

    def __init__(self, project: Project | int) -> None:
        project_id = project if isinstance(project, int) else project.pk
        self._project: day_rules.DayRules = DEFAULT_DAY_RULES
        self._teams: dict[int, day_rules.DayRules] = {}
        for row in AttendanceRules.objects.filter(project_id=project_id):
            if row.team_id is None:
                self._project = row.to_day_rules()
            else:
                self._teams[row.team_id] = row.to_day_rules()

    def for_team(self, team_id: int | None) -> day_rules.DayRules:
        if team_id is not None and team_id in self._teams:
            return self._teams[team_id]
        return self._project


def rules_for(employment: Employment) -> day_rules.DayRules:
    """The rules that apply to an employment: its team's, else its project's, else the platform defaults."""
    return RuleBook(employment.project_id).for_team(employment.team_id)


def holiday_calendar() -> HolidayCalendar:
    """The holiday calendar with every override stored as data (one query; build one per request/batch)."""
    overrides: dict[dt.date, tuple[DayKind, str]] = {
        row.date: (row.kind, row.name)  # type: ignore[misc]  # kind is a DayKind by its choices
        for row in HolidayOverride.objects.all()
    }
    return HolidayCalendar(overrides)


# --- computing and storing ------------------------------------------------------------------------------


def _payload(result: day_rules.DayResult, employment: Employment) -> dict[str, Any]:
    """A DayResult as DayRecord field values (in COMPUTED_FIELDS order), in the plain JSON shapes the
    database gives back."""
    return {
        "project_id": employment.project_id,
        "worker_id": employment.worker_id,
        "day_kind": result.day_kind,
        "first_in": result.first_in,
        "last_out": result.last_out,
        "intervals": [
            {
                "start": iv.start.isoformat(),
                "end": iv.end.isoformat(),
                "in": iv.in_source_id,
                "out": iv.out_source_id,
                "auto": iv.auto,
            }
            for iv in result.intervals
        ],
        "hours": result.worked_hours,
        "overtime_hours": result.overtime_hours,
        "overtime_kind": result.overtime_kind,
        "areas": list(result.areas),
        "statuses": list(result.statuses),
        "reasons": [{"code": r.code, "message": r.message_zh, "detail": r.detail} for r in result.reasons],
        "auto_clock_out": result.auto_clock_out,
        "fatigue": result.fatigue,
        "event_ids": list(result.source_ids),
    }


def _same(value: Any, stored: Any) -> bool:
    if isinstance(value, Decimal) and stored is not None:
        return value == Decimal(stored)
    return bool(value == stored)


# A new DayRecord's columns in the order _new_row gives them: the key and the computed fields (the time,
# the same on every row of a batch, is given once: streamed_insert's same).
_NEW_FIELDS: tuple[str, ...] = ("employment_id", "work_date", *COMPUTED_FIELDS)
# The JSON columns, which a new row gives as JSON text (streamed_insert's json_text).
_JSON_COLUMNS: tuple[str, ...] = ("intervals", "areas", "statuses", "reasons", "event_ids")


def _json(value: list[Any] | tuple[Any, ...]) -> str:
    """JSON text for a new row's JSON column. jsonb keeps no formatting, so the text only has to be JSON:
    orjson writes it compact, with the Chinese reasons as UTF-8 (half the bytes of \\u escapes for the
    server to read), and a day's intervals and reasons, dicts included, take about 9 µs instead of 19 µs
    with the standard library's C encoder (docs/dependencies.md)."""
    return orjson.dumps(value).decode()


def _new_row(
    employment: Employment,
    day: dt.date,
    result: day_rules.DayResult,
    *,
    as_text: bool,
) -> tuple[Any, ...]:
    """A new DayRecord as streamed_insert takes it: the columns of _NEW_FIELDS, JSON columns as JSON text
    (the same values _payload gives).

    With ``as_text`` (PostgreSQL, whose COPY reads every value as text anyway) the date, the instants and
    the hours go as their ISO-8601 / decimal text too: the texts the intervals quote are reused for the
    first entry and last exit, and the driver's datetime adaptation, about 3 µs a value, is skipped."""
    intervals = result.intervals
    texts = [(day_rules.iso(iv.start), day_rules.iso(iv.end)) for iv in intervals]
    first_in: Any = result.first_in
    last_out: Any = result.last_out
    hours: Any = result.worked_hours
    overtime: Any = result.overtime_hours
    if as_text:
        day_text: Any = _date_text(day)
        if first_in is not None:
            first_in = _instant_text(first_in, intervals, texts)
        if last_out is not None:
            last_out = _instant_text(last_out, intervals, texts)
        hours, overtime = str(hours), str(overtime)
    else:
        day_text = day
    return (
        employment.pk,
        day_text,
        employment.project_id,
        employment.worker_id,
        result.day_kind,
        first_in,
        last_out,
        _json(
            [
                {"start": start, "end": end, "in": iv.in_source_id, "out": iv.out_source_id, "auto": iv.auto}
                for (start, end), iv in zip(texts, intervals, strict=True)
            ]
        ),
        hours,
        overtime,
        result.overtime_kind,
        _json(result.areas),
        _json(result.statuses),
        _json([{"code": r.code, "message": r.message_zh, "detail": r.detail} for r in result.reasons]),
        result.auto_clock_out,
        result.fatigue,
        _json(result.source_ids),
    )


def _instant_text(
    at: dt.datetime, intervals: Sequence[day_rules.Interval], texts: Sequence[tuple[str, str]]
) -> str:
    """``at.isoformat()``, taken from the intervals' texts when ``at`` is one of their ends (the first
    entry and the last exit always are, but for an entry left open with no auto clock-out)."""
    for iv, (start, end) in zip(intervals, texts, strict=True):
        if iv.start is at:
            return start
        if iv.end is at:
            return end
    return day_rules.iso(at)


@lru_cache(maxsize=1024)
def _date_text(day: dt.date) -> str:
    return day.isoformat()


def _windows(dates: Iterable[dt.date], tz: ZoneInfo) -> Q:
    """Instants that can belong to these work days: each date ±1 day (any work-day start), merged."""
    spans: list[tuple[dt.date, dt.date]] = []
    for day in sorted(set(dates)):
        lo, hi = day - dt.timedelta(days=1), day + dt.timedelta(days=2)
        if spans and lo <= spans[-1][1]:
            spans[-1] = (spans[-1][0], max(hi, spans[-1][1]))
        else:
            spans.append((lo, hi))
    q = Q()
    for lo, hi in spans:
        q |= Q(
            occurred_at__gte=dt.datetime.combine(lo, dt.time(0), tzinfo=tz),
            occurred_at__lt=dt.datetime.combine(hi, dt.time(0), tzinfo=tz),
        )
    return q


def _events(
    employment_ids: list[int], dates: Iterable[dt.date], tz: ZoneInfo
) -> Iterable[tuple[int, Any, dt.datetime, str, str]]:
    """(employment id, public id, instant, direction, area) of every event that can fall on ``dates``."""
    postgres = connection.vendor == "postgresql"
    rows = (
        AccessEvent.objects.filter(_windows(dates, tz), employment_id__in=employment_ids)
        .order_by()
        .values_list(
            "employment_id",
            Cast("public_id", CharField()) if postgres else "public_id",
            "occurred_at",
            "direction",
            "device__area",
        )
    )
    if not postgres:
        return rows
    # Django reads timestamptz with a Python subclass of psycopg's loader (to give values the connection's
    # zone, which psycopg's own loader takes from the same session setting): about 10 µs a value, more than
    # the rest of an event. The same query through psycopg's compiled loader gives the same datetimes.
    sql, params = rows.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.cursor.adapters.register_loader("timestamptz", TimestamptzLoader)
        cursor.execute(sql, params)
        return cast(list[tuple[int, Any, dt.datetime, str, str]], cursor.fetchall())


def _employed_on(employment: Employment, day: dt.date) -> bool:
    return employment.entry_date <= day and (employment.exit_date is None or day <= employment.exit_date)


def _unchanged(values: Mapping[str, Any], stored: Sequence[Any]) -> bool:
    """Whether computed ``values`` equal a stored row's (its pk, then COMPUTED_FIELDS)."""
    return all(_same(values[name], old) for name, old in zip(COMPUTED_FIELDS, stored[1:], strict=True))


def _recompute_chunk(
    project: Project,
    wanted: Mapping[int, set[dt.date]],
    book: RuleBook,
    calendar: HolidayCalendar,
    now: dt.datetime,
) -> RecomputeResult:
    tz = ZoneInfo(project.time_zone)
    employments = {
        e.pk: e
        for e in Employment.objects.select_for_update().filter(pk__in=wanted, project=project).order_by("pk")
    }
    all_dates = set().union(*wanted.values()) if wanted else set()
    # Punches stay plain tuples until their day is computed: a chunk holds hundreds of thousands, and as
    # objects the garbage collector would walk them again and again.
    # Each is (instant, local time, direction, public id, area): compute_day_rows' rows.
    rules_of = {pk: book.for_team(employment.team_id) for pk, employment in employments.items()}
    events: dict[tuple[int, dt.date], list[tuple[dt.datetime, dt.datetime, str, str, str]]] = defaultdict(
        list
    )
    for employment_id, public_id, occurred_at, direction, area in _events(list(employments), all_dates, tz):
        local = occurred_at.astimezone(tz)
        day = day_rules.local_work_date(local, rules_of[employment_id])
        if day in wanted[employment_id]:
            events[(employment_id, day)].append((occurred_at, local, direction, str(public_id), area))

    stored = {
        (employment_id, work_date): (pk, *values)
        for employment_id, work_date, pk, *values in DayRecord.objects.filter(
            employment_id__in=list(employments), work_date__in=all_dates
        ).values_list("employment_id", "work_date", "pk", *COMPUTED_FIELDS)
    }
    kinds = {day: calendar.kind(day) for day in all_dates}
    upserts: list[dict[str, Any]] = []
    stale: list[int] = []
    created = updated = unchanged = 0
    # Days with no stored row go straight into a streamed insert (a COPY on PostgreSQL), each as soon as
    # it is computed, so the server stores it while the next days are worked out. They are known to be
    # new: the chunk holds the lock of every employment it writes for and read their stored rows after
    # taking it, and every writer of DayRecords takes that lock first (the unique constraint would refuse
    # a duplicate all the same). upsert_rows would route them through ON CONFLICT after the whole chunk,
    # and adapt each value as the Django field does: for a month of days, as much work as computing them.
    as_text = connection.vendor == "postgresql"
    with streamed_insert(
        DayRecord, _NEW_FIELDS, json_text=_JSON_COLUMNS, same={"computed_at": now}
    ) as copy_new:
        for employment_id, employment in employments.items():
            rules = rules_of[employment_id]
            for day in sorted(wanted[employment_id]):
                day_events = events.get((employment_id, day), ())
                existing = stored.get((employment_id, day))
                if not day_events and not _employed_on(employment, day):
                    # Before entry or after exit, and no punch: no record (not even "absent"); one left
                    # from before the dates changed goes.
                    if existing is not None:
                        stale.append(existing[0])
                    continue
                result = day_rules.compute_day_rows(day, day_events, rules, tz, kinds[day])
                if existing is None:
                    created += 1
                    copy_new(_new_row(employment, day, result, as_text=as_text))
                    continue
                values = _payload(result, employment)
                if _unchanged(values, existing):
                    unchanged += 1
                    continue
                updated += 1
                upserts.append(
                    {"employment_id": employment_id, "work_date": day, "computed_at": now, **values}
                )
    if stale:
        DayRecord.objects.filter(pk__in=stale).delete()
        updated += len(stale)
    if upserts:
        upsert_rows(
            DayRecord,
            upserts,
            now,
            unique_fields=["employment_id", "work_date"],
            update_fields=_UPSERT_FIELDS,
        )
    return RecomputeResult(created, updated, unchanged)


def _recompute(
    project: Project,
    wanted: Mapping[int, Iterable[dt.date]],
    *,
    calendar: HolidayCalendar | None = None,
    book: RuleBook | None = None,
) -> RecomputeResult:
    """Recompute the given (employment id → work days) of one project, in chunks of employments."""
    plan = {employment_id: set(dates) for employment_id, dates in wanted.items() if dates}
    if not plan:
        return RecomputeResult()
    book = RuleBook(project) if book is None else book
    calendar = calendar or holiday_calendar()
    now = timezone.now()
    total = RecomputeResult()
    ids = sorted(plan)
    for start in range(0, len(ids), _EMPLOYMENT_CHUNK):
        chunk = {
            employment_id: plan[employment_id] for employment_id in ids[start : start + _EMPLOYMENT_CHUNK]
        }
        total += _recompute_chunk(project, chunk, book, calendar, now)
    return total


@transaction.atomic
def recompute_days(
    *, employment: Employment, dates: Iterable[dt.date], calendar: HolidayCalendar | None = None
) -> RecomputeResult:
    """Recompute one employment's DayRecords for ``dates`` (work days) from its events; unchanged days
    are not written."""
    project = Project.objects.get(pk=employment.project_id)
    return _recompute(project, {employment.pk: set(dates)}, calendar=calendar)


def on_site_ids(project: Project, first: dt.date, last: dt.date) -> list[int]:
    """Ids of the project's employments on site on any day from ``first`` to ``last``, in id order."""
    return list(
        Employment.objects.filter(on_site_between(first, last), project=project)
        .order_by("pk")
        .values_list("pk", flat=True)
    )


@transaction.atomic
def recompute_project_days(
    *,
    project: Project,
    dates: Iterable[dt.date],
    employments: Iterable[Employment] | None = None,
    calendar: HolidayCalendar | None = None,
) -> RecomputeResult:
    """Recompute ``dates`` for many employments of a project at once (default: every employment on site
    on any of those dates) — the bulk path for back-fills and rule changes."""
    days = sorted(set(dates))
    if not days:
        return RecomputeResult()
    ids = on_site_ids(project, days[0], days[-1]) if employments is None else [e.pk for e in employments]
    return _recompute(project, dict.fromkeys(ids, set(days)), calendar=calendar)


@transaction.atomic
def recompute_for_events(
    events: Sequence[AccessEvent], *, calendar: HolidayCalendar | None = None
) -> RecomputeResult:
    """Recompute exactly the work days these (new) events fall in, per employment; events of unknown
    persons are skipped. The ingest service calls this in its transaction, after storing the events."""
    known = [event for event in events if event.employment_id is not None]
    if not known:
        return RecomputeResult()
    projects = {p.pk: p for p in Project.objects.filter(pk__in={event.project_id for event in known})}
    team_of = dict(
        Employment.objects.filter(pk__in={event.employment_id for event in known}).values_list(
            "pk", "team_id"
        )
    )
    calendar = calendar or holiday_calendar()
    by_project: dict[int, dict[int, set[dt.date]]] = defaultdict(lambda: defaultdict(set))
    books: dict[int, RuleBook] = {}
    for event in known:
        project = projects[event.project_id]
        book = books.get(project.pk) or books.setdefault(project.pk, RuleBook(project))
        employment_id = event.employment_id
        if employment_id is None:  # an unknown person's punch belongs to nobody's day
            continue
        rules = book.for_team(team_of[employment_id])
        day = day_rules.work_date(event.occurred_at, rules, ZoneInfo(project.time_zone))
        by_project[project.pk][employment_id].add(day)
    total = RecomputeResult()
    for project_id, wanted in by_project.items():
        total += _recompute(projects[project_id], wanted, calendar=calendar, book=books[project_id])
    return total


@dataclass(frozen=True)
class PendingResult:
    """One catch-up step of the deferred queue: how many events it covered and what it wrote."""

    events: int = 0
    through: int = 0  # the queue's mark afterwards (ledger leaves whose days are recomputed)
    result: RecomputeResult = RecomputeResult()


PENDING_BATCH = 50_000


def recompute_pending(
    *, max_events: int = PENDING_BATCH, calendar: HolidayCalendar | None = None
) -> PendingResult:
    """Recompute the days of the next ``max_events`` events the :class:`DayQueue` mark has not passed,
    in one transaction, and move the mark (``manage.py worker`` calls this until it returns 0 events).

    Only committed leaves are read: the ledger's size is read without its lock, and an event is committed
    together with the state row that counts it. The mark moves with a conditional UPDATE, never held
    locked while days are computed, so an inline ingest moving it at the same moment cannot deadlock with
    this; if two workers race, both compute the same days (idempotent) and one mark update wins."""
    from realname.ledger.models import LedgerState

    with transaction.atomic():
        queue = DayQueue.objects.filter(pk=DayQueue.SINGLETON).first()
        if queue is None:
            DayQueue.objects.bulk_create([DayQueue(pk=DayQueue.SINGLETON)], ignore_conflicts=True)
            queue = DayQueue.objects.get(pk=DayQueue.SINGLETON)
        done = queue.done_size
        size = (
            LedgerState.objects.filter(pk=LedgerState.SINGLETON).values_list("size", flat=True).first() or 0
        )
        upper = min(size, done + max_events)
        if upper <= done:
            return PendingResult(0, done)
        events = list(
            AccessEvent.objects.filter(ledger_index__gte=done, ledger_index__lt=upper)
            .order_by()
            .only("pk", "project_id", "employment_id", "occurred_at")
        )
        result = recompute_for_events(events, calendar=calendar)
        DayQueue.objects.filter(pk=DayQueue.SINGLETON, done_size=done).update(
            done_size=upper, updated_at=timezone.now()
        )
    return PendingResult(upper - done, upper, result)


@dataclass(frozen=True)
class CloseResult:
    """The nightly close of one project's day: how many employments were on site and what was written."""

    project: str
    work_date: dt.date
    on_site: int
    already: int
    result: RecomputeResult


@transaction.atomic
def close_day(
    *, project: Project, work_date: dt.date, calendar: HolidayCalendar | None = None
) -> CloseResult:
    """Give every employment on site on ``work_date`` a DayRecord: those with no record yet (no events,
    or events not yet computed) are computed now — absent on workdays, rest day or holiday otherwise.
    Days that already have a record are left alone, so running it again changes nothing."""
    on_site = on_site_ids(project, work_date, work_date)
    done = set(
        DayRecord.objects.filter(project=project, work_date=work_date, employment_id__in=on_site).values_list(
            "employment_id", flat=True
        )
    )
    missing = {employment_id: {work_date} for employment_id in on_site if employment_id not in done}
    result = _recompute(project, missing, calendar=calendar)
    return CloseResult(project.code, work_date, len(on_site), len(done), result)


def yesterday_in(project: Project, *, now: dt.datetime | None = None) -> dt.date:
    """The calendar date before today in the project's time zone (the day a nightly close closes)."""
    moment = now or timezone.now()
    return moment.astimezone(ZoneInfo(project.time_zone)).date() - dt.timedelta(days=1)


# --- settings as data -----------------------------------------------------------------------------------


@transaction.atomic
def set_attendance_rules(*, project: Project, team: Team | None = None, **fields: Any) -> AttendanceRules:
    """Create or change the rules of a project (``team`` None) or of one of its teams, validated and
    audited. Existing DayRecords keep their values until recomputed (``recompute_project_days``)."""
    row = AttendanceRules.objects.filter(project=project, team=team).first()
    if row is None:
        return create_row(AttendanceRules, project=project, team=team, **fields)
    return update_row(row, **fields)


@transaction.atomic
def set_holiday_override(*, date: dt.date, kind: str, name: str = "") -> HolidayOverride:
    """Enter an officially announced day kind for a date (validated, audited) and recompute the
    DayRecords already stored for that date."""
    row = HolidayOverride.objects.filter(date=date).first()
    if row is None:
        row = create_row(HolidayOverride, date=date, kind=kind, name=name)
    else:
        row = update_row(row, kind=kind, name=name)
    calendar = holiday_calendar()
    affected: dict[int, list[int]] = defaultdict(list)
    for project_id, employment_id in DayRecord.objects.filter(work_date=date).values_list(
        "project_id", "employment_id"
    ):
        affected[project_id].append(employment_id)
    for project in Project.objects.filter(pk__in=affected):
        _recompute(project, dict.fromkeys(affected[project.pk], {date}), calendar=calendar)
    return row
