"""Setting up attendance from the pages: gate devices (changes, credentials, person mappings, ZKTeco user
commands, replays of stored requests) and the settings kept as data (rules per project or team, holiday
overrides) with the recomputation of the days they change.

Writes are keyword-only service functions, validated and audited; the reads the pages need follow them.
Which rows a user may touch is the pages' job, through :func:`wide_projects`: devices and rules are
site-wide settings, so they need a scope that reaches every participant of the project (platform, region,
or a company that is general contractor, owner or supervisor there). A subcontractor's labour manager has
DEVICES_MANAGE in his role, but only over his own company's people, so he gets none of this.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.db.models import Count, Max, Min, Q
from django.utils import timezone

from realname.accounts.models import ScopeKind, User
from realname.accounts.roles import Role, role_has
from realname.accounts.scope import is_platform, memberships, restrict
from realname.attendance import daycalc, services
from realname.attendance.daycalc import RecomputeResult
from realname.attendance.days import AttendanceRules, DayRecord, HolidayOverride
from realname.attendance.models import (
    AccessEvent,
    CommandStatus,
    Device,
    DeviceCommand,
    DeviceIdentity,
    DeviceKind,
    ParseStatus,
    PersonRefKind,
    RawMessage,
    new_device_secret,
)
from realname.core import audit
from realname.core.audit import AuditAction
from realname.core.services import delete_row, update_row
from realname.orgs.models import PROJECT_WIDE_ROLES, Participant, Project, Team
from realname.workers.models import Employment
from realname.workers.selectors import on_site_between

# A device heard from within this window is shown as online. ZKTeco terminals poll getrequest every
# few seconds to a minute; Hikvision terminals only call when someone passes, so for them "offline" on a
# quiet site is not an alarm (the device-silent warning has its own, longer threshold).
ONLINE_WINDOW = dt.timedelta(minutes=10)
# Raw messages of these kinds can be parsed again (native batches are answered inline and not replayed).
REPLAYABLE_KINDS = frozenset({DeviceKind.ZKTECO, DeviceKind.HIKVISION})
# A rule change recomputes at most this many days back from a page request (bulk back-fills: commands).
MAX_RECOMPUTE_DAYS = 92
UNKNOWN_PERSON_WINDOW = dt.timedelta(days=30)


# --- who manages site-wide settings ---------------------------------------------------------------------


def wide_projects(user: User | Any, perm: str) -> models.QuerySet[Project]:
    """The projects where ``user`` holds ``perm`` over every participant's people (not only their own).

    Mirrors realname.accounts.scope: platform → all; region → the region's projects; company / projects
    scope → the projects where that company is general contractor, owner or supervisor. Team leaders and
    workers never get site-wide settings.
    """
    if is_platform(user, perm):
        return Project.objects.all()
    parts: list[Q] = []
    for m in memberships(user):
        if not role_has(m.role, perm) or m.role in (Role.TEAM_LEADER, Role.WORKER):
            continue
        if m.scope_kind == ScopeKind.REGION:
            parts.append(Q(region_code__startswith=m.region_prefix))
        elif m.scope_kind in (ScopeKind.COMPANY, ScopeKind.PROJECTS) and m.company_id is not None:
            wide = Participant.objects.filter(company_id=m.company_id, role__in=PROJECT_WIDE_ROLES)
            if m.scope_kind == ScopeKind.PROJECTS:
                wide = wide.filter(project__in=m.projects.all())
            parts.append(Q(pk__in=wide.values("project_id")))
    if not parts:
        return Project.objects.none()
    q = parts[0]
    for part in parts[1:]:
        q |= part
    return restrict(Project.objects.filter(q), user, perm)


def is_wide(user: User | Any, perm: str, project: Project) -> bool:
    return wide_projects(user, perm).filter(pk=project.pk).exists()


# --- devices --------------------------------------------------------------------------------------------


CORRECTION_DEVICE_LOCKED = "补卡专用设备由系统管理，不能修改、启用或查看密钥"


def _refuse_correction_device(device: Device) -> None:
    """A project's 补卡 pseudo-device carries approved corrections only: it stays disabled, unchanged, and
    its credential is never shown (else someone could post "corrections" around the approval)."""
    from realname.attendance.corrections import is_correction_device

    if is_correction_device(device):
        raise ValidationError(CORRECTION_DEVICE_LOCKED)


@transaction.atomic
def update_device(
    *, device: Device, serial: str, name: str = "", area: str = "", role: str, time_zone: str = ""
) -> Device:
    """Change a device's description (serial, name, area, role, zone); blank zone = the project's.
    The kind is fixed at registration: a different kind of terminal is a different device."""
    _refuse_correction_device(device)
    return update_row(
        device,
        serial=serial.strip(),
        name=name.strip(),
        area=area.strip(),
        role=role,
        time_zone=time_zone.strip() or device.project.time_zone,
    )


@transaction.atomic
def set_enabled(*, device: Device, enabled: bool) -> Device:
    """Enable or disable a device; a disabled device is refused (its requests are still stored raw)."""
    _refuse_correction_device(device)
    return update_row(device, enabled=enabled)


@transaction.atomic
def rotate_secret(*, device: Device) -> Device:
    """Give a device a new random secret; the old Hikvision URL and native key stop working at once.
    The audit entry records that the secret changed, never its value."""
    _refuse_correction_device(device)
    device.secret = new_device_secret()
    device.save(update_fields=["secret", "updated_at"])
    audit.record(AuditAction.UPDATE, device, changes={"secret": ["***", "***"]}, note="rotate secret")
    return device


def reveal_secret(*, device: Device, reason: str = "") -> str:
    """The device's secret in plain text, written to the audit log like an ID-number reveal. Permission is
    the caller's check."""
    _refuse_correction_device(device)
    audit.record(AuditAction.REVEAL, device, changes={"field": "secret"}, note=reason)
    return device.secret


