"""Bulk import of workers from the Excel template: read, validate every row, then write all in one go.

The rules are those of ``workers.services`` (identifiers from ``realname.core.identifiers``, blind indexes
and card rules from ``workers.services``, audit entries shaped as ``realname.core.audit`` writes them), but
applied in bulk: calling ``register_worker`` per row costs several queries and a full_clean per row, which
makes 10,000 rows take minutes instead of seconds. So the file is validated in pure Python first, existing
workers, cards and employments are looked up in batches by blind index, and the writes are
``bulk_create`` / ``bulk_update`` inside one ``transaction.atomic()``.

Any row with an error means nothing is written; the report names every problem by spreadsheet row number,
column and (masked) value. Importing the same file again changes nothing.
"""

from __future__ import annotations

import datetime as dt
import gc
import os
import re
import threading
import zipfile
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import cache
from typing import IO, Any

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, models, router, transaction
from django.utils import timezone
from openpyxl import load_workbook
from openpyxl.utils.datetime import from_excel
from openpyxl.utils.exceptions import InvalidFileException

from realname.accounts.roles import Perm
from realname.accounts.scope import restrict
from realname.admission.changes import inputs_changed
from realname.core import audit, crypto, dictionaries
from realname.core.bulk import insert_rows
from realname.core.context import current_actor
from realname.core.identifiers import (
    CheckedCard,
    CheckedId,
    IdentifierError,
    check_bank_card,
    check_id,
    check_mobile,
    clean_text,
    compact,
)
from realname.core.masking import mask_bank_card, mask_id_number, mask_phone
from realname.core.models import AuditAction, AuditEntry
from realname.orgs import services as org_services
from realname.orgs.models import Participant, Project, Team
from realname.orgs.selectors import team_parents
from realname.workers.excel import COLUMN_BY_KEY, COLUMNS, DATA_SHEET, NO_END
from realname.workers.models import (
    CARD_CONTEXT,
    ID_CONTEXT,
    BankAccount,
    Employment,
    EmploymentStatus,
    Worker,
)
from realname.workers.services import card_index, id_index

RESIDENT_ID = "01"
DEFAULT_ROLE = "20"  # 建筑工人
_HEADER_SCAN_ROWS = 10
_LOOKUP_CHUNK = 900  # SQLite's conservative limit on query parameters is 999
_SCIENTIFIC = re.compile(r"^[+-]?\d+(\.\d*)?E[+-]?\d+$")
_DATE_TEXT = re.compile(
    r"^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?(?:\s+\d{1,2}:\d{2}(?::\d{2})?)?$"
)
_DATE_DIGITS = re.compile(r"^(\d{4})(\d{2})(\d{2})$")
_WORKER_TEXT_FIELDS = ("address", "issuing_authority", "emergency_contact_name")
_WORKER_CODE_FIELDS = ("ethnicity", "education", "politics", "marital_status")
_IMPORT_NOTE = "Excel 导入"


# --- the report ---------------------------------------------------------------------------------------


@dataclass
class Issue:
    """One problem (or warning) found in the file: spreadsheet row, column header, masked value, message."""

    row: int | None
    column: str
    value: str
    message: str

    def __str__(self) -> str:
        where = f"第 {self.row} 行" if self.row else "文件"
        column = f"「{self.column}」" if self.column else ""
        value = f"（{self.value}）" if self.value else ""
        return f"{where}{column}{value}：{self.message}"


@dataclass
class ImportReport:
    """What an import found and did; the page, the command and the tests read this."""

    filename: str = ""
    dry_run: bool = False
    rows: int = 0
    workers_created: int = 0
    workers_updated: int = 0
    employments_created: int = 0
    employments_updated: int = 0
    cards_changed: int = 0
    teams_created: list[str] = field(default_factory=list)
    errors: list[Issue] = field(default_factory=list)
    warnings: list[Issue] = field(default_factory=list)
    notices: list[str] = field(default_factory=list)
    imported: bool = False  # True once the transaction committed

    @property
    def ok(self) -> bool:
        return not self.errors

    @property
    def changed(self) -> bool:
        return bool(
            self.workers_created
            or self.workers_updated
            or self.employments_created
            or self.employments_updated
            or self.cards_changed
            or self.teams_created
        )

    def error(self, row: int | None, column: str, value: str, message: str) -> None:
        self.errors.append(Issue(row, column, value, message))

    def warn(self, row: int | None, column: str, value: str, message: str) -> None:
        self.warnings.append(Issue(row, column, value, message))

    def summary(self) -> str:
        if self.errors:
            return f"发现 {len(self.errors)} 处错误，未导入任何数据。请按行号修改后重新导入。"
        verb = "校验通过（试运行，未写入）：将" if self.dry_run else "导入成功："
        parts = [
            f"共 {self.rows} 行",
            f"新增工人 {self.workers_created} 人",
            f"更新工人 {self.workers_updated} 人",
            f"新增进场 {self.employments_created} 条",
            f"更新进场 {self.employments_updated} 条",
            f"工资卡变更 {self.cards_changed} 张",
            f"新建班组 {len(self.teams_created)} 个",
        ]
        text = verb + "，".join(parts) + "。"
        if not self.dry_run and not self.changed:
            text += "文件内容与系统一致，没有需要修改的数据。"
        return text

    def as_text(self) -> str:
        """The report as plain Chinese text (the command prints this)."""
        lines = [self.summary()]
        if self.errors:
            lines.append("错误：")
            lines += [f"  {issue}" for issue in self.errors]
        if self.warnings:
            lines.append("提示（不影响导入）：")
            lines += [f"  {issue}" for issue in self.warnings]
        if self.notices:
            lines.append("说明：")
            lines += [f"  {notice}" for notice in self.notices]
        return "\n".join(lines)


