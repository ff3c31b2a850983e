"""Writing batches: Excel and CSV in a layout, pain.001 validated against the published XSD, and the checks
that refuse a batch before anything is written."""

from __future__ import annotations

import copy
import csv
import dataclasses
import importlib.resources
import io
import xml.etree.ElementTree as ET  # noqa: S405 — parses only XML these tests just wrote
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import openpyxl
import pytest
import xmlschema

from realname.bank import formats
from realname.bank.formats import to_csv, to_pain001, to_xlsx
from realname.bank.layouts import BankFileError
from realname.bank.tests.samples import CARD_16, CARD_19, generic, header, line, three_lines

NS = {"p": formats.PAIN_001_NS}


@pytest.fixture(scope="module")
def pain_schema() -> Iterator[xmlschema.XMLSchema]:
    resource = importlib.resources.files("sepaxml") / "schemas" / "pain.001.001.03.xsd"
    with importlib.resources.as_file(resource) as path:
        yield xmlschema.XMLSchema(str(path))


def read_sheet(data: bytes) -> list[tuple[Any, ...]]:
    sheet = openpyxl.load_workbook(io.BytesIO(data)).worksheets[0]
    return [tuple(row) for row in sheet.iter_rows(values_only=True)]


def parse_xml(data: bytes) -> ET.Element:
    return ET.fromstring(data)  # noqa: S314 — our own output, not untrusted input


# --- Excel -------------------------------------------------------------------------------------------------


def test_the_excel_file_has_the_payer_count_and_total_then_the_titles_and_lines() -> None:
    lines = three_lines()
    rows = read_sheet(to_xlsx(header(lines), lines, generic()))
    summary = {row[0]: row[1] for row in rows[:9]}
    assert summary["付款户名"] == "某建设集团有限公司某项目农民工工资专用账户"
    assert summary["付款账号"] == "11050162540000000123"
    assert summary["开户银行"] == "中国建设银行北京分行营业部"  # the branch already names the bank
    assert summary["笔数"] == 3
    assert Decimal(str(summary["总金额"])) == Decimal("10070.51")
    assert summary["批次号"] == "B202611"
    assert all(value is None for value in rows[9])  # one blank row between the summary and the table
    assert rows[10] == ("序号", "收款人姓名", "收款账号", "收款银行", "金额", "用途", "业务参考号")
    body = rows[11:]
    assert [row[0] for row in body] == [1, 2, 3]
    assert [row[1] for row in body] == ["张三", "买买提·艾力", "李四"]
    assert [row[2] for row in body] == [CARD_19, CARD_16, "6228480012345678901"]
    assert sum(Decimal(str(row[4])) for row in body) == Decimal("10070.51")
    assert [row[6] for row in body] == ["B202611-0001", "B202611-0002", "B202611-0003"]


def test_card_numbers_are_text_cells_and_amounts_are_numbers_with_two_decimals() -> None:
    lines = three_lines()
    sheet = openpyxl.load_workbook(io.BytesIO(to_xlsx(header(lines), lines, generic()))).worksheets[0]
    card, amount = sheet.cell(row=12, column=3), sheet.cell(row=12, column=5)
    assert card.data_type == "s" and card.value == CARD_19 and card.number_format == "@"
    assert amount.data_type == "n" and amount.number_format == "0.00"
    assert Decimal(str(amount.value)) == Decimal("5200.00")
    assert sheet.cell(row=9, column=2).number_format == "0.00"  # the total
    assert sheet.cell(row=3, column=2).data_type == "s"  # the payer account, as text too


def test_a_layout_without_the_summary_starts_with_the_titles() -> None:
    lines = three_lines()
    rows = read_sheet(to_xlsx(header(lines), lines, generic(xlsx_summary=False)))
    assert rows[0][0] == "序号"
    assert len(rows) == 4


def test_constant_and_currency_columns_are_written_on_every_row() -> None:
    layout = generic(
        export_columns=[
            {"field": "reference", "title": "参考号"},
            {"field": "name", "title": "户名"},
            {"field": "card_number", "title": "账号"},
            {"field": "amount", "title": "金额"},
            {"field": "currency", "title": "币种"},
            {"field": "constant", "title": "业务类型", "value": "代发工资"},
            {"field": "bank_code", "title": "行别"},
        ]
    )
    lines = three_lines()
    rows = read_sheet(to_xlsx(header(lines), lines, layout))[11:]
    assert {row[4] for row in rows} == {"CNY"}
    assert {row[5] for row in rows} == {"代发工资"}
    assert {row[6] for row in rows} == {"102"}


# --- CSV ---------------------------------------------------------------------------------------------------


