"""Writing a wage batch (代发批次) for the bank: Excel and CSV in a bank's layout, and ISO 20022
pain.001.001.03 (pure: no ORM queries; docs/bank.md).

Every writer first checks the batch (``check_batch``): lines present, references unique, amounts positive
with at most two decimals, and the count and total equal to the header's — a file whose sum differs from
the pay sheet it came from is never written.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
import xml.etree.ElementTree as ET  # noqa: S405 — we only write XML here, never parse untrusted input
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

from realname.bank.layouts import BankFileError, LayoutSource, LayoutSpec, spec_of
from realname.core import dictionaries
from realname.core.masking import mask_bank_card

CURRENCY = "CNY"
PAIN_001_NS = "urn:iso:std:iso:20022:tech:xsd:pain.001.001.03"
CENT = Decimal("0.01")
# Our references travel through every bank's system and come back in the return file: keep them plain.
REFERENCE = re.compile(r"[A-Za-z0-9_-]{1,35}")
CARD = re.compile(r"\d{8,34}")
MAX_NAME = 140  # ISO 20022 Max140Text (Nm, Ustrd)
MAX_AMOUNT = Decimal("99999999999.99")

MONEY_FORMAT = "0.00"
TEXT_FORMAT = "@"


@dataclass(frozen=True)
class BatchHeader:
    """The batch as a whole: who pays from which account, when, how many lines and how much in all."""

    reference: str  # batch reference (MsgId / PmtInfId)
    created_at: dt.datetime  # aware
    execution_date: dt.date  # requested execution date (期望发放日期)
    payer_name: str  # 专户户名
    payer_account: str  # 专户账号
    payer_bank_code: str  # 专户开户银行类别
    payer_branch: str  # 专户开户网点
    count: int  # number of lines the pay sheet says
    control_sum: Decimal  # total the pay sheet says
    purpose: str = "代发工资"
    currency: str = CURRENCY


@dataclass(frozen=True)
class ExportLine:
    """One payment to one worker's own card. ``card_number`` is in clear only in memory and in the file."""

    seq: int
    reference: str
    name: str
    card_number: str
    bank_code: str
    bank_name: str
    amount: Decimal
    memo: str = ""

    def __repr__(self) -> str:  # never the card number in clear in a log or a traceback
        return (
            f"ExportLine(seq={self.seq}, reference={self.reference!r}, "
            f"card={mask_bank_card(self.card_number)!r}, amount={self.amount})"
        )


