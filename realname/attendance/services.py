"""Writes for gate devices and what they send: registering devices and person mappings, storing every
request raw first, parsing it second, ingesting punches (duplicates absorbed by the database), and the
ZKTeco command queue. Views, ``replay_raw`` and tests all go through these functions."""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max, Q
from django.utils import timezone

from realname.attendance.daycalc import recompute_for_events
from realname.attendance.models import (
    AccessEvent,
    CommandStatus,
    Device,
    DeviceCommand,
    DeviceIdentity,
    DeviceKind,
    DeviceRole,
    EventSource,
    ParseStatus,
    RawMessage,
)
from realname.attendance.protocols import LineError, ParsedEvent, ProtocolError, hikvision, zkteco
from realname.core import audit
from realname.core.audit import AuditAction
from realname.core.services import create_row
from realname.ledger.services import append_events
from realname.orgs.models import Project
from realname.workers.models import Employment

log = logging.getLogger(__name__)

FLAG_CLOCK_SKEW = "clock_skew"
FLAG_UNKNOWN_PERSON = "unknown_person"
FLAG_REPLAYED = "replayed"
FLAG_NO_DEVICE_TIME = "no_device_time"

ROLE_DIRECTION = {DeviceRole.ENTRANCE: "01", DeviceRole.EXIT: "02"}
_READ_BACK_CHUNK = 500


def clock_skew_limit() -> dt.timedelta:
    return dt.timedelta(seconds=settings.REALNAME_CLOCK_SKEW_SECONDS)


def command_resend_after() -> dt.timedelta:
    return dt.timedelta(seconds=settings.REALNAME_DEVICE_COMMAND_RESEND_SECONDS)


# --- devices and person mappings ------------------------------------------------------------------------


@transaction.atomic
def register_device(
    *,
    project: Project,
    kind: str,
    serial: str,
    name: str = "",
    area: str = "",
    role: str = DeviceRole.BOTH,
    time_zone: str = "",
    enabled: bool = True,
) -> Device:
    """A device on a project with a fresh random secret; its time zone defaults to the project's."""
    device = Device(
        project=project,
        kind=kind,
        serial=serial.strip(),
        name=name.strip(),
        area=area.strip(),
        role=role,
        time_zone=time_zone or project.time_zone,
        enabled=enabled,
    )
    device.full_clean()
    device.save()
    # The secret is a credential: the audit entry records that one was set, never its value.
    changes = {**audit.snapshot(device), "secret": "***"}
    audit.record(AuditAction.CREATE, device, changes=changes)
    return device


@transaction.atomic
def map_person(
    *,
    project: Project,
    ref_kind: str,
    ref: str,
    employment: Employment,
    device: Device | None = None,
    kind: str = "",
) -> DeviceIdentity:
    """Say which employment a device identifier (PIN, employeeNo, card) means within one project."""
    if employment.project_id != project.pk:
        raise ValidationError({"employment": "该用工记录不属于本项目 / the employment is on another project"})
    if device is not None and device.project_id != project.pk:
        raise ValidationError({"device": "该设备不属于本项目 / the device is on another project"})
    return create_row(
        DeviceIdentity,
        project=project,
        device=device,
        kind=device.kind if device is not None else kind,
        ref_kind=ref_kind,
        ref=ref.strip(),
        employment=employment,
    )


# --- raw messages ---------------------------------------------------------------------------------------


def store_raw_message(
    *,
    kind: str,
    device: Device | None,
    serial: str,
    path: str,
    query_string: str,
    content_type: str,
    body: bytes,
    method: str = "POST",
    remote_addr: str | None = None,
    received_at: dt.datetime | None = None,
    refused: str = "",
) -> RawMessage:
    """Keep a request body exactly as received, committed on its own before anything parses it."""
    with transaction.atomic():
        return RawMessage.objects.create(
            project_id=device.project_id if device is not None else None,
            device=device,
            kind=kind,
            serial=serial[:64],
            method=method,
            path=path[:300],
            query_string=query_string[:2000],
            content_type=content_type[:200],
            body=body,
            remote_addr=remote_addr,
            received_at=received_at or timezone.now(),
            parse_status=ParseStatus.FAILED if refused else ParseStatus.NEW,
            error=refused,
        )


@dataclass(frozen=True)
class IngestResult:
    """What one batch of punches came to: new events, re-sent ones absorbed, and unreadable ones."""

    accepted: int = 0
    duplicates: int = 0
    errors: int = 0
    events: tuple[AccessEvent, ...] = ()


