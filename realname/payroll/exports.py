"""The pay sheet for signing (工资支付表), the wage ledger (工资支付台账) and the pay slip (工资条).

The printable page and the .xlsx of a sheet render the same :class:`SheetTable`; the ledger page and its
.xlsx render the same :class:`LedgerRow` list. The ledger carries every item 《保障农民工工资支付条例》
Art. 15 lists: 用人单位名称、支付周期、支付日期、支付对象姓名、身份证号码、联系方式、工作时间、
应发工资项目及数额、代扣/代缴/扣除项目和数额、实发工资数额、银行代发工资凭证或者农民工签字.
Only current sheets the workers have confirmed (or later) go into it: a draft's figures may still change,
a superseded revision was replaced.

Full ID numbers appear only in the ledger's .xlsx and only when the caller asked for them and holds
``workers.reveal_id`` (the view checks); every download is an audit EXPORT entry (never with a number in it).
"""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Final
from zoneinfo import ZoneInfo

from django.db.models import QuerySet
from django.utils import formats, timezone
from django.utils.translation import gettext, gettext_noop
from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from realname.accounts.roles import Perm
from realname.accounts.scope import restrict
from realname.bank.selectors import PaymentStatus, payment_status
from realname.core import audit
from realname.core.models import AuditAction
from realname.core.text import chinese
from realname.payroll import calc
from realname.payroll.models import ConfirmVia, LineStatus, PayLine, PayPeriod, PaySheet, SheetStatus

XLSX_CONTENT_TYPE: Final = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

# A sheet's lines go into the ledger from the workers' confirmation on (the figures are final then).
LEDGER_STATUSES: Final = frozenset(
    {
        SheetStatus.WORKERS_CONFIRMED,
        SheetStatus.EMPLOYER_APPROVED,
        SheetStatus.GC_APPROVED,
        SheetStatus.SENT,
        SheetStatus.PAID,
        SheetStatus.PARTLY_FAILED,
    }
)

_FONT: Final = "宋体"
_THIN: Final = Side(style="thin", color="000000")
_BORDER: Final = Border(left=_THIN, right=_THIN, top=_THIN, bottom=_THIN)
_HEADER_FILL: Final = PatternFill("solid", fgColor="DDEBF7")
_CENTER: Final = Alignment(horizontal="center", vertical="center", wrap_text=True)
_LEFT: Final = Alignment(horizontal="left", vertical="center", wrap_text=True)
_MONEY: Final = "#,##0.00"


# --- the parts of a line, as words ------------------------------------------------------------------------


@dataclass(frozen=True)
class PartText:
    """One part of a line as people read it: label, amount (positive), the dates it covers."""

    code: str
    label: str
    amount: Decimal
    dates: str
    deduction: bool


def dates_text(iso_dates: Iterable[str]) -> str:
    """``["2026-10-08", "2026-10-09", "2026-11-02"]`` → ``10月8、9日；11月2日``, in English
    ``Oct 8, 9; Nov 2``."""
    by_month: dict[tuple[int, int], list[int]] = {}
    for text in sorted(iso_dates):
        day = dt.date.fromisoformat(text)
        by_month.setdefault((day.year, day.month), []).append(day.day)
    if chinese():
        return "；".join(
            f"{month}月{'、'.join(str(n) for n in days)}日" for (_year, month), days in by_month.items()
        )
    return "; ".join(
        f"{formats.date_format(dt.date(year, month, 1), 'M')} {', '.join(str(n) for n in days)}"
        for (year, month), days in by_month.items()
    )


def explain(line: PayLine) -> list[PartText]:
    """The line's parts with their labels in the active language."""
    return [
        PartText(
            code=p["code"],
            label=calc.render(p["code"], p.get("params", {})),
            amount=Decimal(p["amount"]),
            dates=dates_text(p.get("dates", [])),
            deduction=p["code"].startswith("deduction."),
        )
        for p in line.parts
    ]


def _items_text(parts: Iterable[PartText], total_label: str, total: Decimal) -> str:
    rows = [f"{p.label}：{p.amount:.2f}" for p in parts]
    rows.append(f"{total_label}：{total:.2f}")
    return "\n".join(rows)


def _local(value: dt.datetime, tz: ZoneInfo) -> dt.datetime:
    return timezone.localtime(value, tz)


