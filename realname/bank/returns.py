"""Reading a bank's return file (回盘文件) and pairing it with the batch (pure: no ORM queries).

``parse_return`` reads the rows as the bank wrote them, mapped by the layout; anything it cannot read for
sure — a missing column, an amount that is not a number, a status the layout does not name — is an error
with the row number, never a guess. ``match_returns`` pairs rows with our lines by reference only, and
flags (never silently accepts) a row whose name, card or amount differs from what we sent.
"""

from __future__ import annotations

import csv
import datetime as dt
import enum
import io
import re
import unicodedata
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from pathlib import PurePath

from django.utils.translation import gettext as _
from openpyxl import load_workbook
from openpyxl.utils.exceptions import InvalidFileException

from realname.bank.layouts import BankFileError, LayoutSource, LayoutSpec, ReturnMapping, spec_of
from realname.core.masking import mask_bank_card
from realname.core.text import listed

CENT = Decimal("0.01")
MAX_ERRORS = 50
_NUMBER = re.compile(r"-?\d+(?:\.\d+)?")
_MASKED_CARD = re.compile(r"(\d*)\D+(\d*)")
_DOTS = str.maketrans({"•": "·", "‧": "·", "・": "·", "．": "·", ".": "·", "﹒": "·"})


@dataclass(frozen=True)
class ReturnRow:
    """One row of a return file, as the bank wrote it. ``name`` / ``card_number`` are None when the layout
    maps no such column; a card number may be masked by the bank and is kept as given."""

    row: int  # row number in the file, as a spreadsheet shows it
    reference: str
    name: str | None
    card_number: str | None
    amount: Decimal
    paid: bool
    status: str
    reason: str

    def __repr__(self) -> str:  # the bank may send the card number in clear: keep it out of logs
        return (
            f"ReturnRow(row={self.row}, reference={self.reference!r}, amount={self.amount}, "
            f"paid={self.paid}, status={self.status!r})"
        )


def parse_return(data: bytes, filename: str, layout: LayoutSpec | LayoutSource) -> list[ReturnRow]:
    """The rows of a return file (.xlsx or .csv), in file order; ``BankFileError`` lists every problem."""
    spec = spec_of(layout)
    suffix = PurePath(filename).suffix.lower()
    if suffix in (".xlsx", ".xlsm"):
        rows = _xlsx_rows(data)
    elif suffix in (".csv", ".txt"):
        rows = _csv_rows(data, spec)
    elif suffix == ".xls":
        raise BankFileError([_("不支持旧版 .xls 文件，请在 Excel 中另存为 .xlsx 或 .csv 后上传")])
    else:
        raise BankFileError([_("回盘文件应为 .xlsx 或 .csv 文件")])
    return _read_rows(rows, spec.returns)


Cell = str | int | float | Decimal | dt.datetime | dt.date | dt.time | bool | None


def _xlsx_rows(data: bytes) -> list[tuple[Cell, ...]]:
    try:
        book = load_workbook(io.BytesIO(data), read_only=False, data_only=True)
    except (zipfile.BadZipFile, InvalidFileException, KeyError, OSError, ValueError):
        raise BankFileError([_("无法读取 Excel 文件，请确认是 .xlsx 格式")]) from None
    sheet = book.worksheets[0]
    return [tuple(row) for row in sheet.iter_rows(min_row=1, values_only=True)]


def _csv_rows(data: bytes, spec: LayoutSpec) -> list[tuple[Cell, ...]]:
    # A bank's own encoding first only when it cannot be UTF-8; GBK files are read as GB18030 (a superset).
    encodings = ["utf-8-sig"]
    fallback = "gb18030" if spec.encoding == "gbk" else spec.encoding
    if fallback not in ("utf-8", "utf-8-sig"):
        encodings.append(fallback)
    for encoding in encodings:
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError:
            continue
        return [tuple(row) for row in csv.reader(io.StringIO(text, newline=""), delimiter=spec.delimiter)]
    raise BankFileError(
        [_("无法识别文件编码：既不是 UTF-8，也不是 %(encoding)s") % {"encoding": spec.encoding.upper()}]
    )


def _text(value: Cell) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()
    return str(value).strip().strip("\ufeff").strip()


def _title(value: Cell) -> str:
    return _text(value).replace("\u3000", " ").strip()


def _blank(row: Sequence[Cell]) -> bool:
    return all(_text(value) == "" for value in row)


def _amount(value: Cell) -> Decimal | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int | Decimal):
        amount = Decimal(value)
    elif isinstance(value, float):
        amount = Decimal(repr(value))
    elif isinstance(value, str):
        text = re.sub(r"[\s,，¥￥元]", "", value)
        if not _NUMBER.fullmatch(text):
            return None
        try:
            amount = Decimal(text)
        except InvalidOperation:
            return None
    else:
        return None
    if not amount.is_finite() or amount < 0 or amount != amount.quantize(CENT):
        return None
    return amount.quantize(CENT)