def test_the_csv_file_is_gbk_with_titles_and_two_decimal_amounts() -> None:
    lines = three_lines()
    data = to_csv(header(lines), lines, generic())
    with pytest.raises(UnicodeDecodeError):
        data.decode("utf-8")
    rows = list(csv.reader(io.StringIO(data.decode("gbk"), newline="")))
    assert rows[0] == ["序号", "收款人姓名", "收款账号", "收款银行", "金额", "用途", "业务参考号"]
    assert rows[1] == [
        "1",
        "张三",
        CARD_19,
        "中国工商银行北京朝阳支行",
        "5200.00",
        "2026年10月工资",
        "B202611-0001",
    ]
    assert [row[4] for row in rows[1:]] == ["5200.00", "4870.50", "0.01"]
    assert data.endswith(b"\r\n")


def test_a_utf8_bom_layout_starts_with_the_bom_and_a_tab_layout_splits_on_tabs() -> None:
    lines = three_lines()
    data = to_csv(header(lines), lines, generic(encoding="utf-8-sig", delimiter="\t"))
    assert data.startswith(b"\xef\xbb\xbf")
    assert data.decode("utf-8-sig").splitlines()[0].split("\t")[:2] == ["序号", "收款人姓名"]


def test_a_name_gbk_cannot_hold_is_refused_not_replaced() -> None:
    lines = [*three_lines()[:2], line(3, "0.01", name="王䶮")]
    with pytest.raises(BankFileError) as caught:
        to_csv(header(lines), lines, generic())
    message = str(caught.value)
    assert "第3笔" in message and "䶮" in message and "GBK" in message
    assert "B202611-0003" in message
    # GB18030 holds it.
    data = to_csv(header(lines), lines, generic(encoding="gb18030"))
    assert "王䶮" in data.decode("gb18030")


def test_a_card_number_never_appears_in_clear_in_an_error() -> None:
    lines = [line(1, "1.00", name="𠮷田", card=CARD_19)]
    with pytest.raises(BankFileError) as caught:
        to_csv(
            header(lines),
            lines,
            generic(
                export_columns=[
                    {"field": "reference", "title": "参考号"},
                    {"field": "name", "title": "户名"},
                    {"field": "card_number", "title": "账号"},
                    {"field": "amount", "title": "金额"},
                ]
            ),
        )
    assert CARD_19 not in str(caught.value)
    assert CARD_19 not in repr(lines[0])


# --- pain.001 ----------------------------------------------------------------------------------------------


def test_pain001_validates_against_the_published_schema(pain_schema: xmlschema.XMLSchema) -> None:
    lines = three_lines()
    data = to_pain001(header(lines), lines)
    assert data.startswith(b"<?xml version='1.0' encoding='utf-8'?>")
    pain_schema.validate(data.decode("utf-8"))


def test_a_broken_pain001_fails_the_schema(pain_schema: xmlschema.XMLSchema) -> None:
    lines = three_lines()
    document = parse_xml(to_pain001(header(lines), lines))
    wrong_method = copy.deepcopy(document)
    method = wrong_method.find(".//p:PmtMtd", NS)
    assert method is not None
    method.text = "CASH"
    assert not pain_schema.is_valid(ET.tostring(wrong_method, encoding="unicode"))
    no_end_to_end = copy.deepcopy(document)
    identification = no_end_to_end.find(".//p:CdtTrfTxInf/p:PmtId", NS)
    assert identification is not None
    identification.remove(identification.find("p:EndToEndId", NS))  # type: ignore[arg-type]
    assert not pain_schema.is_valid(ET.tostring(no_end_to_end, encoding="unicode"))


def test_pain001_carries_the_batch_the_accounts_and_every_line() -> None:
    lines = three_lines()
    root = parse_xml(to_pain001(header(lines), lines))

    def text(path: str, node: ET.Element = root) -> str | None:
        return node.findtext(path, namespaces=NS)

    assert text("p:CstmrCdtTrfInitn/p:GrpHdr/p:MsgId") == "B202611"
    assert text("p:CstmrCdtTrfInitn/p:GrpHdr/p:CreDtTm") == "2026-11-26T09:30:00+08:00"
    assert text("p:CstmrCdtTrfInitn/p:GrpHdr/p:NbOfTxs") == "3"
    assert text("p:CstmrCdtTrfInitn/p:GrpHdr/p:CtrlSum") == "10070.51"
    payment = root.find("p:CstmrCdtTrfInitn/p:PmtInf", NS)
    assert payment is not None
    assert text("p:PmtMtd", payment) == "TRF"
    assert text("p:BtchBookg", payment) == "true"
    assert text("p:NbOfTxs", payment) == "3"
    assert text("p:CtrlSum", payment) == "10070.51"
    assert text("p:ReqdExctnDt", payment) == "2026-11-30"
    assert text("p:DbtrAcct/p:Id/p:Othr/p:Id", payment) == "11050162540000000123"
    assert text("p:DbtrAgt/p:FinInstnId/p:Othr/p:Id", payment) == "105"
    transfers = payment.findall("p:CdtTrfTxInf", NS)
    assert [text("p:PmtId/p:EndToEndId", t) for t in transfers] == [x.reference for x in lines]
    assert [text("p:Cdtr/p:Nm", t) for t in transfers] == ["张三", "买买提·艾力", "李四"]
    assert [text("p:CdtrAcct/p:Id/p:Othr/p:Id", t) for t in transfers] == [x.card_number for x in lines]
    amounts = [t.find("p:Amt/p:InstdAmt", NS) for t in transfers]
    assert [(a.text, a.get("Ccy")) for a in amounts if a is not None] == [
        ("5200.00", "CNY"),
        ("4870.50", "CNY"),
        ("0.01", "CNY"),
    ]
    assert text("p:RmtInf/p:Ustrd", transfers[0]) == "2026年10月工资"
    assert text("p:CdtrAgt/p:FinInstnId/p:Nm", transfers[0]) == "中国工商银行北京朝阳支行"