def check_batch(header: BatchHeader, lines: Sequence[ExportLine]) -> None:
    """Raise ``BankFileError`` listing every reason the batch may not be written."""
    errors: list[str] = []
    if header.created_at.tzinfo is None or header.created_at.utcoffset() is None:
        errors.append(_("批次创建时间缺少时区"))
    if not REFERENCE.fullmatch(header.reference):
        errors.append(_("批次号应为 1 到 35 位字母、数字、- 或 _"))
    if header.currency != CURRENCY:
        errors.append(_("只支持人民币（CNY）代发"))
    if not header.payer_name.strip():
        errors.append(_("缺少付款账户户名（农民工工资专用账户）"))
    if len(header.payer_name) > MAX_NAME:
        errors.append(_("付款账户户名超过 %(max)s 个字") % {"max": MAX_NAME})
    if not CARD.fullmatch(header.payer_account):
        errors.append(_("付款账号应为 8 到 34 位数字"))
    if header.payer_bank_code not in dictionaries.table("bank_codes"):
        errors.append(_("付款账户的开户银行类别未填写或不在字典中"))
    if len(header.purpose) > MAX_NAME:
        errors.append(_("用途超过 %(max)s 个字") % {"max": MAX_NAME})
    if _has_control_characters(header.payer_name, header.payer_branch, header.purpose):
        errors.append(_("付款账户信息或用途含有控制字符"))
    if not lines:
        errors.append(_("批次中没有代发明细"))
    seen: set[str] = set()
    total = Decimal(0)
    for number, line in enumerate(lines, start=1):
        where = _("第%(n)s笔") % {"n": number}
        if line.reference in seen:
            errors.append(_("%(where)s：业务参考号“%(ref)s”重复") % {"where": where, "ref": line.reference})
        seen.add(line.reference)
        if not REFERENCE.fullmatch(line.reference):
            errors.append(_("%(where)s：业务参考号应为 1 到 35 位字母、数字、- 或 _") % {"where": where})
        if not line.name.strip() or len(line.name) > MAX_NAME:
            errors.append(
                _("%(where)s：收款人姓名应为 1 到 %(max)s 个字") % {"where": where, "max": MAX_NAME}
            )
        if not CARD.fullmatch(line.card_number):
            errors.append(
                _("%(where)s：收款账号应为 8 到 34 位数字（%(card)s）")
                % {"where": where, "card": mask_bank_card(line.card_number)}
            )
        if not line.bank_name.strip() or len(line.bank_name) > MAX_NAME:
            errors.append(_("%(where)s：缺少收款银行") % {"where": where})
        if line.bank_code and line.bank_code not in dictionaries.table("bank_codes"):
            errors.append(
                _("%(where)s：银行类别代码“%(code)s”不在字典中") % {"where": where, "code": line.bank_code}
            )
        if len(line.memo) > MAX_NAME:
            errors.append(_("%(where)s：用途超过 %(max)s 个字") % {"where": where, "max": MAX_NAME})
        if _has_control_characters(line.name, line.bank_name, line.memo):
            errors.append(_("%(where)s：姓名、收款银行或用途含有控制字符") % {"where": where})
        amount_error = _amount_error(line.amount)
        if amount_error:
            errors.append(f"{where}：{amount_error}")
        else:
            total += line.amount
    if lines and header.count != len(lines):
        errors.append(
            _("笔数不符：批次记为 %(expected)s 笔，明细为 %(actual)s 笔")
            % {"expected": header.count, "actual": len(lines)}
        )
    if lines and not any(_amount_error(line.amount) for line in lines) and total != header.control_sum:
        errors.append(
            _("总金额不符：批次记为 %(expected)s 元，明细合计 %(actual)s 元")
            % {"expected": _money(header.control_sum), "actual": _money(total)}
        )
    if errors:
        raise BankFileError(errors)


def _has_control_characters(*texts: str) -> bool:
    """Tabs, line breaks and other control characters break a CSV row and are not allowed in XML 1.0."""
    return any(ord(char) < 32 or ord(char) == 127 for text in texts for char in text)


def _amount_error(amount: Decimal) -> str:
    if not isinstance(amount, Decimal) or not amount.is_finite():
        return _("金额不是有效数字")
    if amount <= 0:
        return _("金额须大于 0（%(amount)s）") % {"amount": amount}
    if amount != amount.quantize(CENT):
        return _("金额最多两位小数（%(amount)s）") % {"amount": amount}
    if amount > MAX_AMOUNT:
        return _("金额过大（%(amount)s）") % {"amount": amount}
    return ""


def _money(amount: Decimal) -> str:
    if not amount.is_finite():
        return str(amount)
    return str(amount.quantize(CENT))


def _payer_bank(header: BatchHeader) -> str:
    """The wage account's bank and branch, e.g. 中国建设银行北京分行营业部 (the bank named once)."""
    bank = dictionaries.label("bank_codes", header.payer_bank_code)
    branch = header.payer_branch.strip()
    if branch.startswith(bank):
        return branch
    return " ".join(part for part in (bank, branch) if part)


def _cell(line: ExportLine, field: str, value: str) -> object:
    """The value of one export column for one line (amount stays a Decimal, seq an int)."""
    match field:
        case "seq":
            return line.seq
        case "reference":
            return line.reference
        case "name":
            return line.name
        case "card_number":
            return line.card_number
        case "bank_code":
            return line.bank_code
        case "bank_name":
            return line.bank_name
        case "amount":
            return line.amount.quantize(CENT)
        case "currency":
            return CURRENCY
        case "memo":
            return line.memo
        case "constant":
            return value
    raise BankFileError([_("未知的导出字段“%(field)s”") % {"field": field}])


