"""Device allow-list sync: when a worker's admission decision changes, every gate of the project is told
through its own protocol, by commands in the device command queue.

- ZKTeco: ``DATA UPDATE USERINFO`` (allowed) / ``DATA DELETE USERINFO`` (denied), served by getrequest and
  acknowledged through devicecmd.
- Hikvision: ISAPI person add / delete requests (:mod:`realname.attendance.protocols.hikvision_persons`),
  fetched and answered by the edge agent through the signed command API (:mod:`realname.attendance.api_edge`).

A person is known to a device by the employment's :class:`DeviceIdentity` for that device, else for the
device's kind on the project, else for every kind (a PIN for ZKTeco, an employeeNo for Hikvision). An
allowed employment without one gets one, project-wide for the kind: the next number after the highest
numeric identifier of that type on the project (never a freed one, so an old punch never lands on a new
person). A denied employment never mapped needs no command.

A newer command for a person supersedes that person's queued one on the same device (kept, marked
superseded, never sent), and stops a sent but unanswered one from being sent again, so a flip-flop leaves
one command to carry out and the device ends in the latest state.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction
from django.db.models import Max, Q
from django.utils import timezone

from realname.attendance.corrections import correction_serial
from realname.attendance.models import (
    CommandOrigin,
    CommandStatus,
    Device,
    DeviceCommand,
    DeviceIdentity,
    DeviceKind,
    PersonRefKind,
)
from realname.attendance.protocols import hikvision_persons, zkteco
from realname.core.bulk import insert_rows
from realname.orgs.models import Project
from realname.workers.models import Employment

log = logging.getLogger(__name__)

GATE_KINDS = (DeviceKind.ZKTECO, DeviceKind.HIKVISION)
REF_KIND = {DeviceKind.ZKTECO: PersonRefKind.PIN, DeviceKind.HIKVISION: PersonRefKind.EMPLOYEE_NO}
ADD = {DeviceKind.ZKTECO: "add_user", DeviceKind.HIKVISION: "add_person"}
DELETE = {DeviceKind.ZKTECO: "delete_user", DeviceKind.HIKVISION: "delete_person"}
SUSPEND = "suspend_person"  # Hikvision: refused for now, kept on the terminal with face and cards
PERSON_ACTIONS = frozenset({*ADD.values(), *DELETE.values(), SUSPEND})
_CHUNK = 500
# Where the edge agent fetches a terminal's commands (realname.attendance.api_edge, mounted at
# /api/v1/attendance by config/api.py).
EDGE_COMMANDS_PATH = "/api/v1/attendance/devices/{serial}/commands"


@dataclass(frozen=True)
class AllowListChange:
    """One employment's new decision: allowed (until ``valid_until``, when it lapses by itself) or denied."""

    employment_id: int
    allowed: bool
    valid_until: dt.datetime | None = None  # when an allowed decision lapses by itself (cert expiry…)
    reasons: tuple[str, ...] = ()  # why a denied one is refused (admission's messages), kept on the command
    # A denial for good (the employment ended): the person is deleted from every gate. Otherwise a
    # Hikvision terminal only suspends them, keeping their enrolled face and cards (ZKTeco has no such
    # command in the PUSH protocol and deletes either way).
    remove: bool = True


@dataclass
class SyncResult:
    """What one sync queued: commands per device kind, allow / deny commands, superseded commands,
    identifiers allocated, denied people with nothing to delete, and people that could not be sent."""

    queued: Counter[str] = field(default_factory=Counter)  # device kind → commands queued
    allowed: int = 0
    denied: int = 0
    superseded: int = 0
    allocated: int = 0
    not_mapped: int = 0
    problems: list[str] = field(default_factory=list)

    @property
    def total(self) -> int:
        return sum(self.queued.values())


def _chunks(values: Sequence[int]) -> Iterable[Sequence[int]]:
    for start in range(0, len(values), _CHUNK):
        yield values[start : start + _CHUNK]


def gate_devices(project: Project) -> list[Device]:
    """The project's enabled ZKTeco and Hikvision devices (never the 补卡 correction device), rows locked
    so command ids and new identifiers are chosen by one writer at a time."""
    devices = list(
        Device.objects.select_for_update()
        .filter(project=project, enabled=True, kind__in=GATE_KINDS)
        .exclude(serial=correction_serial(project))
        .order_by("pk")
    )
    for device in devices:
        device.project = project  # zone lookups without a query per device
    return devices


