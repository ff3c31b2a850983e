"""Attendance API: the signed native batch (devices, no user), the events list (the caller's scope, cursor
pages) and the phone check-in (a worker's own).

``POST /attendance/events`` authenticates the device, not a user: see :mod:`realname.attendance.native` for
the signing rule. Refusals are 401 with a machine-readable ``reason``; the body is stored raw (RawMessage)
before it is read, and every item gets its own accepted / duplicate / rejected answer, in input order.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import json
import logging
import uuid
from zoneinfo import ZoneInfo

from django.db.models import Q, QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from ninja import Field, Query, Router, Schema, Status
from ninja.errors import HttpError
from ninja.errors import ValidationError as NinjaValidationError

from realname.accounts.roles import Perm
from realname.accounts.scope import restrict
from realname.attendance import native, onsite, services
from realname.attendance.models import AccessEvent, DeviceKind
from realname.attendance.schemas import (
    AccessEventOut,
    AccessEventPage,
    CheckinIn,
    CheckinOut,
    EventWorkerOut,
    NativeBatchOut,
    NativeEventIn,
    NativeEventResult,
    RefusalOut,
)
from realname.core.api_errors import ERRORS, NUL_MESSAGE, FieldErrors, Message
from realname.core.middleware import client_ip
from realname.orgs.models import Project
from realname.workers.models import Employment, EmploymentStatus

log = logging.getLogger(__name__)

router = Router(tags=["attendance"])

MAX_PAGE = 500
# The signed body, documented inline (the endpoint reads raw bytes: the signature covers them exactly).
NATIVE_BATCH_SCHEMA = {
    "type": "object",
    "required": ["events"],
    "properties": {
        "events": {"type": "array", "maxItems": native.MAX_BATCH, "items": NativeEventIn.model_json_schema()}
    },
}


# --- native batch -------------------------------------------------------------------------------------------


def _refused(request: HttpRequest, reason: native.Refusal) -> HttpResponse:
    body = {"detail": native.REFUSAL_TEXT[reason], "reason": reason.value}
    return HttpResponse(json.dumps(body, ensure_ascii=False), status=401, content_type="application/json")


@router.post(
    "/events",
    auth=None,
    response={200: NativeBatchOut, 401: RefusalOut, 422: FieldErrors},
    summary="批量上传考勤事件（设备签名）/ upload a signed batch of events",
    description=(
        "设备以自身密钥签名，无需用户令牌。请求头：`X-Device-Serial`、`X-Timestamp`（Unix 秒，与服务器相差"
        "不超过 300 秒）、`X-Nonce`（1–64 个可见 ASCII 字符，同一设备不可重复）、`X-Signature` = "
        "hex(HMAC-SHA256(设备密钥, `{timestamp}\\n{nonce}\\n` + 原始请求体))。每批最多 1000 条；"
        "逐条返回 accepted / duplicate / rejected（附原因），顺序与提交一致。"
    ),
    openapi_extra={
        "parameters": [
            {
                "in": "header",
                "name": name,
                "required": True,
                "schema": {"type": "string"},
                "description": text,
            }
            for name, text in (
                ("X-Device-Serial", "设备序列号"),
                ("X-Timestamp", "Unix 秒"),
                ("X-Nonce", "随机数，1–64 个可见 ASCII 字符"),
                ("X-Signature", "hex HMAC-SHA256"),
            )
        ],
        "requestBody": {
            "required": True,
            "content": {"application/json": {"schema": NATIVE_BATCH_SCHEMA}},
        },
    },
)
def upload_events(request: HttpRequest) -> HttpResponse | NativeBatchOut:
    headers = request.headers
    serial = headers.get("X-Device-Serial", "").strip()
    body = request.body
    try:
        device = native.authenticate(
            serial=serial,
            timestamp=headers.get("X-Timestamp", ""),
            nonce=headers.get("X-Nonce", ""),
            signature=headers.get("X-Signature", ""),
            body=body,
        )
    except native.NativeAuthError as exc:
        log.warning("native upload from SN %r (%s) refused: %s", serial, client_ip(request), exc.reason)
        services.store_raw_message(
            kind=DeviceKind.NATIVE,
            device=None,
            serial=serial,
            path=native.NATIVE_PATH,
            query_string="",
            content_type=request.META.get("CONTENT_TYPE", ""),
            body=body,
            remote_addr=client_ip(request),
            refused=exc.reason.value,
        )
        return _refused(request, exc.reason)
    raw = services.store_raw_message(
        kind=DeviceKind.NATIVE,
        device=device,
        serial=device.serial,
        path=native.NATIVE_PATH,
        query_string="",
        content_type=request.META.get("CONTENT_TYPE", ""),
        body=body,
        remote_addr=client_ip(request),
    )
    try:
        batch = native.receive_batch(device=device, raw=raw)
    except native.BatchError as exc:
        raise NinjaValidationError([{"loc": ["body"], "msg": str(exc), "type": "value_error"}]) from None
    return NativeBatchOut(
        accepted=batch.count("accepted"),
        duplicates=batch.count("duplicate"),
        rejected=batch.count("rejected"),
        results=[
            NativeEventResult(
                client_event_id=item.client_event_id,
                status=item.status,  # type: ignore[arg-type]  # one of the three literals
                reason=item.reason,
                id=item.event_id,
            )
            for item in batch.items
        ],
    )


# --- events list --------------------------------------------------------------------------------------------


def encode_cursor(event: AccessEvent) -> str:
    """Opaque to clients: the (occurred_at, id) of the last row of a page."""
    raw = json.dumps([event.occurred_at.astimezone(dt.UTC).isoformat(), event.pk], separators=(",", ":"))
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[dt.datetime, int]:
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        moment, pk = json.loads(base64.urlsafe_b64decode(padded.encode()).decode())
        at = dt.datetime.fromisoformat(moment)
        if at.tzinfo is None or not isinstance(pk, int):
            raise ValueError(cursor)
    except (ValueError, TypeError, binascii.Error, UnicodeDecodeError):
        raise NinjaValidationError(
            [{"loc": ["query", "cursor"], "msg": "游标无效 / invalid cursor", "type": "value_error"}]
        ) from None
    return at, pk


def _aware(name: str, value: dt.datetime | None) -> dt.datetime | None:
    if value is not None and (value.tzinfo is None or value.utcoffset() is None):
        raise NinjaValidationError(
            [{"loc": ["query", name], "msg": "时间须带时区偏移 / give a UTC offset", "type": "value_error"}]
        )
    return value


def events_in_scope(
    user: object,
    *,
    project: str = "",
    worker: uuid.UUID | None = None,
    device: str = "",
    since: dt.datetime | None = None,
    until: dt.datetime | None = None,
) -> QuerySet[AccessEvent]:
    """The caller's events, oldest first, ordered stably by (occurred_at, id)."""
    qs = restrict(
        AccessEvent.objects.select_related("project", "device", "worker"), user, Perm.WORKERS_VIEW
    ).order_by("occurred_at", "id")
    if project:
        qs = qs.filter(project__code=project)
    if worker is not None:
        # Through the employment: its (employment, occurred_at) index serves this; the worker column has none.
        qs = qs.filter(employment__worker__public_id=worker)
    if device:
        qs = qs.filter(device__serial=device)
    if since is not None:
        qs = qs.filter(occurred_at__gte=since)
    if until is not None:
        qs = qs.filter(occurred_at__lt=until)
    return qs