# --- person mappings ------------------------------------------------------------------------------------


def identities_for(device: Device) -> models.QuerySet[DeviceIdentity]:
    """The mappings that apply to this device: its own, and the project-wide ones for its kind or any."""
    return (
        DeviceIdentity.objects.filter(project_id=device.project_id)
        .filter(Q(device__isnull=True) | Q(device=device))
        .filter(Q(kind="") | Q(kind=device.kind))
    )


def get_identity(*, device: Device, ref_kind: str, ref: str) -> DeviceIdentity | None:
    return (
        identities_for(device)
        .select_related("employment__worker")
        .filter(ref_kind=ref_kind, ref=ref.strip())
        .first()
    )


@transaction.atomic
def unmap_person(*, identity: DeviceIdentity) -> None:
    """Remove a mapping (audited). Punches already stored keep the employment they were matched to."""
    delete_row(identity)


# --- ZKTeco user commands -------------------------------------------------------------------------------


def _zkteco(device: Device) -> None:
    if device.kind != DeviceKind.ZKTECO:
        raise ValidationError({"command": "只有中控 PUSH 考勤机接受下发命令"})


def _audited(command: DeviceCommand) -> DeviceCommand:
    audit.record_create(command, object_repr=command.text[:200])
    return command


@transaction.atomic
def queue_user_update(*, device: Device, identity: DeviceIdentity) -> DeviceCommand:
    """Queue "add or update user" for a mapped PIN: the worker's name and, when the same employment has a
    card mapping here, the card number (served by getrequest, acknowledged through devicecmd)."""
    _zkteco(device)
    if identity.ref_kind != PersonRefKind.PIN:
        raise ValidationError({"command": "考勤机按工号 PIN 管理人员，请选择 PIN 映射"})
    card = (
        identities_for(device)
        .filter(employment_id=identity.employment_id, ref_kind=PersonRefKind.CARD)
        .values_list("ref", flat=True)
        .first()
    )
    command = services.queue_command(
        device=device,
        command="add_user",
        pin=identity.ref,
        name=identity.employment.worker.name,
        card=card or "",
    )
    return _audited(command)


@transaction.atomic
def queue_user_delete(*, device: Device, pin: str) -> DeviceCommand:
    """Queue "delete user" for a PIN on the device (e.g. after the worker's exit or a remapping)."""
    _zkteco(device)
    return _audited(services.queue_command(device=device, command="delete_user", pin=pin.strip()))


# --- raw messages ---------------------------------------------------------------------------------------


def raw_messages_for(device: Device) -> models.QuerySet[RawMessage]:
    """What this device sent, newest first, including requests refused before it was registered (its
    serial, no device): those are the ones a registration can fix."""
    return RawMessage.objects.filter(
        Q(device=device) | Q(device__isnull=True, serial=device.serial, kind=device.kind)
    ).defer("body")


def _check_replay(device: Device, raw: RawMessage) -> None:
    if not raw_messages_for(device).filter(pk=raw.pk).exists():
        raise ValidationError({"raw": "该报文不属于此设备"})
    if raw.kind not in REPLAYABLE_KINDS:
        raise ValidationError({"raw": "该类型的报文不能重放"})
    if not device.enabled:
        raise ValidationError({"raw": "设备已停用，请先启用再重放"})


