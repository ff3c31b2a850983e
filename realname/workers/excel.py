"""The worker spreadsheet: its columns, the import template (drop-downs, instructions) and the roster export.

One list of columns serves the template, the importer (header matching, required columns) and the export,
so a file exported from a project has exactly the headers of the template.
"""

from __future__ import annotations

import io
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from django.db.models import QuerySet
from django.utils import timezone
from openpyxl import Workbook
from openpyxl.comments import Comment
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.worksheet import Worksheet

from realname.accounts.roles import Perm
from realname.accounts.scope import restrict
from realname.core import audit, dictionaries
from realname.core.models import AuditAction
from realname.orgs.models import Participant, Project, Team
from realname.workers.models import BankAccount, Employment, EmploymentStatus

DATA_SHEET = "工人信息"
HELP_SHEET = "说明"
LISTS_SHEET = "字典"
XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
DATE_FORMAT = "yyyy-mm-dd"
# Words that mean "no end date" in the 证件有效期止 column.
NO_END = ("长期", "长期有效")


@dataclass(frozen=True)
class Column:
    """One column of the worker spreadsheet."""

    key: str
    header: str
    help: str
    required: bool = False
    dictionary: str | None = None  # national code table whose names fill the drop-down
    aliases: tuple[str, ...] = ()  # other headers people write for the same thing
    is_text: bool = False  # long digit strings: formatted as text so Excel keeps every digit
    is_date: bool = False
    width: int = 14


COLUMNS: tuple[Column, ...] = (
    Column("name", "姓名", "与证件上的姓名一致。", required=True, width=10),
    Column(
        "id_type",
        "证件类型",
        "留空即“居民身份证”；可填代码（如 01）或名称。",
        dictionary="id_types",
        width=12,
    ),
    Column(
        "id_number",
        "身份证号",
        "18位居民身份证号（末位 x 自动改为 X），或其他证件的号码。请把本列设为“文本”格式："
        "数字格式会被 Excel 改成 1.10105E+17 这样的科学计数法并丢失末几位。",
        required=True,
        aliases=("证件号码", "身份证号码", "证件号", "公民身份号码"),
        is_text=True,
        width=21,
    ),
    Column("phone", "手机号", "11位手机号码。", aliases=("手机号码", "手机"), is_text=True, width=13),
    Column("ethnicity", "民族", "如“汉”或“汉族”，也可填代码。", dictionary="ethnicities", width=8),
    Column(
        "trade",
        "工种",
        "工种代码（如 010）或名称（如 砌筑工）。",
        required=True,
        dictionary="trades",
        width=12,
    ),
    Column(
        "role",
        "人员类型",
        "管理人员或建筑工人（也可填代码 10 / 20）；留空即“建筑工人”。",
        dictionary="worker_roles",
        aliases=("工人类型",),
        width=10,
    ),
    Column(
        "participant",
        "参建单位",
        "本项目参建单位的统一社会信用代码，或与登记完全一致的企业名称。",
        required=True,
        aliases=("所属单位", "所属企业", "参建单位名称"),
        width=24,
    ),
    Column(
        "team",
        "班组",
        "本项目的班组名称；本项目尚无此班组时，导入时在该行的参建单位下新建。",
        aliases=("班组名称",),
        width=12,
    ),
    Column(
        "entry_date",
        "进场日期",
        "如 2026-03-01、2026/3/1、2026.3.1、2026年3月1日、20260301，或 Excel 日期。",
        required=True,
        aliases=("进场时间",),
        is_date=True,
        width=12,
    ),
    Column(
        "bank_card",
        "银行卡号",
        "本人工资卡号（12-30位数字），请设为“文本”格式。填写后成为该工人的当前工资卡。",
        aliases=("工资卡号", "卡号", "银行账号"),
        is_text=True,
        width=22,
    ),
    Column(
        "bank_name",
        "开户银行",
        "填写银行卡号时必填，如“中国工商银行北京分行”。",
        aliases=("开户行",),
        width=20,
    ),
    Column(
        "bank_code",
        "银行类别",
        "可选：银行类别代码（如 102）或名称（如 中国工商银行）。",
        dictionary="bank_codes",
    ),
    Column("address", "住址", "证件上的住址。", aliases=("家庭住址", "身份证地址"), width=30),
    Column("issuing_authority", "签发机关", "证件签发机关。", width=16),
    Column("id_valid_from", "证件有效期起", "证件有效期开始日期，格式同进场日期。", is_date=True, width=12),
    Column(
        "id_valid_until",
        "证件有效期止",
        "证件有效期截止日期；长期有效填“长期”或留空。",
        is_date=True,
        width=12,
    ),
    Column("education", "文化程度", "如 初中、高中，也可填代码。", dictionary="education", width=10),
    Column("politics", "政治面貌", "如 群众、中共党员，也可填代码。", dictionary="politics", width=10),
    Column(
        "marital_status", "婚姻状况", "如 已婚、未婚，也可填代码。", dictionary="marital_status", width=10
    ),
    Column("emergency_contact_name", "紧急联系人", "紧急联系人姓名。", width=10),
    Column("emergency_contact_phone", "紧急联系电话", "紧急联系人电话。", is_text=True, width=13),
)

