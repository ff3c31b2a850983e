"""API endpoints for pay: periods, sheets and their lines (read), and the wage-arrears warnings (欠薪预警)
that regulators read for the projects in their region.

Everything is scoped with ``payroll.view`` (out of scope → 404, like a missing row); a worker reads their
own lines with ``payroll.confirm`` (``/payroll/my-lines``). Writing happens on the pages (the workflow
needs people's confirmations) — the API is for reading, reporting and supervision.
"""

from __future__ import annotations

import datetime as dt
from uuid import UUID

from django.db.models import QuerySet
from django.http import Http404, HttpRequest
from ninja import Path, Query, Router

from realname.accounts.roles import Perm
from realname.accounts.scope import restrict
from realname.core.api_errors import ERRORS, list_endpoint, require_perm
from realname.payroll import selectors
from realname.payroll.models import ArrearsWarning, PayLine, PayPeriod, PaySheet, WageDeposit
from realname.payroll.schemas import ArrearsOut, DepositOut, LineOut, PeriodOut, SheetOut

router = Router(tags=["payroll"])

ID = Path(..., description="工资表 id（UUID）")
MONTH = Query(None, description="计薪月份（该月第一天）")


@router.get("/periods", response=list[PeriodOut], summary="计薪周期 / pay periods")
@list_endpoint
def list_periods(
    request: HttpRequest, project: str = Query("", description="项目编码")
) -> QuerySet[PayPeriod]:
    require_perm(request, Perm.PAYROLL_VIEW)
    qs = selectors.visible_periods(request.user).order_by("-month", "project__code", "id")
    return qs.filter(project__code=project) if project else qs


@router.get("/sheets", response=list[SheetOut], summary="工资支付表 / pay sheets")
@list_endpoint
def list_sheets(
    request: HttpRequest,
    project: str = Query("", description="项目编码"),
    month: dt.date | None = MONTH,
    status: str = Query("", description="状态，如 gc_approved"),
    current: bool = Query(True, description="只列当前版本（不含已被取代的）"),
) -> QuerySet[PaySheet]:
    require_perm(request, Perm.PAYROLL_VIEW)
    qs = selectors.visible_sheets(request.user).order_by("-period__month", "project__code", "id")
    if project:
        qs = qs.filter(project__code=project)
    if month is not None:
        qs = qs.filter(period__month=month.replace(day=1))
    if status:
        qs = qs.filter(status=status)
    if current:
        qs = qs.exclude(status="superseded")
    return qs


@router.get("/sheets/{sheet_id}", response={200: SheetOut, **ERRORS}, summary="工资支付表详情 / read a sheet")
def get_sheet(request: HttpRequest, sheet_id: UUID = ID) -> PaySheet:
    require_perm(request, Perm.PAYROLL_VIEW)
    sheet = selectors.visible_sheets(request.user).filter(public_id=sheet_id).first()
    if sheet is None:
        raise Http404
    return sheet


@router.get("/sheets/{sheet_id}/lines", response=list[LineOut], summary="工资明细 / a sheet's lines")
@list_endpoint
def list_lines(request: HttpRequest, sheet_id: UUID = ID) -> QuerySet[PayLine]:
    sheet = get_sheet(request, sheet_id)
    return (
        restrict(PayLine.objects.filter(sheet=sheet), request.user, Perm.PAYROLL_VIEW)
        .select_related("worker", "sheet")
        .order_by("worker__name", "id")
    )


@router.get("/my-lines", response=list[LineOut], summary="我的工资 / the caller's own pay lines")
@list_endpoint
def my_lines(request: HttpRequest) -> QuerySet[PayLine]:
    require_perm(request, Perm.PAYROLL_CONFIRM)
    return selectors.own_lines(request.user).select_related("worker")


@router.get("/warnings", response=list[ArrearsOut], summary="欠薪预警 / wage-arrears warnings")
@list_endpoint
def list_warnings(
    request: HttpRequest,
    project: str = Query("", description="项目编码"),
    kind: str = Query("", description="预警类型"),
    open: bool = Query(True, description="只列未解除的"),  # noqa: A002 - the query parameter's name
) -> QuerySet[ArrearsWarning]:
    """Wage-arrears warnings of the projects in the caller's scope (a regulator: the region's)."""
    require_perm(request, Perm.PAYROLL_VIEW)
    qs = selectors.visible_warnings(request.user).order_by("-opened_at", "id")
    if project:
        qs = qs.filter(project__code=project)
    if kind:
        qs = qs.filter(kind=kind)
    if open:
        qs = qs.filter(resolved_at__isnull=True)
    return qs


@router.get("/deposits", response=list[DepositOut], summary="专户到账 / wage-account deposits")
@list_endpoint
def list_deposits(
    request: HttpRequest, project: str = Query("", description="项目编码")
) -> QuerySet[WageDeposit]:
    require_perm(request, Perm.PAYROLL_VIEW)
    qs = selectors.visible_deposits(request.user).order_by("-received_on", "id")
    return qs.filter(project__code=project) if project else qs
