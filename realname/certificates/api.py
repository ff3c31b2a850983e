"""API endpoints for certificates: list / read / register / verify / record a review, and the read-only
lists of certificate types and trade rules.

A certificate is visible to whoever may see its worker (``workers.view``; out of scope → 404) and written
by whoever holds ``certificates.manage`` over the worker (visible but not permitted → 403). Numbers are
output masked; the plaintext comes only from the audited ``reveal-number`` endpoint (``certificates.manage``).
"""

from __future__ import annotations

import datetime as dt
from typing import Any
from uuid import UUID

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Prefetch, QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.utils import timezone
from ninja import Body, Path, Query, Router, Status

from realname.accounts.roles import Perm
from realname.accounts.scope import can, restrict
from realname.certificates import selectors, services
from realname.certificates.models import (
    Certificate,
    CertificateReview,
    CertificateType,
    RenewalKind,
    TradeRule,
)
from realname.certificates.schemas import (
    CertificateIn,
    CertificateOut,
    CertificateTypeOut,
    NumberRevealOut,
    ReviewIn,
    TradeRuleOut,
    VerifyIn,
)
from realname.core.api_errors import (
    ERRORS,
    WRITE_ERRORS,
    list_endpoint,
    parse_public_id,
    require_perm,
    resolve_ref,
)
from realname.orgs.models import Project
from realname.workers.models import Worker
from realname.workers.schemas import RevealIn

router = Router(tags=["certificates"])

OPTIONAL_BODY = Body(None)
ID = Path(..., description="证书 id（UUID）", example="3fa85f64-5717-4562-b3fc-2a963f66afa6")


def _certificates(qs: QuerySet[Certificate]) -> QuerySet[Certificate]:
    return selectors.with_details(qs).prefetch_related(
        Prefetch("reviews", queryset=CertificateReview.objects.order_by("-reviewed_on", "-id"))
    )


def _visible(request: HttpRequest, certificate_id: str) -> Certificate:
    found = _certificates(selectors.certificates_for(request.user)).filter(
        public_id=parse_public_id(certificate_id)
    )
    certificate = found.first()
    if certificate is None:
        raise Http404
    return certificate


def _changeable(request: HttpRequest, certificate_id: str) -> Certificate:
    require_perm(request, Perm.CERTIFICATES_MANAGE)
    certificate = _visible(request, certificate_id)
    if not can(request.user, Perm.CERTIFICATES_MANAGE, certificate.worker):
        from ninja.errors import HttpError

        raise HttpError(403, "无权限修改该对象")
    return certificate


@router.get("/types", response=list[CertificateTypeOut], summary="证书类型 / certificate types")
@list_endpoint
def list_types(request: HttpRequest, active: bool | None = None) -> QuerySet[CertificateType]:
    qs = CertificateType.objects.order_by("regime", "code", "id")
    return qs if active is None else qs.filter(active=active)


@router.get("/trade-rules", response=list[TradeRuleOut], summary="工种持证要求 / trade rules")
@list_endpoint
def list_trade_rules(request: HttpRequest, trade: str = "", project: str = "") -> QuerySet[TradeRule]:
    """Platform-wide rules and the project rules of the projects the caller may see; ``project`` (a
    project code) keeps that project's own rules and the platform's."""
    qs = selectors.visible_rules(request.user, Perm.WORKERS_VIEW).order_by("trade", "project__code", "id")
    if trade:
        qs = qs.filter(trade=trade)
    if project:
        qs = qs.filter(project__isnull=True) | qs.filter(project__code=project)
    return qs