# --- reading the file ---------------------------------------------------------------------------------


class _CellError(ValueError):
    """A cell value that cannot be accepted; the message is for the clerk."""


def _norm_header(value: Any) -> str:
    text = compact(value).replace("*", "")
    return text.replace("(必填)", "").replace("(选填)", "")


_HEADER_KEYS: dict[str, str] = {}
for _column in COLUMNS:
    for _name in (_column.header, *_column.aliases):
        _HEADER_KEYS[_norm_header(_name)] = _column.key


def _is_blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


@dataclass
class _Sheet:
    header_row: int
    positions: dict[str, int]  # column key → index in the row tuple
    rows: list[tuple[int, dict[str, Any]]]  # (spreadsheet row number, column key → non-blank value)


def _is_header(row: Sequence[Any]) -> bool:
    keys = {_HEADER_KEYS.get(_norm_header(v)) for v in row if isinstance(v, str)}
    return "name" in keys and "id_number" in keys


def _read_sheet(source: Any, report: ImportReport) -> _Sheet | None:
    try:
        wb = load_workbook(source, read_only=True, data_only=True)
    except (InvalidFileException, zipfile.BadZipFile, KeyError, OSError, ValueError):
        report.error(
            None,
            "",
            "",
            "无法读取文件：请上传 Excel 2007 及以上的 .xlsx 文件（可用 Excel 或 WPS“另存为 .xlsx”）",
        )
        return None
    try:
        ws = wb[DATA_SHEET] if DATA_SHEET in wb.sheetnames else wb.worksheets[0]
        return _scan(ws.iter_rows(values_only=True), report)
    finally:
        wb.close()


def _scan(rows: Iterable[Sequence[Any]], report: ImportReport) -> _Sheet | None:
    """Find the header row, map the columns, and collect the non-blank data rows with their row numbers."""
    max_rows = settings.REALNAME_IMPORT_MAX_ROWS
    iterator: Iterator[Sequence[Any]] = iter(rows)
    header: Sequence[Any] | None = None
    header_row = 0
    for number, row in enumerate(iterator, start=1):
        if _is_header(row):
            header, header_row = row, number
            break
        if number >= _HEADER_SCAN_ROWS:
            break
    if header is None:
        report.error(None, "", "", "未找到表头：第一行应为“姓名”“身份证号”“工种”等列名，请使用导入模板")
        return None
    positions: dict[str, int] = {}
    ignored: list[str] = []
    for index, value in enumerate(header):
        if _is_blank(value):
            continue
        key = _HEADER_KEYS.get(_norm_header(value))
        if key is None:
            ignored.append(clean_text(value))
        elif key in positions:
            report.notices.append(f"“{clean_text(value)}”列重复，只读取第一列")
        else:
            positions[key] = index
    if ignored:
        report.notices.append(f"已忽略模板之外的列：{'、'.join(ignored)}")
    missing = [c.header for c in COLUMNS if c.required and c.key not in positions]
    if missing:
        report.error(header_row, "", "", f"缺少必填列：{'、'.join(missing)}（请使用导入模板，不要修改表头）")
        return None
    data: list[tuple[int, dict[str, Any]]] = []
    columns = list(positions.items())
    for number, row in enumerate(iterator, start=header_row + 1):
        size = len(row)
        cells = {}
        for key, index in columns:
            if index < size:
                value = row[index]
                if value is not None and not (value.__class__ is str and not value.strip()):
                    cells[key] = value
        if not cells:  # a blank row (or one with text only in columns the template does not have)
            continue
        data.append((number, cells))
        if len(data) > max_rows:
            report.error(None, "", "", f"文件超过 {max_rows} 行的上限，请分成几个文件导入")
            return None
    if not data:
        report.error(None, "", "", "文件中没有工人数据（表头下方均为空行）")
        return None
    return _Sheet(header_row=header_row, positions=positions, rows=data)


# --- cell rules ---------------------------------------------------------------------------------------


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time() else value.isoformat(sep=" ")
    return clean_text(value)


def _limited(value: Any, max_length: int, label: str) -> str:
    text = _text(value)
    if len(text) > max_length:
        raise _CellError(f"{label}不能超过 {max_length} 个字")
    return text


def _lost_digits(label: str) -> str:
    return (
        f"{label}被 Excel 存成了数字（如 1.10105E+17），末几位已经丢失：请把该列设为“文本”格式，"
        "再重新输入完整号码"
    )


def _number_cell(value: Any, label: str) -> tuple[str, bool]:
    """The text of an identifier cell and whether Excel held it as an integer; lossy numbers are refused."""
    if isinstance(value, bool):
        raise _CellError(f"{label}格式不正确")
    if isinstance(value, float):
        raise _CellError(_lost_digits(label))
    if isinstance(value, int):
        return str(value), True
    text = compact(value)
    if _SCIENTIFIC.match(text):
        raise _CellError(_lost_digits(label))
    return text, False