def _zone(sheet: PaySheet) -> ZoneInfo:
    return ZoneInfo(sheet.project.time_zone or "Asia/Shanghai")


def confirmation_text(line: PayLine, tz: ZoneInfo) -> str:
    """What stands in the signature column for a confirmed line; "" where the worker still signs."""
    if line.status != LineStatus.CONFIRMED or line.confirmed_at is None:
        return ""
    at = _local(line.confirmed_at, tz).strftime("%Y-%m-%d %H:%M")
    if line.confirm_via == ConfirmVia.PAPER:
        by = line.confirmed_by.get_username() if line.confirmed_by else "—"
        return gettext("纸质签字（登记人 %(by)s，%(at)s）") % {"by": by, "at": at}
    return gettext("手机确认 %(at)s") % {"at": at}


# --- the pay sheet (工资支付表) ---------------------------------------------------------------------------


@dataclass
class SheetRow:
    number: int
    name: str
    id_masked: str
    days: Decimal
    hours: Decimal
    overtime_hours: Decimal
    earnings: list[PartText]
    earnings_text: str
    gross: Decimal
    deductions_by_column: list[Decimal | None]
    deductions: Decimal
    net: Decimal
    signature: str
    public_id: str = ""


@dataclass
class SheetTable:
    """A pay sheet as printed and exported: the header, one row per line, the totals."""

    title: str
    project_code: str
    project_name: str
    employer: str
    team: str
    month_label: str
    pay_date: dt.date
    revision: int
    status_label: str
    deduction_columns: list[tuple[str, str]]  # (part code, label)
    rows: list[SheetRow]
    total_days: Decimal
    total_hours: Decimal
    total_overtime: Decimal
    total_gross: Decimal
    total_deductions_by_column: list[Decimal]
    total_deductions: Decimal
    total_net: Decimal
    generated_at: dt.datetime
    notes: list[str] = field(default_factory=list)

    @property
    def info(self) -> str:
        return gettext(
            "项目：%(code)s %(project)s　用工单位：%(employer)s　班组：%(team)s　计薪月份：%(month)s　"
            "发薪日：%(pay_date)s　版本：v%(revision)d　状态：%(status)s"
        ) % {
            "code": self.project_code,
            "project": self.project_name,
            "employer": self.employer,
            "team": self.team,
            "month": self.month_label,
            "pay_date": f"{self.pay_date:%Y-%m-%d}",
            "revision": self.revision,
            "status": self.status_label,
        }


def sheet_lines(sheet: PaySheet, user: Any = None) -> QuerySet[PayLine]:
    """The sheet's lines in print order (those ``user`` may see, when given)."""
    qs = PayLine.objects.filter(sheet=sheet)
    if user is not None:
        qs = restrict(qs, user, Perm.PAYROLL_VIEW)
    return qs.select_related("worker", "confirmed_by").order_by("worker__name", "id")


def _deduction_label(code: str) -> str:
    kind = code.split(".", 1)[1] if "." in code else code
    return gettext(calc.ITEM_KINDS["deduction"].get(kind, kind))


