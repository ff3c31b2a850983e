"""Admission API: the decision for a worker at a project's gate, the project's allow-list (decisions in
force), and the blacklist.

The decision endpoint decides afresh from the facts (it does not read the stored status), at ``at`` or now.
"""

from __future__ import annotations

import datetime as dt
from typing import Any
from uuid import UUID

from django.db import transaction
from django.db.models import QuerySet
from django.http import Http404, HttpRequest
from django.utils import timezone
from ninja import Router, Schema, Status
from ninja.errors import HttpError
from pydantic import Field

from realname.accounts.models import User
from realname.accounts.roles import Perm
from realname.accounts.scope import can, restrict
from realname.admission import selectors, services
from realname.admission.models import AdmissionStatus, BlacklistEntry, BlacklistLevel
from realname.admission.rules import Decision, reason_from_json
from realname.core.api_errors import (
    ERRORS,
    WRITE_ERRORS,
    InputSchema,
    get_visible,
    list_endpoint,
    require_perm,
)
from realname.orgs.models import Company, Project
from realname.workers.models import Worker

router = Router(tags=["admission"])


class ReasonOut(Schema):
    code: str = Field(description="原因代码")
    message: str = Field(description="说明（中文）")
    params: dict[str, str] = Field(description="说明中的取值")


class DecisionOut(Schema):
    project: str
    worker: UUID
    at: dt.datetime = Field(description="判定时刻")
    allowed: bool
    reasons: list[ReasonOut]
    changes_at: dt.datetime | None = Field(
        description="无人操作时判定将发生变化的最早时刻（到期、退场、生日…）"
    )


class StatusOut(Schema):
    employment: UUID
    worker: UUID
    worker_name: str
    allowed: bool
    reasons: list[ReasonOut]
    decided_at: dt.datetime
    changes_at: dt.datetime | None
    changed_at: dt.datetime

    @staticmethod
    def resolve_employment(obj: AdmissionStatus) -> UUID:
        return obj.employment.public_id

    @staticmethod
    def resolve_worker(obj: AdmissionStatus) -> UUID:
        return obj.worker.public_id

    @staticmethod
    def resolve_worker_name(obj: AdmissionStatus) -> str:
        return obj.worker.name

    @staticmethod
    def resolve_reasons(obj: AdmissionStatus) -> list[ReasonOut]:
        return _reasons(obj.reasons)


def _reasons(values: Any) -> list[ReasonOut]:
    reasons = [reason_from_json(value) for value in values]
    return [ReasonOut(code=r.code, message=r.message, params=dict(r.params)) for r in reasons]


def _project(request: HttpRequest, code: str) -> Project:
    project = restrict(Project.objects.all(), request.user, Perm.ADMISSION_VIEW).filter(code=code).first()
    if project is None:
        raise Http404
    return project


@router.get(
    "/projects/{code}/admission/{worker_id}",
    response={200: DecisionOut, **ERRORS},
    summary="准入判定 / may this worker enter the project",
)
def decide_worker(
    request: HttpRequest, code: str, worker_id: UUID, at: dt.datetime | None = None
) -> DecisionOut:
    """判定该工人此刻（或 `at` 时刻）能否进入项目，并列出全部不准入原因（代码 + 中文说明）。"""
    project = _project(request, code)
    worker = get_visible(request, Worker.objects.all(), Perm.ADMISSION_VIEW, worker_id)
    moment = at or timezone.now()
    if timezone.is_naive(moment):
        raise HttpError(422, "at 须带时区，例如 2026-06-01T08:00:00+08:00")
    decision: Decision = selectors.decide_worker(project, worker, moment)
    return DecisionOut(
        project=project.code,
        worker=worker.public_id,
        at=moment,
        allowed=decision.allowed,
        reasons=[ReasonOut(code=r.code, message=r.message, params=dict(r.params)) for r in decision.reasons],
        changes_at=decision.changes_at,
    )


@router.get(
    "/projects/{code}/admission", response=list[StatusOut], summary="准入名单 / the allow-list in force"
)
@list_endpoint
def allow_list(request: HttpRequest, code: str, allowed: bool | None = None) -> QuerySet[AdmissionStatus]:
    """项目各进场记录当前生效的准入判定（闸机白名单即据此同步）。`allowed` 筛选准入或不准入。"""
    project = _project(request, code)
    visible = restrict(project.employments.all(), request.user, Perm.ADMISSION_VIEW).values("pk")
    qs = AdmissionStatus.objects.filter(project=project, employment__in=visible).select_related(
        "employment", "worker"
    )
    if allowed is not None:
        qs = qs.filter(allowed=allowed)
    return qs.order_by("worker__name", "employment_id")


