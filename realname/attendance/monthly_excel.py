"""The monthly attendance sheet (考勤表) as an .xlsx file for signing: the grid of
:class:`realname.attendance.monthly.MonthlySheet`, totals, legend, a worker-confirmation column and signature
lines, set up to print on A4 landscape.

Layout (row numbers): 1 title, 2 project / team / company / leader / month, 3–4 the two header rows (day
number; weekday and day-kind mark), then one row per worker, the per-day headcount row, the legend and the
signature lines. Columns: 序号, 姓名, 工种, one per day, the totals, 工人确认签字.
"""

from __future__ import annotations

import datetime as dt
import io
from typing import Any, Final

from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from realname.accounts.roles import Perm
from realname.attendance.monthly import MonthlySheet, Totals, build_sheet
from realname.core import audit
from realname.core.models import AuditAction
from realname.orgs.models import Team

XLSX_CONTENT_TYPE: Final = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
SHEET_TITLE: Final = "考勤表"
TITLE_ROW: Final = 1
INFO_ROW: Final = 2
HEADER_ROW: Final = 3  # and HEADER_ROW + 1
FIRST_DATA_ROW: Final = 5
FIRST_DAY_COLUMN: Final = 4  # A 序号, B 姓名, C 工种

# The totals columns after the days, in order (header, Totals attribute).
TOTAL_COLUMNS: Final[tuple[tuple[str, str], ...]] = (
    ("出勤天数", "attendance_days"),
    ("工时", "hours"),
    ("工作日加班", "overtime_workday"),
    ("休息日加班", "overtime_rest_day"),
    ("节假日加班", "overtime_holiday"),
    ("迟到次数", "late"),
    ("早退次数", "early"),
    ("缺勤天数", "absent"),
)
CONFIRM_HEADER: Final = "工人确认签字"
SIGNATURE_LINE: Final = (
    "班组长（签字）：＿＿＿＿＿＿＿＿　　劳务管理员（签字）：＿＿＿＿＿＿＿＿　　日期：＿＿＿＿年＿＿月＿＿日"
)

_FONT: Final = "宋体"
_THIN: Final = Side(style="thin", color="000000")
_BORDER: Final = Border(left=_THIN, right=_THIN, top=_THIN, bottom=_THIN)
_REST_FILL: Final = PatternFill("solid", fgColor="E7E6E6")
_HEADER_FILL: Final = PatternFill("solid", fgColor="DDEBF7")
_CENTER: Final = Alignment(horizontal="center", vertical="center", wrap_text=True)