def to_xlsx(header: BatchHeader, lines: Sequence[ExportLine], layout: LayoutSpec | LayoutSource) -> bytes:
    """An Excel workbook: (optionally) the payer account, count and total, then the column titles and one
    row per line. Money is a number shown with two decimals; card numbers and references are text."""
    spec = spec_of(layout)
    check_batch(header, lines)
    book = Workbook()
    sheet = book.active
    assert sheet is not None  # a new workbook always has its first sheet
    sheet.title = _("代发明细")
    bold = Font(bold=True)
    if spec.xlsx_summary:
        summary: list[tuple[str, object, str | None]] = [
            (_("批次号"), header.reference, TEXT_FORMAT),
            (_("付款户名"), header.payer_name, None),
            (_("付款账号"), header.payer_account, TEXT_FORMAT),
            (_("开户银行"), _payer_bank(header), None),
            (_("期望发放日期"), header.execution_date, "yyyy-mm-dd"),
            (_("用途"), header.purpose, None),
            (_("币种"), header.currency, None),
            (_("笔数"), header.count, "0"),
            (_("总金额"), header.control_sum.quantize(CENT), MONEY_FORMAT),
        ]
        for label, value, number_format in summary:
            sheet.append([label, value])
            row = sheet.max_row
            sheet.cell(row=row, column=1).font = bold
            if number_format:
                sheet.cell(row=row, column=2).number_format = number_format
        sheet.append([])
    sheet.append([column.title for column in spec.columns])
    title_row = sheet.max_row
    for index in range(1, len(spec.columns) + 1):
        sheet.cell(row=title_row, column=index).font = bold
    for line in lines:
        sheet.append([_cell(line, column.field, column.value) for column in spec.columns])
        row = sheet.max_row
        for index, column in enumerate(spec.columns, start=1):
            cell = sheet.cell(row=row, column=index)
            if column.field == "amount":
                cell.number_format = MONEY_FORMAT
            elif column.field != "seq":
                # Text, so that Excel keeps all 19 digits of a card number and the leading zeros of a code;
                # and text even when it starts with "=" (openpyxl would otherwise write a formula).
                cell.number_format = TEXT_FORMAT
                cell.data_type = "s"
    for index, column in enumerate(spec.columns, start=1):
        width = {"card_number": 24, "reference": 24, "name": 14, "bank_name": 24, "memo": 24}.get(
            column.field
        )
        sheet.column_dimensions[get_column_letter(index)].width = width or max(10, len(column.title) * 2 + 2)
    sheet.freeze_panes = sheet.cell(row=title_row + 1, column=1)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def to_csv(header: BatchHeader, lines: Sequence[ExportLine], layout: LayoutSpec | LayoutSource) -> bytes:
    """A CSV file in the layout's encoding and delimiter: the column titles, then one row per line.
    A character the encoding cannot hold is an error naming the line — never a silent replacement."""
    spec = spec_of(layout)
    check_batch(header, lines)
    errors: list[str] = []
    titles = [column.title for column in spec.columns]
    for title in titles:
        _unencodable(title, spec.encoding, _("列名“%(title)s”") % {"title": title}, errors)
    rows: list[list[str]] = []
    for number, line in enumerate(lines, start=1):
        row: list[str] = []
        for column in spec.columns:
            value = _cell(line, column.field, column.value)
            text = f"{value:.2f}" if isinstance(value, Decimal) else str(value)
            where = _("第%(n)s笔（业务参考号 %(ref)s）的%(title)s“%(text)s”") % {
                "n": number,
                "ref": line.reference,
                "title": column.title,
                "text": text if column.field != "card_number" else mask_bank_card(text),
            }
            _unencodable(text, spec.encoding, where, errors)
            row.append(text)
        rows.append(row)
    if errors:
        raise BankFileError(errors)
    out = io.StringIO(newline="")
    writer = csv.writer(out, delimiter=spec.delimiter, lineterminator="\r\n")
    writer.writerow(titles)
    writer.writerows(rows)
    return out.getvalue().encode(spec.encoding)