def sheet_table(sheet: PaySheet, lines: Sequence[PayLine]) -> SheetTable:
    tz = _zone(sheet)
    explained = [(line, explain(line)) for line in lines]
    codes: list[str] = []
    for _line, parts in explained:
        for p in parts:
            if p.deduction and p.code not in codes:
                codes.append(p.code)
    columns = [(code, _deduction_label(code)) for code in codes]
    rows: list[SheetRow] = []
    column_totals = [calc.ZERO for _ in columns]
    for number, (line, parts) in enumerate(explained, start=1):
        by_column: list[Decimal | None] = []
        for index, (code, _label) in enumerate(columns):
            amounts = [p.amount for p in parts if p.code == code]
            value = sum(amounts, calc.ZERO) if amounts else None
            by_column.append(value)
            column_totals[index] += value or calc.ZERO
        earnings = [p for p in parts if not p.deduction]
        rows.append(
            SheetRow(
                number=number,
                name=line.worker.name,
                id_masked=line.worker.id_number_masked,
                days=line.days,
                hours=line.hours,
                overtime_hours=line.overtime_hours,
                earnings=earnings,
                earnings_text="\n".join(f"{p.label}：{p.amount:.2f}" for p in earnings),
                gross=line.gross,
                deductions_by_column=by_column,
                deductions=line.deductions,
                net=line.net,
                signature=confirmation_text(line, tz),
                public_id=str(line.public_id),
            )
        )
    month_label = f"{sheet.period.month:%Y-%m}"
    notes = [
        gettext(
            "说明：本表依据考勤记录、劳动合同约定的工资标准、计件数量和增减项计算；"
            "“本人签字”栏已注明手机确认或纸质签字登记的，为系统中的确认记录。"
        )
    ]
    if sheet.status == SheetStatus.SUPERSEDED:
        notes.append(gettext("注意：本版本已被新版本取代，仅供查阅。"))
    elif sheet.status == SheetStatus.DRAFT:
        notes.append(gettext("注意：本表为草稿，金额可能变化。"))
    return SheetTable(
        title=gettext("%(project)s %(month)s 工资支付表")
        % {"project": sheet.project.name, "month": f"{sheet.period.month:%Y年%m月}"},
        project_code=sheet.project.code,
        project_name=sheet.project.name,
        employer=sheet.participant.company.name,
        team=sheet.team.name if sheet.team else "—",
        month_label=month_label,
        pay_date=sheet.period.pay_date,
        revision=sheet.revision,
        status_label=str(sheet.get_status_display()),
        deduction_columns=columns,
        rows=rows,
        total_days=sum((line.days for line in lines), Decimal("0")),
        total_hours=sum((line.hours for line in lines), Decimal("0")),
        total_overtime=sum((line.overtime_hours for line in lines), Decimal("0")),
        total_gross=sum((line.gross for line in lines), calc.ZERO),
        total_deductions_by_column=column_totals,
        total_deductions=sum((line.deductions for line in lines), calc.ZERO),
        total_net=sum((line.net for line in lines), calc.ZERO),
        generated_at=_local(timezone.now(), tz),
        notes=notes,
    )


def sheet_headers(table: SheetTable) -> list[str]:
    return [
        gettext("序号"),
        gettext("姓名"),
        gettext("身份证号"),
        gettext("出勤天数"),
        gettext("工时"),
        gettext("加班工时"),
        gettext("应发明细"),
        gettext("应发工资"),
        *[gettext("扣款：%(kind)s") % {"kind": label} for _code, label in table.deduction_columns],
        gettext("扣款合计"),
        gettext("实发工资"),
        gettext("本人签字"),
    ]


def signature_line() -> str:
    return gettext(
        "班组长（签字）：＿＿＿＿＿＿　用工单位（盖章）：＿＿＿＿＿＿　"
        "总承包单位（盖章）：＿＿＿＿＿＿　日期：＿＿＿＿年＿＿月＿＿日"
    )


SHEET_TITLE_ROW: Final = 1
SHEET_INFO_ROW: Final = 2
SHEET_HEADER_ROW: Final = 3
SHEET_FIRST_ROW: Final = 4


