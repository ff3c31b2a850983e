"""The platform's own ways in for punches: the signed native batch API (edge agents, integrators) and the
phone check-in. Pure rules first (request signing, batch reading, geofence geometry), then the writes.

Signing: ``X-Signature`` = hex HMAC-SHA256 keyed with the device's secret over
``f"{X-Timestamp}\\n{X-Nonce}\\n"`` followed by the raw body bytes. A request is refused when its timestamp
is more than :data:`SIGNATURE_WINDOW_SECONDS` away from the server's clock, or when its nonce was used
before by the same device — which the ``native_nonce_unique_per_device`` constraint decides, not a lookup.
Nonces older than :data:`NONCE_KEEP_SECONDS` are deleted: a request carrying one is already stale.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import logging
import math
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone
from pydantic import ValidationError as PydanticValidationError

from realname.attendance import services
from realname.attendance.models import (
    AccessEvent,
    Device,
    DeviceIdentity,
    DeviceKind,
    EventSource,
    NativeNonce,
    ParseStatus,
    PersonRefKind,
    RawMessage,
)
from realname.attendance.protocols import METHOD_OTHER, ParsedEvent
from realname.attendance.schemas import NativeEventIn
from realname.orgs.models import Project
from realname.workers.models import Employment

log = logging.getLogger(__name__)

SIGNATURE_WINDOW_SECONDS = 300
NONCE_KEEP_SECONDS = 2 * SIGNATURE_WINDOW_SECONDS + 60
NONCE_MAX_LENGTH = 64
MAX_BATCH = 1000
NATIVE_PATH = "/api/v1/attendance/events"
FLAG_OUTSIDE_GEOFENCE = "outside_geofence"
_COORD = Decimal("0.000001")

# --- signing (pure) -----------------------------------------------------------------------------------------


class Refusal(StrEnum):
    """Why a signed request was not let in (answered 401 with this code)."""

    MISSING_HEADERS = "missing_headers"
    UNKNOWN_DEVICE = "unknown_device"
    DEVICE_DISABLED = "device_disabled"
    BAD_TIMESTAMP = "bad_timestamp"
    STALE_TIMESTAMP = "stale_timestamp"
    BAD_NONCE = "bad_nonce"
    BAD_SIGNATURE = "bad_signature"
    NONCE_REUSED = "nonce_reused"


REFUSAL_TEXT: dict[Refusal, str] = {
    Refusal.MISSING_HEADERS: "缺少签名请求头 / X-Device-Serial, X-Timestamp, X-Nonce, X-Signature required",
    Refusal.UNKNOWN_DEVICE: "未登记的设备 / unknown device",
    Refusal.DEVICE_DISABLED: "设备已停用 / the device is disabled",
    Refusal.BAD_TIMESTAMP: "时间戳无效 / X-Timestamp must be unix seconds",
    Refusal.STALE_TIMESTAMP: "时间戳过期 / the timestamp is too far from the server's clock",
    Refusal.BAD_NONCE: "随机数无效 / X-Nonce must be 1-64 printable ASCII characters",
    Refusal.BAD_SIGNATURE: "签名无效 / bad signature",
    Refusal.NONCE_REUSED: "随机数已使用 / the nonce was used before (replayed request)",
}


class NativeAuthError(Exception):
    """A signed request refused; ``reason`` says why (never which part of a secret was wrong)."""

    def __init__(self, reason: Refusal) -> None:
        super().__init__(REFUSAL_TEXT[reason])
        self.reason = reason


def string_to_sign(*, timestamp: str, nonce: str, body: bytes) -> bytes:
    return f"{timestamp}\n{nonce}\n".encode() + body


def sign(*, secret: str, timestamp: str, nonce: str, body: bytes) -> str:
    """The hex HMAC-SHA256 signature a client sends in ``X-Signature``."""
    message = string_to_sign(timestamp=timestamp, nonce=nonce, body=body)
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def signature_valid(*, secret: str, timestamp: str, nonce: str, body: bytes, signature: str) -> bool:
    expected = sign(secret=secret, timestamp=timestamp, nonce=nonce, body=body)
    return hmac.compare_digest(expected, signature.strip().lower())


def check_timestamp(timestamp: str, *, now: float) -> None:
    """Refuse a timestamp that is not unix seconds or lies outside the window around ``now``."""
    try:
        seconds = int(timestamp.strip())
    except ValueError:
        raise NativeAuthError(Refusal.BAD_TIMESTAMP) from None
    if abs(now - seconds) > SIGNATURE_WINDOW_SECONDS:
        raise NativeAuthError(Refusal.STALE_TIMESTAMP)


def check_nonce(nonce: str) -> None:
    if not 1 <= len(nonce) <= NONCE_MAX_LENGTH or not all(33 <= ord(c) <= 126 for c in nonce):
        raise NativeAuthError(Refusal.BAD_NONCE)


# --- the batch body (pure) ----------------------------------------------------------------------------------


class BatchError(Exception):
    """A body that is not a batch at all (not JSON, no ``events`` list, too many events): refused whole."""


@dataclass(frozen=True)
class BatchItem:
    """One item of a batch: a punch to ingest, or the reason it was rejected."""

    client_event_id: str | None
    event: ParsedEvent | None = None
    lat: Decimal | None = None
    lng: Decimal | None = None
    reason: str = ""


def _coordinate(value: Decimal | None) -> Decimal | None:
    return None if value is None else value.quantize(_COORD)


def _reason(exc: PydanticValidationError) -> str:
    parts = []
    for error in exc.errors():
        loc = ".".join(str(part) for part in error.get("loc", ())) or "event"
        parts.append(f"{loc}: {error.get('msg', '')}")
    return "; ".join(parts)[:500]


def read_item(data: Any) -> BatchItem:
    """Validate one item; whatever is wrong with it is its own ``reason``, never the batch's."""
    client_id = data.get("client_event_id") if isinstance(data, dict) else None
    client_id = client_id if isinstance(client_id, str) else None
    if not isinstance(data, dict):
        return BatchItem(client_id, reason="event: 须为 JSON 对象 / must be an object")
    try:
        item = NativeEventIn.model_validate(data)
    except PydanticValidationError as exc:
        return BatchItem(client_id, reason=_reason(exc))
    if (item.lat is None) != (item.lng is None):
        return BatchItem(item.client_event_id, reason="lat/lng: 须同时提供 / give both or neither")
    event = ParsedEvent(
        device_event_key=item.client_event_id,
        person_ref=item.person_ref,
        person_ref_kind=item.person_ref_kind,
        local_time=None,
        aware_time=item.time,
        direction=item.direction,
        method=item.method,
        raw=data,
        replayed=item.replayed,
    )
    return BatchItem(item.client_event_id, event=event, lat=_coordinate(item.lat), lng=_coordinate(item.lng))