def _shown_number(value: Any) -> str:
    """How Excel shows a number that swallowed an identifier (six significant digits, nothing more)."""
    try:
        return f"{float(value if not isinstance(value, str) else compact(value)):.5E}"
    except (TypeError, ValueError):
        return ""


def _masked(kind: str, value: Any) -> str:
    """A cell value as the report may show it: identifiers masked, lossy numbers as Excel shows them."""
    if value is None:
        return ""
    if kind in {"id", "card"}:
        if isinstance(value, float) or (isinstance(value, str) and _SCIENTIFIC.match(compact(value))):
            return _shown_number(value)
        text = compact(value)
        return mask_id_number(text) if kind == "id" else mask_bank_card(text)
    if kind == "phone":
        return mask_phone(compact(value if not isinstance(value, float) else _text(value)))
    text = _text(value)
    return text if len(text) <= 40 else text[:40] + "…"


def parse_date(value: Any) -> dt.date:
    """A date from a date cell, an Excel serial number, or text like 2026-03-01 / 2026年3月1日 / 20260301."""
    if isinstance(value, dt.datetime):
        result = value.date()
    elif isinstance(value, dt.date):
        result = value
    elif isinstance(value, bool):
        raise _CellError("日期格式不正确")
    elif isinstance(value, (int, float)):
        if float(value).is_integer() and 19000101 <= value <= 21001231:
            return parse_date(str(int(value)))
        if not 1 <= value < 2958466:
            raise _CellError("日期格式不正确，请填写如 2026-03-01 的日期")
        result = from_excel(value).date()
    else:
        text = clean_text(value)
        if text.isdigit() and len(text) <= 5:
            return parse_date(int(text))
        match = _DATE_TEXT.match(text) or _DATE_DIGITS.match(text)
        if match is None:
            raise _CellError("日期格式不正确，请填写如 2026-03-01、2026/3/1 或 2026年3月1日")
        try:
            result = dt.date(int(match[1]), int(match[2]), int(match[3]))
        except ValueError:
            raise _CellError("日期不存在，请核对年月日") from None
    if not 1900 <= result.year <= 2100:
        raise _CellError("日期不在合理范围内（1900-2100年）")
    return result


@cache
def _code_lengths(table: str) -> tuple[int, ...]:
    return tuple(sorted({len(code) for code in dictionaries.table(table)}))


def _code(table: str, value: Any, label: str) -> str:
    """The dictionary code for a cell holding the code or the exact name (民族 also without 族)."""
    if value.__class__ is str:
        code = dictionaries.lookup(table, value)
        if code is not None:
            return code
    text = _text(value)
    code = dictionaries.lookup(table, text)
    if code is None and text.isdigit():
        # Excel turns the code "010" into the number 10.
        for length in _code_lengths(table):
            code = dictionaries.lookup(table, text.zfill(length)) if length > len(text) else None
            if code is not None:
                break
    if code is None and table == "ethnicities" and text.endswith("族"):
        code = dictionaries.lookup(table, text[:-1])
    if code is None:
        raise _CellError(f"“{text}”不是有效的{label}，请从下拉列表中选择，或填写{label}代码")
    return code


def _max_length(model: type[Any], name: str) -> int:
    return int(model._meta.get_field(name).max_length)


# --- one row ------------------------------------------------------------------------------------------


@dataclass(slots=True)
class _Row:
    """One spreadsheet row, validated."""

    number: int
    failed: bool = False
    name: str = ""
    checked: CheckedId | None = None
    index: str = ""
    phone: str = ""
    fields: dict[str, Any] = field(default_factory=dict)  # other worker fields, non-blank only
    trade: str = ""
    role: str = ""  # "" = not given
    participant_text: str = ""
    team_name: str = ""
    entry_date: dt.date | None = None
    card: CheckedCard | None = None
    bank_name: str = ""
    bank_code: str = ""