def write_sheet(sheet: MonthlySheet) -> bytes:
    """The sheet as .xlsx bytes."""
    wb = Workbook()
    ws = wb.active
    assert ws is not None  # a new workbook always has its first sheet
    ws.title = SHEET_TITLE
    n_days = len(sheet.days)
    first_total = FIRST_DAY_COLUMN + n_days
    confirm_col = first_total + len(TOTAL_COLUMNS)
    last_col = confirm_col
    small = Font(name=_FONT, size=9)
    bold = Font(name=_FONT, size=9, bold=True)

    # Title and the line under it.
    ws.cell(TITLE_ROW, 1, sheet.title).font = Font(name=_FONT, size=16, bold=True)
    ws.cell(TITLE_ROW, 1).alignment = Alignment(horizontal="center", vertical="center")
    ws.merge_cells(start_row=TITLE_ROW, start_column=1, end_row=TITLE_ROW, end_column=last_col)
    ws.row_dimensions[TITLE_ROW].height = 28
    info = (
        f"项目：{sheet.project_code} {sheet.project_name}　　参建单位：{sheet.company_name}　　"
        f"班组：{sheet.team_name}　　班组长：{sheet.leader_name or '—'}　　考勤月份：{sheet.month_label}"
    )
    ws.cell(INFO_ROW, 1, info).font = small
    ws.merge_cells(start_row=INFO_ROW, start_column=1, end_row=INFO_ROW, end_column=last_col)

    # Two header rows: fixed columns merged over both, days with number above weekday/kind.
    top, second = HEADER_ROW, HEADER_ROW + 1
    for col, text in ((1, "序号"), (2, "姓名"), (3, "工种")):
        _merged_header(ws, top, col, text, bold)
    for offset, day in enumerate(sheet.days):
        col = FIRST_DAY_COLUMN + offset
        ws.cell(top, col, day.date.day)
        ws.cell(second, col, day.weekday + (f"\n{day.mark}" if day.mark else ""))
        for header_row in (top, second):
            cell = ws.cell(header_row, col)
            cell.font = bold
            cell.alignment = _CENTER
            cell.border = _BORDER
            cell.fill = _REST_FILL if day.is_rest else _HEADER_FILL
        ws.column_dimensions[get_column_letter(col)].width = 3.6
    for offset, (header, _attr) in enumerate(TOTAL_COLUMNS):
        _merged_header(ws, top, first_total + offset, header, bold)
        ws.column_dimensions[get_column_letter(first_total + offset)].width = 6.5
    _merged_header(ws, top, confirm_col, CONFIRM_HEADER, bold)
    ws.row_dimensions[second].height = 26
    ws.column_dimensions["A"].width = 4.5
    ws.column_dimensions["B"].width = 9
    ws.column_dimensions["C"].width = 8
    ws.column_dimensions[get_column_letter(confirm_col)].width = 12

    # One row per worker.
    row_no = FIRST_DATA_ROW
    for sheet_row in sheet.rows:
        name = sheet_row.worker_name + (f"\n{sheet_row.note}" if sheet_row.note else "")
        values: list[Any] = [sheet_row.number, name, sheet_row.trade]
        values += [day_cell.symbol for day_cell in sheet_row.cells]
        values += [_total(sheet_row.totals, attr) for _header, attr in TOTAL_COLUMNS]
        values.append("")
        for col, value in enumerate(values, start=1):
            cell = ws.cell(row_no, col, value)
            cell.font = small
            cell.alignment = _CENTER
            cell.border = _BORDER
            day_index = col - FIRST_DAY_COLUMN
            if 0 <= day_index < n_days and sheet.days[day_index].is_rest:
                cell.fill = _REST_FILL
        ws.row_dimensions[row_no].height = 30 if sheet_row.note else 22
        row_no += 1

    # The headcount per day and the grand totals.
    values = ["出勤人数 / 合计", "", ""]
    values += list(sheet.headcount)
    values += [_total(sheet.totals, attr) for _header, attr in TOTAL_COLUMNS]
    values.append("")
    for col, value in enumerate(values, start=1):
        cell = ws.cell(row_no, col, value)
        cell.font = bold
        cell.alignment = _CENTER
        cell.border = _BORDER
    ws.merge_cells(start_row=row_no, start_column=1, end_row=row_no, end_column=3)
    row_no += 2

    # Legend and notes.
    legend = "图例：" + "　".join(
        f"{symbol} {text}" if symbol else str(text) for symbol, text in sheet.legend
    )
    notes = (
        f"说明：出勤天数按半天计 0.5 天；全天标准 {sheet.full_day_hours} 小时，"
        f"半天标准 {sheet.half_day_hours} 小时；"
        "工时、加班单位为小时；灰色为休息日或法定节假日；“班”为调休上班日。"
        f"生成时间：{sheet.generated_at:%Y-%m-%d %H:%M}"
    )
    for text in (legend, notes):
        cell = ws.cell(row_no, 1, text)
        cell.font = small
        cell.alignment = Alignment(wrap_text=True, vertical="top")
        ws.merge_cells(start_row=row_no, start_column=1, end_row=row_no, end_column=last_col)
        ws.row_dimensions[row_no].height = 30
        row_no += 1
    row_no += 1
    cell = ws.cell(row_no, 1, SIGNATURE_LINE)
    cell.font = Font(name=_FONT, size=11)
    ws.merge_cells(start_row=row_no, start_column=1, end_row=row_no, end_column=last_col)
    ws.row_dimensions[row_no].height = 36

    # Print: A4 landscape, one page wide, header rows repeated, frozen names and headers on screen.
    ws.freeze_panes = ws.cell(FIRST_DATA_ROW, FIRST_DAY_COLUMN)
    ws.page_setup.orientation = "landscape"
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.print_title_rows = f"{HEADER_ROW}:{HEADER_ROW + 1}"
    ws.print_area = f"A1:{get_column_letter(last_col)}{row_no}"
    ws.page_margins.left = ws.page_margins.right = 0.3
    ws.page_margins.top = ws.page_margins.bottom = 0.4
    ws.print_options.horizontalCentered = True
    ws.oddFooter.center.text = "第 &P 页，共 &N 页"

    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def _merged_header(ws: Worksheet, row: int, col: int, text: str, font: Font) -> None:
    ws.cell(row, col, text)
    ws.merge_cells(start_row=row, start_column=col, end_row=row + 1, end_column=col)
    for r in (row, row + 1):
        cell = ws.cell(r, col)
        cell.font = font
        cell.alignment = _CENTER
        cell.border = _BORDER
        cell.fill = _HEADER_FILL


def _total(totals: Totals, attr: str) -> Any:
    value = getattr(totals, attr)
    return value if value else 0


def sheet_filename(sheet: MonthlySheet) -> str:
    """E.g. "P1_甲钢筋班_2026年05月_考勤表.xlsx" (sent with an RFC 5987 Content-Disposition)."""
    team = "".join(c for c in sheet.team_name if c not in '\\/:*?"<>|').strip() or "班组"
    return f"{sheet.project_code}_{team}_{sheet.month_label}_考勤表.xlsx"


def export_monthly_sheet(*, team: Team, month: dt.date, user: Any) -> tuple[bytes, str, MonthlySheet]:
    """The team's sheet for ``month`` (first day) as .xlsx with the rows ``user`` may export, audited as
    an export. The caller has checked the team (in scope, export permitted)."""
    sheet = build_sheet(user, team=team, month=month, perm=Perm.EXPORT)
    data = write_sheet(sheet)
    audit.record(
        AuditAction.EXPORT,
        team,
        changes={"month": sheet.month_param, "rows": len(sheet.rows), "format": "xlsx"},
        note=f"考勤表导出 {sheet.month_label}",
    )
    return data, sheet_filename(sheet), sheet
