"""Pay pages: periods, a period's sheets and inputs, a sheet with its lines and workflow, and the worker's own
pay on the phone (confirm or dispute).

Sheets and periods are seen with ``payroll.view`` in scope (outside scope 404); the actions check their own
rights in the services (a 403 page when refused). A worker sees only their own lines (``payroll.confirm``).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from uuid import UUID

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Q, QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext
from django.views.decorators.http import require_POST

from realname.accounts.models import User
from realname.accounts.roles import Perm
from realname.accounts.scope import has_perm, restrict
from realname.core.forms import add_service_errors
from realname.core.pages import paginate, require, scoped_get
from realname.core.text import listed
from realname.orgs.models import Project
from realname.payroll import calc, selectors, services
from realname.payroll.forms import DepositForm, DisputeForm, ItemForm, NoteForm, PeriodForm, PieceForm
from realname.payroll.models import (
    LineStatus,
    PayItem,
    PayLine,
    PayPeriod,
    PaySheet,
    PieceQuantity,
    SheetStatus,
)
from realname.workers.models import Employment


def _user(request: HttpRequest) -> User:
    user = request.user
    assert isinstance(user, User)  # noqa: S101 - login_required
    return user


def _error_text(exc: ValidationError) -> str:
    return "；".join(str(m) for m in exc.messages)


# --- periods ------------------------------------------------------------------------------------------------


@login_required
def period_list(request: HttpRequest) -> HttpResponse:
    require(request, Perm.PAYROLL_VIEW)
    user = _user(request)
    periods = selectors.visible_periods(user).order_by("-month", "project__code")
    project_code = request.GET.get("project", "").strip()
    if project_code:
        periods = periods.filter(project__code=project_code)
    preparable = restrict(Project.objects.all(), user, Perm.PAYROLL_PREPARE).order_by("code")
    form = PeriodForm(request.POST or None, projects=preparable)
    if request.method == "POST":
        require(request, Perm.PAYROLL_PREPARE)
        if form.is_valid():
            data = form.cleaned_data
            try:
                period = services.open_period(
                    project=data["project"], month=data["month"], pay_date=data["pay_date"], by=user
                )
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                messages.success(request, gettext("已建立计薪周期：%(p)s") % {"p": period})
                return redirect("payroll:period_detail", public_id=period.public_id)
    return render(
        request,
        "payroll/period_list.html",
        {
            "page_obj": paginate(request, periods),
            "form": form,
            "can_prepare": has_perm(user, Perm.PAYROLL_PREPARE) and preparable.exists(),
            "project_code": project_code,
        },
    )


def _period(request: HttpRequest, public_id: UUID) -> PayPeriod:
    return scoped_get(request, PayPeriod.objects.select_related("project"), Perm.PAYROLL_VIEW, public_id)


@login_required
def period_detail(request: HttpRequest, public_id: UUID) -> HttpResponse:
    period = _period(request, public_id)
    user = _user(request)
    sheets = (
        selectors.visible_sheets(user)
        .filter(period=period)
        .order_by("participant__company__name", "team_key", "-revision")
    )
    current = [s for s in sheets if s.status != SheetStatus.SUPERSEDED]
    return render(
        request,
        "payroll/period_detail.html",
        {
            "period": period,
            "sheets": current,
            "superseded": [s for s in sheets if s.status == SheetStatus.SUPERSEDED],
            "totals": {
                "gross": sum((s.gross for s in current), calc.ZERO),
                "deductions": sum((s.deductions for s in current), calc.ZERO),
                "net": sum((s.net for s in current), calc.ZERO),
                "lines": sum(s.line_count for s in current),
            },
            "can_prepare": services.preparable_participants(user, period.project).exists()
            and has_perm(user, Perm.PAYROLL_PREPARE),
        },
    )


@login_required
@require_POST
def period_generate(request: HttpRequest, public_id: UUID) -> HttpResponse:
    period = _period(request, public_id)
    require(request, Perm.PAYROLL_PREPARE)
    try:
        result = services.generate(period=period, by=_user(request))
    except ValidationError as exc:
        messages.error(request, _error_text(exc))
    else:
        messages.success(
            request,
            gettext(
                "已计算：新建 %(c)d 张、重算 %(r)d 张；"
                "新增 %(a)d 人，变化 %(ch)d 人，移除 %(rm)d 人，未变 %(u)d 人"
            )
            % {
                "c": result.sheets_created,
                "r": result.sheets_regenerated,
                "a": result.lines_added,
                "ch": result.lines_changed,
                "rm": result.lines_removed,
                "u": result.lines_unchanged,
            },
        )
        if result.skipped_sheets:
            messages.info(
                request,
                gettext("以下工资表已确认或审核，未重算（如需修改请退回草稿或修订）：%(s)s")
                % {"s": "；".join(result.skipped_sheets)},
            )
        if result.left_out:
            messages.warning(
                request,
                gettext(
                    "%(names)s 本月应在上述已确认或审核的工资表上（如月中调入该班组），目前不在任何工资表上："
                    "请将该表退回草稿后重新计算"
                )
                % {"names": listed(result.left_out)},
            )
    return redirect("payroll:period_detail", public_id=period.public_id)


def _month_employments(user: User, period: PayPeriod, perm: str) -> QuerySet[Employment]:
    last = calc.month_dates(period.month)[-1]
    return (
        restrict(Employment.objects.filter(project=period.project), user, perm)
        .filter(entry_date__lte=last)
        .filter(Q(exit_date__isnull=True) | Q(exit_date__gte=period.month))
        .select_related("worker", "team")
        .order_by("team__name", "worker__name")
    )


@login_required
def period_inputs(request: HttpRequest, public_id: UUID) -> HttpResponse:
    """Additions/deductions (preparers) and piece quantities (team leaders, preparers) for the period."""
    period = _period(request, public_id)
    user = _user(request)
    item_form = ItemForm(
        request.POST if request.POST.get("form") == "item" else None,
        employments=_month_employments(user, period, Perm.PAYROLL_PREPARE),
        prefix="item",
    )
    piece_form = PieceForm(
        request.POST if request.POST.get("form") == "piece" else None,
        employments=_month_employments(user, period, Perm.PAYROLL_TEAM),
        prefix="piece",
    )
    if request.method == "POST":
        try:
            if request.POST.get("form") == "item" and item_form.is_valid():
                direction, kind = item_form.split_item()
                data = item_form.cleaned_data
                services.add_item(
                    period=period,
                    employment=data["employment"],
                    by=user,
                    direction=direction,
                    kind=kind,
                    amount=data["amount"],
                    note=data["note"],
                )
                messages.success(request, gettext("已录入增减项"))
                return redirect("payroll:period_inputs", public_id=period.public_id)
            if request.POST.get("form") == "piece" and piece_form.is_valid():
                data = piece_form.cleaned_data
                services.add_piece(
                    period=period,
                    employment=data["employment"],
                    by=user,
                    description=data["description"],
                    unit=data["unit"],
                    quantity=data["quantity"],
                    unit_price=data["unit_price"],
                    overtime=data["overtime"] or "",
                )
                messages.success(request, gettext("已录入计件数量"))
                return redirect("payroll:period_inputs", public_id=period.public_id)
        except ValidationError as exc:
            add_service_errors(item_form if request.POST.get("form") == "item" else piece_form, exc)
    items = restrict(PayItem.objects.filter(period=period), user, Perm.PAYROLL_VIEW).select_related(
        "employment__worker", "employment__team"
    )
    pieces = restrict(PieceQuantity.objects.filter(period=period), user, Perm.PAYROLL_VIEW).select_related(
        "employment__worker", "employment__team"
    )
    return render(
        request,
        "payroll/period_inputs.html",
        {
            "period": period,
            "items": items.order_by("employment__worker__name", "created_at"),
            "pieces": pieces.order_by("employment__worker__name", "created_at"),
            "item_form": item_form,
            "piece_form": piece_form,
            "can_items": has_perm(user, Perm.PAYROLL_PREPARE),
            "can_pieces": has_perm(user, Perm.PAYROLL_TEAM),
            "item_kinds": {f"{d}.{k}": v for d, kinds in calc.ITEM_KINDS.items() for k, v in kinds.items()},
        },
    )


@login_required
@require_POST
def input_remove(request: HttpRequest, kind: str, public_id: UUID) -> HttpResponse:
    row: PayItem | PieceQuantity
    if kind == "item":
        row = scoped_get(
            request, PayItem.objects.select_related("period", "employment"), Perm.PAYROLL_VIEW, public_id
        )
    elif kind == "piece":
        pieces = PieceQuantity.objects.select_related("period", "employment")
        row = scoped_get(request, pieces, Perm.PAYROLL_VIEW, public_id)
    else:
        raise Http404
    try:
        services.remove_input(row=row, by=_user(request))
    except ValidationError as exc:
        messages.error(request, _error_text(exc))
    else:
        messages.success(request, gettext("已删除"))
    return redirect("payroll:period_inputs", public_id=row.period.public_id)


# --- sheets ------------------------------------------------------------------------------------------


def _sheet(request: HttpRequest, public_id: UUID) -> PaySheet:
    return scoped_get(
        request,
        PaySheet.objects.select_related("period", "project", "participant__company", "team", "previous"),
        Perm.PAYROLL_VIEW,
        public_id,
    )


def _parts(line: PayLine) -> list[dict[str, Any]]:
    out = []
    for p in line.parts:
        out.append(
            {
                **p,
                "label": calc.render(p["code"], p.get("params", {})),
                "deduction": p["code"].startswith("deduction."),
            }
        )
    return out


def _warnings(rows: list[dict[str, Any]]) -> list[str]:
    return [calc.render(w["code"], w.get("params", {})) for w in rows]


@login_required
def sheet_detail(request: HttpRequest, public_id: UUID) -> HttpResponse:
    sheet = _sheet(request, public_id)
    user = _user(request)
    lines = list(
        restrict(PayLine.objects.filter(sheet=sheet), user, Perm.PAYROLL_VIEW)
        .select_related("worker", "employment", "confirmed_by")
        .order_by("worker__name")
    )
    for line in lines:
        line.explained = _parts(line)  # type: ignore[attr-defined]
        line.warning_text = _warnings(line.warnings)  # type: ignore[attr-defined]
    may_prepare = (
        has_perm(user, Perm.PAYROLL_PREPARE)
        and services.preparable_participants(user, sheet.project).filter(pk=sheet.participant_id).exists()
    )
    workers_by_id = {line.worker_id: line.worker.name for line in lines}
    diff = sheet.last_diff or {}
    return render(
        request,
        "payroll/sheet_detail.html",
        {
            "sheet": sheet,
            "lines": lines,
            "steps": sheet.steps.select_related("line__worker").order_by("at", "id"),
            "diff": {
                "changed": [
                    {**c, "name": workers_by_id.get(c["worker"], "")} for c in diff.get("changed", [])
                ],
                "added": [{**c, "name": workers_by_id.get(c["worker"], "")} for c in diff.get("added", [])],
                "removed": diff.get("removed", []),
                "unchanged": diff.get("unchanged", 0),
            }
            if diff
            else None,
            "may_prepare": may_prepare,
            "may_approve": has_perm(user, Perm.PAYROLL_APPROVE),
            "may_team": has_perm(user, Perm.PAYROLL_TEAM) or may_prepare,
            "Status": SheetStatus,
            "LineStatus": LineStatus,
        },
    )


def _sheet_action(
    request: HttpRequest, public_id: UUID, action: Callable[..., Any], *, note_required: bool, done: str
) -> HttpResponse:
    sheet = _sheet(request, public_id)
    form = NoteForm(request.POST, required=note_required)
    if not form.is_valid():
        messages.error(request, gettext("请填写说明或原因"))
        return redirect("payroll:sheet_detail", public_id=sheet.public_id)
    try:
        result = action(
            sheet=sheet,
            by=_user(request),
            **{("reason" if note_required else "note"): form.cleaned_data["note"]},
        )
    except ValidationError as exc:
        messages.error(request, _error_text(exc))
        return redirect("payroll:sheet_detail", public_id=sheet.public_id)
    messages.success(request, done)
    target = result if isinstance(result, PaySheet) else sheet
    return redirect("payroll:sheet_detail", public_id=target.public_id)


@login_required
@require_POST
def sheet_confirm_team(request: HttpRequest, public_id: UUID) -> HttpResponse:
    return _sheet_action(
        request, public_id, services.confirm_team, note_required=False, done=gettext("班组长已确认")
    )


@login_required
@require_POST
def sheet_reopen(request: HttpRequest, public_id: UUID) -> HttpResponse:
    return _sheet_action(request, public_id, services.reopen, note_required=True, done=gettext("已退回草稿"))


@login_required
@require_POST
def sheet_approve_employer(request: HttpRequest, public_id: UUID) -> HttpResponse:
    return _sheet_action(
        request, public_id, services.approve_employer, note_required=False, done=gettext("用工单位已审核")
    )


@login_required
@require_POST
def sheet_approve_gc(request: HttpRequest, public_id: UUID) -> HttpResponse:
    return _sheet_action(
        request, public_id, services.approve_gc, note_required=False, done=gettext("总承包单位已审核")
    )


@login_required
@require_POST
def sheet_revise(request: HttpRequest, public_id: UUID) -> HttpResponse:
    return _sheet_action(
        request, public_id, services.revise, note_required=True, done=gettext("已生成新版本")
    )


def _line(request: HttpRequest, public_id: UUID, perm: str = Perm.PAYROLL_VIEW) -> PayLine:
    return scoped_get(request, PayLine.objects.select_related("sheet", "worker"), perm, public_id)


@login_required
@require_POST
def line_paper_signature(request: HttpRequest, public_id: UUID) -> HttpResponse:
    return _line_action(
        request,
        public_id,
        lambda line, by, note: services.record_paper_signature(line=line, by=by, note=note),
        missing=gettext("请写明签字的依据"),
        done=gettext("已登记 %(name)s 的纸质签字"),
    )


@login_required
@require_POST
def line_answer(request: HttpRequest, public_id: UUID) -> HttpResponse:
    return _line_action(
        request,
        public_id,
        lambda line, by, note: services.answer_dispute(line=line, by=by, reply=note),
        missing=gettext("请写明答复"),
        done=gettext("已答复 %(name)s 的异议"),
    )


def _line_action(
    request: HttpRequest,
    public_id: UUID,
    action: Callable[[PayLine, User, str], Any],
    *,
    missing: str,
    done: str,
) -> HttpResponse:
    """A manager's step on one line that needs a written note; back to the sheet with the outcome."""
    line = _line(request, public_id)
    form = NoteForm(request.POST, required=True)
    try:
        if not form.is_valid():
            raise ValidationError(missing)
        action(line, _user(request), form.cleaned_data["note"])
    except ValidationError as exc:
        messages.error(request, _error_text(exc))
    else:
        messages.success(request, done % {"name": line.worker.name})
    return redirect("payroll:sheet_detail", public_id=line.sheet.public_id)