def sheet_workbook(sheet: PaySheet, lines: Sequence[PayLine] | None = None) -> bytes:
    """The 工资支付表 of ``sheet`` (all its lines unless ``lines`` is given) as .xlsx bytes for signing."""
    table = sheet_table(sheet, list(lines) if lines is not None else list(sheet_lines(sheet)))
    wb = Workbook()
    ws = wb.active
    assert ws is not None  # noqa: S101 - a new workbook always has its first sheet
    ws.title = gettext("工资支付表")
    headers = sheet_headers(table)
    last_col = len(headers)
    small = Font(name=_FONT, size=9)
    bold = Font(name=_FONT, size=9, bold=True)

    _title(ws, table.title, table.info, last_col)
    for col, text in enumerate(headers, start=1):
        _header_cell(ws, SHEET_HEADER_ROW, col, text, bold)
    n_ded = len(table.deduction_columns)
    money_cols = {8, *range(9, 9 + n_ded), 9 + n_ded, 10 + n_ded}
    row_no = SHEET_FIRST_ROW
    for r in table.rows:
        values: list[Any] = [
            r.number,
            r.name,
            r.id_masked,
            r.days,
            r.hours,
            r.overtime_hours,
            r.earnings_text,
            r.gross,
            *r.deductions_by_column,
            r.deductions,
            r.net,
            r.signature,
        ]
        for col, value in enumerate(values, start=1):
            cell = ws.cell(row_no, col, value)
            cell.font = small
            cell.border = _BORDER
            cell.alignment = _LEFT if col == 7 else _CENTER
            if col in money_cols:
                cell.number_format = _MONEY
        ws.row_dimensions[row_no].height = max(30, 14 * max(1, len(r.earnings)))
        row_no += 1
    totals: list[Any] = [
        gettext("合计（%(n)d人）") % {"n": len(table.rows)},
        "",
        "",
        table.total_days,
        table.total_hours,
        table.total_overtime,
        "",
        table.total_gross,
        *table.total_deductions_by_column,
        table.total_deductions,
        table.total_net,
        "",
    ]
    for col, value in enumerate(totals, start=1):
        cell = ws.cell(row_no, col, value)
        cell.font = bold
        cell.border = _BORDER
        cell.alignment = _CENTER
        if col in money_cols:
            cell.number_format = _MONEY
    ws.merge_cells(start_row=row_no, start_column=1, end_row=row_no, end_column=3)
    ws.row_dimensions[row_no].height = 22
    row_no += 2
    for note in table.notes:
        _note(ws, row_no, note, last_col, small)
        row_no += 1
    _note(
        ws,
        row_no,
        gettext("生成时间：%(at)s") % {"at": f"{table.generated_at:%Y-%m-%d %H:%M}"},
        last_col,
        small,
    )
    row_no += 2
    cell = ws.cell(row_no, 1, signature_line())
    cell.font = Font(name=_FONT, size=11)
    ws.merge_cells(start_row=row_no, start_column=1, end_row=row_no, end_column=last_col)
    ws.row_dimensions[row_no].height = 36

    widths = [5, 9, 20, 7, 7, 7, 42, 11, *[10] * n_ded, 10, 11, 22]
    for col, width in enumerate(widths, start=1):
        ws.column_dimensions[get_column_letter(col)].width = width
    ws.freeze_panes = ws.cell(SHEET_FIRST_ROW, 3)
    _print_setup(ws, SHEET_HEADER_ROW, last_col, row_no)
    return _save(wb)


def sheet_filename(sheet: PaySheet) -> str:
    """E.g. "P1_甲钢筋班_2026-10_v1_工资支付表.xlsx"."""
    team = sheet.team.name if sheet.team else sheet.participant.company.name
    return f"{sheet.project.code}_{_safe(team)}_{sheet.period.month:%Y-%m}_v{sheet.revision}_工资支付表.xlsx"


def export_sheet(*, sheet: PaySheet, lines: Sequence[PayLine]) -> tuple[bytes, str]:
    """The sheet's .xlsx with ``lines`` (what the caller may see), audited as an export."""
    data = sheet_workbook(sheet, lines)
    audit.record(
        AuditAction.EXPORT,
        sheet,
        changes={"rows": len(lines), "format": "xlsx", "id_numbers": "masked"},
        note=gettext("工资支付表导出 %(month)s v%(rev)d，%(n)d 人（身份证号已脱敏）")
        % {"month": f"{sheet.period.month:%Y-%m}", "rev": sheet.revision, "n": len(lines)},
    )
    return data, sheet_filename(sheet)


# --- the wage ledger (工资支付台账) ------------------------------------------------------------------------


def payments_of(line_ids: Collection[int]) -> Mapping[int, PaymentStatus]:
    """The bank's word on each line (lines never put in a batch are not in the result)."""
    return payment_status(line_ids)


def ledger_lines(period: PayPeriod, user: Any) -> QuerySet[PayLine]:
    """The period's lines that belong in the ledger and that ``user`` may see."""
    return (
        restrict(PayLine.objects.filter(sheet__period=period), user, Perm.PAYROLL_VIEW)
        .filter(sheet__status__in=sorted(LEDGER_STATUSES))
        .select_related("worker", "confirmed_by", "sheet__participant__company", "sheet__team")
        .order_by("sheet__participant__company__name", "sheet__team_key", "worker__name", "id")
    )


@dataclass
class LedgerRow:
    number: int
    employer: str
    team: str
    cycle: str
    pay_date: dt.date
    name: str
    id_number: str
    phone: str
    work_time: str
    earnings_text: str
    deductions_text: str
    gross: Decimal
    deductions: Decimal
    net: Decimal
    evidence: str
    paid: bool


