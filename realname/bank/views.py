"""Bank batch pages (代发): the list, a new batch from approved sheets, a batch with its lines (cards masked),
the bank's files (audited downloads), the return file, re-issue and cancel.

A batch is seen by whoever may see one of its pay sheets (``payroll.view``; outside scope 404), and only
the lines they may see. Acting needs ``bank.pay`` for the project's general contractor, checked in the
services (a 403 page when refused).
"""

from __future__ import annotations

from decimal import Decimal
from uuid import UUID

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext
from django.views.decorators.http import require_POST

from realname.accounts.models import User
from realname.accounts.roles import Perm
from realname.accounts.scope import has_perm, restrict
from realname.bank import selectors, services
from realname.bank.forms import CreateForm, ReasonForm, ReissueForm, ResolveForm, ReturnForm
from realname.bank.models import BankBatch, BankBatchLine, BankFileLayout, BatchLineStatus, BatchStatus
from realname.core.forms import add_service_errors
from realname.core.pages import paginate, require
from realname.payroll.models import PaySheet, SheetStatus


def _user(request: HttpRequest) -> User:
    user = request.user
    assert isinstance(user, User)  # noqa: S101 - login_required
    return user


def _error_text(exc: ValidationError) -> str:
    return "；".join(str(m) for m in exc.messages)


def _batch(request: HttpRequest, public_id: UUID) -> BankBatch:
    batch = selectors.visible_batches(_user(request)).filter(public_id=public_id).first()
    if batch is None:
        raise Http404
    return batch


@login_required
def batch_list(request: HttpRequest) -> HttpResponse:
    require(request, Perm.PAYROLL_VIEW)
    user = _user(request)
    batches = selectors.visible_batches(user).order_by("-created_at", "-id")
    project_code = request.GET.get("project", "").strip()
    if project_code:
        batches = batches.filter(project__code=project_code)
    return render(
        request,
        "bank/batch_list.html",
        {
            "page_obj": paginate(request, batches),
            "project_code": project_code,
            "can_pay": has_perm(user, Perm.BANK_PAY) and services.payable_projects(user).exists(),
        },
    )