class _RowParser:
    """Turns raw row tuples into :class:`_Row`s, adding every problem to the report."""

    def __init__(self, report: ImportReport) -> None:
        self.report = report
        self.lengths = {
            "name": _max_length(Worker, "name"),
            "address": _max_length(Worker, "address"),
            "issuing_authority": _max_length(Worker, "issuing_authority"),
            "emergency_contact_name": _max_length(Worker, "emergency_contact_name"),
            "emergency_contact_phone": _max_length(Worker, "emergency_contact_phone"),
            "team": _max_length(Team, "name"),
            "bank_name": _max_length(BankAccount, "bank_name"),
        }

    def _fail(self, row: _Row, key: str, value: Any, message: str, kind: str = "") -> None:
        row.failed = True
        self.report.error(row.number, COLUMN_BY_KEY[key].header, _masked(kind, value), message)

    def _warn(self, row: _Row, key: str, value: Any, message: str, kind: str = "") -> None:
        self.report.warn(row.number, COLUMN_BY_KEY[key].header, _masked(kind, value), message)

    def parse(self, number: int, cells: dict[str, Any]) -> _Row:
        get = cells.get
        row = _Row(number=number)
        fail = self._fail

        raw = get("name")
        try:
            row.name = _limited(raw, self.lengths["name"], "姓名")
            if not row.name:
                fail(row, "name", raw, "姓名不能为空")
        except _CellError as exc:
            fail(row, "name", raw, str(exc))

        id_type = RESIDENT_ID
        raw = get("id_type")
        if raw is not None:
            try:
                id_type = _code("id_types", raw, "证件类型")
            except _CellError as exc:
                fail(row, "id_type", raw, str(exc))
                id_type = ""
        self._parse_id(row, id_type, get("id_number"))

        raw = get("phone")
        if raw is not None:
            try:
                row.phone = check_mobile(_text(raw) if isinstance(raw, (int, float)) else raw)
            except IdentifierError as exc:
                fail(row, "phone", raw, str(exc), "phone")

        for key in _WORKER_CODE_FIELDS:
            raw = get(key)
            if raw is None:
                continue
            column = COLUMN_BY_KEY[key]
            try:
                row.fields[key] = _code(column.dictionary or "", raw, column.header)
            except _CellError as exc:
                fail(row, key, raw, str(exc))
        for key in _WORKER_TEXT_FIELDS:
            raw = get(key)
            if raw is None:
                continue
            try:
                row.fields[key] = _limited(raw, self.lengths[key], COLUMN_BY_KEY[key].header)
            except _CellError as exc:
                fail(row, key, raw, str(exc))
        raw = get("emergency_contact_phone")
        if raw is not None:
            text = compact(_text(raw))
            if len(text) > self.lengths["emergency_contact_phone"]:
                fail(row, "emergency_contact_phone", raw, "紧急联系电话过长")
            else:
                row.fields["emergency_contact_phone"] = text
        self._parse_validity(row, get("id_valid_from"), get("id_valid_until"))

        raw = get("trade")
        if raw is None:
            fail(row, "trade", raw, "工种不能为空")
        else:
            try:
                row.trade = _code("trades", raw, "工种")
            except _CellError as exc:
                fail(row, "trade", raw, str(exc))
        raw = get("role")
        if raw is not None:
            try:
                row.role = _code("worker_roles", raw, "人员类型")
            except _CellError as exc:
                fail(row, "role", raw, str(exc))

        raw = get("participant")
        row.participant_text = _text(raw)
        if not row.participant_text:
            fail(row, "participant", raw, "参建单位不能为空")
        raw = get("team")
        try:
            row.team_name = _limited(raw, self.lengths["team"], "班组名称")
        except _CellError as exc:
            fail(row, "team", raw, str(exc))

        raw = get("entry_date")
        if raw is None:
            fail(row, "entry_date", raw, "进场日期不能为空")
        else:
            try:
                row.entry_date = parse_date(raw)
            except _CellError as exc:
                fail(row, "entry_date", raw, str(exc))

        self._parse_card(row, get("bank_card"), get("bank_name"), get("bank_code"))
        return row

    def _parse_id(self, row: _Row, id_type: str, raw: Any) -> None:
        if raw is None:
            self._fail(row, "id_number", raw, "证件号码不能为空")
            return
        if not id_type:
            return  # the 证件类型 error is already reported; the number cannot be checked without it
        label = "身份证号" if id_type == RESIDENT_ID else "证件号码"
        try:
            text, was_number = _number_cell(raw, label)
        except _CellError as exc:
            self._fail(row, "id_number", raw, str(exc), "id")
            return
        try:
            row.checked = check_id(id_type, text)
        except IdentifierError as exc:
            self._fail(row, "id_number", raw, _lost_digits(label) if was_number else str(exc), "id")
            return
        row.index = id_index(row.checked.id_type, row.checked.number)
        if was_number:
            self._warn(
                row,
                "id_number",
                raw,
                f"{label}在 Excel 中是数字格式，本行号码仍完整；请把该列设为“文本”格式",
                "id",
            )
        for message in row.checked.warnings:
            self._warn(row, "id_number", raw, message, "id")

    def _parse_validity(self, row: _Row, raw_from: Any, raw_until: Any) -> None:
        start = end = None
        if raw_from is not None:
            try:
                start = row.fields["id_valid_from"] = parse_date(raw_from)
            except _CellError as exc:
                self._fail(row, "id_valid_from", raw_from, str(exc))
        if raw_until is not None and _text(raw_until) not in NO_END:
            try:
                end = row.fields["id_valid_until"] = parse_date(raw_until)
            except _CellError as exc:
                self._fail(row, "id_valid_until", raw_until, str(exc))
        if start and end and end < start:
            self._fail(row, "id_valid_until", raw_until, "证件有效期止不能早于有效期起")

    def _parse_card(self, row: _Row, raw_card: Any, raw_name: Any, raw_code: Any) -> None:
        if raw_code is not None:
            try:
                row.bank_code = _code("bank_codes", raw_code, "银行类别")
            except _CellError as exc:
                self._fail(row, "bank_code", raw_code, str(exc))
        try:
            row.bank_name = _limited(raw_name, self.lengths["bank_name"], "开户银行")
        except _CellError as exc:
            self._fail(row, "bank_name", raw_name, str(exc))
        if raw_card is None:
            return
        try:
            text, was_number = _number_cell(raw_card, "银行卡号")
        except _CellError as exc:
            self._fail(row, "bank_card", raw_card, str(exc), "card")
            return
        try:
            card = check_bank_card(text)
        except IdentifierError as exc:
            self._fail(
                row, "bank_card", raw_card, _lost_digits("银行卡号") if was_number else str(exc), "card"
            )
            return
        if was_number:
            if card.warnings:  # an integer that fails Luhn most likely lost its last digits in Excel
                self._fail(row, "bank_card", raw_card, _lost_digits("银行卡号"), "card")
                return
            self._warn(
                row,
                "bank_card",
                raw_card,
                "银行卡号在 Excel 中是数字格式，本行号码仍完整；请把该列设为“文本”格式",
                "card",
            )
        row.card = card
        for message in card.warnings:
            self._warn(row, "bank_card", raw_card, message, "card")
        if not row.bank_code:
            row.bank_code = dictionaries.lookup("bank_codes", row.bank_name) or ""
        if not row.bank_name:
            if row.bank_code:
                row.bank_name = dictionaries.label("bank_codes", row.bank_code)
            else:
                self._fail(row, "bank_name", raw_name, "填写银行卡号时必须填写开户银行")