# Column titles (translated when written); the eleven items of Art. 15 plus 序号 and 班组.
LEDGER_HEADERS: Final = (
    gettext_noop("序号"),
    gettext_noop("用人单位名称"),
    gettext_noop("班组"),
    gettext_noop("支付周期"),
    gettext_noop("支付日期"),
    gettext_noop("姓名"),
    gettext_noop("身份证号码"),
    gettext_noop("联系方式"),
    gettext_noop("工作时间"),
    gettext_noop("应发工资项目及数额"),
    gettext_noop("代扣、代缴、扣除项目和数额"),
    gettext_noop("实发工资数额"),
    gettext_noop("银行代发工资凭证或者农民工签字"),
)


def _paid_date(value: dt.datetime | None, tz: ZoneInfo) -> dt.date | None:
    return _local(value, tz).date() if value is not None else None


def _evidence(line: PayLine, payment: PaymentStatus | None, tz: ZoneInfo) -> tuple[str, dt.date | None]:
    signed = confirmation_text(line, tz)
    if payment is None:
        return signed, None
    if payment.state == "paid":
        paid_on = _paid_date(payment.paid_at, tz)
        text = gettext("银行代发 批次 %(ref)s，%(on)s 发放成功") % {
            "ref": payment.batch_reference,
            "on": f"{paid_on:%Y-%m-%d}" if paid_on else "—",
        }
        return (f"{text}\n{signed}" if signed else text), paid_on
    if payment.state == "failed":
        failed = gettext("银行代发失败（批次 %(ref)s：%(reason)s）") % {
            "ref": payment.batch_reference,
            "reason": payment.reason or "—",
        }
        return (f"{signed}\n{failed}" if signed else failed), None
    if payment.state == "pending":
        pending = gettext("已提交银行代发（批次 %(ref)s），待银行回单") % {"ref": payment.batch_reference}
        return (f"{signed}\n{pending}" if signed else pending), None
    return signed, None


def ledger_rows(
    period: PayPeriod,
    lines: Sequence[PayLine],
    *,
    reveal_ids: bool = False,
    revealable: Collection[int] | None = None,
) -> list[LedgerRow]:
    """One ledger row per line. With ``reveal_ids`` the full ID number of each worker in ``revealable``
    (every worker when None) — the caller has checked ``workers.reveal_id`` and audits the export."""
    tz = ZoneInfo(period.project.time_zone or "Asia/Shanghai")
    payments = payments_of([line.pk for line in lines])
    rows: list[LedgerRow] = []
    for number, line in enumerate(lines, start=1):
        parts = explain(line)
        evidence, paid_on = _evidence(line, payments.get(line.pk), tz)
        full = reveal_ids and (revealable is None or line.worker_id in revealable)
        rows.append(
            LedgerRow(
                number=number,
                employer=line.sheet.participant.company.name,
                team=line.sheet.team.name if line.sheet.team else "—",
                cycle=f"{period.month:%Y-%m}",
                pay_date=paid_on or period.pay_date,
                name=line.worker.name,
                id_number=line.worker.id_number() if full else line.worker.id_number_masked,
                phone=line.worker.phone,
                work_time=gettext("出勤 %(d)s 天；工时 %(h)s 小时；加班 %(o)s 小时")
                % {"d": line.days, "h": line.hours, "o": line.overtime_hours},
                earnings_text=_items_text(
                    [p for p in parts if not p.deduction], gettext("应发合计"), line.gross
                ),
                deductions_text=_items_text(
                    [p for p in parts if p.deduction], gettext("扣款合计"), line.deductions
                ),
                gross=line.gross,
                deductions=line.deductions,
                net=line.net,
                evidence=evidence,
                paid=paid_on is not None,
            )
        )
    return rows


def ledger_title(period: PayPeriod) -> str:
    return gettext("%(project)s %(month)s 工资支付台账") % {
        "project": period.project.name,
        "month": f"{period.month:%Y年%m月}",
    }


def ledger_scope_note() -> str:
    return gettext(
        "依据《保障农民工工资支付条例》第十五条编制，至少保存3年。只收录当前版本且工人已全部确认"
        "（及其后各状态）的工资表；草稿和已被新版本取代的工资表不在本台账内。"
    )


LEDGER_HEADER_ROW: Final = 4
LEDGER_FIRST_ROW: Final = 5


