"""API shapes for attendance: the native batch (one item per punch, validated one by one so a bad item costs
only itself), the events list, and the phone check-in. Inputs and outputs are separate classes."""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal
from typing import Literal

from ninja import Field, Schema
from pydantic import field_validator

from realname.attendance.protocols import METHODS
from realname.core.api_errors import InputSchema

# --- native batch ------------------------------------------------------------------------------------------


class NativeEventIn(InputSchema):
    """One punch as an edge agent or integrator reports it."""

    client_event_id: str = Field(
        ..., min_length=1, max_length=200, description="客户端事件标识：同一设备内唯一，重发时不变（去重键）"
    )
    person_ref: str = Field(..., min_length=1, max_length=64, description="设备上的人员标识")
    person_ref_kind: Literal["pin", "employee_no", "card"] = Field(..., description="标识类型")
    time: dt.datetime = Field(..., description="打卡时间，ISO 8601，必须带时区偏移（如 +08:00）")
    direction: Literal["01", "02", ""] = Field("", description="考勤方向：01 入场，02 出场，空为未知")
    method: str = Field(..., description="通行方式代码 001–011")
    lat: Decimal | None = Field(None, ge=-90, le=90, description="纬度（WGS-84），可选")
    lng: Decimal | None = Field(None, ge=-180, le=180, description="经度（WGS-84），可选")
    replayed: bool = Field(False, description="设备离线缓存后补传的事件（不按时钟偏差标记）")

    @field_validator("client_event_id", "person_ref")
    @classmethod
    def _stripped(cls, value: str) -> str:
        value = value.strip()
        if not value:
            raise ValueError("不能为空 / must not be blank")
        return value

    @field_validator("time")
    @classmethod
    def _aware(cls, value: dt.datetime) -> dt.datetime:
        if value.tzinfo is None or value.utcoffset() is None:
            raise ValueError("时间必须带时区偏移 / time must carry a UTC offset")
        return value

    @field_validator("method")
    @classmethod
    def _method(cls, value: str) -> str:
        if value not in METHODS:
            raise ValueError("通行方式须为 001–011 / method must be a national code 001-011")
        return value


class NativeEventResult(Schema):
    client_event_id: str | None
    status: Literal["accepted", "duplicate", "rejected"]
    reason: str = ""
    id: uuid.UUID | None = Field(None, description="事件 id（已接收或重复时）")


class NativeBatchOut(Schema):
    accepted: int
    duplicates: int
    rejected: int
    results: list[NativeEventResult] = Field(..., description="与提交顺序一致 / in input order")


class RefusalOut(Schema):
    detail: str
    reason: str = Field(..., description="机器可读原因，如 bad_signature、stale_timestamp、nonce_reused")


# --- events list --------------------------------------------------------------------------------------------


class EventWorkerOut(Schema):
    id: uuid.UUID
    name: str


class AccessEventOut(Schema):
    id: uuid.UUID
    project: str = Field(..., description="项目编码")
    device: str = Field(..., description="设备序列号")
    worker: EventWorkerOut | None = Field(None, description="匹配到的工人；未知人员为 null")
    person_ref: str
    person_ref_kind: str
    time: str = Field(..., description="打卡时间，ISO 8601，带项目所在时区的偏移")
    direction: str
    method: str
    source: str
    flags: list[str]
    lat: Decimal | None = None
    lng: Decimal | None = None
    ledger_index: int | None


class AccessEventPage(Schema):
    items: list[AccessEventOut]
    next_cursor: str | None = Field(None, description="下一页游标；null 表示没有更多")


# --- phone check-in -----------------------------------------------------------------------------------------


class CheckinIn(InputSchema):
    project: str = Field(..., min_length=1, max_length=40, description="项目编码")
    lat: Decimal = Field(..., ge=-90, le=90, description="纬度（WGS-84）")
    lng: Decimal = Field(..., ge=-180, le=180, description="经度（WGS-84）")
    direction: Literal["01", "02", ""] = ""
    client_event_id: str = Field(
        "", max_length=100, description="可选：客户端生成的标识，重试时不变，同一次打卡只记一次"
    )


class CheckinOut(Schema):
    created: bool
    event: AccessEventOut
    outside_geofence: bool