# --- planning against the database --------------------------------------------------------------------


def participants_in_scope(project: Project, user: Any) -> set[int]:
    """Participants of ``project`` for whom ``user`` may import people (``user=None``: the operator, all).

    Seeing a participant is project-wide; importing its people means changing its employments, so the rule
    is the one for registering an entry under a participant (``orgs.selectors.team_parents``).
    """
    if user is None:
        return set(Participant.objects.filter(project=project).values_list("pk", flat=True))
    return set(team_parents(user, project=project, perm=Perm.WORKERS_CHANGE).values_list("pk", flat=True))


def _chunks(values: Sequence[Any]) -> Iterator[Sequence[Any]]:
    for start in range(0, len(values), _LOOKUP_CHUNK):
        yield values[start : start + _LOOKUP_CHUNK]


@dataclass
class _Change:
    obj: Any
    before: dict[str, Any]
    fields: set[str]
    note: str = _IMPORT_NOTE


@dataclass
class _Plan:
    new_teams: dict[str, Participant] = field(default_factory=dict)
    new_workers: list[Worker] = field(default_factory=list)
    worker_changes: list[_Change] = field(default_factory=list)
    new_cards: list[BankAccount] = field(default_factory=list)
    demoted_cards: list[_Change] = field(default_factory=list)
    card_changes: list[_Change] = field(default_factory=list)
    new_employments: list[Employment] = field(default_factory=list)
    employment_changes: list[_Change] = field(default_factory=list)
    # Employments whose team is created by this import: (employment, team name), resolved when writing.
    pending_teams: list[tuple[Employment, str]] = field(default_factory=list)
    # id(worker) → the project the person is on after the import (their latest active entry), for the audit.
    person_projects: dict[int, int] = field(default_factory=dict)


def _current(obj: Any, name: str, value: Any) -> Any:
    """The value ``obj`` holds for ``name``; for a relation its key, so that comparing costs no query."""
    if isinstance(value, models.Model):
        return getattr(obj, obj._meta.get_field(name).attname)
    return getattr(obj, name)


def _change(obj: Any, values: dict[str, Any], note: str = _IMPORT_NOTE) -> _Change | None:
    """Set the values that differ on ``obj``; a change record (with the audit "before") or None."""
    differing = {
        k: v for k, v in values.items() if _current(obj, k, v) != (v.pk if isinstance(v, models.Model) else v)
    }
    if not differing:
        return None
    before = audit.snapshot(obj, differing)
    for name, value in differing.items():
        setattr(obj, name, value)
    return _Change(obj=obj, before=before, fields=set(differing), note=note)