def ledger_workbook(
    period: PayPeriod,
    lines: Sequence[PayLine],
    reveal_ids: bool,
    *,
    revealable: Collection[int] | None = None,
) -> bytes:
    """The 工资支付台账 of ``period`` with ``lines`` (see :func:`ledger_lines`) as .xlsx bytes."""
    rows = ledger_rows(period, lines, reveal_ids=reveal_ids, revealable=revealable)
    wb = Workbook()
    ws = wb.active
    assert ws is not None  # noqa: S101 - a new workbook always has its first sheet
    ws.title = gettext("工资支付台账")
    last_col = len(LEDGER_HEADERS)
    small = Font(name=_FONT, size=9)
    bold = Font(name=_FONT, size=9, bold=True)
    info = gettext("项目：%(code)s %(name)s　支付周期：%(month)s　发薪日：%(pay)s　%(ids)s") % {
        "code": period.project.code,
        "name": period.project.name,
        "month": f"{period.month:%Y-%m}",
        "pay": f"{period.pay_date:%Y-%m-%d}",
        "ids": gettext("身份证号码：完整") if reveal_ids else gettext("身份证号码：已脱敏"),
    }
    _title(ws, ledger_title(period), info, last_col)
    _note(ws, 3, ledger_scope_note(), last_col, small)
    for col, text in enumerate(LEDGER_HEADERS, start=1):
        _header_cell(ws, LEDGER_HEADER_ROW, col, gettext(text), bold)
    row_no = LEDGER_FIRST_ROW
    for r in rows:
        values: list[Any] = [
            r.number,
            r.employer,
            r.team,
            r.cycle,
            r.pay_date,
            r.name,
            r.id_number,
            r.phone,
            r.work_time,
            r.earnings_text,
            r.deductions_text,
            r.net,
            r.evidence,
        ]
        for col, value in enumerate(values, start=1):
            cell = ws.cell(row_no, col, value)
            cell.font = small
            cell.border = _BORDER
            cell.alignment = _LEFT if col in (9, 10, 11, 13) else _CENTER
            if col == 5:
                cell.number_format = "yyyy-mm-dd"
            if col == 12:
                cell.number_format = _MONEY
        lines_in_cell = max(r.earnings_text.count("\n"), r.deductions_text.count("\n"), 1) + 1
        ws.row_dimensions[row_no].height = max(30, 13 * lines_in_cell)
        row_no += 1
    totals: list[Any] = [gettext("合计（%(n)d人）") % {"n": len(rows)}] + [""] * (last_col - 1)
    totals[9] = gettext("应发合计：%(v)s") % {"v": f"{sum((r.gross for r in rows), calc.ZERO):.2f}"}
    totals[10] = gettext("扣款合计：%(v)s") % {"v": f"{sum((r.deductions for r in rows), calc.ZERO):.2f}"}
    totals[11] = sum((r.net for r in rows), calc.ZERO)
    for col, value in enumerate(totals, start=1):
        cell = ws.cell(row_no, col, value)
        cell.font = bold
        cell.border = _BORDER
        cell.alignment = _CENTER
        if col == 12:
            cell.number_format = _MONEY
    row_no += 2
    generated = timezone.localtime(timezone.now(), ZoneInfo(period.project.time_zone or "Asia/Shanghai"))
    _note(ws, row_no, gettext("生成时间：%(at)s") % {"at": f"{generated:%Y-%m-%d %H:%M}"}, last_col, small)
    widths = [5, 18, 10, 9, 11, 9, 20, 13, 16, 40, 30, 11, 30]
    for col, width in enumerate(widths, start=1):
        ws.column_dimensions[get_column_letter(col)].width = width
    ws.freeze_panes = ws.cell(LEDGER_FIRST_ROW, 7)
    _print_setup(ws, LEDGER_HEADER_ROW, last_col, row_no)
    return _save(wb)


def ledger_filename(period: PayPeriod) -> str:
    return f"{period.project.code}_{period.month:%Y-%m}_工资支付台账.xlsx"