def event_out(event: AccessEvent) -> AccessEventOut:
    zone = ZoneInfo(event.project.time_zone)
    worker = event.worker
    return AccessEventOut(
        id=event.public_id,
        project=event.project.code,
        device=event.device.serial,
        worker=EventWorkerOut(id=worker.public_id, name=worker.name) if worker is not None else None,
        person_ref=event.person_ref,
        person_ref_kind=event.person_ref_kind,
        time=event.occurred_at.astimezone(zone).isoformat(),
        direction=event.direction,
        method=event.method,
        source=event.source,
        flags=list(event.flags or []),
        lat=event.lat,
        lng=event.lng,
        ledger_index=event.ledger_index,
    )


@router.get(
    "/events",
    response={200: AccessEventPage, **ERRORS},
    summary="考勤事件列表 / list access events",
    description=(
        "权限范围内的刷卡事件，按时间（再按内部序号）升序。筛选：`project`（项目编码）、`worker`（工人 id）、"
        "`device`（设备序列号）、`since`（含）、`until`（不含），时间须带时区偏移。分页：把响应中的 "
        "`next_cursor` 作为 `cursor` 传回取下一页；为 null 时已到末尾。"
    ),
)
def list_events(
    request: HttpRequest,
    project: str = "",
    worker: uuid.UUID | None = None,
    device: str = "",
    since: dt.datetime | None = None,
    until: dt.datetime | None = None,
    cursor: str = "",
    limit: int = Query(100, ge=1, le=MAX_PAGE, description="每页条数（最多 500）"),  # noqa: B008
) -> AccessEventPage:
    for name, value in (("project", project), ("device", device), ("cursor", cursor)):
        if "\x00" in value:
            raise NinjaValidationError([{"loc": ["query", name], "msg": NUL_MESSAGE, "type": "value_error"}])
    qs = events_in_scope(
        request.user,
        project=project.strip(),
        worker=worker,
        device=device.strip(),
        since=_aware("since", since),
        until=_aware("until", until),
    )
    if cursor:
        at, pk = decode_cursor(cursor)
        qs = qs.filter(Q(occurred_at__gt=at) | Q(occurred_at=at, id__gt=pk))
    rows = list(qs[: limit + 1])
    more = len(rows) > limit
    rows = rows[:limit]
    return AccessEventPage(
        items=[event_out(row) for row in rows],
        next_cursor=encode_cursor(rows[-1]) if more and rows else None,
    )


