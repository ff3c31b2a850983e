"""The command API of the edge agent (or a direct ISAPI client): it fetches the ISAPI requests queued for a
Hikvision terminal, carries them out against the terminal, and reports each answer.

Mounted at ``/api/v1/attendance``: ``GET /devices/{serial}/commands`` and
``POST /devices/{serial}/commands/{command_id}/result``. Requests are signed with the terminal's own key
exactly like the native batch API (:mod:`realname.attendance.native`): headers ``X-Timestamp``, ``X-Nonce``,
``X-Signature`` = hex HMAC-SHA256(key, ``f"{timestamp}\\n{nonce}\\n"`` + raw body; the GET body is empty).
The serial is the one in the path. Refusals are 401 with a machine-readable ``reason``.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
from typing import Any

from django.db import transaction
from django.http import HttpRequest, HttpResponse
from ninja import Field, Query, Router, Schema
from pydantic import ValidationError as PydanticValidationError

from realname.attendance import allowlist, native, services
from realname.attendance.models import Device, DeviceCommand, DeviceKind
from realname.attendance.protocols import hikvision_persons
from realname.attendance.schemas import RefusalOut
from realname.core.api_errors import FieldErrors, InputSchema, Message
from realname.core.middleware import client_ip

log = logging.getLogger(__name__)

router = Router(tags=["attendance"])

MAX_CLAIM = 100
SIGNED_HEADERS = [
    {"in": "header", "name": name, "required": True, "schema": {"type": "string"}, "description": text}
    for name, text in (
        ("X-Timestamp", "Unix 秒，与服务器相差不超过 300 秒"),
        ("X-Nonce", "随机数，1–64 个可见 ASCII 字符，同一设备不可重复"),
        ("X-Signature", "hex(HMAC-SHA256(设备密钥, `{timestamp}\\n{nonce}\\n` + 原始请求体))"),
    )
]
NOT_FOR_EDGE = "该设备不通过边缘网关取命令（中控考勤机通过 getrequest 取命令）/ not an edge-agent device"


class IsapiCall(Schema):
    method: str
    path: str


class EdgeCommandOut(Schema):
    id: int = Field(..., description="命令号（本设备内唯一），回报结果时使用")
    action: str = Field(..., description="add_person / delete_person")
    employee_no: str
    method: str
    path: str
    body: dict[str, Any] | None
    fallback: IsapiCall | None = Field(
        None, description="设备答复人员已存在时改用的请求（同一请求体），如 PUT …/UserInfo/Modify"
    )
    queued_at: dt.datetime
    sent_at: dt.datetime | None


class EdgeCommandsOut(Schema):
    commands: list[EdgeCommandOut]


class EdgeResultIn(InputSchema):
    http_status: int = Field(..., ge=100, le=599, description="设备的 HTTP 状态码")
    status_code: int | None = Field(
        None, ge=-(2**31), le=2**31 - 1, description="ISAPI statusCode（1 为成功）"
    )
    status_string: str = Field("", max_length=200)
    sub_status_code: str = Field("", max_length=200)
    error_msg: str = Field("", max_length=500)


class EdgeResultOut(Schema):
    id: int
    status: str
    return_code: int | None
    result: str
    acked_at: dt.datetime | None


def _refused(reason: native.Refusal) -> HttpResponse:
    body = {"detail": native.REFUSAL_TEXT[reason], "reason": reason.value}
    return HttpResponse(json.dumps(body, ensure_ascii=False), status=401, content_type="application/json")


def _message(status: int, detail: str) -> HttpResponse:
    return HttpResponse(
        json.dumps({"detail": detail}, ensure_ascii=False), status=status, content_type="application/json"
    )


def _authenticated(request: HttpRequest, serial: str) -> Device | HttpResponse:
    headers = request.headers
    try:
        device = native.authenticate(
            serial=serial.strip(),
            timestamp=headers.get("X-Timestamp", ""),
            nonce=headers.get("X-Nonce", ""),
            signature=headers.get("X-Signature", ""),
            body=request.body,
        )
    except native.NativeAuthError as exc:
        log.warning("edge command request for SN %r (%s) refused: %s", serial, client_ip(request), exc.reason)
        return _refused(exc.reason)
    if device.kind != DeviceKind.HIKVISION:
        return _message(409, NOT_FOR_EDGE)
    return device


def _out(command: DeviceCommand) -> EdgeCommandOut:
    fallback = None
    if command.path == hikvision_persons.RECORD_PATH:
        fallback = IsapiCall(method="PUT", path=hikvision_persons.MODIFY_PATH)
    return EdgeCommandOut(
        id=command.command_id,
        action=command.action,
        employee_no=command.person_ref,
        method=command.method,
        path=command.path,
        body=command.body,
        fallback=fallback,
        queued_at=command.created_at,
        sent_at=command.sent_at,
    )


@router.get(
    "/devices/{serial}/commands",
    auth=None,
    response={200: EdgeCommandsOut, 401: RefusalOut, 409: Message},
    summary="边缘网关领取设备命令（设备签名）/ claim the queued ISAPI commands of a terminal",
    description=(
        "按命令号顺序返回待下发的 ISAPI 请求（以及下发后超时未回报的请求），并标记为已下发。"
        "网关对设备执行 method + path + body（digest 认证），再逐条回报结果。签名规则与批量上传相同，"
        "GET 的请求体为空。"
    ),
    openapi_extra={"parameters": SIGNED_HEADERS},
)
def claim_commands(
    request: HttpRequest, serial: str, limit: Query[int] = 20
) -> HttpResponse | EdgeCommandsOut:
    found = _authenticated(request, serial)
    if isinstance(found, HttpResponse):
        return found
    services.touch_device(device=found)
    claimed = services.claim_commands(device=found, limit=max(1, min(limit, MAX_CLAIM)))
    return EdgeCommandsOut(commands=[_out(command) for command in claimed])


@router.post(
    "/devices/{serial}/commands/{command_id}/result",
    auth=None,
    response={200: EdgeResultOut, 401: RefusalOut, 404: Message, 409: Message, 422: FieldErrors},
    summary="边缘网关回报命令结果（设备签名）/ report what the terminal answered",
    description=(
        "HTTP 2xx 且 statusCode 为 1（或无）记为已执行，否则记为执行失败；返回码取 statusCode，无则取 HTTP "
        "状态码。重复回报保留第一次的结果。"
    ),
    openapi_extra={
        "parameters": SIGNED_HEADERS,
        "requestBody": {
            "required": True,
            "content": {"application/json": {"schema": EdgeResultIn.model_json_schema()}},
        },
    },
)
def report_result(request: HttpRequest, serial: str, command_id: int) -> HttpResponse | EdgeResultOut:
    # The body is read raw (the signature covers its exact bytes), then validated.
    found = _authenticated(request, serial)
    if isinstance(found, HttpResponse):
        return found
    try:
        payload = EdgeResultIn.model_validate_json(request.body or b"{}")
    except PydanticValidationError as exc:
        detail = [{"loc": ["body", *map(str, e["loc"])], "msg": e["msg"]} for e in exc.errors()]
        return HttpResponse(
            json.dumps({"detail": detail}, ensure_ascii=False), status=422, content_type="application/json"
        )
    services.touch_device(device=found)
    with transaction.atomic():
        command = allowlist.record_isapi_result(
            device=found,
            command_id=command_id,
            result=hikvision_persons.read_result(**payload.model_dump()),
        )
    if command is None:
        return _message(404, "该设备没有这条命令 / no such command for this device")
    if command.status in ("queued", "superseded") and command.sent_at is None:
        return _message(409, "该命令尚未下发或已被取代 / the command was never handed out")
    return EdgeResultOut(
        id=command.command_id,
        status=command.status,
        return_code=command.return_code,
        result=command.result,
        acked_at=command.acked_at,
    )