def _unencodable(text: str, encoding: str, where: str, errors: list[str]) -> None:
    bad = sorted({char for char in text if not _encodes(char, encoding)})
    if bad:
        errors.append(
            _(
                "%(where)s含有 %(encoding)s 编码无法表示的字符“%(chars)s”；"
                "请与银行确认能否改用 GB18030 或 UTF-8"
            )
            % {"where": where, "encoding": encoding.upper(), "chars": "".join(bad)}
        )


def _encodes(char: str, encoding: str) -> bool:
    try:
        char.encode(encoding)
    except UnicodeEncodeError:
        return False
    return True


def to_pain001(header: BatchHeader, lines: Sequence[ExportLine]) -> bytes:
    """ISO 20022 pain.001.001.03 CustomerCreditTransferInitiation: one payment information block paid from
    the wage account, one credit transfer per line. Chinese accounts are not IBANs, so accounts go in
    ``Othr/Id``; banks are named (``Nm``) with the 3-digit PBOC category code in ``Othr/Id``."""
    check_batch(header, lines)
    ET.register_namespace("", PAIN_001_NS)

    def sub(parent: ET.Element, tag: str, text: str | None = None, **attrib: str) -> ET.Element:
        element = ET.SubElement(parent, f"{{{PAIN_001_NS}}}{tag}", attrib)
        if text is not None:
            element.text = text
        return element

    def agent(parent: ET.Element, tag: str, name: str, code: str) -> None:
        institution = sub(sub(parent, tag), "FinInstnId")
        if name:
            sub(institution, "Nm", name[:MAX_NAME])
        if code:
            other = sub(institution, "Othr")
            sub(other, "Id", code)
            sub(other, "Issr", "PBOC")  # 中国人民银行 bank category code (bank_codes dictionary)

    def account(parent: ET.Element, tag: str, number: str, currency: str | None = None) -> None:
        element = sub(parent, tag)
        sub(sub(sub(element, "Id"), "Othr"), "Id", number)
        if currency:
            sub(element, "Ccy", currency)

    count = str(len(lines))
    total = _money(sum((line.amount for line in lines), Decimal(0)))
    root = ET.Element(f"{{{PAIN_001_NS}}}Document")
    initiation = sub(root, "CstmrCdtTrfInitn")
    group = sub(initiation, "GrpHdr")
    sub(group, "MsgId", header.reference)
    sub(group, "CreDtTm", header.created_at.isoformat(timespec="seconds"))
    sub(group, "NbOfTxs", count)
    sub(group, "CtrlSum", total)
    sub(sub(group, "InitgPty"), "Nm", header.payer_name)

    payment = sub(initiation, "PmtInf")
    sub(payment, "PmtInfId", header.reference)
    sub(payment, "PmtMtd", "TRF")
    sub(payment, "BtchBookg", "true")
    sub(payment, "NbOfTxs", count)
    sub(payment, "CtrlSum", total)
    sub(sub(sub(payment, "PmtTpInf"), "CtgyPurp"), "Cd", "SALA")  # salary payment
    sub(payment, "ReqdExctnDt", header.execution_date.isoformat())
    sub(sub(payment, "Dbtr"), "Nm", header.payer_name)
    account(payment, "DbtrAcct", header.payer_account, header.currency)
    agent(payment, "DbtrAgt", _payer_bank(header), header.payer_bank_code)

    for line in lines:
        transfer = sub(payment, "CdtTrfTxInf")
        identification = sub(transfer, "PmtId")
        sub(identification, "InstrId", line.reference)
        sub(identification, "EndToEndId", line.reference)
        sub(sub(transfer, "Amt"), "InstdAmt", _money(line.amount), Ccy=header.currency)
        agent(transfer, "CdtrAgt", line.bank_name, line.bank_code)
        sub(sub(transfer, "Cdtr"), "Nm", line.name)
        account(transfer, "CdtrAcct", line.card_number)
        sub(sub(transfer, "Purp"), "Cd", "SALA")
        sub(sub(transfer, "RmtInf"), "Ustrd", line.memo or header.purpose)
    ET.indent(root)
    return ET.tostring(root, encoding="utf-8", xml_declaration=True)