class _Planner:
    """Matches validated rows to what the database holds and decides every write (writing nothing)."""

    def __init__(self, project: Project, user: Any, report: ImportReport) -> None:
        self.project = project
        self.report = report
        participants = list(Participant.objects.filter(project=project).select_related("company"))
        self.allowed = participants_in_scope(project, user)
        self.by_code = {p.company.credit_code: p for p in participants}
        self.by_name: dict[str, list[Participant]] = {}
        for p in participants:
            self.by_name.setdefault(clean_text(p.company.name), []).append(p)
        self.teams = {t.name: t for t in Team.objects.filter(project=project)}
        self.plan = _Plan()

    def _error(self, row: _Row, key: str, value: str, message: str) -> None:
        row.failed = True
        self.report.error(row.number, COLUMN_BY_KEY[key].header, value, message)

    def participant(self, row: _Row) -> Participant | None:
        text = row.participant_text
        if not text:
            return None
        match = self.by_code.get(compact(text))
        if match is None:
            named = self.by_name.get(text, [])
            if len(named) > 1:
                self._error(row, "participant", text, "多个参建单位同名，请填写统一社会信用代码")
                return None
            match = named[0] if named else None
        if match is None or match.pk not in self.allowed:
            self._error(
                row,
                "participant",
                text,
                "参建单位不存在或无权限（请填写本项目参建单位的统一社会信用代码或完整名称）",
            )
            return None
        return match

    def team(self, row: _Row, participant: Participant | None) -> Team | None:
        name = row.team_name
        if not name or participant is None:
            return None
        team = self.teams.get(name)
        if team is not None:
            if team.participant_id != participant.pk:
                self._error(row, "team", name, "该班组属于本项目的其他参建单位，请核对班组名称或参建单位")
            return team
        owner = self.plan.new_teams.setdefault(name, participant)
        if owner.pk != participant.pk:
            self._error(row, "team", name, "同一文件中该新班组对应了不同的参建单位")
        return None

    def build(self, rows: list[_Row]) -> _Plan:
        seen: dict[str, int] = {}
        for row in rows:
            if row.index:
                first = seen.setdefault(row.index, row.number)
                if first != row.number:
                    self._error(
                        row,
                        "id_number",
                        mask_id_number(row.checked.number if row.checked else ""),
                        f"与第 {first} 行的证件号码重复（同一人只能填写一行）",
                    )
        resolved = [(row, self.participant(row)) for row in rows]
        teams = [self.team(row, participant) for row, participant in resolved]
        self._warn_shared_cards(rows)
        workers, cards, on_project, elsewhere = self._lookups(
            [r.index for r in rows if r.index and not r.failed]
        )
        for (row, participant), team in zip(resolved, teams, strict=True):
            if row.failed or participant is None or row.checked is None or row.entry_date is None:
                continue
            self._plan_row(row, participant, team, workers, cards, on_project, elsewhere)
        return self.plan

    def _warn_shared_cards(self, rows: list[_Row]) -> None:
        seen: dict[str, int] = {}
        for row in rows:
            if row.card is None:
                continue
            first = seen.setdefault(row.card.number, row.number)
            if first != row.number:
                self.report.warn(
                    row.number,
                    "银行卡号",
                    mask_bank_card(row.card.number),
                    f"与第 {first} 行的银行卡号相同，请核对",
                )

    def _lookups(
        self, indexes: list[str]
    ) -> tuple[
        dict[str, Worker], dict[int, list[BankAccount]], dict[int, Employment], dict[int, list[Employment]]
    ]:
        workers: dict[str, Worker] = {}
        for chunk in _chunks(indexes):
            for w in Worker.objects.select_for_update().filter(id_number_index__in=chunk):
                workers[w.id_number_index] = w
        ids = [w.pk for w in workers.values()]
        cards: dict[int, list[BankAccount]] = {}
        on_project: dict[int, Employment] = {}
        elsewhere: dict[int, list[Employment]] = {}
        for chunk in _chunks(ids):
            for account in BankAccount.objects.filter(worker_id__in=chunk):
                cards.setdefault(account.worker_id, []).append(account)
            active = Employment.objects.filter(worker_id__in=chunk, status=EmploymentStatus.ACTIVE)
            for e in active.select_related("participant__company"):
                if e.project_id == self.project.pk:
                    on_project[e.worker_id] = e
                else:
                    elsewhere.setdefault(e.worker_id, []).append(e)
        return workers, cards, on_project, elsewhere

    def _plan_row(
        self,
        row: _Row,
        participant: Participant,
        team: Team | None,
        workers: dict[str, Worker],
        cards: dict[int, list[BankAccount]],
        on_project: dict[int, Employment],
        elsewhere: dict[int, list[Employment]],
    ) -> None:
        assert row.checked is not None and row.entry_date is not None
        plan = self.plan
        values: dict[str, Any] = {"name": row.name, **row.fields}
        if row.phone:
            values["phone"] = row.phone
        worker = workers.get(row.index)
        current = None
        latest = (row.entry_date, self.project.pk)  # the person's latest active entry, after this import
        if worker is None:
            checked = row.checked
            worker = Worker(
                id_type=checked.id_type,
                id_number_enc=crypto.encrypt(checked.number, context=ID_CONTEXT),
                id_number_index=row.index,
                id_number_masked=mask_id_number(checked.number),
                birth_date=checked.birth_date,
                sex=checked.sex,
                id_warnings=checked.warnings,
                registered_by_company=participant.company,
                **values,
            )
            plan.new_workers.append(worker)
        else:
            current = on_project.get(worker.pk)
            if current is not None and current.participant_id != participant.pk:
                self._error(
                    row,
                    "participant",
                    row.participant_text,
                    f"该工人已以“{current.participant.company}”身份在本项目在场，请先办理退场",
                )
                return
            change = _change(worker, values)
            if change is not None:
                plan.worker_changes.append(change)
            for other in elsewhere.get(worker.pk, []):
                latest = max(latest, (other.entry_date, other.project_id))
                self.report.warn(
                    row.number,
                    "进场日期",
                    f"{row.entry_date:%Y-%m-%d}",
                    f"该工人在其他项目仍为在场状态（{other.entry_date:%Y-%m-%d} 进场），请核实是否已退场",
                )
        plan.person_projects[id(worker)] = latest[1]
        if row.card is not None:
            self._plan_card(row, worker, cards.get(worker.pk, []) if worker.pk else [])
        self._plan_employment(row, worker, participant, team, current)

    def _plan_card(self, row: _Row, worker: Worker, accounts: list[BankAccount]) -> None:
        """The same rules as ``services.set_bank_card``: the card becomes current, older cards stay."""
        assert row.card is not None
        index = card_index(row.card.number)
        existing = next((a for a in accounts if a.card_number_index == index), None)
        if existing is not None:
            change = _change(
                existing,
                {
                    "is_current": True,
                    "bank_name": row.bank_name,
                    "bank_code": row.bank_code or existing.bank_code,
                },
            )
            if change is None:
                return
            if "is_current" in change.fields:
                self._demote(a for a in accounts if a.is_current and a is not existing)
            self.plan.card_changes.append(change)
            return
        self._demote(a for a in accounts if a.is_current)
        self.plan.new_cards.append(
            BankAccount(
                worker=worker,
                bank_code=row.bank_code,
                bank_name=row.bank_name,
                card_number_enc=crypto.encrypt(row.card.number, context=CARD_CONTEXT),
                card_number_index=index,
                card_number_masked=mask_bank_card(row.card.number),
                warnings=row.card.warnings,
            )
        )

    def _demote(self, accounts: Iterable[BankAccount]) -> None:
        for account in accounts:
            change = _change(account, {"is_current": False}, note="换卡")
            if change is not None:
                self.plan.demoted_cards.append(change)

    def _plan_employment(
        self,
        row: _Row,
        worker: Worker,
        participant: Participant,
        team: Team | None,
        current: Employment | None,
    ) -> None:
        assert row.entry_date is not None
        new_team = row.team_name if row.team_name and team is None else ""
        if current is None:
            employment = Employment(
                project=self.project,
                participant=participant,
                worker=worker,
                team=team,
                trade=row.trade,
                role=row.role or DEFAULT_ROLE,
                entry_date=row.entry_date,
            )
            self.plan.new_employments.append(employment)
            if new_team:
                self.plan.pending_teams.append((employment, new_team))
            return
        values: dict[str, Any] = {"trade": row.trade, "entry_date": row.entry_date}
        if row.role:
            values["role"] = row.role
        if team is not None:
            values["team"] = team
        change = _change(current, values)
        if new_team:
            # The team only gets a row in the write phase; the employment moves to it then.
            if change is None:
                change = _Change(obj=current, before={}, fields=set())
            change.before.update(audit.snapshot(current, {"team"}))
            change.fields.add("team")
            self.plan.pending_teams.append((current, new_team))
        if change is not None:
            self.plan.employment_changes.append(change)


