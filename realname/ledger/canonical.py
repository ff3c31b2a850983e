"""The canonical bytes of an attendance event: what the ledger hashes, byte for byte.

UTF-8 JSON of exactly these keys, sorted, without spaces (``separators=(",", ":")``), non-ASCII text
written as UTF-8 rather than ``\\u`` escapes:

    {"at": "2026-03-02T00:31:05Z",     occurred_at in UTC, seconds precision (fractions are dropped)
     "device": "DEMOZK0001",           the device's serial number
     "dir": "01",                      direction: "01" in, "02" out, "" unknown
     "id": "<public_id>",              the event's public UUID, lower-case with hyphens
     "key": "<device_event_key>",      the device's idempotency key for this event
     "method": "003",                  attendance method code
     "person": "<person_ref>",         the identifier the device used (PIN, employeeNo, card number)
     "project": "P1",                  the project's code
     "source": "zkteco",               zkteco / hikvision / native / phone / correction
     "worker": "<worker public_id>" or null (an unknown person)}

This layout is a published format: third parties recompute leaf hashes from it, and every existing leaf
hash depends on it. Never change it in place; a new layout would need a version key and a new log. The
golden test in tests/test_canonical.py pins it.
"""

from __future__ import annotations

import datetime as dt
import json
import uuid
from collections.abc import Iterable, Sequence
from json.encoder import encode_basestring as _encode_text  # what ensure_ascii=False uses
from typing import TYPE_CHECKING, Any

from django.db.models import ForeignKey

if TYPE_CHECKING:
    from realname.attendance.models import AccessEvent


def format_time(value: dt.datetime) -> str:
    """``value`` in UTC as ``YYYY-MM-DDTHH:MM:SSZ``; a naive datetime is refused (it has no instant)."""
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError("an event time must be timezone-aware")
    utc = value.astimezone(dt.UTC)
    if utc.year < 1000:  # strftime's %Y does not pad on every platform; this layout never wrote such years
        raise ValueError("an event time must be after the year 999")
    return utc.replace(microsecond=0, tzinfo=None).isoformat() + "Z"


def _uuid_text(value: uuid.UUID | str) -> str:
    """Lower-case hyphenated form; text is parsed (and so checked) first."""
    return str(value) if isinstance(value, uuid.UUID) else str(uuid.UUID(value))


def canonical_bytes(
    *,
    public_id: uuid.UUID | str,
    project_code: str,
    device_serial: str,
    device_event_key: str,
    person_ref: str,
    worker_public_id: uuid.UUID | str | None,
    occurred_at: dt.datetime,
    direction: str,
    method: str,
    source: str,
) -> bytes:
    """The canonical bytes from plain values (the ORM-free core of ``event_bytes``).

    Built as text directly — keys already in sorted order, each string value escaped by the very function
    ``json.dumps(..., ensure_ascii=False)`` uses — because this runs once per ingested event;
    :func:`reference_bytes` is the plain ``json.dumps`` form it must equal (a property test checks)."""
    worker = "null" if worker_public_id is None else f'"{_uuid_text(worker_public_id)}"'
    text = (
        f'{{"at":"{format_time(occurred_at)}","device":{_quote(device_serial)},"dir":{_quote(direction)},'
        f'"id":"{_uuid_text(public_id)}","key":{_quote(device_event_key)},"method":{_quote(method)},'
        f'"person":{_quote(person_ref)},"project":{_quote(project_code)},"source":{_quote(source)},'
        f'"worker":{worker}}}'
    )
    return text.encode("utf-8")


class DeviceEvents:
    """Canonical bytes for many events of one device, for the ingest's inner loop: the parts every event
    of the device shares (project, serial, source) escaped once, the rest filled in per event. Equal to
    :func:`canonical_bytes` for the same values (a property test checks)."""

    def __init__(self, *, project_code: str, device_serial: str, source: str) -> None:
        self._device = _quote(device_serial)
        self._tail = f'"project":{_quote(project_code)},"source":{_quote(source)},"worker":'

    def bytes(
        self,
        *,
        public_id: str,
        device_event_key: str,
        person_ref: str,
        worker: str,
        occurred_at: dt.datetime,
        direction: str,
        method: str,
    ) -> bytes:
        """``public_id`` is already canonical text (lower-case, hyphenated, as ``str(uuid)`` writes it);
        ``worker`` is the JSON value: ``"null"`` or the quoted worker id (see :func:`worker_json`)."""
        return (
            f'{{"at":"{format_time(occurred_at)}","device":{self._device},"dir":{_quote(direction)},'
            f'"id":"{public_id}","key":{_quote(device_event_key)},"method":{_quote(method)},'
            f'"person":{_quote(person_ref)},{self._tail}{worker}}}'
        ).encode()