# --- phone check-in -----------------------------------------------------------------------------------------


@router.post(
    "/checkin",
    response={200: CheckinOut, 201: CheckinOut, 403: Message, 404: Message, 401: Message, 422: FieldErrors},
    summary="手机打卡 / phone check-in",
    description=(
        "工人本人在其在场的项目上打卡：时间取服务器时间，须提供位置。位于项目电子围栏之外时照常记录，"
        "但标记 `outside_geofence`。带相同 `client_event_id` 的重试只记一次（返回 200）。"
    ),
)
def check_in(request: HttpRequest, payload: CheckinIn) -> Status[CheckinOut]:
    user_id = request.user.pk  # authenticated: the API's auth guarantees a user
    if user_id is None or not Employment.objects.filter(worker__user_id=user_id).exists():
        raise HttpError(403, "仅工人本人可手机打卡 / only a worker can check in")
    employment = (
        restrict(Employment.objects.select_related("project", "worker"), request.user, Perm.WORKERS_VIEW)
        .filter(worker__user_id=user_id, project__code=payload.project, status=EmploymentStatus.ACTIVE)
        .first()
    )
    if employment is None:
        raise Http404
    checkin = native.check_in_by_phone(
        employment=employment,
        lat=payload.lat,
        lng=payload.lng,
        direction=payload.direction,
        client_event_id=payload.client_event_id.strip(),
    )
    event = AccessEvent.objects.select_related("project", "device", "worker").get(pk=checkin.event.pk)
    body = CheckinOut(
        created=checkin.created, event=event_out(event), outside_geofence=checkin.outside_geofence
    )
    return Status(201 if checkin.created else 200, body)


# --- who is on site now -------------------------------------------------------------------------------------


class OnsitePersonOut(Schema):
    worker: EventWorkerOut | None = Field(None, description="工人；未登记人员为 null")
    id_number_masked: str = Field("", description="脱敏证件号码")
    team: str = Field("", description="班组")
    trade: str = Field("", description="工种代码")
    person_ref: str = Field(..., description="设备上的人员标识")
    person_ref_kind: str = Field(..., description="标识类型")
    entered_at: str = Field(..., description="进场时间（项目时区，ISO 8601）")
    area: str = Field("", description="闸机/作业区域")
    device: str = Field(..., description="设备序列号")
    event: uuid.UUID = Field(..., description="使其在场的刷卡事件 id")


class OnsiteAreaOut(Schema):
    area: str
    count: int
    unknown: int


class OnsiteOut(Schema):
    project: str
    at: str = Field(..., description="统计时间（项目时区）")
    since: str = Field(..., description="统计窗口起点（项目时区）")
    total: int
    areas: list[OnsiteAreaOut]
    people: list[OnsitePersonOut]
    unknown: list[OnsitePersonOut] = Field(..., description="在场的未登记人员（疏散时同样需清点）")


def _onsite_person(item: onsite.Inside, zone: ZoneInfo) -> OnsitePersonOut:
    event = item.event
    worker, employment = event.worker, event.employment
    return OnsitePersonOut(
        worker=EventWorkerOut(id=worker.public_id, name=worker.name) if worker is not None else None,
        id_number_masked=worker.id_number_masked if worker is not None else "",
        team=employment.team.name if employment is not None and employment.team is not None else "",
        trade=employment.trade if employment is not None else "",
        person_ref=event.person_ref,
        person_ref_kind=event.person_ref_kind,
        entered_at=event.occurred_at.astimezone(zone).isoformat(),
        area=item.area,
        device=event.device.serial,
        event=event.public_id,
    )


@router.get(
    "/projects/{code}/onsite",
    response={200: OnsiteOut, **ERRORS},
    summary="在场人员（应急点名）/ who is on site now",
    description=(
        "项目内权限范围内、最近 16 小时内最后一次打卡为进场的人员，按最后进场闸机的区域分组；方向未知的"
        "打卡按先进后出交替推定。`unknown` 列出仍在场的未登记人员。"
        "页面：`/attendance/projects/{项目id}/onsite/`。"
    ),
)
def onsite_now(request: HttpRequest, code: str) -> OnsiteOut:
    project = restrict(Project.objects.all(), request.user, Perm.WORKERS_VIEW).filter(code=code).first()
    if project is None:
        raise Http404
    muster = onsite.list_onsite(project=project, user=request.user)
    zone = ZoneInfo(project.time_zone)
    return OnsiteOut(
        project=project.code,
        at=muster.at.astimezone(zone).isoformat(),
        since=muster.since.astimezone(zone).isoformat(),
        total=muster.total,
        areas=[OnsiteAreaOut(area=g.area, count=g.count, unknown=g.unknown) for g in muster.areas],
        people=[_onsite_person(p, zone) for p in muster.people],
        unknown=[_onsite_person(p, zone) for p in muster.unknown],
    )