def replay_raw_message(*, device: Device, raw: RawMessage) -> services.ProcessResult:
    """Parse a stored request of this device again (after a fix: a registration, a mapping, enabling the
    device). Safe to repeat: events already stored are absorbed as duplicates."""
    _check_replay(device, raw)
    return services.process_raw_message(raw=raw, replay=True)


def replay_failed(*, device: Device, limit: int = 500) -> list[services.ProcessResult]:
    """Replay this device's failed requests, oldest first (at most ``limit`` per call)."""
    if not device.enabled:
        raise ValidationError({"raw": "设备已停用，请先启用再重放"})
    rows = list(
        raw_messages_for(device)
        .filter(parse_status=ParseStatus.FAILED, kind__in=REPLAYABLE_KINDS)
        .order_by("id")[:limit]
    )
    return [services.process_raw_message(raw=raw, replay=True) for raw in rows]


# --- attendance rules -----------------------------------------------------------------------------------


def _days(since: dt.date, until: dt.date) -> list[dt.date]:
    return [since + dt.timedelta(days=n) for n in range((until - since).days + 1)]


def recompute_since(
    *, project: Project, team: Team | None = None, since: dt.date, today: dt.date | None = None
) -> RecomputeResult:
    """Recompute the project's (or one team's) DayRecords from ``since`` through today (project zone)."""
    until = today or timezone.now().astimezone(ZoneInfo(project.time_zone)).date()
    if since > until:
        raise ValidationError({"recompute_from": "重新计算的起始日期不能晚于今天"})
    if (until - since).days >= MAX_RECOMPUTE_DAYS:
        raise ValidationError(
            {"recompute_from": f"一次最多重新计算 {MAX_RECOMPUTE_DAYS} 天，更早的日期请用管理命令"}
        )
    employments: Iterable[Employment] | None = None
    if team is not None:
        employments = list(
            Employment.objects.filter(on_site_between(since, until), project=project, team=team)
        )
    return daycalc.recompute_project_days(project=project, dates=_days(since, until), employments=employments)


@transaction.atomic
def save_attendance_rules(
    *,
    project: Project,
    team: Team | None = None,
    recompute_from: dt.date | None = None,
    today: dt.date | None = None,
    **fields: Any,
) -> tuple[AttendanceRules, RecomputeResult | None]:
    """Save the rules of a project or team (validated, audited) and, when asked, recompute the days since
    ``recompute_from`` with them — in one transaction, so a rejected recomputation keeps the old rules."""
    row = daycalc.set_attendance_rules(project=project, team=team, **fields)
    if recompute_from is None:
        return row, None
    return row, recompute_since(project=project, team=team, since=recompute_from, today=today)


@transaction.atomic
def remove_team_rules(
    *, rules: AttendanceRules, recompute_from: dt.date | None = None, today: dt.date | None = None
) -> RecomputeResult | None:
    """Drop a team's own rules (the team follows the project's again), optionally recomputing."""
    if rules.team_id is None:
        raise ValidationError("项目规则不能删除，只能修改")
    project, team = rules.project, rules.team
    delete_row(rules)
    if recompute_from is None:
        return None
    return recompute_since(project=project, team=team, since=recompute_from, today=today)


def rules_of(project: Project) -> tuple[AttendanceRules | None, list[AttendanceRules]]:
    """The project's own rules row (None: platform defaults) and its teams' overrides."""
    rows = list(AttendanceRules.objects.filter(project=project).select_related("team__participant__company"))
    own = next((row for row in rows if row.team_id is None), None)
    return own, sorted(
        (row for row in rows if row.team_id is not None), key=lambda row: row.team.name if row.team else ""
    )


# --- holiday overrides ----------------------------------------------------------------------------------


@transaction.atomic
def delete_holiday_override(*, override: HolidayOverride) -> None:
    """Remove an override (audited); the library's kind applies again and stored days are recomputed."""
    day = override.date
    delete_row(override)
    affected: dict[int, list[int]] = defaultdict(list)
    for project_id, employment_id in DayRecord.objects.filter(work_date=day).values_list(
        "project_id", "employment_id"
    ):
        affected[project_id].append(employment_id)
    calendar = daycalc.holiday_calendar()
    for project in Project.objects.filter(pk__in=affected):
        daycalc.recompute_project_days(
            project=project,
            dates=[day],
            employments=Employment.objects.filter(pk__in=affected[project.pk]),
            calendar=calendar,
        )


@dataclass(frozen=True)
class CalendarDay:
    """One date of a year as the calendar answers it, and whether an override decided it."""

    date: dt.date
    kind: str
    name: str
    overridden: bool