def worker_json(worker_public_id: uuid.UUID | str | None) -> str:
    """The "worker" value of the canonical bytes as JSON text (computed once per person, not per event)."""
    return "null" if worker_public_id is None else f'"{_uuid_text(worker_public_id)}"'


def reference_bytes(
    *,
    public_id: uuid.UUID | str,
    project_code: str,
    device_serial: str,
    device_event_key: str,
    person_ref: str,
    worker_public_id: uuid.UUID | str | None,
    occurred_at: dt.datetime,
    direction: str,
    method: str,
    source: str,
) -> bytes:
    """The layout's definition: ``json.dumps`` of the document, sorted keys, no spaces, UTF-8."""
    document = {
        "id": _uuid_text(public_id),
        "project": project_code,
        "device": device_serial,
        "key": device_event_key,
        "person": person_ref,
        "worker": None if worker_public_id is None else _uuid_text(worker_public_id),
        "at": format_time(occurred_at),
        "dir": direction,
        "method": method,
        "source": source,
    }
    return json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def _quote(value: str) -> str:
    if not isinstance(value, str):  # json.dumps would write a number or null: not this layout
        raise TypeError(f"canonical event fields are text, not {type(value).__name__}")
    return _encode_text(value)


def event_bytes(event: AccessEvent) -> bytes:
    """The canonical bytes of one event (reads its project, device and worker: select_related them)."""
    return canonical_bytes(
        public_id=event.public_id,
        project_code=event.project.code,
        device_serial=event.device.serial,
        device_event_key=event.device_event_key,
        person_ref=event.person_ref,
        worker_public_id=event.worker.public_id if event.worker is not None else None,
        occurred_at=event.occurred_at,
        direction=event.direction,
        method=event.method,
        source=event.source,
    )


# The values() names that ``bytes_from_values`` reads: one query gives every event's canonical bytes.
VALUE_FIELDS = (
    "public_id",
    "project__code",
    "device__serial",
    "device_event_key",
    "person_ref",
    "worker__public_id",
    "occurred_at",
    "direction",
    "method",
    "source",
)


def bytes_from_values(row: dict[str, Any]) -> bytes:
    """Canonical bytes from a ``values(*VALUE_FIELDS)`` row (``ledger_verify`` streams these)."""
    return canonical_bytes(
        public_id=row["public_id"],
        project_code=row["project__code"],
        device_serial=row["device__serial"],
        device_event_key=row["device_event_key"],
        person_ref=row["person_ref"],
        worker_public_id=row["worker__public_id"],
        occurred_at=row["occurred_at"],
        direction=row["direction"],
        method=row["method"],
        source=row["source"],
    )


def events_bytes(events: Sequence[AccessEvent]) -> list[bytes]:
    """Canonical bytes of many events with at most three queries, whatever relations are cached.

    The ingest path hands over freshly created events whose project and device objects are usually set;
    anything not cached (a worker known only by id) is fetched in one query per model, not per event."""
    from realname.attendance.models import AccessEvent, Device
    from realname.orgs.models import Project
    from realname.workers.models import Worker

    def missing(field: str, ids: Iterable[int | None]) -> set[int]:
        relation = AccessEvent._meta.get_field(field)
        assert isinstance(relation, ForeignKey)  # project, device, worker
        return {
            pk
            for event, pk in zip(events, ids, strict=True)
            if pk is not None and not relation.is_cached(event)
        }

    projects = dict(
        Project.objects.filter(pk__in=missing("project", (e.project_id for e in events))).values_list(
            "pk", "code"
        )
    )
    devices = dict(
        Device.objects.filter(pk__in=missing("device", (e.device_id for e in events))).values_list(
            "pk", "serial"
        )
    )
    workers = dict(
        Worker.objects.filter(pk__in=missing("worker", (e.worker_id for e in events))).values_list(
            "pk", "public_id"
        )
    )
    out: list[bytes] = []
    for event in events:
        project_code = projects.get(event.project_id) or event.project.code
        device_serial = devices.get(event.device_id) or event.device.serial
        worker_id = None
        if event.worker_id is not None:
            worker_id = workers.get(event.worker_id) or event.worker.public_id  # type: ignore[union-attr]
        out.append(
            canonical_bytes(
                public_id=event.public_id,
                project_code=project_code,
                device_serial=device_serial,
                device_event_key=event.device_event_key,
                person_ref=event.person_ref,
                worker_public_id=worker_id,
                occurred_at=event.occurred_at,
                direction=event.direction,
                method=event.method,
                source=event.source,
            )
        )
    return out
