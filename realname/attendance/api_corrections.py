"""Corrections (补卡) API: list and read in the caller's scope, request one, add evidence, approve, reject,
cancel. Mounted under ``/attendance`` (config/api.py).

Each endpoint: parse (schema) → scoped lookup (``restrict``: out of scope is 404) → service
(:mod:`realname.attendance.corrections`, which decides who may do what and refuses with 403 / 422) → render.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import os
import uuid
from typing import Literal
from zoneinfo import ZoneInfo

from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db.models import QuerySet
from django.http import HttpRequest
from ninja import Body, Field, Path, Router, Schema, Status
from pydantic import field_validator

from realname.accounts.roles import Perm
from realname.attendance import corrections
from realname.attendance.models_corrections import CorrectionRequest
from realname.core.api_errors import (
    ERRORS,
    WRITE_ERRORS,
    InputSchema,
    get_changeable,
    get_visible,
    list_endpoint,
    require_perm,
    resolve_ref,
)
from realname.workers.models import Employment

router = Router(tags=["attendance"])

ID = Path(..., description="补卡申请 id（UUID）", example="3fa85f64-5717-4562-b3fc-2a963f66afa6")
OPTIONAL_BODY = Body(None)
# Base64 of at most 10 MB (what clean_upload allows), with room for line breaks.
MAX_EVIDENCE_BASE64 = 14_500_000


# --- shapes ------------------------------------------------------------------------------------------------


class CorrectionIn(InputSchema):
    employment: uuid.UUID = Field(..., description="进退场记录 id（补卡的工人在该项目的用工）")
    date: dt.date = Field(..., description="补卡日期（项目所在地当地日期）")
    time: dt.time = Field(..., description="补卡时间 HH:MM（项目所在地当地时间，不带时区）")
    direction: Literal["01", "02"] = Field(..., description="考勤方向：01 入场，02 出场")
    reason: str = Field(..., min_length=1, max_length=corrections.MAX_TEXT, description="补卡原因（必填）")

    @field_validator("time")
    @classmethod
    def _local(cls, value: dt.time) -> dt.time:
        if value.tzinfo is not None:
            raise ValueError("请填写项目所在地的当地时间，不带时区 / give the local time without an offset")
        return value


class DecisionIn(InputSchema):
    note: str = Field("", max_length=corrections.MAX_TEXT, description="审批意见或撤销原因（可选）")


class EvidenceIn(InputSchema):
    name: str = Field(
        ..., min_length=1, max_length=200, description="文件名，扩展名须为 jpg / jpeg / png / pdf"
    )
    data: str = Field(
        ...,
        min_length=1,
        max_length=MAX_EVIDENCE_BASE64,
        description="文件内容的 base64 编码（不超过 10 MB）",
    )


class RejectIn(InputSchema):
    note: str = Field(..., min_length=1, max_length=corrections.MAX_TEXT, description="驳回理由（必填）")


class CorrectionWorkerOut(Schema):
    id: uuid.UUID
    name: str
    id_number_masked: str


class CorrectionOut(Schema):
    id: uuid.UUID
    status: str = Field(
        ..., description="pending 待审批 / approved 已批准 / rejected 已驳回 / cancelled 已撤销"
    )
    project: str = Field(..., description="项目编码")
    employment: uuid.UUID
    worker: CorrectionWorkerOut
    time: str = Field(..., description="补卡时间，ISO 8601，带项目所在时区的偏移")
    direction: str
    reason: str
    has_evidence: bool
    requested_by: str
    requested_at: dt.datetime
    decided_by: str | None = None
    decided_at: dt.datetime | None = None
    decision_note: str = ""
    event: uuid.UUID | None = Field(None, description="批准后新增的补卡事件 id（见 /attendance/events）")

    # Rendered from a CorrectionRequest (select_related: project, employment, worker, requested_by,
    # decided_by, event); times in the project's zone.

    @staticmethod
    def resolve_id(obj: CorrectionRequest) -> uuid.UUID:
        return obj.public_id

    @staticmethod
    def resolve_project(obj: CorrectionRequest) -> str:
        return obj.project.code

    @staticmethod
    def resolve_employment(obj: CorrectionRequest) -> uuid.UUID:
        return obj.employment.public_id

    @staticmethod
    def resolve_worker(obj: CorrectionRequest) -> CorrectionWorkerOut:
        worker = obj.worker
        return CorrectionWorkerOut(
            id=worker.public_id, name=worker.name, id_number_masked=worker.id_number_masked
        )

    @staticmethod
    def resolve_time(obj: CorrectionRequest) -> str:
        return obj.occurred_at.astimezone(ZoneInfo(obj.project.time_zone)).isoformat()

    @staticmethod
    def resolve_has_evidence(obj: CorrectionRequest) -> bool:
        return bool(obj.evidence)

    @staticmethod
    def resolve_requested_by(obj: CorrectionRequest) -> str:
        return str(obj.requested_by)

    @staticmethod
    def resolve_requested_at(obj: CorrectionRequest) -> dt.datetime:
        return obj.requested_at.astimezone(ZoneInfo(obj.project.time_zone))

    @staticmethod
    def resolve_decided_by(obj: CorrectionRequest) -> str | None:
        return str(obj.decided_by) if obj.decided_by is not None else None

    @staticmethod
    def resolve_decided_at(obj: CorrectionRequest) -> dt.datetime | None:
        return obj.decided_at.astimezone(ZoneInfo(obj.project.time_zone)) if obj.decided_at else None

    @staticmethod
    def resolve_event(obj: CorrectionRequest) -> uuid.UUID | None:
        return obj.event.public_id if obj.event is not None else None


def _rows() -> QuerySet[CorrectionRequest]:
    return CorrectionRequest.objects.select_related(
        "project", "employment", "worker", "requested_by", "decided_by", "event"
    )


def _out(row: CorrectionRequest) -> CorrectionRequest:
    """The row re-read in the shape CorrectionOut renders."""
    return _rows().get(pk=row.pk)


# --- endpoints ---------------------------------------------------------------------------------------------


@router.get(
    "/corrections",
    response=list[CorrectionOut],
    summary="补卡申请列表 / list corrections",
    description=(
        "权限范围内的补卡申请，待审批的在前，其余按申请时间倒序。"
        "筛选：`project`（项目编码）、`status`、`worker`（工人 id）。"
    ),
)
@list_endpoint
def list_corrections(
    request: HttpRequest, project: str = "", status: str = "", worker: uuid.UUID | None = None
) -> QuerySet[CorrectionRequest]:
    qs = corrections.list_corrections(request.user, status=status.strip()).select_related(
        "employment", "event"
    )
    if project:
        qs = qs.filter(project__code=project.strip())
    if worker is not None:
        qs = qs.filter(worker__public_id=worker)
    return qs


@router.get(
    "/corrections/{correction_id}",
    response={200: CorrectionOut, **ERRORS},
    summary="补卡申请详情 / read a correction",
)
def get_correction(request: HttpRequest, correction_id: str = ID) -> CorrectionRequest:
    return get_visible(request, _rows(), Perm.ATTENDANCE_VIEW, correction_id)


@router.post(
    "/corrections",
    response={201: CorrectionOut, **WRITE_ERRORS},
    summary="申请补卡 / request a correction",
    description=(
        "工人本人、班组长（本班组）或劳务管理员等（权限范围内的人员）提交补卡申请。拒绝：晚于当前时间、"
        "早于进场或晚于退场、超过 REALNAME_CORRECTION_MAX_DAYS 天前（默认 31）、同一时间同一方向已有待审批"
        "或已批准的申请。证明材料另以 `POST /attendance/corrections/{id}/evidence` 上传。"
    ),
)
def create_correction(request: HttpRequest, payload: CorrectionIn) -> Status[CorrectionRequest]:
    require_perm(request, Perm.CORRECTION_REQUEST)
    employment = resolve_ref(
        request,
        Employment.objects.select_related("project"),
        Perm.CORRECTION_REQUEST,
        payload.employment,
        "employment",
    )
    created = corrections.request_correction(
        employment=employment,
        occurred_at=corrections.local_moment(employment.project, payload.date, payload.time),
        direction=payload.direction,
        reason=payload.reason,
        requested_by=request.user,
    )
    return Status(201, _out(created))


@router.post(
    "/corrections/{correction_id}/evidence",
    response={200: CorrectionOut, **ERRORS},
    summary="上传补卡证明材料 / attach evidence",
    description=(
        "申请人为待审批的申请上传（或替换）证明材料：照片或 PDF，`data` 为文件内容的 base64 编码"
        "（与全国平台附件的传法相同）。内容须与扩展名相符。"
    ),
)
def attach_evidence(request: HttpRequest, payload: EvidenceIn, correction_id: str = ID) -> CorrectionRequest:
    correction = get_visible(request, _rows(), Perm.ATTENDANCE_VIEW, correction_id)
    try:
        content = base64.b64decode(payload.data, validate=False)
    except (binascii.Error, ValueError):
        raise ValidationError({"data": "不是有效的 base64 编码"}) from None
    name = payload.name.strip()
    if not name or name in {".", ".."} or os.path.basename(name) != name or not name.isprintable():
        raise ValidationError({"name": "文件名无效：请给出不含路径的文件名，如 证明.jpg"})
    upload = SimpleUploadedFile(name, content)
    return _out(corrections.attach_evidence(correction=correction, evidence=upload, user=request.user))


@router.post(
    "/corrections/{correction_id}/approve",
    response={200: CorrectionOut, **ERRORS},
    summary="批准补卡 / approve",
    description="新增一条来源为 correction 的考勤事件（进入存证账本并重算当日考勤），原始刷卡记录不变。"
    "不能审批自己提交的或本人的申请；已处理的申请不能再次审批。",
)
def approve_correction(
    request: HttpRequest, payload: DecisionIn, correction_id: str = ID
) -> CorrectionRequest:
    correction = get_changeable(
        request, _rows(), Perm.CORRECTION_APPROVE, Perm.ATTENDANCE_VIEW, correction_id
    )
    return _out(corrections.approve_correction(correction=correction, user=request.user, note=payload.note))


@router.post(
    "/corrections/{correction_id}/reject",
    response={200: CorrectionOut, **ERRORS},
    summary="驳回补卡 / reject",
)
def reject_correction(request: HttpRequest, payload: RejectIn, correction_id: str = ID) -> CorrectionRequest:
    correction = get_changeable(
        request, _rows(), Perm.CORRECTION_APPROVE, Perm.ATTENDANCE_VIEW, correction_id
    )
    return _out(corrections.reject_correction(correction=correction, user=request.user, note=payload.note))


@router.post(
    "/corrections/{correction_id}/cancel",
    response={200: CorrectionOut, **ERRORS},
    summary="撤销补卡申请 / cancel",
    description="申请人撤销待审批的申请，可附撤销原因。",
)
def cancel_correction(
    request: HttpRequest, correction_id: str = ID, payload: DecisionIn | None = OPTIONAL_BODY
) -> CorrectionRequest:
    correction = get_visible(request, _rows(), Perm.ATTENDANCE_VIEW, correction_id)
    note = payload.note if payload is not None else ""
    return _out(corrections.cancel_correction(correction=correction, user=request.user, note=note))