class _Identities:
    """The project's PIN / employeeNo / card mappings, resolved per device as ingestion resolves them
    (this device's own, then the kind's, then every kind's; the oldest when there are several)."""

    def __init__(self, project: Project) -> None:
        self.project = project
        # (device id or 0, kind) → (ref kind, employment id) → ref
        self.levels: dict[tuple[int, str], dict[tuple[str, int], str]] = {}
        self.taken: dict[str, set[str]] = {PersonRefKind.PIN: set(), PersonRefKind.EMPLOYEE_NO: set()}
        rows = (
            DeviceIdentity.objects.filter(project=project, ref_kind__in=[*self.taken, PersonRefKind.CARD])
            .order_by("pk")
            .values_list("device_id", "kind", "ref_kind", "ref", "employment_id")
        )
        for device_id, kind, ref_kind, ref, employment_id in rows:
            level = (device_id or 0, "" if device_id else kind)
            self.levels.setdefault(level, {}).setdefault((ref_kind, employment_id), ref)
            if ref_kind in self.taken:
                self.taken[ref_kind].add(ref)
        self.next_number = {
            ref_kind: max((int(ref) for ref in refs if ref.isdigit() and ref.isascii()), default=0) + 1
            for ref_kind, refs in self.taken.items()
        }
        self.new_rows: list[dict[str, Any]] = []

    def find(self, device: Device, ref_kind: str, employment_id: int) -> str | None:
        for level in ((device.pk, ""), (0, device.kind), (0, "")):
            ref = self.levels.get(level, {}).get((ref_kind, employment_id))
            if ref is not None:
                return ref
        return None

    def allocate(self, device: Device, ref_kind: str, employment_id: int) -> str:
        """A new project-wide identifier for the device's kind, remembered for the kind's other devices."""
        number = self.next_number[ref_kind]
        while str(number) in self.taken[ref_kind]:
            number += 1
        ref = str(number)
        self.next_number[ref_kind] = number + 1
        self.taken[ref_kind].add(ref)
        self.levels.setdefault((0, device.kind), {})[(ref_kind, employment_id)] = ref
        self.new_rows.append(
            DeviceIdentity(
                project_id=self.project.pk,
                device=None,
                kind=device.kind,
                ref_kind=ref_kind,
                ref=ref,
                employment_id=employment_id,
            ).__dict__
        )
        return ref


def _names(project: Project, employment_ids: Sequence[int]) -> dict[int, str]:
    names: dict[int, str] = {}
    for chunk in _chunks(employment_ids):
        names.update(
            Employment.objects.filter(project=project, pk__in=chunk).values_list("pk", "worker__name")
        )
    return names


def _command(
    device: Device,
    command_id: int,
    *,
    change: AllowListChange,
    allowed: bool,
    ref: str,
    name: str,
    card: str,
    moment: dt.datetime,
) -> DeviceCommand:
    """The queue row telling ``device`` to add or remove one person (ValueError: the identifier or the
    validity cannot be written in the protocol)."""
    suspend = not allowed and not change.remove and device.kind == DeviceKind.HIKVISION
    action = SUSPEND if suspend else (ADD if allowed else DELETE)[DeviceKind(device.kind)]
    row = DeviceCommand(
        project_id=device.project_id,
        device=device,
        command_id=command_id,
        action=action,
        person_ref=ref,
        employment_id=change.employment_id,
        origin=CommandOrigin.ALLOWLIST,
        reason="；".join(change.reasons),
    )
    if device.kind == DeviceKind.ZKTECO:
        fields: dict[str, str] = {"pin": ref}
        if allowed:
            fields |= {"name": name, "card": card}
        row.text = zkteco.format_command(command_id, action, **fields)  # type: ignore[arg-type]
        return row
    zone = device.zone
    if allowed:
        local_midnight = moment.astimezone(zone).replace(hour=0, minute=0, second=0, microsecond=0)
        request = hikvision_persons.add_person(
            employee_no=ref, name=name, begin=local_midnight, end=change.valid_until, zone=zone
        )
    elif suspend:
        request = hikvision_persons.suspend_person(employee_no=ref, name=name, ended=moment, zone=zone)
    else:
        request = hikvision_persons.delete_person(employee_no=ref)
    row.method, row.path, row.body, row.text = request.method, request.path, request.body, request.text
    return row