def read_batch(body: bytes) -> list[BatchItem]:
    """The items of a native batch body, in order."""
    try:
        data = json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        raise BatchError("请求体不是有效的 JSON / the body is not valid UTF-8 JSON") from None
    events = data.get("events") if isinstance(data, dict) else None
    if not isinstance(events, list):
        raise BatchError('请求体须为 {"events": [...]} / the body must be {"events": [...]}')
    if len(events) > MAX_BATCH:
        raise BatchError(f"每批最多 {MAX_BATCH} 条 / at most {MAX_BATCH} events per batch")
    return [read_item(item) for item in events]


# --- geofence geometry (pure) -------------------------------------------------------------------------------

EARTH_RADIUS_M = 6_371_008.8  # mean Earth radius (IUGG)


def haversine_m(lat1: float, lng1: float, lat2: float, lng2: float) -> float:
    """Great-circle distance in metres between two WGS-84 points."""
    phi1, phi2 = math.radians(lat1), math.radians(lat2)
    d_phi = phi2 - phi1
    d_lambda = math.radians(lng2 - lng1)
    a = math.sin(d_phi / 2) ** 2 + math.cos(phi1) * math.cos(phi2) * math.sin(d_lambda / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(min(1.0, math.sqrt(a)))


def point_in_polygon(lat: float, lng: float, polygon: Sequence[Sequence[float]]) -> bool:
    """Ray casting on (lat, lng) as plane coordinates: right for site-sized fences away from the poles and
    the antimeridian. A point exactly on an edge may fall either way."""
    inside = False
    count = len(polygon)
    for i in range(count):
        lat_i, lng_i = float(polygon[i][0]), float(polygon[i][1])
        lat_j, lng_j = float(polygon[i - 1][0]), float(polygon[i - 1][1])
        if (lng_i > lng) != (lng_j > lng):
            crossing = lat_i + (lng - lng_i) * (lat_j - lat_i) / (lng_j - lng_i)
            if lat < crossing:
                inside = not inside
    return inside


def valid_polygon(polygon: Any) -> list[tuple[float, float]] | None:
    """``[[lat, lng], ...]`` with at least three points, or None when it is not one."""
    if not isinstance(polygon, list) or len(polygon) < 3:
        return None
    points: list[tuple[float, float]] = []
    for point in polygon:
        if not isinstance(point, (list, tuple)) or len(point) != 2:
            return None
        try:
            lat, lng = float(point[0]), float(point[1])
        except (TypeError, ValueError):
            return None
        if not (math.isfinite(lat) and math.isfinite(lng)):
            return None
        points.append((lat, lng))
    return points


def outside_fence(
    *,
    lat: float,
    lng: float,
    circle: tuple[float, float, float] | None = None,
    polygon: Sequence[Sequence[float]] | None = None,
) -> bool:
    """Whether a position lies outside the fence: a circle (centre lat, centre lng, radius in metres) or
    a polygon; with both, inside either counts as inside; with neither, nothing is outside."""
    if circle is None and polygon is None:
        return False
    if circle is not None and haversine_m(lat, lng, circle[0], circle[1]) <= circle[2]:
        return False
    return not (polygon is not None and point_in_polygon(lat, lng, polygon))


def project_fence(project: Project) -> dict[str, Any]:
    """The keyword arguments of :func:`outside_fence` for a project's stored fence."""
    circle = None
    if project.fence_lat is not None and project.fence_lng is not None and project.fence_radius_m is not None:
        circle = (float(project.fence_lat), float(project.fence_lng), float(project.fence_radius_m))
    polygon = valid_polygon(project.fence_polygon) if project.fence_polygon is not None else None
    if project.fence_polygon is not None and polygon is None:
        log.warning("project %s has a malformed fence polygon; ignored", project.code)
    return {"circle": circle, "polygon": polygon}


# --- authentication -----------------------------------------------------------------------------------------


def authenticate(
    *, serial: str, timestamp: str, nonce: str, signature: str, body: bytes, now: dt.datetime | None = None
) -> Device:
    """The device that signed this request, its nonce now spent; :class:`NativeAuthError` otherwise.

    Any registered device but a phone (whose key never leaves the server) may sign: an edge agent relays
    its gates' punches under their own serials, so a punch sent both ways is still stored once.
    """
    if not (serial and timestamp and nonce and signature):
        raise NativeAuthError(Refusal.MISSING_HEADERS)
    moment = now or timezone.now()
    device = (
        Device.objects.select_related("project").filter(serial=serial).exclude(kind=DeviceKind.PHONE).first()
    )
    if device is None:
        raise NativeAuthError(Refusal.UNKNOWN_DEVICE)
    if not device.enabled:
        raise NativeAuthError(Refusal.DEVICE_DISABLED)
    check_timestamp(timestamp, now=moment.timestamp())
    check_nonce(nonce)
    if not signature_valid(
        secret=device.secret, timestamp=timestamp, nonce=nonce, body=body, signature=signature
    ):
        raise NativeAuthError(Refusal.BAD_SIGNATURE)
    spend_nonce(device=device, nonce=nonce, now=moment)
    return device


def spend_nonce(*, device: Device, nonce: str, now: dt.datetime) -> None:
    """Record a nonce as used (committed at once); a second use hits the unique constraint."""
    try:
        with transaction.atomic():
            NativeNonce.objects.create(device=device, nonce=nonce)
    except IntegrityError:
        raise NativeAuthError(Refusal.NONCE_REUSED) from None
    NativeNonce.objects.filter(
        device=device, created_at__lt=now - dt.timedelta(seconds=NONCE_KEEP_SECONDS)
    ).delete()


# --- the batch ----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ItemResult:
    client_event_id: str | None
    status: str  # accepted / duplicate / rejected
    reason: str = ""
    event_id: uuid.UUID | None = None


@dataclass(frozen=True)
class BatchResult:
    items: tuple[ItemResult, ...]

    def count(self, status: str) -> int:
        return sum(1 for item in self.items if item.status == status)


def _set_positions(events: Sequence[AccessEvent], positions: dict[str, tuple[Decimal, Decimal]]) -> None:
    """Positions of events created in this transaction (they are not part of the ledger's canonical bytes)."""
    changed = []
    for event in events:
        position = positions.get(event.device_event_key)
        if position is not None:
            event.lat, event.lng = position
            changed.append(event)
    if changed:
        AccessEvent.objects.bulk_update(changed, ["lat", "lng"])


def receive_batch(*, device: Device, raw: RawMessage) -> BatchResult:
    """Read a stored native batch and ingest its valid items, in one transaction; the raw message records
    how it went. Each item is accepted (new), duplicate (stored before, or twice in this batch) or
    rejected with its reason. :class:`BatchError` when the body is not a batch (the raw message is kept)."""
    try:
        items = read_batch(bytes(raw.body))
    except BatchError as exc:
        RawMessage.objects.filter(pk=raw.pk).update(
            parse_status=ParseStatus.FAILED, error=str(exc), parsed_at=timezone.now()
        )
        raise
    valid = [item for item in items if item.event is not None]
    with transaction.atomic():
        result = services.ingest_events(
            device=device,
            parsed=[item.event for item in valid if item.event is not None],
            raw_message=raw,
            source=EventSource.NATIVE,
        )
        positions = {
            item.event.device_event_key: (item.lat, item.lng)
            for item in valid
            if item.event is not None and item.lat is not None and item.lng is not None
        }
        _set_positions(result.events, positions)
        new = {event.device_event_key: event.public_id for event in result.events}
        old_keys = [item.event.device_event_key for item in valid if item.event is not None]
        stored = dict(
            AccessEvent.objects.filter(
                device=device, device_event_key__in=[k for k in old_keys if k not in new]
            ).values_list("device_event_key", "public_id")
        )
        outcome: list[ItemResult] = []
        reported: set[str] = set()
        for item in items:
            if item.event is None:
                outcome.append(ItemResult(item.client_event_id, "rejected", item.reason))
                continue
            key = item.event.device_event_key
            if key in new and key not in reported:
                outcome.append(ItemResult(key, "accepted", event_id=new[key]))
            else:
                outcome.append(ItemResult(key, "duplicate", event_id=new.get(key) or stored.get(key)))
            reported.add(key)
        batch = BatchResult(tuple(outcome))
        rejected = [f"item {n}: {r.reason}" for n, r in enumerate(outcome) if r.status == "rejected"]
        RawMessage.objects.filter(pk=raw.pk).update(
            parse_status=ParseStatus.FAILED if rejected else ParseStatus.PARSED,
            error="\n".join(rejected)[:10000],
            parsed={
                "accepted": batch.count("accepted"),
                "duplicates": batch.count("duplicate"),
                "rejected": len(rejected),
            },
            parsed_at=timezone.now(),
        )
    return batch


# --- phone check-in -----------------------------------------------------------------------------------------


def phone_serial(project: Project) -> str:
    return f"PHONE-{project.code}"


def phone_device(project: Project) -> Device:
    """The project's "phone" device, created on first use (two first check-ins at once create one)."""
    serial = phone_serial(project)
    found = Device.objects.select_related("project").filter(serial=serial, project=project).first()
    if found is not None:
        return found
    try:
        with transaction.atomic():
            return services.register_device(
                project=project, kind=DeviceKind.PHONE, serial=serial, name="手机打卡 / phone check-in"
            )
    except IntegrityError:
        return Device.objects.select_related("project").get(serial=serial, project=project)


def phone_ref(employment: Employment) -> str:
    return f"phone:{employment.public_id}"


def _phone_identity(device: Device, employment: Employment) -> None:
    ref = phone_ref(employment)
    exists = DeviceIdentity.objects.filter(
        project_id=device.project_id, ref_kind=PersonRefKind.EMPLOYEE_NO, ref=ref
    ).exists()
    if not exists:
        try:
            with transaction.atomic():
                services.map_person(
                    project=device.project,
                    ref_kind=PersonRefKind.EMPLOYEE_NO,
                    ref=ref,
                    employment=employment,
                    device=device,
                )
        except IntegrityError:
            pass  # mapped by a concurrent first check-in: the same mapping


@dataclass(frozen=True)
class CheckIn:
    event: AccessEvent
    created: bool
    outside_geofence: bool


@transaction.atomic
def check_in_by_phone(
    *,
    employment: Employment,
    lat: Decimal,
    lng: Decimal,
    direction: str = "",
    client_event_id: str = "",
    now: dt.datetime | None = None,
) -> CheckIn:
    """A worker's own check-in from their phone, at the server's time (a phone's clock is not evidence).

    Goes through the ingest service like any gate punch, on the project's phone device; a position outside
    the project's geofence is accepted but flagged ``outside_geofence``. The same ``client_event_id`` sent
    again (a retry) is one check-in.
    """
    moment = (now or timezone.now()).astimezone(dt.UTC)
    project = employment.project
    device = phone_device(project)
    _phone_identity(device, employment)
    lat, lng = lat.quantize(_COORD), lng.quantize(_COORD)
    outside = outside_fence(lat=float(lat), lng=float(lng), **project_fence(project))
    key = f"{employment.public_id}:{client_event_id or uuid.uuid4()}"
    event = ParsedEvent(
        device_event_key=key,
        person_ref=phone_ref(employment),
        person_ref_kind="employee_no",
        local_time=None,
        aware_time=moment,
        direction=direction,  # type: ignore[arg-type]  # validated by the schema: "01", "02" or ""
        method=METHOD_OTHER,
        raw={"lat": str(lat), "lng": str(lng)},
    )
    result = services.ingest_events(
        device=device, parsed=[event], raw_message=None, source=EventSource.PHONE, received_at=moment
    )
    if result.events:
        created = result.events[0]
        created.lat, created.lng = lat, lng
        if outside:
            created.flags = [*created.flags, FLAG_OUTSIDE_GEOFENCE]
        AccessEvent.objects.filter(pk=created.pk).update(lat=lat, lng=lng, flags=created.flags)
        return CheckIn(event=created, created=True, outside_geofence=outside)
    existing = AccessEvent.objects.get(device=device, device_event_key=key)
    return CheckIn(event=existing, created=False, outside_geofence=FLAG_OUTSIDE_GEOFENCE in existing.flags)