# --- refusals ----------------------------------------------------------------------------------------------

WRITERS = [
    pytest.param(lambda h, ls: to_xlsx(h, ls, generic()), id="xlsx"),
    pytest.param(lambda h, ls: to_csv(h, ls, generic()), id="csv"),
    pytest.param(to_pain001, id="pain001"),
]


@pytest.mark.parametrize("write", WRITERS)
def test_an_empty_batch_is_refused(write: Any) -> None:
    with pytest.raises(BankFileError, match="没有代发明细"):
        write(header([]), [])


@pytest.mark.parametrize("write", WRITERS)
def test_a_total_that_differs_from_the_header_is_refused(write: Any) -> None:
    lines = three_lines()
    with pytest.raises(BankFileError, match=r"总金额不符：批次记为 10070\.50 元，明细合计 10070\.51 元"):
        write(header(lines, control_sum=Decimal("10070.50")), lines)


@pytest.mark.parametrize("write", WRITERS)
def test_a_count_that_differs_from_the_header_is_refused(write: Any) -> None:
    lines = three_lines()
    with pytest.raises(BankFileError, match="笔数不符"):
        write(header(lines, count=4), lines)


@pytest.mark.parametrize(
    ("amount", "message"),
    [("0", "须大于 0"), ("-5.00", "须大于 0"), ("10.005", "最多两位小数"), ("NaN", "不是有效数字")],
)
def test_bad_amounts_are_refused(amount: str, message: str) -> None:
    lines = [line(1, "100.00"), line(2, amount)]
    with pytest.raises(BankFileError, match=f"第2笔：金额{message}"):
        formats.check_batch(header(lines, control_sum=Decimal("100.00")), lines)


def test_a_third_decimal_of_zero_is_still_two_places() -> None:
    lines = [line(1, "10.500")]
    formats.check_batch(header(lines), lines)
    assert b"10.50" in to_csv(header(lines), lines, generic())


def test_duplicate_references_are_refused() -> None:
    lines = [line(1, "1.00", reference="R-1"), line(2, "2.00", reference="R-1")]
    with pytest.raises(BankFileError, match="业务参考号“R-1”重复"):
        to_pain001(header(lines), lines)


def test_a_naive_time_a_missing_payer_and_a_bad_card_are_all_reported_at_once() -> None:
    lines = [line(1, "1.00", card="6222 0212")]
    bad = header(lines, created_at=header(lines).created_at.replace(tzinfo=None), payer_name=" ")
    with pytest.raises(BankFileError) as caught:
        to_pain001(bad, lines)
    assert caught.value.messages[:2] == ["批次创建时间缺少时区", "缺少付款账户户名（农民工工资专用账户）"]
    assert any("收款账号应为 8 到 34 位数字" in message for message in caught.value.messages)


def test_a_reference_with_spaces_or_too_long_is_refused() -> None:
    for reference in ("R 1", "R" * 36):
        lines = [line(1, "1.00", reference=reference)]
        with pytest.raises(BankFileError, match="业务参考号应为 1 到 35 位"):
            formats.check_batch(header(lines), lines)


def test_text_that_starts_with_an_equals_sign_stays_text_in_excel() -> None:
    lines = [dataclasses.replace(line(1, "1.00", name="=HYPERLINK(1)"), memo="=1+1")]
    sheet = openpyxl.load_workbook(io.BytesIO(to_xlsx(header(lines), lines, generic()))).worksheets[0]
    assert (sheet.cell(row=12, column=2).value, sheet.cell(row=12, column=2).data_type) == (
        "=HYPERLINK(1)",
        "s",
    )
    assert (sheet.cell(row=12, column=6).value, sheet.cell(row=12, column=6).data_type) == ("=1+1", "s")


def test_control_characters_are_refused() -> None:
    lines = [line(1, "1.00", name="张\t三")]
    with pytest.raises(BankFileError, match="第1笔：姓名、收款银行或用途含有控制字符"):
        to_pain001(header(lines), lines)