# --- the worker's own pay (phone pages) ---------------------------------------------------------------------


@login_required
def my_pay(request: HttpRequest) -> HttpResponse:
    require(request, Perm.PAYROLL_CONFIRM)
    lines = list(selectors.own_lines(_user(request)))
    return render(
        request, "payroll/me.html", {"lines": lines, "LineStatus": LineStatus, "Status": SheetStatus}
    )


@login_required
def my_line(request: HttpRequest, public_id: UUID) -> HttpResponse:
    require(request, Perm.PAYROLL_CONFIRM)
    user = _user(request)
    line = selectors.own_lines(user).filter(public_id=public_id).first()
    if line is None:
        raise Http404
    parts = _parts(line)
    form = DisputeForm(request.POST or None, parts=[(p["code"], p["label"]) for p in parts])
    if request.method == "POST":
        try:
            if request.POST.get("action") == "confirm":
                services.confirm_line(line=line, by=user)
                messages.success(request, gettext("已确认，谢谢"))
                return redirect("payroll:my_line", public_id=line.public_id)
            if form.is_valid():
                services.dispute_line(
                    line=line, by=user, reason=form.cleaned_data["reason"], part=form.cleaned_data["part"]
                )
                messages.success(request, gettext("异议已提交，管理人员答复后会通知您"))
                return redirect("payroll:my_line", public_id=line.public_id)
        except ValidationError as exc:
            add_service_errors(form, exc)
        except PermissionDenied:
            raise
    return render(
        request,
        "payroll/me_line.html",
        {
            "line": line,
            "parts": parts,
            "warnings": _warnings(line.warnings),
            "form": form,
            "can_answer": line.sheet.status == SheetStatus.TEAM_CONFIRMED
            and line.status != LineStatus.CONFIRMED,
            "LineStatus": LineStatus,
        },
    )