def _read_rows(rows: list[tuple[Cell, ...]], mapping: ReturnMapping) -> list[ReturnRow]:
    errors: list[str] = []
    columns: dict[str, int] = {}
    titled = {field: where for field, where in mapping.columns.items() if isinstance(where, str)}
    if titled:
        if len(rows) < mapping.header_rows:
            raise BankFileError([_("文件行数少于表头行数（%(n)s 行）") % {"n": mapping.header_rows}])
        header = [_title(value) for value in rows[mapping.header_rows - 1]]
        for field, title in titled.items():
            positions = [index for index, found in enumerate(header) if found == title]
            if not positions:
                errors.append(
                    _("第%(row)s行找不到列“%(title)s”（该行的列名：%(found)s）")
                    % {
                        "row": mapping.header_rows,
                        "title": title,
                        "found": listed(found for found in header if found) or _("空"),
                    }
                )
            elif len(positions) > 1:
                errors.append(_("列名“%(title)s”出现了不止一次") % {"title": title})
            else:
                columns[field] = positions[0]
    for field, where in mapping.columns.items():
        if isinstance(where, int):
            columns[field] = where - 1
    if errors:
        raise BankFileError(errors)

    body = list(enumerate(rows, start=1))[mapping.header_rows :]
    while body and _blank(body[-1][1]):
        body.pop()
    if mapping.footer_rows:
        body = body[: -mapping.footer_rows]

    def cell(row: Sequence[Cell], field: str) -> Cell:
        index = columns.get(field)
        if index is None or index >= len(row):
            return None
        return row[index]

    result: list[ReturnRow] = []
    paid_values = listed(mapping.paid_values)
    failed_values = listed(mapping.failed_values) or _("（其他状态）")
    if mapping.failed_values and mapping.other_status_failed:
        failed_values += _("及其他状态")
    for number, row in body:
        if _blank(row):
            continue
        problems: list[str] = []
        reference = _text(cell(row, "reference"))
        if not reference:
            problems.append(_("缺少业务参考号"))
        raw_amount = cell(row, "amount")
        amount = _amount(raw_amount)
        if amount is None:
            problems.append(_("金额“%(value)s”无法识别") % {"value": _text(raw_amount)})
        status = _text(cell(row, "status"))
        paid = mapping.status_means_paid(status)
        if paid is None:
            problems.append(
                _("状态“%(status)s”不是已知的状态（成功：%(paid)s；失败：%(failed)s）")
                % {"status": status, "paid": paid_values, "failed": failed_values}
            )
        if problems:
            errors.extend(_("第%(row)s行：%(problem)s") % {"row": number, "problem": p} for p in problems)
            continue
        assert amount is not None and paid is not None
        result.append(
            ReturnRow(
                row=number,
                reference=reference,
                name=_text(cell(row, "name")) if "name" in columns else None,
                card_number=_text(cell(row, "card_number")) if "card_number" in columns else None,
                amount=amount,
                paid=paid,
                status=status,
                reason=_text(cell(row, "reason")),
            )
        )
    if errors:
        if len(errors) > MAX_ERRORS:
            errors = [*errors[:MAX_ERRORS], _("……共 %(n)s 处错误") % {"n": len(errors)}]
        raise BankFileError(errors)
    if not result:
        raise BankFileError([_("回盘文件中没有明细")])
    return result


# --- matching -------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ExpectedLine:
    """A line of our batch as sent: what a return row for its reference should say."""

    reference: str
    name: str
    card_number: str
    amount: Decimal

    def __repr__(self) -> str:
        return f"ExpectedLine(reference={self.reference!r}, amount={self.amount})"


class Outcome(enum.StrEnum):
    PAID = "paid"
    FAILED = "failed"
    MISSING = "missing"  # no row in the return file for this line


@dataclass(frozen=True)
class Mismatch:
    """A return row that differs from the line it names (or repeats it); shown with card numbers masked."""

    row: int
    reference: str
    field: str  # "name", "card_number", "amount" or "duplicate"
    expected: str
    given: str
    message: str


@dataclass(frozen=True)
class LineResult:
    reference: str
    outcome: Outcome
    reason: str  # the bank's reason for a failure
    row: ReturnRow | None
    mismatches: tuple[Mismatch, ...]

    @property
    def confirmed(self) -> bool:
        """The bank's word for this line can be taken as it is: a row, and nothing differs."""
        return self.row is not None and not self.mismatches