@router.get("", response=list[CertificateOut], summary="证书列表 / list certificates")
@list_endpoint
def list_certificates(
    request: HttpRequest,
    worker: UUID | None = None,
    project: str = Query("", description="项目编码：该项目在场工人的证书"),
    expiring_within: int | None = Query(None, ge=0, le=3660, description="N 天内到期或待复审（含已过期）"),
) -> QuerySet[Certificate]:
    worker_obj: Worker | None = None
    if worker is not None:
        worker_obj = (
            restrict(Worker.objects.all(), request.user, Perm.WORKERS_VIEW).filter(public_id=worker).first()
        )
        if worker_obj is None:
            return Certificate.objects.none()
    project_obj: Project | None = None
    today: dt.date | None = timezone.localdate()
    if project:
        project_obj = (
            restrict(Project.objects.all(), request.user, Perm.WORKERS_VIEW).filter(code=project).first()
        )
        if project_obj is None:
            return Certificate.objects.none()
        today = selectors.project_today(project_obj, timezone.now())
    qs = selectors.list_certificates(
        request.user, worker=worker_obj, project=project_obj, expiring_within=expiring_within, today=today
    )
    return _certificates(qs)


@router.get("/{certificate_id}", response={200: CertificateOut, **ERRORS}, summary="证书详情 / read")
def get_certificate(request: HttpRequest, certificate_id: str = ID) -> Certificate:
    return _visible(request, certificate_id)


@router.post("", response={201: CertificateOut, **WRITE_ERRORS}, summary="登记证书 / add a certificate")
def create_certificate(request: HttpRequest, payload: CertificateIn) -> Status[Certificate]:
    require_perm(request, Perm.CERTIFICATES_MANAGE)
    worker = resolve_ref(request, Worker.objects.all(), Perm.CERTIFICATES_MANAGE, payload.worker, "worker")
    kind = CertificateType.objects.filter(code=payload.type.strip().upper()).first()
    if kind is None:
        raise ValidationError({"type": f"未知的证书类型代码：{payload.type}"})
    fields = payload.dict(exclude={"worker", "type"})
    with transaction.atomic():
        certificate = services.add_certificate(worker=worker, type=kind, **fields)
    return Status(201, _visible(request, str(certificate.public_id)))


@router.post(
    "/{certificate_id}/reveal-number",
    response={200: NumberRevealOut, **ERRORS},
    summary="查看完整证书编号 / reveal the certificate number (audited)",
)
def reveal_number(
    request: HttpRequest,
    response: HttpResponse,
    certificate_id: str = ID,
    payload: RevealIn | None = OPTIONAL_BODY,
) -> dict[str, Any]:
    """证书编号可能就是持证人的身份证号码（应急管理 特种作业操作证），列表和详情只给掩码；核验人员需要完整编号
    到发证机关查询平台核对时调用本接口。需要对该工人有 certificates.manage 权限，每次查看都记入审计日志。"""
    certificate = _changeable(request, certificate_id)
    number = services.reveal_number(certificate=certificate, reason=payload.reason if payload else "")
    response["Cache-Control"] = "no-store"
    return {"id": certificate.public_id, "number": number}


@router.post(
    "/{certificate_id}/verify", response={200: CertificateOut, **ERRORS}, summary="核验证书 / verify"
)
def verify_certificate(request: HttpRequest, payload: VerifyIn, certificate_id: str = ID) -> Certificate:
    certificate = _changeable(request, certificate_id)
    services.verify_certificate(
        certificate=certificate,
        status=payload.status,
        note=payload.note,
        by=request.user,  # type: ignore[arg-type]  # authenticated by the API token
    )
    return _visible(request, certificate_id)


@router.post(
    "/{certificate_id}/reviews",
    response={201: CertificateOut, **ERRORS},
    summary="登记复审或延期复核 / record a review or renewal",
)
def record_review(request: HttpRequest, payload: ReviewIn, certificate_id: str = ID) -> Status[Certificate]:
    certificate = _changeable(request, certificate_id)
    by = request.user
    if payload.kind == RenewalKind.REVIEW:
        services.record_review(
            certificate=certificate,
            reviewed_on=payload.reviewed_on,
            next_review_on=payload.new_date,
            note=payload.note,
            by=by,  # type: ignore[arg-type]
        )
    elif payload.kind == RenewalKind.RENEWAL:
        services.renew_certificate(
            certificate=certificate,
            reviewed_on=payload.reviewed_on,
            new_expires_on=payload.new_date,
            note=payload.note,
            by=by,  # type: ignore[arg-type]
        )
    else:
        raise ValidationError({"kind": "办理事项应为 review（复审）或 renewal（延期复核）"})
    return Status(201, _visible(request, certificate_id))
