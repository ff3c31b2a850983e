"""Writes for gate devices and what they send: registering devices and person mappings, storing every
request raw first, parsing it second, ingesting punches (duplicates absorbed by the database), and the
ZKTeco command queue. Views, ``replay_raw`` and tests all go through these functions."""

from __future__ import annotations

import datetime as dt
import json
import logging
import uuid
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import connections, router, transaction
from django.db.models import Max, Q
from django.utils import timezone

from realname.admission.models import AdmissionStatus
from realname.attendance.daycalc import recompute_for_events
from realname.attendance.models import (
    AccessEvent,
    CommandStatus,
    DayQueue,
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
from realname.core.bulk import insert_returning_ids, reserve_ids, streamed_insert, text_array
from realname.core.ids import time_ordered_uuid_text
from realname.core.services import create_row
from realname.ledger import canonical, merkle
from realname.ledger import services as ledger_services
from realname.orgs.models import Project
from realname.workers.models import Employment, Worker

log = logging.getLogger(__name__)

FLAG_CLOCK_SKEW = "clock_skew"
FLAG_UNKNOWN_PERSON = "unknown_person"
FLAG_REPLAYED = "replayed"
FLAG_NO_DEVICE_TIME = "no_device_time"
# A worker whose admission was refused when the punch was stored (realname/admission): the device still
# gets its OK and the punch is kept, flagged with the reasons (``denied:<code>``) and reported.
FLAG_ADMISSION_DENIED = "admission_denied"

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
    """Keep a request body exactly as received, committed on its own before anything parses it.

    One plain INSERT … RETURNING (the ORM's per-call compilation of a 16-column insert was a fifth of a
    gate request's time)."""
    row: dict[str, Any] = {
        "project_id": device.project_id if device is not None else None,
        "device_id": device.pk if device is not None else None,
        "kind": kind,
        "serial": serial[:64],
        "method": method,
        "path": path[:300],
        "query_string": query_string[:2000],
        "content_type": content_type[:200],
        "body": body,
        "remote_addr": remote_addr,
        "received_at": received_at or timezone.now(),
        "parse_status": ParseStatus.FAILED if refused else ParseStatus.NEW,
        "error": refused,
        "parsed": {},
        "parsed_at": None,
    }
    with transaction.atomic():
        (row["id"],) = insert_returning_ids(RawMessage, [row], row["received_at"])
    raw = RawMessage(**row)
    raw._state.adding = False
    raw._state.db = router.db_for_write(RawMessage)
    return raw


def store_upload_if_enabled(
    *,
    kind: str,
    serial: str = "",
    secret: str = "",
    path: str,
    query_string: str,
    content_type: str,
    body: bytes,
    remote_addr: str | None = None,
) -> int | None:
    """Store an upload from the enabled device of this kind with this serial (or secret), in one statement
    (INSERT … SELECT from the device row, RETURNING the new id), and commit; None when no such device is
    enabled — the caller then looks the device up and refuses it as usual.

    This is the whole database work of a deferred gate upload: the same one round trip and commit as the
    plainest view that stores a request, which is what lets busy gates be answered at once."""
    if bool(serial) == bool(secret):
        raise ValueError("give a serial or a secret")
    connection = connections[router.db_for_write(RawMessage)]
    quote = connection.ops.quote_name
    raws, devices = quote(RawMessage._meta.db_table), quote(Device._meta.db_table)
    by = "serial" if serial else "secret"
    received = timezone.now()
    sql = (
        f"INSERT INTO {raws} (project_id, device_id, kind, serial, method, path, query_string, content_type, "  # noqa: S608
        "body, remote_addr, received_at, parse_status, error, parsed, parsed_at) "
        "SELECT d.project_id, d.id, %s, d.serial, 'POST', %s, %s, %s, %s, %s, %s, "
        f"'{ParseStatus.NEW.value}', '', '{{}}', NULL "
        f"FROM {devices} d WHERE d.{by} = %s AND d.kind = %s AND d.enabled RETURNING id"
    )
    params = [
        kind,
        path[:300],
        query_string[:2000],
        content_type[:200],
        body,
        remote_addr,
        connection.ops.adapt_datetimefield_value(received),
        serial or secret,
        kind,
    ]
    with transaction.atomic(using=connection.alias), connection.cursor() as cursor:
        cursor.execute(sql, params)
        row = cursor.fetchone()
    return None if row is None else int(row[0])


# The columns of an AccessEvent row as the ingest builds it (every concrete column but the key).
EVENT_COLUMNS: tuple[str, ...] = (
    "public_id",
    "project_id",
    "device_id",
    "raw_message_id",
    "device_event_key",
    "person_ref",
    "person_ref_kind",
    "employment_id",
    "worker_id",
    "occurred_at",
    "device_local_time",
    "direction",
    "method",
    "source",
    "received_at",
    "flags",
    "lat",
    "lng",
    "ledger_index",
)
_RAW_MESSAGE_COLUMN = EVENT_COLUMNS.index("raw_message_id")


@dataclass(frozen=True)
class IngestResult:
    """What one batch of punches came to: new events, re-sent ones absorbed, and unreadable ones."""

    accepted: int = 0
    duplicates: int = 0
    errors: int = 0
    # The new events' column values as written, EVENT_COLUMNS order (public_id and flags as text, the
    # flags as JSON), and their keys.
    values: tuple[tuple[Any, ...], ...] = ()
    ids: tuple[int, ...] = ()

    @cached_property
    def rows(self) -> tuple[dict[str, Any], ...]:
        """The new events as attname → value dicts (with "id"; public_id and flags as the ORM reads them)."""
        out = []
        for pk, row in zip(self.ids, self.values, strict=True):
            values = dict(zip(EVENT_COLUMNS, row, strict=True))
            values["public_id"] = uuid.UUID(values["public_id"])
            values["flags"] = json.loads(values["flags"])
            out.append({"id": pk, **values})
        return tuple(out)

    def raw_message_ids(self) -> list[int | None]:
        return [row[_RAW_MESSAGE_COLUMN] for row in self.values]

    @cached_property
    def events(self) -> tuple[AccessEvent, ...]:
        """The new events as model instances, in upload order (built on first use, without a query)."""
        alias = router.db_for_write(AccessEvent)
        out = []
        for row in self.rows:
            event = AccessEvent(**row)
            event._state.adding = False
            event._state.db = alias
            out.append(event)
        return tuple(out)


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


def _save_attlog_stamp(device: Device, stamp: str) -> None:
    """The upload cursor the device gave (returned to it in the next handshake as ATTLOGStamp)."""
    Device.objects.filter(pk=device.pk).update(attlog_stamp=stamp[:40])


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
            _save_attlog_stamp(device, query.stamp)
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


def mark_failed(raw: RawMessage | int, error: str) -> None:
    """Record that a raw message (or the one with this id) could not be read (it stays for ``replay_raw``)."""
    RawMessage.objects.filter(pk=raw if isinstance(raw, int) else raw.pk).update(
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
        mark_failed(raw, str(exc))
        log.warning("raw message %s could not be read: %s", raw.pk, exc)
        return ProcessResult(status=ParseStatus.FAILED, errors=1, retryable=exc.retryable)
    except Exception as exc:
        mark_failed(raw, f"{type(exc).__name__}: {exc}")
        raise
    return ProcessResult(
        status=status,
        accepted=outcome.accepted,
        duplicates=outcome.duplicates,
        errors=len(outcome.errors),
        notes=tuple(outcome.notes),
    )


# --- deferred uploads (REALNAME_DEVICE_UPLOADS=deferred) --------------------------------------------------


def is_event_upload(raw: RawMessage) -> bool:
    """A raw message that carries punches: a ZKTeco ATTLOG upload, or a Hikvision event push."""
    if raw.kind == DeviceKind.HIKVISION:
        return True
    if raw.kind != DeviceKind.ZKTECO or not raw.path.rstrip("/").split("/")[-1].startswith("cdata"):
        return False
    try:
        return (zkteco.parse_query(raw.query_string).table or "").upper() == "ATTLOG"
    except ProtocolError:
        return False


def _parse_upload(raw: RawMessage) -> tuple[list[ParsedEvent], list[LineError], list[str]]:
    if raw.kind == DeviceKind.HIKVISION:
        batch = hikvision.parse_event(raw.content_type, bytes(raw.body))
    else:
        batch = zkteco.parse_attlog(bytes(raw.body))
    return batch.items, batch.errors, batch.notes


@dataclass(frozen=True)
class PendingRawResult:
    messages: int = 0
    accepted: int = 0
    duplicates: int = 0
    failed: int = 0


def process_pending_raw(*, limit: int = 1000) -> PendingRawResult:
    """Parse and ingest raw messages that were stored and answered but not read yet, oldest first (the
    worker's job when gate uploads are deferred). The punch-carrying uploads of each device go through
    :func:`ingest_uploads` together, in one transaction — much cheaper per punch than one by one; anything
    else, and any group that fails as a whole, goes through :func:`process_raw_message` message by message,
    which records each failure on its own message."""
    pending = list(
        RawMessage.objects.filter(parse_status=ParseStatus.NEW, device__isnull=False)
        .order_by("id")
        .select_related("device__project")[:limit]
    )
    groups: dict[tuple[int, str], list[RawMessage]] = {}
    singles: list[RawMessage] = []
    for raw in pending:
        if is_event_upload(raw):
            groups.setdefault((raw.device_id, raw.kind), []).append(raw)  # type: ignore[arg-type]
        else:
            singles.append(raw)
    totals = PendingRawResult(messages=len(pending))
    for raws in groups.values():
        try:
            outcome = _process_uploads(raws)
        except Exception:
            log.exception("a batch of %d raw messages failed; processing them one by one", len(raws))
            singles.extend(raws)
            continue
        totals = PendingRawResult(
            totals.messages,
            totals.accepted + outcome.accepted,
            totals.duplicates + outcome.duplicates,
            totals.failed + outcome.failed,
        )
    for raw in sorted(singles, key=lambda row: row.pk):
        result = process_raw_message(raw=raw)
        totals = PendingRawResult(
            totals.messages,
            totals.accepted + result.accepted,
            totals.duplicates + result.duplicates,
            totals.failed + (result.status == ParseStatus.FAILED),
        )
    return totals


@transaction.atomic
def _process_uploads(raws: list[RawMessage]) -> PendingRawResult:
    """One device's punch uploads in one transaction; each raw message records its own outcome."""
    device = raws[0].device
    assert device is not None  # noqa: S101 - process_pending_raw selects messages with a device
    # Another worker may have taken some meanwhile: only the rows still new, locked, are ours.
    mine = list(
        RawMessage.objects.select_for_update(skip_locked=True)
        .filter(pk__in=[raw.pk for raw in raws], parse_status=ParseStatus.NEW)
        .order_by("id")
    )
    uploads: list[Upload] = []
    readings: dict[int, tuple[int, list[LineError], list[str]]] = {}
    unreadable: dict[int, str] = {}
    for raw in mine:
        try:
            items, errors, notes = _parse_upload(raw)
        except ProtocolError as exc:
            unreadable[raw.pk] = str(exc)
            continue
        uploads.append(Upload(items, raw, raw.received_at))
        readings[raw.pk] = (len(items), errors, notes)
    source = EventSource.HIKVISION if device.kind == DeviceKind.HIKVISION else EventSource.ZKTECO
    result = ingest_uploads(device=device, uploads=uploads, source=source)
    accepted = Counter(result.raw_message_ids())
    now = timezone.now()
    failed = 0
    for raw in mine:
        if raw.pk in unreadable:
            failed += 1
            RawMessage.objects.filter(pk=raw.pk).update(
                parse_status=ParseStatus.FAILED, error=unreadable[raw.pk][:10000], parsed_at=now
            )
            continue
        count, errors, notes = readings[raw.pk]
        new = accepted[raw.pk]
        failed += bool(errors)
        RawMessage.objects.filter(pk=raw.pk).update(
            parse_status=ParseStatus.FAILED if errors else ParseStatus.PARSED,
            error="\n".join(_line_errors(errors))[:10000],
            parsed={"accepted": new, "duplicates": count - new, "notes": notes},
            parsed_at=now,
        )
    if device.kind == DeviceKind.ZKTECO:
        stamps = [zkteco.parse_query(raw.query_string).stamp for raw in mine if raw.pk in readings]
        if stamps and stamps[-1]:
            _save_attlog_stamp(device, stamps[-1])
    return PendingRawResult(len(mine), result.accepted, result.duplicates, failed)


# --- ingestion ------------------------------------------------------------------------------------------


def _occurred(event: ParsedEvent, zone: ZoneInfo, received_at: dt.datetime) -> tuple[dt.datetime, str]:
    """(the instant in UTC, the time as the device wrote it); ``zone`` is the device's."""
    if event.aware_time is not None:
        return event.aware_time.astimezone(dt.UTC), event.aware_time.isoformat()
    if event.local_time is not None:
        local = event.local_time
        # zkteco.TIME_FORMAT ("%Y-%m-%d %H:%M:%S"), written the cheap way (once per punch).
        text = local.isoformat(sep=" ", timespec="seconds")
        return local.replace(tzinfo=zone).astimezone(dt.UTC), text
    return received_at, ""


def _identities(device: Device, parsed: Sequence[ParsedEvent]) -> dict[tuple[str, str], _Person]:
    """(ref kind, ref) → the employment and worker it means on this device's project (identifiers are
    unique per project and kind; one a device-specific mapping names must be this device's)."""
    refs = sorted({event.person_ref for event in parsed})
    if not refs:
        return {}
    kinds = sorted({event.person_ref_kind for event in parsed})
    connection = connections[router.db_for_read(DeviceIdentity)]
    if connection.vendor == "postgresql":
        # One probe of the (project, ref_kind, ref) unique index per identifier. "ref IN (…500…)" was
        # planned as a scan of all the project's mappings, each tested against every identifier, and a
        # join with unnest() as a hash of all of them; the LATERAL subquery with OFFSET 0 cannot be
        # flattened into the join, so it runs once per identifier, on the index.
        quote = connection.ops.quote_name
        identities = quote(DeviceIdentity._meta.db_table)
        employments = quote(Employment._meta.db_table)
        workers = quote(Worker._meta.db_table)
        statuses = quote(AdmissionStatus._meta.db_table)
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT i.ref_kind, i.ref, i.employment_id, e.worker_id, w.public_id, s.allowed, s.reasons "  # noqa: S608
                "FROM unnest(%s::text[]) AS k(kind) CROSS JOIN unnest(%s::text[]) AS r(ref) "
                f"CROSS JOIN LATERAL (SELECT * FROM {identities} d WHERE d.project_id = %s "
                "AND d.ref_kind = k.kind AND d.ref = r.ref OFFSET 0) AS i "
                f"JOIN {employments} e ON e.id = i.employment_id JOIN {workers} w ON w.id = e.worker_id "
                f"LEFT JOIN {statuses} s ON s.employment_id = i.employment_id "
                "WHERE (i.device_id IS NULL OR i.device_id = %s) AND (i.kind = '' OR i.kind = %s)",
                [text_array(kinds), text_array(refs), device.project_id, device.pk, device.kind],
            )
            rows = cursor.fetchall()
    else:
        rows = list(
            DeviceIdentity.objects.filter(project_id=device.project_id, ref_kind__in=kinds, ref__in=refs)
            .filter(Q(device__isnull=True) | Q(device=device))
            .filter(Q(kind="") | Q(kind=device.kind))
            .values_list(
                "ref_kind",
                "ref",
                "employment_id",
                "employment__worker_id",
                "employment__worker__public_id",
                "employment__admission__allowed",
                "employment__admission__reasons",
            )
        )
    return {
        (kind, ref): _Person(
            employment, worker, canonical.worker_json(public_id), _denial_flags(allowed, reasons)
        )
        for kind, ref, employment, worker, public_id, allowed, reasons in rows
    }


def _denial_flags(allowed: bool | None, reasons: Any) -> tuple[str, ...]:
    """The flags a punch of a worker whose admission is refused carries: ``admission_denied`` and one
    ``denied:<reason code>`` per reason (the decision in force when the punch is stored)."""
    if allowed is None or allowed:
        return ()
    if isinstance(reasons, str):  # a JSON column read through raw SQL on a driver that does not parse it
        reasons = json.loads(reasons)
    return (FLAG_ADMISSION_DENIED, *(f"denied:{reason.get('code', '')}" for reason in reasons or ()))


@dataclass(frozen=True)
class _Person:
    employment_id: int
    worker_id: int
    worker_json: str  # the worker's public id as the canonical bytes write it
    denied: tuple[str, ...] = ()  # admission refused: the flags to record with the punch


def _ids_by_ledger_index(start: int, count: int) -> dict[int, int]:
    """ledger index → primary key of the events just inserted as leaves ``start`` … ``start + count - 1``."""
    connection = connections[router.db_for_read(AccessEvent)]
    table = connection.ops.quote_name(AccessEvent._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT ledger_index, id FROM {table} WHERE ledger_index >= %s AND ledger_index < %s",  # noqa: S608
            [start, start + count],
        )
        return dict(cursor.fetchall())


def _stored_keys(device: Device, keys: Sequence[str]) -> set[str]:
    """Which of these device event keys this device has already delivered (one index probe per key; on
    PostgreSQL the keys travel as one array parameter)."""
    if not keys:
        return set()
    connection = connections[router.db_for_read(AccessEvent)]
    table = connection.ops.quote_name(AccessEvent._meta.db_table)
    select = f"SELECT device_event_key FROM {table} WHERE device_id = %s AND device_event_key"  # noqa: S608
    found: set[str] = set()
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # One probe of the (device, key) unique index per key, whatever the planner's statistics say:
            # "device_id = %s AND key = ANY(…)" (and a plain EXISTS, which becomes a join) was planned on a
            # freshly filled table as a scan of all the device's rows — millions, for a gate of some years.
            # "OFFSET 0" keeps the EXISTS a per-key subplan (PostgreSQL does not turn such a subquery into a
            # join), i.e. one lookup on both columns of the index per key.
            cursor.execute(
                f"SELECT k FROM unnest(%s::text[]) AS k WHERE EXISTS "  # noqa: S608
                f"(SELECT 1 FROM {table} e WHERE e.device_id = %s AND e.device_event_key = k OFFSET 0)",
                [text_array(keys), device.pk],
            )
            return {key for (key,) in cursor.fetchall()}
        for start in range(0, len(keys), _READ_BACK_CHUNK):
            chunk = keys[start : start + _READ_BACK_CHUNK]
            cursor.execute(f"{select} IN ({', '.join(['%s'] * len(chunk))})", [device.pk, *chunk])
            found.update(key for (key,) in cursor.fetchall())
    return found


@dataclass(frozen=True)
class Upload:
    """The punches of one upload: what they are, the raw message they came in (if stored), when it came."""

    parsed: Sequence[ParsedEvent]
    raw_message: RawMessage | None
    received_at: dt.datetime


@transaction.atomic
def ingest_events(
    *,
    device: Device,
    parsed: Sequence[ParsedEvent],
    raw_message: RawMessage | None,
    source: str,
    received_at: dt.datetime | None = None,
) -> IngestResult:
    """Store the punches of one upload as AccessEvents, each at most once per device, and log them
    (see :func:`ingest_uploads`, which does the work for several uploads of one device at once)."""
    received = received_at or (raw_message.received_at if raw_message is not None else timezone.now())
    return ingest_uploads(device=device, uploads=[Upload(parsed, raw_message, received)], source=source)


@transaction.atomic
def ingest_uploads(*, device: Device, uploads: Sequence[Upload], source: str) -> IngestResult:
    """Store the punches of one or more uploads of ``device`` as AccessEvents, each at most once per device.

    Device wall-clock times are localised with the device's zone; identifiers are mapped within the
    device's project only (an unknown one is kept, flagged ``unknown_person``); a single-role gate decides
    the direction.

    Every writer of events takes the ledger's lock (:func:`ledger.services.locked_state`) and holds it
    to its commit, so uploads take turns: the check for keys already stored is exact (no other upload
    can insert between it and our insert), each new event is inserted once, complete, already numbered
    with its ledger index, with one COPY/multi-row INSERT, and two overlapping uploads can never deadlock
    on the unique index. The unique constraint on (device, device_event_key) still stands behind it.
    Everything that does not depend on what is already stored (mapping identifiers, times, flags, public
    ids, canonical bytes and leaf hashes — a leaf does not contain its index) is done before the lock is
    taken, so a second ingesting process works while the first one holds it.
    DayRecords follow per ``REALNAME_DAY_RECOMPUTE``: in this transaction ("inline") or by the worker
    right after ("deferred"), driven by the same ledger numbering (:class:`DayQueue`).
    """
    unique: dict[str, tuple[ParsedEvent, Upload]] = {}
    total = 0
    for upload in uploads:
        total += len(upload.parsed)
        for event in upload.parsed:
            unique.setdefault(event.device_event_key, (event, upload))  # a punch sent twice: the first
    people = _identities(device, [event for event, _ in unique.values()])
    role_direction = ROLE_DIRECTION.get(DeviceRole(device.role))
    skew_limit = clock_skew_limit()
    zone = device.zone
    latest = max((upload.received_at for upload in uploads), default=None)
    project_id, device_id = device.project_id, device.pk
    template = canonical.DeviceEvents(
        project_code=device.project.code, device_serial=device.serial, source=source
    )
    leaf_hash = merkle.leaf_hash
    # Per punch: (its key, its row without the ledger index in EVENT_COLUMNS order, its leaf hash, the
    # device clock's offset in seconds when measured on the latest upload, else None).
    prepared: list[tuple[str, tuple[Any, ...], bytes, int | None]] = []
    for key, (event, upload) in unique.items():
        received = upload.received_at
        occurred, device_text = _occurred(event, zone, received)
        flags: list[str] = []
        skew: int | None = None
        person = people.get((event.person_ref_kind, event.person_ref))
        if person is None:
            flags.append(FLAG_UNKNOWN_PERSON)
        elif person.denied:
            flags.extend(person.denied)
        if event.replayed:
            flags.append(FLAG_REPLAYED)
        if not device_text:
            flags.append(FLAG_NO_DEVICE_TIME)
        elif not event.replayed:
            offset = received - occurred
            if received == latest:
                skew = int(offset.total_seconds())
            if abs(offset) > skew_limit:
                flags.append(FLAG_CLOCK_SKEW)
        public_id = time_ordered_uuid_text()
        direction = role_direction or event.direction
        row = (  # EVENT_COLUMNS order, but for ledger_index
            public_id,
            project_id,
            device_id,
            upload.raw_message.pk if upload.raw_message is not None else None,
            key,
            event.person_ref,
            event.person_ref_kind,
            person.employment_id if person is not None else None,
            person.worker_id if person is not None else None,
            occurred,
            device_text,
            direction,
            event.method,
            source,
            received,
            json.dumps(flags) if flags else "[]",
            None,
            None,
        )
        leaf = template.bytes(
            public_id=public_id,
            device_event_key=key,
            person_ref=event.person_ref,
            worker=person.worker_json if person is not None else "null",
            occurred_at=occurred,
            direction=direction,
            method=event.method,
        )
        prepared.append((key, row, leaf_hash(leaf), skew))

    state = ledger_services.locked_state()
    stored = _stored_keys(device, list(unique))
    start = state.size
    fresh = [item for item in prepared if item[0] not in stored] if stored else prepared
    values: list[tuple[Any, ...]] = []
    leaves: list[bytes] = []
    measured_skew: int | None = None
    # On PostgreSQL the keys come from the sequence first, so each row is written complete by COPY,
    # with nothing to read back.
    ids = reserve_ids(AccessEvent, len(fresh))
    columns = EVENT_COLUMNS if ids is None else ("id", *EVENT_COLUMNS)
    with streamed_insert(AccessEvent, columns, json_text=("flags",)) as write:
        for position, (_key, partial, leaf, skew) in enumerate(fresh):
            row = (*partial, start + position)
            write(row if ids is None else (ids[position], *row))
            values.append(row)
            leaves.append(leaf)
            if skew is not None:
                measured_skew = skew
    now = timezone.now()
    if values:
        if ids is None:
            by_index = _ids_by_ledger_index(start, len(values))
            ids = [by_index[start + position] for position in range(len(values))]
        ledger_services.append_leaves(state, list(zip(ids, leaves, strict=True)), now=now)
    result = IngestResult(
        accepted=len(values),
        duplicates=total - len(values),
        errors=0,
        values=tuple(values),
        ids=tuple(ids or ()),
    )
    if values and settings.REALNAME_DAY_RECOMPUTE == "inline":
        recompute_for_events(result.events)
        # Nothing was waiting before these: the queue's mark moves past them (else the worker catches up).
        DayQueue.objects.filter(pk=DayQueue.SINGLETON, done_size=start).update(done_size=start + len(values))
    if latest is not None:
        # last_seen_at only moves forward: replaying an old raw message does not turn the clock back.
        seen_update: dict[str, Any] = {"last_seen_at": latest}
        if measured_skew is not None:
            seen_update["clock_skew_seconds"] = measured_skew
        Device.objects.filter(pk=device.pk).filter(
            Q(last_seen_at__isnull=True) | Q(last_seen_at__lte=latest)
        ).update(**seen_update)
    return result


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


# Commands that add a person to a device's list or take them off it: a newer one for the same person
# supersedes a queued one (realname.attendance.allowlist).
PERSON_COMMANDS = frozenset({"add_user", "delete_user"})


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
    person = str(fields.get("pin", "")).strip() if command in PERSON_COMMANDS else ""
    return DeviceCommand.objects.create(
        project_id=device.project_id,
        device=device,
        command_id=last + 1,
        text=text,
        action=command,
        person_ref=person,
    )


@transaction.atomic
def claim_commands(*, device: Device, limit: int = 20, now: dt.datetime | None = None) -> list[DeviceCommand]:
    """The next commands to hand to a device (queued ones, and sent ones that were never answered), marked
    sent. Rows are claimed with SELECT … FOR UPDATE SKIP LOCKED where the database has it, and a
    conditional UPDATE, so two polls never hand out the same command."""
    moment = now or timezone.now()
    pending = Q(status=CommandStatus.QUEUED) | Q(
        status=CommandStatus.SENT, sent_at__lt=moment - command_resend_after(), superseded_at__isnull=True
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