def export_ledger(
    *,
    period: PayPeriod,
    lines: Sequence[PayLine],
    reveal_ids: bool,
    revealable: Collection[int] | None = None,
) -> tuple[bytes, str]:
    """The ledger's .xlsx, audited as an export that says whether full ID numbers went out (and how many)."""
    data = ledger_workbook(period, lines, reveal_ids, revealable=revealable)
    revealed = (
        sum(1 for line in lines if revealable is None or line.worker_id in revealable) if reveal_ids else 0
    )
    if reveal_ids:
        note = gettext("工资支付台账导出 %(month)s，%(n)d 人，含完整身份证号 %(k)d 人") % {
            "month": f"{period.month:%Y-%m}",
            "n": len(lines),
            "k": revealed,
        }
    else:
        note = gettext("工资支付台账导出 %(month)s，%(n)d 人（身份证号已脱敏）") % {
            "month": f"{period.month:%Y-%m}",
            "n": len(lines),
        }
    audit.record(
        AuditAction.EXPORT,
        period,
        changes={
            "rows": len(lines),
            "format": "xlsx",
            "id_numbers": "full" if reveal_ids else "masked",
            "revealed": revealed,
        },
        note=note,
    )
    return data, ledger_filename(period)


# --- the pay slip (工资条) ----------------------------------------------------------------------------------


@dataclass
class Slip:
    """One worker's pay slip: who, which month, every part, the totals, the answer and the payment."""

    line: PayLine
    title: str
    employer: str
    project: str
    team: str
    month_label: str
    pay_date: dt.date
    earnings: list[PartText]
    deductions: list[PartText]
    warnings: list[str]
    signature: str
    payment: str


def slips(sheet: PaySheet, lines: Sequence[PayLine]) -> list[Slip]:
    tz = _zone(sheet)
    payments = payments_of([line.pk for line in lines])
    out = []
    for line in lines:
        parts = explain(line)
        evidence, _paid_on = _evidence(line, payments.get(line.pk), tz)
        signature = confirmation_text(line, tz)
        out.append(
            Slip(
                line=line,
                title=gettext("%(month)s 工资条") % {"month": f"{sheet.period.month:%Y年%m月}"},
                employer=sheet.participant.company.name,
                project=sheet.project.name,
                team=sheet.team.name if sheet.team else "—",
                month_label=f"{sheet.period.month:%Y-%m}",
                pay_date=sheet.period.pay_date,
                earnings=[p for p in parts if not p.deduction],
                deductions=[p for p in parts if p.deduction],
                warnings=[calc.render(w["code"], w.get("params", {})) for w in line.warnings],
                signature=signature,
                payment=evidence if evidence != signature else "",
            )
        )
    return out


# --- shared workbook pieces ------------------------------------------------------------------------------


def _title(ws: Worksheet, title: str, info: str, last_col: int) -> None:
    ws.cell(1, 1, title).font = Font(name=_FONT, size=16, bold=True)
    ws.cell(1, 1).alignment = Alignment(horizontal="center", vertical="center")
    ws.merge_cells(start_row=1, start_column=1, end_row=1, end_column=last_col)
    ws.row_dimensions[1].height = 28
    ws.cell(2, 1, info).font = Font(name=_FONT, size=9)
    ws.merge_cells(start_row=2, start_column=1, end_row=2, end_column=last_col)


def _header_cell(ws: Worksheet, row: int, col: int, text: str, font: Font) -> None:
    cell = ws.cell(row, col, text)
    cell.font = font
    cell.alignment = _CENTER
    cell.border = _BORDER
    cell.fill = _HEADER_FILL
    ws.row_dimensions[row].height = 30


def _note(ws: Worksheet, row: int, text: str, last_col: int, font: Font) -> None:
    cell = ws.cell(row, 1, text)
    cell.font = font
    cell.alignment = Alignment(wrap_text=True, vertical="top")
    ws.merge_cells(start_row=row, start_column=1, end_row=row, end_column=last_col)
    ws.row_dimensions[row].height = 30


def _print_setup(ws: Worksheet, header_row: int, last_col: int, last_row: int) -> None:
    """A4 landscape, one page wide, the header row repeated on every page."""
    ws.page_setup.orientation = "landscape"
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.print_title_rows = f"{header_row}:{header_row}"
    ws.print_area = f"A1:{get_column_letter(last_col)}{last_row}"
    ws.page_margins.left = ws.page_margins.right = 0.3
    ws.page_margins.top = ws.page_margins.bottom = 0.4
    ws.print_options.horizontalCentered = True
    ws.oddFooter.center.text = "第 &P 页，共 &N 页"


def _save(wb: Workbook) -> bytes:
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def _safe(name: str) -> str:
    return "".join(c for c in name if c not in '\\/:*?"<>|').strip() or "-"