@dataclass(frozen=True)
class MatchResult:
    lines: tuple[LineResult, ...]  # one per expected line, in the batch's order
    unknown: tuple[ReturnRow, ...]  # rows whose reference is not in the batch
    duplicates: tuple[ReturnRow, ...]  # second and later rows for the same reference

    def with_outcome(self, outcome: Outcome) -> list[LineResult]:
        return [line for line in self.lines if line.outcome is outcome]

    @property
    def mismatches(self) -> list[Mismatch]:
        return [mismatch for line in self.lines for mismatch in line.mismatches]

    @property
    def clean(self) -> bool:
        """Every line answered, nothing differs, nothing unknown or repeated."""
        return all(line.confirmed for line in self.lines) and not self.unknown and not self.duplicates


def match_returns(expected: Sequence[ExpectedLine], rows: Sequence[ReturnRow]) -> MatchResult:
    """Pair return rows with our lines by reference, and say for each line paid / failed / missing."""
    references = [line.reference for line in expected]
    if len(set(references)) != len(references):
        raise BankFileError([_("批次中的业务参考号重复，无法核对回盘")])
    by_reference: dict[str, list[ReturnRow]] = {}
    for row in rows:
        by_reference.setdefault(row.reference.strip(), []).append(row)
    known = set(references)
    unknown = tuple(row for row in rows if row.reference.strip() not in known)
    duplicates: list[ReturnRow] = []
    lines: list[LineResult] = []
    for line in expected:
        found = by_reference.get(line.reference, [])
        if not found:
            lines.append(LineResult(line.reference, Outcome.MISSING, "", None, ()))
            continue
        first, *again = found
        duplicates.extend(again)
        mismatches = _compare(line, first)
        mismatches.extend(
            Mismatch(
                row=row.row,
                reference=line.reference,
                field="duplicate",
                expected=str(first.row),
                given=str(row.row),
                message=_("第%(row)s行与第%(first)s行是同一笔（业务参考号 %(ref)s）")
                % {"row": row.row, "first": first.row, "ref": line.reference},
            )
            for row in again
        )
        if first.paid:
            lines.append(LineResult(line.reference, Outcome.PAID, "", first, tuple(mismatches)))
        else:
            reason = first.reason or first.status or _("银行未说明原因")
            lines.append(LineResult(line.reference, Outcome.FAILED, reason, first, tuple(mismatches)))
    return MatchResult(lines=tuple(lines), unknown=unknown, duplicates=tuple(duplicates))


def _compare(line: ExpectedLine, row: ReturnRow) -> list[Mismatch]:
    found: list[Mismatch] = []

    def flag(field: str, expected: str, given: str, message: str) -> None:
        found.append(Mismatch(row.row, line.reference, field, expected, given, message))

    if row.amount != line.amount:
        flag(
            "amount",
            str(line.amount),
            str(row.amount),
            _("第%(row)s行金额 %(given)s 与代发金额 %(expected)s 不符")
            % {"row": row.row, "given": row.amount, "expected": line.amount},
        )
    if row.name is not None and not names_match(line.name, row.name):
        flag(
            "name",
            line.name,
            row.name,
            _("第%(row)s行户名“%(given)s”与收款人“%(expected)s”不符")
            % {"row": row.row, "given": row.name, "expected": line.name},
        )
    if row.card_number is not None and not cards_match(line.card_number, row.card_number):
        expected, given = mask_bank_card(line.card_number), _shown_card(row.card_number)
        flag(
            "card_number",
            expected,
            given,
            _("第%(row)s行账号 %(given)s 与收款账号 %(expected)s 不符")
            % {"row": row.row, "given": given or _("（空）"), "expected": expected},
        )
    return found


def _shown_card(card: str) -> str:
    compact = re.sub(r"[\s-]", "", card)
    return mask_bank_card(compact) if compact.isdigit() else card


def _name_key(name: str) -> str:
    return re.sub(r"\s", "", unicodedata.normalize("NFKC", name)).translate(_DOTS)


def names_match(expected: str, given: str) -> bool:
    """Equal after width, space and middle-dot differences; a bank's ``*`` hides one or more characters."""
    want, got = _name_key(expected), _name_key(given)
    if "*" not in got:
        return want == got
    pattern = "".join(
        ".+" if part.startswith("*") else re.escape(part) for part in re.split(r"(\*+)", got) if part
    )
    return re.fullmatch(pattern, want) is not None


def cards_match(expected: str, given: str) -> bool:
    """Full numbers must be equal. A masked number (``6222 **** **** 1234``) must show at least its last
    four digits, and the digits it shows at either end must be ours."""
    want = re.sub(r"\D", "", expected)
    got = re.sub(r"[\s-]", "", given)
    if got.isdigit():
        return got == want
    masked = _MASKED_CARD.fullmatch(got)
    if masked is None:
        return False
    head, tail = masked.groups()
    if len(tail) < 4 or len(head) + len(tail) > len(want):
        return False
    return want.startswith(head) and want.endswith(tail)