COLUMN_BY_KEY: dict[str, Column] = {c.key: c for c in COLUMNS}
HEADERS: tuple[str, ...] = tuple(c.header for c in COLUMNS)

_HEADER_FILL = PatternFill("solid", fgColor="DDEBF7")
_REQUIRED_FILL = PatternFill("solid", fgColor="FCE4D6")


# --- the template -------------------------------------------------------------------------------------


def _project_lists(project: Project | None) -> dict[str, list[str]]:
    if project is None:
        return {"participant": [], "team": []}
    participants = (
        Participant.objects.filter(project=project).select_related("company").order_by("company__name")
    )
    teams = Team.objects.filter(project=project).order_by("name")
    return {
        "participant": [p.company.name for p in participants],
        "team": [t.name for t in teams],
    }


def _write_lists(wb: Workbook, project: Project | None) -> dict[str, str]:
    """The hidden sheet of drop-down lists; returns column key → range formula."""
    ws = wb.create_sheet(LISTS_SHEET)
    ws.sheet_state = "hidden"
    lists: dict[str, list[str]] = {}
    for column in COLUMNS:
        if column.dictionary:
            lists[column.key] = list(dictionaries.table(column.dictionary).values())
    lists.update(_project_lists(project))
    ranges: dict[str, str] = {}
    index = 0
    for column in COLUMNS:
        values = lists.get(column.key)
        if not values:
            continue
        index += 1
        letter = get_column_letter(index)
        ws.cell(row=1, column=index, value=column.header)
        for row, value in enumerate(values, start=2):
            ws.cell(row=row, column=index, value=value)
        ranges[column.key] = f"'{LISTS_SHEET}'!${letter}$2:${letter}${len(values) + 1}"
    return ranges


def _write_data_sheet(ws: Worksheet, ranges: dict[str, str], project: Project | None) -> None:
    ws.title = DATA_SHEET
    ws.freeze_panes = "B2"
    for index, column in enumerate(COLUMNS, start=1):
        letter = get_column_letter(index)
        cell = ws.cell(row=1, column=index, value=column.header)
        cell.font = Font(bold=True)
        cell.fill = _REQUIRED_FILL if column.required else _HEADER_FILL
        cell.alignment = Alignment(horizontal="center")
        note = ("* 必填。" if column.required else "选填。") + column.help
        cell.comment = Comment(note, "Realname", width=260, height=110)
        dimension = ws.column_dimensions[letter]
        dimension.width = column.width
        if column.is_text:
            dimension.number_format = "@"
        elif column.is_date:
            dimension.number_format = DATE_FORMAT
        formula = ranges.get(column.key)
        if formula:
            # A warning, not a stop: the importer also takes codes, and lists can lag behind new teams.
            validation = DataValidation(
                type="list",
                formula1=f"={formula}",
                allow_blank=True,
                showErrorMessage=True,
                errorStyle="warning",
                errorTitle=column.header,
                error=f"不在{column.header}列表中，请核对（也可填写代码）。",
            )
            validation.add(f"{letter}2:{letter}5000")
            ws.add_data_validation(validation)


def _write_help_sheet(wb: Workbook, project: Project | None) -> None:
    ws = wb.create_sheet(HELP_SHEET)
    ws.column_dimensions["A"].width = 16
    ws.column_dimensions["B"].width = 8
    ws.column_dimensions["C"].width = 90
    lines = [
        "工人信息导入模板 · 填写说明",
        f"适用项目：{project}" if project else "适用项目：导入时在页面或命令中选择",
        "1. 在“工人信息”工作表中每人填一行，第1行为表头，不要修改表头文字；"
        "列的顺序可以调整，多余的列会被忽略。",
        "2. 表头为橙色的列必填。证件类型留空即居民身份证，人员类型留空即建筑工人。",
        "3. 身份证号、银行卡号、手机号请设置为“文本”格式（模板已设置）。若 Excel 已把号码变成 1.10105E+17 "
        "这样的数字，末几位已经丢失，必须重新输入。",
        "4. 号码前后的空格（含全角空格）会自动去掉，小写 x 自动改为大写 X，全角数字自动转为半角。",
        "5. 日期可写 2026-03-01、2026/3/1、2026.3.1、2026年3月1日、20260301，或 Excel 日期格式。",
        "6. 下拉列表中的项目可直接选择；也可以填写国家标准代码（例如工种 010 = 砌筑工）。",
        "7. 任何一行有错误时，整个文件都不会导入；请按导入报告中的行号、列名逐一修改后重新导入。",
        "8. 同一文件重复导入不会产生重复数据：已登记的工人按证件号码识别，只更新有变化的非空内容。",
        "",
    ]
    for text in lines:
        ws.append([text])
    ws["A1"].font = Font(bold=True, size=14)
    header_row = ws.max_row + 1
    ws.append(["列名", "必填", "说明"])
    for cell in ws[header_row]:
        cell.font = Font(bold=True)
        cell.fill = _HEADER_FILL
    for column in COLUMNS:
        extra = f"（也可写作：{'、'.join(column.aliases)}）" if column.aliases else ""
        ws.append([column.header, "是" if column.required else "", column.help + extra])
    for row in ws.iter_rows(min_row=header_row + 1):
        row[2].alignment = Alignment(wrap_text=True, vertical="top")