@dataclass(frozen=True)
class ProcessResult:
    """The outcome of parsing one raw message (and ingesting its events, if it had any)."""

    status: str
    accepted: int = 0
    duplicates: int = 0
    errors: int = 0
    retryable: bool = False
    notes: tuple[str, ...] = ()

    @property
    def stored(self) -> int:
        """Records now safely in the database, new or already there: what the device is told."""
        return self.accepted + self.duplicates


@dataclass
class _Outcome:
    status: str = ParseStatus.PARSED
    accepted: int = 0
    duplicates: int = 0
    errors: list[str] = field(default_factory=list)
    parsed: dict[str, Any] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)


def _line_errors(errors: Sequence[LineError]) -> list[str]:
    return [f"line {e.line_no}: {e.reason}: {e.text[:200]}" for e in errors]


def _events_outcome(
    *,
    device: Device,
    raw: RawMessage,
    items: list[ParsedEvent],
    errors: list[LineError],
    notes: list[str],
    source: str,
) -> _Outcome:
    result = ingest_events(device=device, parsed=items, raw_message=raw, source=source)
    outcome = _Outcome(accepted=result.accepted, duplicates=result.duplicates, notes=list(notes))
    outcome.errors = _line_errors(errors)
    outcome.parsed = {"accepted": result.accepted, "duplicates": result.duplicates, "notes": list(notes)}
    return outcome


def _process_zkteco(raw: RawMessage, device: Device, *, replay: bool) -> _Outcome:
    query = zkteco.parse_query(raw.query_string)
    body = bytes(raw.body)
    if raw.path.rstrip("/").split("/")[-1].startswith("devicecmd"):
        commands = zkteco.parse_devicecmd(body)
        marked = record_command_results(device=device, results=commands.items)
        return _Outcome(
            errors=_line_errors(commands.errors), parsed={"results": len(commands.items), "marked": marked}
        )
    table = (query.table or "").upper()
    if table == "ATTLOG":
        batch = zkteco.parse_attlog(body)
        outcome = _events_outcome(
            device=device,
            raw=raw,
            items=batch.items,
            errors=batch.errors,
            notes=batch.notes,
            source=EventSource.ZKTECO,
        )
        if query.stamp and not replay:
            Device.objects.filter(pk=device.pk).update(attlog_stamp=query.stamp[:40])
        return outcome
    if table in ("OPERLOG", "USERINFO"):
        records = zkteco.parse_operlog(body) if table == "OPERLOG" else zkteco.parse_userinfo(body)
        op_stamp = query.op_stamp or query.stamp
        if table == "OPERLOG" and op_stamp and not replay:
            Device.objects.filter(pk=device.pk).update(operlog_stamp=op_stamp[:40])
        return _Outcome(
            errors=_line_errors(records.errors),
            parsed={
                "table": table,
                "records": [{"tag": r.tag, "fields": r.fields, "line": r.line_no} for r in records.items],
            },
        )
    return _Outcome(parsed={"table": table}, notes=[f"table {table or '(none)'} stored, not interpreted"])


def _process_hikvision(raw: RawMessage, device: Device, *, replay: bool) -> _Outcome:
    batch = hikvision.parse_event(raw.content_type, bytes(raw.body))
    return _events_outcome(
        device=device,
        raw=raw,
        items=batch.items,
        errors=batch.errors,
        notes=batch.notes,
        source=EventSource.HIKVISION,
    )


_PROCESSORS: dict[str, Callable[..., _Outcome]] = {
    DeviceKind.ZKTECO: _process_zkteco,
    DeviceKind.HIKVISION: _process_hikvision,
}


def _device_for(raw: RawMessage) -> Device | None:
    if raw.device_id is not None:
        return Device.objects.select_related("project").get(pk=raw.device_id)
    if raw.serial:  # refused when it arrived; the device may have been registered since
        return Device.objects.select_related("project").filter(serial=raw.serial, kind=raw.kind).first()
    return None


def _mark_failed(raw: RawMessage, error: str) -> None:
    RawMessage.objects.filter(pk=raw.pk).update(
        parse_status=ParseStatus.FAILED, error=error[:10000], parsed_at=timezone.now()
    )


