"""Attendance warnings (考勤预警), delivered as notifications to the people responsible.

One entry point, :func:`run_warnings`, run by ``manage.py attendance_warnings`` and the worker's schedule.
It reads DayRecords, unknown-person punches and devices, and posts notifications whose dedupe keys name
what they are about, so running it again (or twice at once) notifies nobody twice.

What is found, on **complete** work days only (a work day is complete once the next one has begun at its
rules' ``work_day_start``; today's records are still changing) and among the last :data:`RECENT_DAYS` of
them (a run missed over a weekend still reports; older history is not dug up):

* ``attendance.late_streak`` / ``early_leave_streak`` / ``absent_streak`` — the day a worker reaches
  ``REALNAME_WARN_STREAK_DAYS`` consecutive work days with that status. Work days come from the holiday
  calendar: rest days neither count nor break a streak; a work day without a record breaks it. One
  notification per worker and streak.
* ``attendance.no_rest`` (fatigue) — the day a worker reaches ``REALNAME_WARN_DAYS_WITHOUT_REST``
  consecutive calendar days worked (punched in) without a day off.
* ``attendance.fatigue_hours`` — days above the rules' ``max_day_hours`` (DayRecord.fatigue); and
  ``attendance.missing_exit`` — days with a missing punch or an automatic clock-out. Both as one digest
  per person per project and day, naming only the workers that person is responsible for.
* ``attendance.unknown_person`` — per gate device and day, the identifiers nobody in the project is known
  by (long identifiers masked).
* ``attendance.device_silent`` — an enabled device, heard from before, silent for more than
  ``REALNAME_WARN_DEVICE_SILENT_MINUTES``; once per silence (the key carries its last-seen time).

Who hears (notifications.selectors.Audience): about a worker, the project managers, labour managers and
team leaders whose scope covers the employment (so a subcontractor's labour manager hears about his own
people only, a team leader about their team only); about fatigue also the safety officers; about devices
and unknown persons, whoever may manage the project's devices (unknown persons: only those who see the
whole project's gate events). Platform-wide administrators and regulators are not notified.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from decimal import Decimal
from typing import Final
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from realname.accounts.models import User
from realname.accounts.roles import Perm, Role
from realname.attendance import daycalc
from realname.attendance.calendar import HolidayCalendar
from realname.attendance.days import DEFAULT_DAY_RULES, AttendanceRules, DayRecord
from realname.attendance.models import AccessEvent, Device, PersonRefKind
from realname.attendance.setup import is_wide
from realname.notifications.models import Level
from realname.notifications.selectors import recipients_by_object
from realname.notifications.services import Message, NotifyResult, post_messages
from realname.orgs.models import Project
from realname.workers.models import Employment

LATE_STREAK: Final = "attendance.late_streak"
EARLY_LEAVE_STREAK: Final = "attendance.early_leave_streak"
ABSENT_STREAK: Final = "attendance.absent_streak"
NO_REST: Final = "attendance.no_rest"
FATIGUE_HOURS: Final = "attendance.fatigue_hours"
MISSING_EXIT: Final = "attendance.missing_exit"
UNKNOWN_PERSON: Final = "attendance.unknown_person"
DEVICE_SILENT: Final = "attendance.device_silent"

KINDS: Final = (
    LATE_STREAK,
    EARLY_LEAVE_STREAK,
    ABSENT_STREAK,
    NO_REST,
    FATIGUE_HOURS,
    MISSING_EXIT,
    UNKNOWN_PERSON,
    DEVICE_SILENT,
)

# How many of the latest complete days each run looks at: enough that a run missed over a long weekend
# still reports, few enough that the first run on an old installation does not dig up history.
RECENT_DAYS: Final = 3
# A digest names at most this many people or identifiers, then says how many more.
DIGEST_NAMES: Final = 50

WORKER_ROLES: Final = frozenset({Role.PROJECT_MANAGER, Role.LABOUR_MANAGER, Role.TEAM_LEADER})
SAFETY_ROLES: Final = frozenset({Role.SAFETY_OFFICER})

_STREAK_STATUS: Final = {LATE_STREAK: "late", EARLY_LEAVE_STREAK: "early_leave", ABSENT_STREAK: "absent"}
_STREAK_WORDS: Final = {LATE_STREAK: "迟到", EARLY_LEAVE_STREAK: "早退", ABSENT_STREAK: "缺勤"}
_FATIGUE_KINDS: Final = frozenset({NO_REST, FATIGUE_HOURS})
_MAX_WALK_BACK: Final = 400  # days: a calendar without N work days in a year is a broken calendar


@dataclass(frozen=True)
class Thresholds:
    streak_days: int
    days_without_rest: int
    device_silent_minutes: int

    @classmethod
    def from_settings(cls) -> Thresholds:
        return cls(
            settings.REALNAME_WARN_STREAK_DAYS,
            settings.REALNAME_WARN_DAYS_WITHOUT_REST,
            settings.REALNAME_WARN_DEVICE_SILENT_MINUTES,
        )


@dataclass
class WarningSummary:
    """What a run found (per kind: workers, digests' days, devices) and what it notified."""

    projects: int = 0
    found: Counter[str] = field(default_factory=Counter)
    notified: NotifyResult = field(default_factory=NotifyResult)

    def add(self, other: WarningSummary) -> None:
        self.projects += other.projects
        self.found.update(other.found)
        self.notified = self.notified + other.notified


@dataclass(frozen=True)
class _Day:
    """The facts of one DayRecord the warnings look at."""

    statuses: frozenset[str]
    worked: bool
    fatigue: bool
    missing_exit: bool
    hours: Decimal


@dataclass(frozen=True)
class _Finding:
    kind: str
    employment_id: int
    day: dt.date  # the day it was found on (the streak's N-th day)
    dates: tuple[dt.date, ...] = ()
    hours: Decimal | None = None


@dataclass(frozen=True)
class _Person:
    name: str
    team: str
    employment: str  # public ids, for links
    worker: str


def run_warnings(*, now: dt.datetime | None = None, project: Project | None = None) -> WarningSummary:
    """Check every project (or one) and notify; idempotent (see the module's docstring)."""
    now = now or timezone.now()
    limits = Thresholds.from_settings()
    calendar = daycalc.holiday_calendar()
    projects: Iterable[Project] = [project] if project is not None else Project.objects.order_by("code")
    summary = WarningSummary()
    for p in projects:
        summary.add(_run_project(p, now=now, limits=limits, calendar=calendar))
    return summary


@transaction.atomic
def _run_project(
    project: Project, *, now: dt.datetime, limits: Thresholds, calendar: HolidayCalendar
) -> WarningSummary:
    summary = WarningSummary(projects=1)
    messages: list[Message] = []
    for found, batch in (
        _worker_messages(project, now, limits, calendar),
        _unknown_person_messages(project, now),
        _device_messages(project, now, limits),
    ):
        summary.found.update(found)
        messages += batch
    summary.notified = post_messages(messages, now=now)
    return summary


# --- dates --------------------------------------------------------------------------------------------------


def _md(day: dt.date) -> str:
    return f"{day.month}月{day.day}日"


def _dates(days: Sequence[dt.date]) -> str:
    return "、".join(_md(d) for d in days)


def _last_complete(local_now: dt.datetime, work_day_start: dt.time) -> dt.date:
    """The latest work day that is over: day D ends when D + 1 reaches ``work_day_start``."""
    return local_now.date() - dt.timedelta(days=1 if local_now.time() >= work_day_start else 2)


def _walk_back_work_days(day: dt.date, count: int, calendar: HolidayCalendar) -> dt.date:
    """The ``count``-th work day before ``day``."""
    seen = 0
    for _ in range(_MAX_WALK_BACK):
        day -= dt.timedelta(days=1)
        if not calendar.is_rest_day(day):
            seen += 1
            if seen == count:
                return day
    return day


def _work_day_starts(project: Project) -> tuple[dt.time, dict[int, dt.time]]:
    """The project's work-day start and its teams' own (team rules win), in one query."""
    default = DEFAULT_DAY_RULES.work_day_start
    teams: dict[int, dt.time] = {}
    for team_id, start in AttendanceRules.objects.filter(project=project).values_list(
        "team_id", "work_day_start"
    ):
        if team_id is None:
            default = start
        else:
            teams[team_id] = start
    return default, teams


# --- workers ------------------------------------------------------------------------------------------------


def _find_for_employment(
    employment_id: int,
    days: dict[dt.date, _Day],
    check: list[dt.date],
    work_days: list[dt.date],
    index: dict[dt.date, int],
    limits: Thresholds,
) -> list[_Finding]:
    found: list[_Finding] = []
    n = limits.streak_days
    for day in check:
        record = days.get(day)
        i = index.get(day)
        if i is not None and i >= n:  # a work day, with the work day before its streak loaded
            run = work_days[i - n + 1 : i + 1]
            before = days.get(work_days[i - n])
            for kind, status in _STREAK_STATUS.items():
                started = before is None or status not in before.statuses
                if started and all(d in days and status in days[d].statuses for d in run):
                    found.append(_Finding(kind, employment_id, day, tuple(run)))
        rest = limits.days_without_rest
        span = [day - dt.timedelta(days=k) for k in range(rest - 1, -1, -1)]
        if all(d in days and days[d].worked for d in span):
            previous = days.get(day - dt.timedelta(days=rest))
            if previous is None or not previous.worked:
                found.append(_Finding(NO_REST, employment_id, day, (span[0], span[-1])))
        if record is not None and record.fatigue:
            found.append(_Finding(FATIGUE_HOURS, employment_id, day, hours=record.hours))
        if record is not None and record.missing_exit:
            found.append(_Finding(MISSING_EXIT, employment_id, day))
    return found


def _worker_findings(
    project: Project, now: dt.datetime, limits: Thresholds, calendar: HolidayCalendar
) -> list[_Finding]:
    local_now = now.astimezone(ZoneInfo(project.time_zone))
    default_start, team_starts = _work_day_starts(project)
    latest = local_now.date() - dt.timedelta(days=1)  # no work day after this can be complete
    earliest_check = local_now.date() - dt.timedelta(days=1 + RECENT_DAYS)
    start = min(
        _walk_back_work_days(earliest_check, limits.streak_days, calendar),
        earliest_check - dt.timedelta(days=limits.days_without_rest),
    )
    work_days = [
        d
        for d in (start + dt.timedelta(days=k) for k in range((latest - start).days + 1))
        if not calendar.is_rest_day(d)
    ]
    index = {d: i for i, d in enumerate(work_days)}

    by_employment: dict[int, dict[dt.date, _Day]] = defaultdict(dict)
    team_of: dict[int, int | None] = {}
    rows = DayRecord.objects.filter(project=project, work_date__gte=start, work_date__lte=latest).values_list(
        "employment_id",
        "employment__team_id",
        "work_date",
        "statuses",
        "first_in",
        "fatigue",
        "auto_clock_out",
        "hours",
    )
    for employment_id, team_id, work_date, statuses, first_in, fatigue, auto_out, hours in rows.iterator(
        chunk_size=5000
    ):
        team_of[employment_id] = team_id
        status_set = frozenset(statuses or ())
        by_employment[employment_id][work_date] = _Day(
            statuses=status_set,
            worked=first_in is not None,
            fatigue=bool(fatigue),
            missing_exit=bool(auto_out) or "missing_punch" in status_set,
            hours=Decimal(hours),
        )
    findings: list[_Finding] = []
    for employment_id, days in by_employment.items():
        team = team_of[employment_id]
        work_day_start = team_starts.get(team, default_start) if team is not None else default_start
        last = _last_complete(local_now, work_day_start)
        check = [last - dt.timedelta(days=k) for k in range(RECENT_DAYS - 1, -1, -1)]
        findings += _find_for_employment(employment_id, days, check, work_days, index, limits)
    return findings


def _people(ids: Iterable[int]) -> dict[int, _Person]:
    return {
        pk: _Person(name, team or "", str(employment), str(worker))
        for pk, name, team, employment, worker in Employment.objects.filter(pk__in=list(ids)).values_list(
            "pk", "worker__name", "team__name", "public_id", "worker__public_id"
        )
    }


def _who(person: _Person) -> str:
    return f"{person.name}（{person.team}）" if person.team else person.name


def _day_link(person: _Person, day: dt.date) -> str:
    return reverse(
        "attendance:day_detail", kwargs={"employment_id": person.employment, "work_date": day.isoformat()}
    )


def _person_message(finding: _Finding, person: _Person, project: Project, limits: Thresholds) -> Message:
    """The text of a one-person warning (a streak, days without rest), before it is addressed."""
    if finding.kind == NO_REST:
        first, last = finding.dates
        title = f"疲劳预警：{person.name} 连续 {limits.days_without_rest} 天未休息"
        body = (
            f"{project.code} {_who(person)}自 {_md(first)} 至 {_md(last)} 连续 "
            f"{limits.days_without_rest} 天出勤，没有休息日。请安排休息（劳动法规定每周至少休息一日）。"
        )
        level = Level.WARNING
    else:
        words = _STREAK_WORDS[finding.kind]
        title = f"连续{words}预警：{person.name}"
        body = (
            f"{project.code} {_who(person)}连续 {limits.streak_days} 个工作日{words}："
            f"{_dates(finding.dates)}。"
        )
        level = Level.WARNING
    return Message(
        recipient_id=0,
        kind=finding.kind,
        level=level,
        title=title,
        body=body,
        link=_day_link(person, finding.day),
        project_id=project.pk,
        dedupe_key=f"{finding.kind}:{person.employment}:{finding.day.isoformat()}",
    )


def _digest_message(
    kind: str, day: dt.date, items: list[tuple[_Person, _Finding]], project: Project
) -> Message:
    items = sorted(items, key=lambda item: (item[0].team, item[0].name))
    shown = items[:DIGEST_NAMES]
    more = f" 等 {len(items)} 人" if len(items) > len(shown) else ""
    if kind == MISSING_EXIT:
        title = f"缺少出场打卡：{_md(day)} {len(items)} 人"
        names = "、".join(_who(p) for p, _ in shown)
        body = (
            f"{project.code} {project.name} {_md(day)} 以下工人缺少出场打卡（或被自动出场），"
            f"请核实并补卡：{names}{more}。"
        )
        level, query = Level.INFO, f"?date={day.isoformat()}&status=missing_punch"
    else:
        title = f"疲劳预警：{_md(day)} {len(items)} 人工时超限"
        names = "、".join(f"{_who(p)} {f.hours} 小时" for p, f in shown)
        body = f"{project.code} {project.name} {_md(day)} 以下工人当日工时超过规则上限：{names}{more}。"
        level, query = Level.WARNING, f"?date={day.isoformat()}"
    return Message(
        recipient_id=0,
        kind=kind,
        level=level,
        title=title,
        body=body,
        link=reverse("attendance:day_list", kwargs={"project_id": project.public_id}) + query,
        project_id=project.pk,
        dedupe_key=f"{kind}:{project.public_id}:{day.isoformat()}",
    )


def _addressed(message: Message, recipient_id: int) -> Message:
    return replace(message, recipient_id=recipient_id)


def _worker_messages(
    project: Project, now: dt.datetime, limits: Thresholds, calendar: HolidayCalendar
) -> tuple[Counter[str], list[Message]]:
    findings = _worker_findings(project, now, limits, calendar)
    found = Counter(f.kind for f in findings)
    if not findings:
        return found, []
    audience = recipients_by_object(
        perm=Perm.ATTENDANCE_VIEW,
        model=Employment,
        ids={f.employment_id for f in findings},
        roles=WORKER_ROLES,
    )
    safety = recipients_by_object(
        perm=Perm.ATTENDANCE_VIEW,
        model=Employment,
        ids={f.employment_id for f in findings if f.kind in _FATIGUE_KINDS},
        roles=SAFETY_ROLES,
    )
    people = _people({f.employment_id for f in findings})
    messages: list[Message] = []
    digests: dict[tuple[str, dt.date, int], list[tuple[_Person, _Finding]]] = defaultdict(list)
    for f in findings:
        person = people[f.employment_id]
        users = audience.get(f.employment_id, set())
        if f.kind in _FATIGUE_KINDS:
            users = users | safety.get(f.employment_id, set())
        if f.kind in (MISSING_EXIT, FATIGUE_HOURS):
            for user_id in users:
                digests[(f.kind, f.day, user_id)].append((person, f))
            continue
        text = _person_message(f, person, project, limits)
        messages += [_addressed(text, user_id) for user_id in sorted(users)]
    for (kind, day, user_id), items in sorted(digests.items()):
        messages.append(_addressed(_digest_message(kind, day, items, project), user_id))
    return found, messages


# --- gates --------------------------------------------------------------------------------------------------


def _shown_ref(kind: str, ref: str) -> str:
    """An identifier as a notification may show it: card numbers and long identifiers (which may be ID
    numbers some sites use as employee numbers) keep only their last four characters."""
    if kind == PersonRefKind.CARD or len(ref) > 8:
        return "****" + ref[-4:]
    return ref


def _device_name(device: Device) -> str:
    name = device.name or device.serial
    where = "，".join(x for x in (device.serial if device.name else "", device.area) if x)
    return f"{name}（{where}）" if where else name


def _unknown_person_messages(project: Project, now: dt.datetime) -> tuple[Counter[str], list[Message]]:
    tz = ZoneInfo(project.time_zone)
    today = now.astimezone(tz).date()
    first = today - dt.timedelta(days=RECENT_DAYS)
    since = dt.datetime.combine(first, dt.time(0), tzinfo=tz)
    until = dt.datetime.combine(today, dt.time(0), tzinfo=tz)  # only days that are over
    groups: defaultdict[tuple[int, dt.date], Counter[tuple[str, str]]] = defaultdict(Counter)
    first_event: dict[tuple[int, dt.date], int] = {}
    events = (
        AccessEvent.objects.filter(
            project=project, employment__isnull=True, occurred_at__gte=since, occurred_at__lt=until
        )
        .order_by("occurred_at", "pk")
        .values_list("pk", "device_id", "occurred_at", "person_ref_kind", "person_ref")
    )
    for pk, device_id, occurred_at, ref_kind, ref in events.iterator(chunk_size=5000):
        key = (device_id, occurred_at.astimezone(tz).date())
        groups[key][(ref_kind, ref)] += 1
        first_event.setdefault(key, pk)
    found: Counter[str] = Counter({UNKNOWN_PERSON: len(groups)} if groups else {})
    if not groups:
        return found, []
    audience = recipients_by_object(perm=Perm.DEVICES_MANAGE, model=AccessEvent, ids=first_event.values())
    devices = {d.pk: d for d in Device.objects.filter(pk__in={device_id for device_id, _ in groups})}
    messages: list[Message] = []
    kind_words = dict(PersonRefKind.choices)
    for (device_id, day), refs in sorted(groups.items(), key=lambda g: (g[0][1], g[0][0])):
        device = devices[device_id]
        listed = sorted(refs.items())[:DIGEST_NAMES]
        more = f" 等 {len(refs)} 个" if len(refs) > len(listed) else ""
        shown = "、".join(
            f"{kind_words.get(k, k)} {_shown_ref(k, ref)}（{count} 次）" for (k, ref), count in listed
        )
        text = Message(
            recipient_id=0,
            kind=UNKNOWN_PERSON,
            level=Level.WARNING,
            title=f"未登记人员刷卡：{device.name or device.serial} {_md(day)} {len(refs)} 个标识",
            body=(
                f"{project.code} {_device_name(device)} {_md(day)} 识别到 {len(refs)} 个未与本项目工人关联的"
                f"人员标识，共 {sum(refs.values())} 次：{shown}{more}。请核实身份：是本项目工人则在设备"
                "人员映射中登记，否则按外来人员处理。"
            ),
            link=reverse("attendance:device_detail", kwargs={"device_id": device.public_id}),
            project_id=project.pk,
            dedupe_key=f"{UNKNOWN_PERSON}:{device.public_id}:{day.isoformat()}",
        )
        users = audience.get(first_event[(device_id, day)], set())
        messages += [_addressed(text, user_id) for user_id in sorted(users)]
    return found, messages


def _device_messages(
    project: Project, now: dt.datetime, limits: Thresholds
) -> tuple[Counter[str], list[Message]]:
    cutoff = now - dt.timedelta(minutes=limits.device_silent_minutes)
    silent = list(
        Device.objects.filter(
            project=project, enabled=True, last_seen_at__isnull=False, last_seen_at__lt=cutoff
        ).order_by("serial")
    )
    found: Counter[str] = Counter({DEVICE_SILENT: len(silent)} if silent else {})
    if not silent:
        return found, []
    # Those who may manage the gates: the same rule as the device pages (project-wide scope only, so a
    # subcontractor's labour manager, whose role has the permission for his own people, is not asked).
    candidates = recipients_by_object(perm=Perm.DEVICES_MANAGE, model=Project, ids=[project.pk]).get(
        project.pk, set()
    )
    users = sorted(
        user.pk
        for user in User.objects.filter(pk__in=candidates)
        if is_wide(user, Perm.DEVICES_MANAGE, project)
    )
    tz = ZoneInfo(project.time_zone)
    messages: list[Message] = []
    for device in silent:
        assert device.last_seen_at is not None  # filtered above
        minutes = int((now - device.last_seen_at).total_seconds() // 60)
        text = Message(
            recipient_id=0,
            kind=DEVICE_SILENT,
            level=Level.CRITICAL,
            title=f"设备离线：{device.name or device.serial}",
            body=(
                f"{project.code} {_device_name(device)} 自 "
                f"{device.last_seen_at.astimezone(tz):%Y-%m-%d %H:%M} 起已 {minutes} 分钟没有通讯"
                f"（阈值 {limits.device_silent_minutes} 分钟），期间的刷卡可能未上传。"
                "请检查设备电源、网络和服务器地址设置；设备恢复后会补传离线记录。"
            ),
            link=reverse("attendance:device_detail", kwargs={"device_id": device.public_id}),
            project_id=project.pk,
            dedupe_key=f"{DEVICE_SILENT}:{device.public_id}:{int(device.last_seen_at.timestamp())}",
        )
        messages += [_addressed(text, user_id) for user_id in users]
    return found, messages