class BlacklistOut(Schema):
    id: UUID
    worker: UUID
    worker_name: str
    level: str
    company: str | None
    project: str | None
    reason: str
    starts_on: dt.date
    ends_on: dt.date | None
    removed_at: dt.datetime | None
    removal_reason: str


class BlacklistIn(InputSchema):
    worker: UUID = Field(description="工人 id")
    level: str = Field(description="范围：platform 平台 / company 企业 / project 项目")
    company: UUID | None = Field(None, description="企业 id（企业黑名单）")
    project: str | None = Field(None, description="项目编码（项目黑名单）")
    reason: str = Field(description="原因", max_length=2000)
    starts_on: dt.date | None = Field(None, description="开始日期（默认今天）")
    ends_on: dt.date | None = Field(None, description="结束日期（留空表示直到解除）")


class RemoveIn(InputSchema):
    reason: str = Field(description="解除原因（必填）", max_length=2000)


def _entry_out(entry: BlacklistEntry) -> BlacklistOut:
    return BlacklistOut(
        id=entry.public_id,
        worker=entry.worker.public_id,
        worker_name=entry.worker.name,
        level=entry.level,
        company=entry.company.name if entry.company else None,
        project=entry.project.code if entry.project else None,
        reason=entry.reason,
        starts_on=entry.starts_on,
        ends_on=entry.ends_on,
        removed_at=entry.removed_at,
        removal_reason=entry.removal_reason,
    )


@router.get("/blacklist", response=list[BlacklistOut], summary="黑名单 / blacklist entries")
@list_endpoint
def list_blacklist(
    request: HttpRequest, worker: UUID | None = None, current: bool = False
) -> list[BlacklistOut]:
    """可见范围内工人的黑名单记录（含已解除的）。`current=true` 只看未解除的。"""
    qs = selectors.visible_blacklist(request.user)
    if worker is not None:
        qs = qs.filter(worker__public_id=worker)
    if current:
        qs = qs.filter(removed_at__isnull=True)
    return [_entry_out(entry) for entry in qs]


@router.post(
    "/blacklist", response={201: BlacklistOut, **WRITE_ERRORS}, summary="列入黑名单 / blacklist a worker"
)
def create_blacklist(request: HttpRequest, payload: BlacklistIn) -> Status[BlacklistOut]:
    require_perm(request, Perm.BLACKLIST_MANAGE)
    user = request.user
    assert isinstance(user, User)  # noqa: S101 - the API authenticates every call
    worker = get_visible(request, Worker.objects.all(), Perm.BLACKLIST_MANAGE, payload.worker)
    company = project = None
    if payload.level == BlacklistLevel.COMPANY and payload.company is not None:
        company = (
            restrict(Company.objects.all(), user, Perm.BLACKLIST_MANAGE)
            .filter(public_id=payload.company)
            .first()
        )
        if company is None:
            raise Http404
    if payload.level == BlacklistLevel.PROJECT and payload.project:
        project = (
            restrict(Project.objects.all(), user, Perm.BLACKLIST_MANAGE).filter(code=payload.project).first()
        )
        if project is None:
            raise Http404
    refused = selectors.blacklist_level_error(user, payload.level, company, project)
    if refused:
        raise HttpError(403, refused)
    with transaction.atomic():
        entry = services.add_to_blacklist(
            worker=worker,
            level=payload.level,
            company=company,
            project=project,
            reason=payload.reason,
            starts_on=payload.starts_on or timezone.localdate(),
            ends_on=payload.ends_on,
            by=user,
        )
    return Status(201, _entry_out(entry))


@router.post(
    "/blacklist/{entry_id}/remove",
    response={200: BlacklistOut, **WRITE_ERRORS},
    summary="解除黑名单 / take a worker off the blacklist",
)
def remove_blacklist(request: HttpRequest, entry_id: UUID, payload: RemoveIn) -> BlacklistOut:
    require_perm(request, Perm.BLACKLIST_MANAGE)
    user = request.user
    assert isinstance(user, User)  # noqa: S101 - the API authenticates every call
    entry = selectors.visible_blacklist(user).filter(public_id=entry_id).first()
    if entry is None:
        raise Http404
    if not can(user, Perm.BLACKLIST_MANAGE, entry.worker) or not selectors.may_manage_entry(user, entry):
        raise HttpError(403, "无权限解除该黑名单记录")
    return _entry_out(services.remove_from_blacklist(entry=entry, reason=payload.reason, by=user))