# --- wage account and arrears warnings --------------------------------------------------------------------


@login_required
def warnings_list(request: HttpRequest) -> HttpResponse:
    """Wage-arrears warnings (欠薪预警) of the projects in scope; open ones first."""
    require(request, Perm.PAYROLL_VIEW)
    warnings = selectors.visible_warnings(request.user)
    project_code = request.GET.get("project", "").strip()
    if project_code:
        warnings = warnings.filter(project__code=project_code)
    show_all = request.GET.get("all") == "1"
    if not show_all:
        warnings = warnings.filter(resolved_at__isnull=True)
    return render(
        request,
        "payroll/warnings.html",
        {
            "page_obj": paginate(request, warnings.order_by("resolved_at", "-opened_at", "id")),
            "project_code": project_code,
            "show_all": show_all,
        },
    )


@login_required
def deposit_list(request: HttpRequest) -> HttpResponse:
    """Money paid into the projects' wage accounts, and (for the general contractor) a form to record it."""
    require(request, Perm.PAYROLL_VIEW)
    user = _user(request)
    projects = list(restrict(Project.objects.all(), user, Perm.PAYROLL_VIEW).order_by("code"))
    recordable = Project.objects.filter(
        pk__in=[p.pk for p in projects if services.may_record_deposit(user, p)]
    )
    form = DepositForm(request.POST or None, projects=recordable)
    if request.method == "POST":
        if not recordable.exists():
            raise PermissionDenied
        if form.is_valid():
            data = form.cleaned_data
            try:
                services.record_deposit(by=user, **data)
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                messages.success(request, gettext("已登记专户到账"))
                return redirect("payroll:deposit_list")
    deposits = selectors.visible_deposits(user).order_by("-received_on", "-id")
    return render(
        request,
        "payroll/deposits.html",
        {"page_obj": paginate(request, deposits), "form": form, "can_record": recordable.exists()},
    )