def _supersede(devices: Sequence[Device], people: set[tuple[int, str]], moment: dt.datetime) -> int:
    """Mark the earlier commands for these (device, person) pairs superseded; returns how many."""
    if not people:
        return 0
    pending = (
        DeviceCommand.objects.filter(
            device__in=devices,
            action__in=PERSON_ACTIONS,
            superseded_at__isnull=True,
        )
        .filter(Q(status=CommandStatus.QUEUED) | Q(status=CommandStatus.SENT))
        .exclude(person_ref="")
        .values_list("pk", "device_id", "person_ref", "status")
    )
    queued: list[int] = []
    sent: list[int] = []
    for pk, device_id, person_ref, status in pending:
        if (device_id, person_ref) in people:
            (queued if status == CommandStatus.QUEUED else sent).append(pk)
    count = 0
    for chunk in _chunks(queued):
        # Conditional: a command a device claimed meanwhile is sent, not superseded.
        count += DeviceCommand.objects.filter(pk__in=chunk, status=CommandStatus.QUEUED).update(
            status=CommandStatus.SUPERSEDED, superseded_at=moment
        )
    for chunk in _chunks(sent):
        count += DeviceCommand.objects.filter(pk__in=chunk, status=CommandStatus.SENT).update(
            superseded_at=moment
        )
    return count


@transaction.atomic  # a savepoint inside the caller's transaction; its own one when called alone
def sync_allowlist(
    *, project: Project, changes: Sequence[AllowListChange], now: dt.datetime | None = None
) -> SyncResult:
    """Queue, for every enabled ZKTeco and Hikvision device of ``project``, the command that adds each
    allowed employment or removes each denied one. Runs inside the caller's transaction (it locks the
    project's gate devices until the caller commits). The last change of an employment in ``changes``
    wins; an allowed change whose ``valid_until`` has already passed is a denial; changes naming an
    employment of another project are ignored (logged). Query count grows with len(changes) / 500, not
    with len(changes)."""
    moment = now or timezone.now()
    result = SyncResult()
    latest: dict[int, AllowListChange] = {}
    for change in changes:
        latest.pop(change.employment_id, None)
        latest[change.employment_id] = change
    if not latest:
        return result
    devices = gate_devices(project)
    if not devices:
        return result
    names = _names(project, list(latest))
    foreign = [pk for pk in latest if pk not in names]
    if foreign:
        log.warning(
            "allow-list sync for %s ignores %d employment(s) of other projects",
            project.code,
            len(foreign),
        )
    identities = _Identities(project)
    last_ids: dict[int, int] = dict(
        DeviceCommand.objects.filter(device__in=devices)
        .order_by()
        .values("device_id")
        .annotate(last=Max("command_id"))
        .values_list("device_id", "last")
    )
    rows: list[DeviceCommand] = []
    people: set[tuple[int, str]] = set()
    for device in devices:
        ref_kind = REF_KIND[DeviceKind(device.kind)]
        next_id = last_ids.get(device.pk, 0) + 1
        for employment_id, change in latest.items():
            if employment_id not in names:
                continue
            allowed = change.allowed and (change.valid_until is None or change.valid_until > moment)
            ref = identities.find(device, ref_kind, employment_id)
            if ref is None and not allowed:
                result.not_mapped += 1
                continue
            if ref is None:
                ref = identities.allocate(device, ref_kind, employment_id)
                result.allocated += 1
            card = identities.find(device, PersonRefKind.CARD, employment_id) or ""
            try:
                row = _command(
                    device,
                    next_id,
                    change=change,
                    allowed=allowed,
                    ref=ref,
                    name=names[employment_id],
                    card=card,
                    moment=moment,
                )
            except ValueError as exc:
                result.problems.append(f"{device.serial} {ref}: {exc}")
                continue
            next_id += 1
            rows.append(row)
            people.add((device.pk, ref))
            result.queued[device.kind] += 1
            if allowed:
                result.allowed += 1
            else:
                result.denied += 1
    insert_rows(DeviceIdentity, identities.new_rows, moment)
    result.superseded = _supersede(devices, people, moment)
    insert_rows(DeviceCommand, [row.__dict__ for row in rows], moment)
    if result.problems:
        log.warning("allow-list sync for %s: %d command(s) not queued", project.code, len(result.problems))
    return result


# --- Hikvision commands through the edge agent ----------------------------------------------------------


def record_isapi_result(
    *, device: Device, command_id: int, result: hikvision_persons.IsapiResult, now: dt.datetime | None = None
) -> DeviceCommand | None:
    """Record what the device answered to one ISAPI command (acked or failed). A command answered before
    keeps its first answer (the agent may post twice), one never handed out stays as it is; a command
    never queued for this device is None."""
    moment = now or timezone.now()
    DeviceCommand.objects.filter(device=device, command_id=command_id, status=CommandStatus.SENT).update(
        status=CommandStatus.ACKED if result.succeeded else CommandStatus.FAILED,
        return_code=result.return_code,
        result=result.text,
        acked_at=moment,
    )
    return DeviceCommand.objects.filter(device=device, command_id=command_id).first()