def build_template(project: Project | None = None) -> Workbook:
    """The blank import template; for a project, the 参建单位 and 班组 drop-downs list that project's."""
    wb = Workbook()
    ranges = _write_lists(wb, project)
    _write_data_sheet(wb.worksheets[0], ranges, project)
    _write_help_sheet(wb, project)
    wb.active = 0
    return wb


def template_bytes(project: Project | None = None) -> bytes:
    buffer = io.BytesIO()
    build_template(project).save(buffer)
    return buffer.getvalue()


def template_filename(project: Project | None = None) -> str:
    return f"工人导入模板_{project.code}.xlsx" if project else "工人导入模板.xlsx"


# --- the roster export --------------------------------------------------------------------------------


def roster_employments(*, project: Project, user: Any) -> QuerySet[Employment]:
    """The project's workers on site that ``user`` may export (``user=None``: the operator, everything)."""
    qs = Employment.objects.filter(project=project, status=EmploymentStatus.ACTIVE)
    if user is not None:
        qs = restrict(qs, user, Perm.EXPORT)
    return qs.select_related("worker", "participant__company", "team").order_by(
        "participant_id", "team_id", "worker__name"
    )


def roster_rows(employments: Iterable[Employment]) -> Iterable[list[Any]]:
    """One row per employment in template column order, sensitive numbers masked."""
    employments = list(employments)
    cards = {
        a.worker_id: a
        for a in BankAccount.objects.filter(worker_id__in={e.worker_id for e in employments}, is_current=True)
    }
    label = dictionaries.label
    for e in employments:
        w = e.worker
        card = cards.get(w.pk)
        values = {
            "name": w.name,
            "id_type": label("id_types", w.id_type),
            "id_number": w.id_number_masked,
            "phone": w.phone,
            "ethnicity": label("ethnicities", w.ethnicity),
            "trade": label("trades", e.trade),
            "role": label("worker_roles", e.role),
            "participant": e.participant.company.name,
            "team": e.team.name if e.team else "",
            "entry_date": e.entry_date,
            "bank_card": card.card_number_masked if card else "",
            "bank_name": card.bank_name if card else "",
            "bank_code": label("bank_codes", card.bank_code) if card else "",
            "address": w.address,
            "issuing_authority": w.issuing_authority,
            "id_valid_from": w.id_valid_from,
            "id_valid_until": w.id_valid_until or ("长期" if w.id_valid_from else None),
            "education": label("education", w.education),
            "politics": label("politics", w.politics),
            "marital_status": label("marital_status", w.marital_status),
            "emergency_contact_name": w.emergency_contact_name,
            "emergency_contact_phone": w.emergency_contact_phone,
        }
        yield [values[c.key] for c in COLUMNS]


def write_roster(rows: Iterable[Sequence[Any]]) -> tuple[bytes, int]:
    """An .xlsx with the template's headers and ``rows``; returns the bytes and the row count."""
    wb = Workbook(write_only=True)
    ws = wb.create_sheet(DATA_SHEET)
    for index, column in enumerate(COLUMNS, start=1):
        ws.column_dimensions[get_column_letter(index)].width = column.width
    ws.append(list(HEADERS))
    count = 0
    for row in rows:
        ws.append(list(row))
        count += 1
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue(), count


def export_roster(*, project: Project, user: Any) -> tuple[bytes, int]:
    """The masked roster of ``project`` as .xlsx, audited as an export. The caller has checked the project."""
    data, count = write_roster(roster_rows(roster_employments(project=project, user=user)))
    audit.record(
        AuditAction.EXPORT,
        project,
        changes={"rows": count, "masked": True, "format": "xlsx"},
        note="工人花名册导出（证件号码、银行卡号已脱敏）",
    )
    return data, count


def roster_filename(project: Project) -> str:
    return f"工人花名册_{project.code}_{timezone.localdate():%Y%m%d}.xlsx"