# --- writing ------------------------------------------------------------------------------------------


class _Auditor:
    """Audit entries as ``realname.core.audit.record`` writes them, as rows for one bulk insert."""

    def __init__(self, note: str, person_projects: dict[int, int]) -> None:
        actor = current_actor()
        user = actor.user if actor else None
        self.actor_id = user.pk if user else None
        self.label = user.get_username() if user else (f"<{actor.via}>" if actor else "<system>")
        self.ip = actor.ip_address if actor else None
        self.via = actor.via if actor else ""
        self.note = note
        self.person_projects = person_projects
        self.rows: list[dict[str, Any]] = []

    def _scope(self, obj: Any) -> tuple[int | None, int | None]:
        """(project_id, company_id) as ``audit._scope_of`` files them, without its query per person:
        a worker's (and their card's) entries go under the registering company and the project they are
        on now — known here from the import's own rows."""
        label = obj._meta.label
        if label in {"workers.Worker", "workers.BankAccount"}:
            worker = obj if label == "workers.Worker" else obj.worker
            return self.person_projects.get(id(worker)), worker.registered_by_company_id
        return getattr(obj, "project_id", None), getattr(obj, "company_id", None)

    def add(self, action: str, obj: Any, changes: dict[str, Any], note: str = "") -> None:
        project_id, company_id = self._scope(obj)
        self.rows.append(
            {
                "at": None,  # stamped on insert, as auto_now_add does
                "actor_id": self.actor_id,
                "actor_label": self.label,
                "ip_address": self.ip,
                "via": self.via,
                "action": str(action),
                "object_type": obj._meta.label,
                "object_id": str(obj.public_id),
                "object_repr": str(obj)[:200],
                "project_id": project_id,
                "company_id": company_id,
                "changes": changes,
                "note": (note or self.note)[:300],
            }
        )

    def created(self, obj: Any) -> None:
        self.add(AuditAction.CREATE, obj, audit.snapshot(obj))

    def updated(self, change: _Change) -> None:
        after = audit.snapshot(change.obj, change.fields)
        self.add(AuditAction.UPDATE, change.obj, audit.diff(change.before, after), change.note)


def _bulk_update(model: type[Any], changes: list[_Change], now: dt.datetime) -> None:
    if not changes:
        return
    names: set[str] = {"updated_at"}
    for change in changes:
        change.obj.updated_at = now
        names |= change.fields
    model.objects.bulk_update([c.obj for c in changes], sorted(names), batch_size=500)


def _insert_workers(workers: list[Worker], now: dt.datetime) -> None:
    """The new workers, then their new primary keys (read back by blind index, which is unique)."""
    insert_rows(Worker, [w.__dict__ for w in workers], now)
    by_index = {w.id_number_index: w for w in workers}
    alias = router.db_for_write(Worker)
    for chunk in _chunks(list(by_index)):
        keys = Worker.objects.filter(id_number_index__in=chunk).values_list("id_number_index", "pk")
        for index, pk in keys:
            worker = by_index[index]
            worker.pk = pk
            worker._state.adding = False
            worker._state.db = alias


