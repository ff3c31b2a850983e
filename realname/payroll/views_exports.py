"""Pages for printing and exporting pay: the pay sheet for signing (print page and .xlsx), the printed pay
slips of a sheet (工资条, cut apart), the period's wage ledger (工资支付台账, page and .xlsx) and the worker's
own pay slip on the phone.

Sheets and periods are found with ``payroll.view`` in scope (outside scope 404); an .xlsx also needs
``workers.export`` (403), like the other exports, and is audited. Full ID numbers go only into the ledger's
.xlsx, only on request and only for a user holding ``workers.reveal_id`` on the period (403 otherwise).
"""

from __future__ import annotations

from uuid import UUID

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.http import content_disposition_header
from django.views.decorators.http import require_GET

from realname.accounts.roles import Perm
from realname.accounts.scope import can, restrict
from realname.core.pages import require, scoped_get
from realname.payroll import exports, selectors
from realname.payroll.models import PayPeriod, PaySheet
from realname.workers.models import Worker


def _xlsx(data: bytes, filename: str) -> HttpResponse:
    response = HttpResponse(
        data,
        content_type=exports.XLSX_CONTENT_TYPE,
        headers={"Content-Disposition": content_disposition_header(True, filename)},
    )
    response["Cache-Control"] = "private, no-store"
    return response


def _sheet(request: HttpRequest, public_id: UUID) -> PaySheet:
    return scoped_get(
        request,
        PaySheet.objects.select_related("period", "project", "participant__company", "team"),
        Perm.PAYROLL_VIEW,
        public_id,
    )


def _period(request: HttpRequest, public_id: UUID) -> PayPeriod:
    return scoped_get(request, PayPeriod.objects.select_related("project"), Perm.PAYROLL_VIEW, public_id)


@login_required
@require_GET
def sheet_print(request: HttpRequest, public_id: UUID) -> HttpResponse:
    """The 工资支付表 as a print-friendly page: what the .xlsx holds, with the signature lines."""
    sheet = _sheet(request, public_id)
    table = exports.sheet_table(sheet, list(exports.sheet_lines(sheet, request.user)))
    return render(
        request,
        "payroll/print_sheet.html",
        {
            "sheet": sheet,
            "table": table,
            "headers": exports.sheet_headers(table),
            "signature_line": exports.signature_line(),
            "may_export": can(request.user, Perm.EXPORT, sheet),
        },
    )


@login_required
@require_GET
def sheet_xlsx(request: HttpRequest, public_id: UUID) -> HttpResponse:
    sheet = _sheet(request, public_id)
    require(request, Perm.EXPORT, sheet)
    data, filename = exports.export_sheet(sheet=sheet, lines=list(exports.sheet_lines(sheet, request.user)))
    return _xlsx(data, filename)


@login_required
@require_GET
def sheet_slips(request: HttpRequest, public_id: UUID) -> HttpResponse:
    """Every worker's 工资条 of a sheet, one block each with cut lines between them, for printing."""
    sheet = _sheet(request, public_id)
    lines = list(exports.sheet_lines(sheet, request.user))
    return render(request, "payroll/slips_print.html", {"sheet": sheet, "slips": exports.slips(sheet, lines)})


@login_required
@require_GET
def period_ledger(request: HttpRequest, public_id: UUID) -> HttpResponse:
    period = _period(request, public_id)
    lines = list(exports.ledger_lines(period, request.user))
    rows = exports.ledger_rows(period, lines)
    return render(
        request,
        "payroll/ledger.html",
        {
            "period": period,
            "rows": rows,
            "title": exports.ledger_title(period),
            "scope_note": exports.ledger_scope_note(),
            "headers": exports.LEDGER_HEADERS,
            "may_export": can(request.user, Perm.EXPORT, period),
            "may_reveal": can(request.user, Perm.REVEAL_ID, period),
        },
    )


@login_required
@require_GET
def period_ledger_xlsx(request: HttpRequest, public_id: UUID) -> HttpResponse:
    period = _period(request, public_id)
    require(request, Perm.EXPORT, period)
    reveal = request.GET.get("ids") == "full"
    if reveal and not can(request.user, Perm.REVEAL_ID, period):
        raise PermissionDenied
    lines = list(exports.ledger_lines(period, request.user))
    revealable: set[int] | None = None
    if reveal:
        workers = Worker.objects.filter(pk__in={line.worker_id for line in lines})
        revealable = set(restrict(workers, request.user, Perm.REVEAL_ID).values_list("pk", flat=True))
    data, filename = exports.export_ledger(
        period=period, lines=lines, reveal_ids=reveal, revealable=revealable
    )
    return _xlsx(data, filename)


@login_required
@require_GET
def my_slip(request: HttpRequest, public_id: UUID) -> HttpResponse:
    """The worker's own 工资条 on the phone (only their own lines; another's is 404)."""
    require(request, Perm.PAYROLL_CONFIRM)
    line = selectors.own_lines(request.user).filter(public_id=public_id).first()
    if line is None:
        raise Http404
    slip = exports.slips(line.sheet, [line])[0]
    return render(request, "payroll/slip.html", {"slip": slip, "line": line})