def year_calendar(year: int) -> list[CalendarDay]:
    """Every date of ``year`` with its resulting kind (overrides included)."""
    calendar = daycalc.holiday_calendar()
    overridden = set(HolidayOverride.objects.filter(date__year=year).values_list("date", flat=True))
    first = dt.date(year, 1, 1)
    days = _days(first, dt.date(year, 12, 31))
    return [CalendarDay(d, calendar.kind(d), calendar.name(d), d in overridden) for d in days]


# --- device list and detail reads -----------------------------------------------------------------------


@dataclass(frozen=True)
class DeviceStatus:
    """A device with what its status line shows."""

    device: Device
    online: bool
    skewed: bool
    events_today: int
    queued: int
    failed: int
    can_manage: bool


def device_statuses(
    devices: Sequence[Device], *, manageable: set[int], now: dt.datetime | None = None
) -> list[DeviceStatus]:
    """Status lines for a page of devices in a fixed number of queries (one per distinct time zone for
    "events today", one for the command counts)."""
    moment = now or timezone.now()
    ids = [d.pk for d in devices]
    today: dict[int, int] = {}
    by_zone: dict[str, list[int]] = defaultdict(list)
    for d in devices:
        by_zone[d.project.time_zone].append(d.pk)
    for zone, zone_ids in by_zone.items():
        local = moment.astimezone(ZoneInfo(zone))
        start = local.replace(hour=0, minute=0, second=0, microsecond=0)
        rows = (
            AccessEvent.objects.filter(device_id__in=zone_ids, occurred_at__gte=start)
            .order_by()
            .values("device_id")
            .annotate(n=Count("id"))
        )
        today.update({row["device_id"]: row["n"] for row in rows})
    commands: dict[tuple[int, str], int] = {}
    command_rows = (
        DeviceCommand.objects.filter(
            device_id__in=ids, status__in=[CommandStatus.QUEUED, CommandStatus.SENT, CommandStatus.FAILED]
        )
        .exclude(status=CommandStatus.SENT, superseded_at__isnull=False)  # replaced: never answered, fine
        .order_by()
        .values("device_id", "status")
        .annotate(n=Count("id"))
    )
    for command_row in command_rows:
        commands[(command_row["device_id"], command_row["status"])] = command_row["n"]
    skew_limit = settings.REALNAME_CLOCK_SKEW_SECONDS
    return [
        DeviceStatus(
            device=d,
            online=d.last_seen_at is not None and d.last_seen_at >= moment - ONLINE_WINDOW,
            skewed=d.clock_skew_seconds is not None and abs(d.clock_skew_seconds) > skew_limit,
            events_today=today.get(d.pk, 0),
            queued=commands.get((d.pk, CommandStatus.QUEUED), 0)
            + commands.get((d.pk, CommandStatus.SENT), 0),
            failed=commands.get((d.pk, CommandStatus.FAILED), 0),
            can_manage=d.project_id in manageable,
        )
        for d in devices
    ]


@dataclass(frozen=True)
class UnknownPerson:
    """An identifier a device reported that matched nobody, with how often and when."""

    ref_kind: str
    ref: str
    count: int
    first_at: dt.datetime
    last_at: dt.datetime
    mapped: bool

    @property
    def ref_kind_label(self) -> str:
        return (
            str(PersonRefKind(self.ref_kind).label)
            if self.ref_kind in PersonRefKind.values
            else self.ref_kind
        )


def unknown_persons(
    *, device: Device, now: dt.datetime | None = None, limit: int = 50
) -> list[UnknownPerson]:
    """Identifiers of the device's recent unknown-person punches, grouped, newest first; ``mapped`` says a
    mapping exists now (their later punches are matched; stored punches stay as they were)."""
    since = (now or timezone.now()) - UNKNOWN_PERSON_WINDOW
    groups = list(
        AccessEvent.objects.filter(device=device, employment__isnull=True, occurred_at__gte=since)
        .order_by()
        .values("person_ref_kind", "person_ref")
        .annotate(n=Count("id"), first=Min("occurred_at"), last=Max("occurred_at"))
        .order_by("-last")[:limit]
    )
    refs = {g["person_ref"] for g in groups}
    mapped = set(identities_for(device).filter(ref__in=refs).values_list("ref_kind", "ref"))
    return [
        UnknownPerson(
            ref_kind=g["person_ref_kind"],
            ref=g["person_ref"],
            count=g["n"],
            first_at=g["first"],
            last_at=g["last"],
            mapped=(g["person_ref_kind"], g["person_ref"]) in mapped,
        )
        for g in groups
    ]