def process_raw_message(*, raw: RawMessage, replay: bool = False) -> ProcessResult:
    """Parse a stored raw message and ingest what it holds, in one transaction; the raw row records how it
    went. Running it again (``replay_raw``) is safe: events already stored are absorbed as duplicates."""
    try:
        with transaction.atomic():
            device = _device_for(raw)
            if device is None:
                raise ProtocolError("未登记的设备", f"unknown device {raw.serial!r}", retryable=False)
            processor = _PROCESSORS.get(raw.kind)
            if processor is None:
                raise ProtocolError("不支持的设备类型", f"no parser for {raw.kind!r}", retryable=False)
            outcome = processor(raw, device, replay=replay)
            status = ParseStatus.FAILED if outcome.errors else ParseStatus.PARSED
            RawMessage.objects.filter(pk=raw.pk).update(
                device=device,
                project_id=device.project_id,
                parse_status=status,
                error="\n".join(outcome.errors)[:10000],
                parsed=outcome.parsed,
                parsed_at=timezone.now(),
            )
    except ProtocolError as exc:
        _mark_failed(raw, str(exc))
        log.warning("raw message %s could not be read: %s", raw.pk, exc)
        return ProcessResult(status=ParseStatus.FAILED, errors=1, retryable=exc.retryable)
    except Exception as exc:
        _mark_failed(raw, f"{type(exc).__name__}: {exc}")
        raise
    return ProcessResult(
        status=status,
        accepted=outcome.accepted,
        duplicates=outcome.duplicates,
        errors=len(outcome.errors),
        notes=tuple(outcome.notes),
    )


# --- ingestion ------------------------------------------------------------------------------------------


def _occurred(event: ParsedEvent, device: Device, received_at: dt.datetime) -> tuple[dt.datetime, str]:
    """(the instant in UTC, the time as the device wrote it)."""
    if event.aware_time is not None:
        return event.aware_time.astimezone(dt.UTC), event.aware_time.isoformat()
    if event.local_time is not None:
        local = event.local_time.replace(tzinfo=device.zone)
        return local.astimezone(dt.UTC), event.local_time.strftime(zkteco.TIME_FORMAT)
    return received_at, ""


def _identities(device: Device, parsed: Sequence[ParsedEvent]) -> dict[tuple[str, str], Employment]:
    refs = {event.person_ref for event in parsed}
    kinds = {event.person_ref_kind for event in parsed}
    rows = (
        DeviceIdentity.objects.filter(project_id=device.project_id, ref_kind__in=kinds, ref__in=refs)
        .filter(Q(device__isnull=True) | Q(device=device))
        .filter(Q(kind="") | Q(kind=device.kind))
        .select_related("employment")
    )
    return {(row.ref_kind, row.ref): row.employment for row in rows}


@transaction.atomic
def ingest_events(
    *,
    device: Device,
    parsed: Sequence[ParsedEvent],
    raw_message: RawMessage | None,
    source: str,
    received_at: dt.datetime | None = None,
) -> IngestResult:
    """Store the punches of one upload as AccessEvents, each at most once per device.

    Device wall-clock times are localised with the device's zone; identifiers are mapped within the
    device's project only (an unknown one is kept, flagged ``unknown_person``); a single-role gate decides
    the direction. Re-sent punches are absorbed by the unique constraint on (device, device_event_key)
    through INSERT … ON CONFLICT DO NOTHING; which keys are new is read back afterwards, and only the new
    events are appended to the ledger, in the same transaction.
    """
    received = received_at or (raw_message.received_at if raw_message is not None else timezone.now())
    skew_limit = clock_skew_limit()
    employments = _identities(device, parsed)
    role_direction = ROLE_DIRECTION.get(DeviceRole(device.role))
    candidates: list[AccessEvent] = []
    seen: set[str] = set()
    measured_skew: int | None = None
    for event in parsed:
        if event.device_event_key in seen:
            continue  # the same punch twice in one body
        seen.add(event.device_event_key)
        occurred, device_text = _occurred(event, device, received)
        flags: list[str] = []
        employment = employments.get((event.person_ref_kind, event.person_ref))
        if employment is None:
            flags.append(FLAG_UNKNOWN_PERSON)
        if event.replayed:
            flags.append(FLAG_REPLAYED)
        if not device_text:
            flags.append(FLAG_NO_DEVICE_TIME)
        elif not event.replayed:
            offset = received - occurred
            measured_skew = int(offset.total_seconds())
            if abs(offset) > skew_limit:
                flags.append(FLAG_CLOCK_SKEW)
        candidates.append(
            AccessEvent(
                project_id=device.project_id,
                device=device,
                raw_message=raw_message,
                device_event_key=event.device_event_key,
                person_ref=event.person_ref,
                person_ref_kind=event.person_ref_kind,
                employment=employment,
                worker_id=employment.worker_id if employment is not None else None,
                occurred_at=occurred,
                device_local_time=device_text,
                direction=role_direction or event.direction,
                method=event.method,
                source=source,
                received_at=received,
                flags=flags,
            )
        )
    AccessEvent.objects.bulk_create(candidates, ignore_conflicts=True)
    # Which rows are ours: a public_id we generated is found only where our INSERT was not skipped.
    order = {candidate.public_id: position for position, candidate in enumerate(candidates)}
    ids = list(order)
    new_events: list[AccessEvent] = []
    for start in range(0, len(ids), _READ_BACK_CHUNK):
        new_events.extend(AccessEvent.objects.filter(public_id__in=ids[start : start + _READ_BACK_CHUNK]))
    new_events.sort(key=lambda row: order[row.public_id])
    if new_events:
        append_events(new_events)
        # The days these punches fall in, recomputed in the same transaction (late events included).
        recompute_for_events(new_events)
    # last_seen_at only moves forward: replaying an old raw message does not turn the clock back.
    seen_update: dict[str, Any] = {"last_seen_at": received}
    if measured_skew is not None:
        seen_update["clock_skew_seconds"] = measured_skew
    Device.objects.filter(pk=device.pk).filter(
        Q(last_seen_at__isnull=True) | Q(last_seen_at__lte=received)
    ).update(**seen_update)
    return IngestResult(
        accepted=len(new_events),
        duplicates=len(parsed) - len(new_events),
        errors=0,
        events=tuple(new_events),
    )