def _apply(plan: _Plan, report: ImportReport) -> None:
    note = f"{_IMPORT_NOTE}：{report.filename}" if report.filename else _IMPORT_NOTE
    auditor = _Auditor(note, plan.person_projects)
    now = timezone.now()
    created_teams: dict[str, Team] = {}
    for name, participant in plan.new_teams.items():
        created_teams[name] = org_services.create_team(participant=participant, name=name)
    _insert_workers(plan.new_workers, now)
    _bulk_update(Worker, plan.worker_changes, now)
    # Order matters for "one current card per worker": demote first, then promote, then add.
    _bulk_update(BankAccount, plan.demoted_cards, now)
    _bulk_update(BankAccount, plan.card_changes, now)
    for account in plan.new_cards:
        account.worker = account.worker  # the new worker's key, now that it has one
    insert_rows(BankAccount, [a.__dict__ for a in plan.new_cards], now)
    for employment, team_name in plan.pending_teams:
        employment.team = created_teams[team_name]
    _bulk_update(Employment, plan.employment_changes, now)
    for employment in plan.new_employments:
        employment.worker = employment.worker
    insert_rows(Employment, [e.__dict__ for e in plan.new_employments], now)

    for worker in plan.new_workers:
        auditor.created(worker)
    for account in plan.new_cards:
        auditor.created(account)
    for employment in plan.new_employments:
        auditor.created(employment)
    for change in (*plan.worker_changes, *plan.demoted_cards, *plan.card_changes, *plan.employment_changes):
        auditor.updated(change)
    insert_rows(AuditEntry, auditor.rows, now)
    # New and changed employments and workers get their admission decided by the worker's job (a big
    # import is not held up deciding thousands of people after its commit).
    inputs_changed(
        worker_ids=[
            *(e.worker_id for e in plan.new_employments),
            *(change.obj.worker_id for change in plan.employment_changes),
            *(change.obj.pk for change in plan.worker_changes),
        ],
        after_commit=False,
    )


def _count(plan: _Plan, report: ImportReport) -> None:
    report.workers_created = len(plan.new_workers)
    report.workers_updated = len(plan.worker_changes)
    report.employments_created = len(plan.new_employments)
    report.employments_updated = len(plan.employment_changes)
    report.cards_changed = len(plan.new_cards) + len(plan.card_changes)
    report.teams_created = list(plan.new_teams)
    for name, participant in plan.new_teams.items():
        report.notices.append(f"新建班组：{name}（{participant.company.name}）")


_gc_lock = threading.Lock()
_gc_holders = 0
_gc_was_enabled = False


@contextmanager
def _gc_paused() -> Iterator[None]:
    """The cyclic garbage collector off while an import builds its tens of thousands of objects.

    They form no garbage cycles, yet each allocation burst triggers collections that rescan all of them:
    about a tenth of a 10,000-row import. Process-wide, so nested or concurrent imports (threads) count
    holders, and the collector's previous state comes back when the last one leaves.
    """
    global _gc_holders, _gc_was_enabled
    with _gc_lock:
        if _gc_holders == 0:
            _gc_was_enabled = gc.isenabled()
            gc.disable()
        _gc_holders += 1
    try:
        yield
    finally:
        with _gc_lock:
            _gc_holders -= 1
            if _gc_holders == 0 and _gc_was_enabled:
                gc.enable()


def import_workers(
    *,
    project: Project,
    source: str | os.PathLike[str] | IO[bytes],
    user: Any,
    filename: str = "",
    dry_run: bool = False,
) -> ImportReport:
    """Import the worker spreadsheet ``source`` into ``project``: everything or, on any error, nothing.

    ``user`` is the person importing (their scope decides which participants they may import for);
    ``None`` means the operator running a management command, with platform scope. The audit log's actor is
    the current actor (``realname.core.context``), as for every other write.
    """
    if (
        user is not None
        and not restrict(Project.objects.filter(pk=project.pk), user, Perm.WORKERS_CHANGE).exists()
    ):
        raise PermissionDenied
    if not filename:
        name = source if isinstance(source, (str, os.PathLike)) else getattr(source, "name", "")
        filename = os.path.basename(str(name or ""))
    report = ImportReport(filename=filename, dry_run=dry_run)
    with _gc_paused():
        _import(project, source, user, report)
    return report


def _import(project: Project, source: Any, user: Any, report: ImportReport) -> None:
    sheet = _read_sheet(source, report)
    if sheet is None:
        return
    parser = _RowParser(report)
    rows = [parser.parse(number, cells) for number, cells in sheet.rows]
    report.rows = len(rows)
    try:
        with transaction.atomic():
            plan = _Planner(project, user, report).build(rows)
            report.errors.sort(key=lambda issue: issue.row or 0)
            if report.errors:
                return
            _count(plan, report)
            if report.dry_run:
                return
            _apply(plan, report)
            if report.changed:
                audit.record(
                    AuditAction.IMPORT,
                    project,
                    changes={
                        "rows": report.rows,
                        "workers_created": report.workers_created,
                        "workers_updated": report.workers_updated,
                        "employments_created": report.employments_created,
                        "employments_updated": report.employments_updated,
                        "cards_changed": report.cards_changed,
                        "teams_created": report.teams_created,
                    },
                    note=f"{_IMPORT_NOTE}：{report.filename}"[:300],
                )
    except IntegrityError:
        report.error(
            None, "", "", "导入期间这些工人的数据被同时修改（例如另一次导入），未导入任何数据，请重新导入"
        )
        return
    report.imported = True