@login_required
def batch_create(request: HttpRequest) -> HttpResponse:
    require(request, Perm.BANK_PAY)
    user = _user(request)
    payable = services.payable_projects(user)
    if not payable.exists():
        raise PermissionDenied
    sheets = (
        restrict(PaySheet.objects.all(), user, Perm.PAYROLL_VIEW)
        .filter(project__in=payable, status=SheetStatus.GC_APPROVED)
        .select_related("project", "period", "participant__company", "team")
        .order_by("project__code", "-period__month", "participant__company__name", "team_key")
    )
    project_code = request.GET.get("project", "").strip()
    if project_code:
        sheets = sheets.filter(project__code=project_code)
    form = CreateForm(request.POST or None, sheets=sheets, layouts=BankFileLayout.objects.order_by("name"))
    if request.method == "POST" and form.is_valid():
        try:
            result = services.create_batch(
                sheets=form.cleaned_data["sheets"], by=user, layout=form.cleaned_data["layout"]
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(
                request,
                gettext("已生成代发批次 %(ref)s：%(n)d 笔，共 %(total)s 元")
                % {"ref": result.batch.reference, "n": result.batch.count, "total": result.batch.total},
            )
            if result.skipped:
                messages.info(request, gettext("以下明细不代发：%(s)s") % {"s": "；".join(result.skipped)})
            return redirect("bank:batch_detail", public_id=result.batch.public_id)
    return render(
        request,
        "bank/batch_create.html",
        {
            "form": form,
            "sheets": list(sheets),
            "selected": request.POST.getlist("sheets"),
            "project_code": project_code,
        },
    )


@login_required
def batch_detail(request: HttpRequest, public_id: UUID) -> HttpResponse:
    batch = _batch(request, public_id)
    user = _user(request)
    lines = list(selectors.visible_lines(user, batch))
    all_visible = len(lines) == batch.count
    may_pay = has_perm(user, Perm.BANK_PAY) and services.may_pay(user, batch.project)
    return render(
        request,
        "bank/batch_detail.html",
        {
            "batch": batch,
            "lines": lines,
            "all_visible": all_visible,
            "visible_total": sum((line.amount for line in lines), Decimal("0.00")),
            "paid_total": sum((line.amount for line in lines if line.status == "paid"), Decimal("0.00")),
            "may_pay": may_pay,
            "can_reissue": may_pay
            and any(line.status == BatchLineStatus.FAILED and line.reissued_by_id is None for line in lines),
            "returns": batch.returns.select_related("uploaded_by").order_by("-created_at"),
            "reissues": batch.reissues.order_by("created_at"),
            "Status": BatchStatus,
            "LineStatus": BatchLineStatus,
            "reissue_form": ReissueForm(),
            "return_form": ReturnForm(),
            "resolve_form": ResolveForm(),
            "formats": [("xlsx", "Excel (.xlsx)"), ("csv", "CSV"), ("pain001", "ISO 20022 pain.001")],
        },
    )


@login_required
@require_POST
def batch_download(request: HttpRequest, public_id: UUID, fmt: str) -> HttpResponse:
    batch = _batch(request, public_id)
    if fmt not in services.FORMATS:
        raise Http404
    try:
        data = services.export(batch=batch, fmt=fmt, by=_user(request))
    except ValidationError as exc:
        messages.error(request, _error_text(exc))
        return redirect("bank:batch_detail", public_id=batch.public_id)
    _extension, content_type = services.FORMATS[fmt]
    response = HttpResponse(data, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{services.export_filename(batch, fmt)}"'
    response["Cache-Control"] = "private, no-store"
    return response


@login_required
@require_POST
def batch_mark_sent(request: HttpRequest, public_id: UUID) -> HttpResponse:
    batch = _batch(request, public_id)
    try:
        services.mark_sent(batch=batch, by=_user(request), note=request.POST.get("note", "")[:300])
    except ValidationError as exc:
        messages.error(request, _error_text(exc))
    else:
        messages.success(request, gettext("已标记为已提交银行"))
    return redirect("bank:batch_detail", public_id=batch.public_id)


@login_required
def batch_return(request: HttpRequest, public_id: UUID) -> HttpResponse:
    """Upload the bank's return file; the page shows what was booked and what needs a look."""
    batch = _batch(request, public_id)
    user = _user(request)
    if not services.may_pay(user, batch.project):
        raise PermissionDenied
    form = ReturnForm(request.POST or None, request.FILES or None)
    result = None
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            result = services.import_return(
                batch=batch, data=upload.read(), filename=upload.name or "return", by=user
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            batch.refresh_from_db()
    return render(request, "bank/batch_return.html", {"batch": batch, "form": form, "result": result})


@login_required
@require_POST
def batch_reissue(request: HttpRequest, public_id: UUID) -> HttpResponse:
    batch = _batch(request, public_id)
    form = ReissueForm(request.POST)
    form.is_valid()
    data = form.cleaned_data
    try:
        reissue = services.create_reissue(
            batch=batch,
            by=_user(request),
            confirm_same_card=bool(data.get("confirm_same_card")),
            note=data.get("note", ""),
        )
    except ValidationError as exc:
        messages.error(request, _error_text(exc))
        return redirect("bank:batch_detail", public_id=batch.public_id)
    messages.success(request, gettext("已生成补发批次 %(ref)s") % {"ref": reissue.reference})
    return redirect("bank:batch_detail", public_id=reissue.public_id)


@login_required
@require_POST
def batch_cancel(request: HttpRequest, public_id: UUID) -> HttpResponse:
    batch = _batch(request, public_id)
    form = ReasonForm(request.POST)
    reason = form.cleaned_data["reason"] if form.is_valid() else ""
    try:
        services.cancel(
            batch=batch, by=_user(request), reason=reason, not_at_bank=request.POST.get("not_at_bank") == "1"
        )
    except ValidationError as exc:
        messages.error(request, _error_text(exc))
    else:
        messages.success(request, gettext("批次已作废"))
    return redirect("bank:batch_detail", public_id=batch.public_id)


@login_required
@require_POST
def line_resolve(request: HttpRequest, public_id: UUID) -> HttpResponse:
    user = _user(request)
    line = (
        BankBatchLine.objects.filter(public_id=public_id, batch__in=selectors.visible_batches(user))
        .select_related("batch")
        .first()
    )
    if line is None or not selectors.visible_lines(user, line.batch).filter(pk=line.pk).exists():
        raise Http404
    form = ResolveForm(request.POST)
    if not form.is_valid():
        messages.error(request, gettext("请选择核对结果并写明核对依据"))
        return redirect("bank:batch_detail", public_id=line.batch.public_id)
    data = form.cleaned_data
    try:
        services.resolve_line(
            line=line, by=user, paid=data["outcome"] == "paid", note=data["note"], reason=data["reason"]
        )
    except ValidationError as exc:
        messages.error(request, _error_text(exc))
    else:
        messages.success(request, gettext("已登记核对结果"))
    return redirect("bank:batch_detail", public_id=line.batch.public_id)