def touch_device(*, device: Device, now: dt.datetime | None = None) -> None:
    """Record that a device was heard from (heartbeats, handshakes)."""
    moment = now or timezone.now()
    Device.objects.filter(pk=device.pk).filter(
        Q(last_seen_at__isnull=True) | Q(last_seen_at__lt=moment)
    ).update(last_seen_at=moment)


def handshake_options(device: Device) -> dict[str, str | int | None]:
    """The ZKTeco options block for this device: its stored upload cursors and its zone's UTC offset."""
    offset = timezone.now().astimezone(device.zone).utcoffset() or dt.timedelta(0)
    hours = offset.total_seconds() / 3600
    return {
        **zkteco.DEFAULT_OPTIONS,
        "ATTLOGStamp": device.attlog_stamp or None,
        "OPERLOGStamp": device.operlog_stamp or 9999,
        "TimeZone": int(hours) if hours.is_integer() else hours,  # type: ignore[dict-item]
    }


# --- ZKTeco command queue -------------------------------------------------------------------------------


@transaction.atomic
def queue_command(*, device: Device, command: zkteco.CommandName, **fields: str | int) -> DeviceCommand:
    """Queue one command for a ZKTeco device; ids count up per device (the device's row is locked while
    the next id is chosen, so two writers never pick the same)."""
    Device.objects.select_for_update().filter(pk=device.pk).exists()
    last = DeviceCommand.objects.filter(device=device).aggregate(last=Max("command_id"))["last"] or 0
    try:
        text = zkteco.format_command(last + 1, command, **fields)
    except ValueError as exc:
        raise ValidationError({"command": str(exc)}) from None
    return DeviceCommand.objects.create(
        project_id=device.project_id, device=device, command_id=last + 1, text=text
    )


@transaction.atomic
def claim_commands(*, device: Device, limit: int = 20, now: dt.datetime | None = None) -> list[DeviceCommand]:
    """The next commands to hand to a device (queued ones, and sent ones that were never answered), marked
    sent. Rows are claimed with SELECT … FOR UPDATE SKIP LOCKED where the database has it, and a
    conditional UPDATE, so two polls never hand out the same command."""
    moment = now or timezone.now()
    pending = Q(status=CommandStatus.QUEUED) | Q(
        status=CommandStatus.SENT, sent_at__lt=moment - command_resend_after()
    )
    ids = list(
        DeviceCommand.objects.select_for_update(skip_locked=True)
        .filter(pending, device=device)
        .order_by("command_id")
        .values_list("id", flat=True)[:limit]
    )
    if not ids:
        return []
    DeviceCommand.objects.filter(pending, id__in=ids).update(status=CommandStatus.SENT, sent_at=moment)
    return list(
        DeviceCommand.objects.filter(id__in=ids, status=CommandStatus.SENT, sent_at=moment).order_by(
            "command_id"
        )
    )


def record_command_results(
    *, device: Device, results: Sequence[zkteco.CommandResult], now: dt.datetime | None = None
) -> int:
    """Mark commands answered through devicecmd (Return >= 0 acked, < 0 failed); returns how many."""
    moment = now or timezone.now()
    marked = 0
    for result in results:
        marked += DeviceCommand.objects.filter(
            device=device,
            command_id=result.command_id,
            status__in=[CommandStatus.QUEUED, CommandStatus.SENT],
        ).update(
            status=CommandStatus.ACKED if result.succeeded else CommandStatus.FAILED,
            return_code=result.return_code,
            result=result.cmd[:1000],
            acked_at=moment,
        )
    return marked
