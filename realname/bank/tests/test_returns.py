"""Reading return files (.xlsx and .csv, GBK too) through a layout's mapping, the errors that refuse a file,
and pairing the rows with our lines by reference."""

from __future__ import annotations

import csv
import io
from decimal import Decimal
from typing import Any

import openpyxl
import pytest

from realname.bank.layouts import BankFileError
from realname.bank.returns import (
    ExpectedLine,
    Outcome,
    ReturnRow,
    cards_match,
    match_returns,
    names_match,
    parse_return,
)
from realname.bank.tests.samples import CARD_16, CARD_19, generic

TITLES = ["序号", " 收款人姓名 ", "收款账号", "金额", "业务参考号", "处理状态", "失败原因"]


def xlsx(rows: list[list[Any]]) -> bytes:
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def csv_bytes(rows: list[list[str]], encoding: str) -> bytes:
    out = io.StringIO(newline="")
    csv.writer(out, lineterminator="\r\n").writerows(rows)
    return out.getvalue().encode(encoding)


def bank_layout(**changes: Any) -> Any:
    """A bank whose return file has two lines of its own above the titles and a 合计 line below."""
    data: dict[str, Any] = {
        "return_columns": {
            "reference": "业务参考号",
            "name": "收款人姓名",
            "card_number": "收款账号",
            "amount": "金额",
            "status": "处理状态",
            "reason": "失败原因",
        },
        "return_paid_values": ["成功", "S", "0000"],
        "return_failed_values": ["失败", "F"],
        "return_header_rows": 3,
        "return_footer_rows": 1,
    }
    data.update(changes)
    return generic(**data)


BANK_ROWS: list[list[Any]] = [
    ["代发工资结果", None],
    ["批次号", "B202611"],
    TITLES,
    [1, "张三", "6222********1234", 5200, "B202611-0001", "成功", None],
    [2, "买买提·艾力", CARD_16, 4870.5, "B202611-0002", "F", "账户已冻结"],
    [None, None, None, None, None, None, None],  # a blank row inside the table is skipped
    [3, "李四", "6228480012345678901", "0.01", " B202611-0003 ", "0000", ""],
    ["合计", None, None, 10070.51, None, None, None],
    [None, None, None, None, None, None, None],
]


def test_an_xlsx_return_is_read_by_title_below_the_banks_own_header_rows() -> None:
    rows = parse_return(xlsx(BANK_ROWS), "回盘.XLSX", bank_layout())
    assert [row.row for row in rows] == [4, 5, 7]
    assert [row.reference for row in rows] == ["B202611-0001", "B202611-0002", "B202611-0003"]
    assert [row.amount for row in rows] == [Decimal("5200.00"), Decimal("4870.50"), Decimal("0.01")]
    assert [row.paid for row in rows] == [True, False, True]
    assert rows[0].card_number == "6222********1234"  # masked by the bank: kept as given
    assert rows[1].reason == "账户已冻结"
    assert rows[1].status == "F"
    assert rows[0].name == "张三"


def test_a_gbk_csv_return_is_read_and_a_utf8_one_too() -> None:
    rows = [
        ["序号", "收款人姓名", "收款账号", "收款银行", "金额", "用途", "业务参考号", "处理状态", "失败原因"],
        ["1", "张三", CARD_19, "工商银行", "5,200.00", "工资", "B-1", "成功", ""],
        ["2", "李四", CARD_16, "工商银行", "￥300.5", "工资", "B-2", "退票", "户名不符"],
    ]
    for encoding in ("gbk", "utf-8-sig", "utf-8"):
        parsed = parse_return(csv_bytes(rows, encoding), "result.csv", generic())
        assert [(row.reference, row.amount, row.paid) for row in parsed] == [
            ("B-1", Decimal("5200.00"), True),
            ("B-2", Decimal("300.50"), False),
        ]
        assert parsed[1].reason == "户名不符"
        assert parsed[0].card_number == CARD_19


def test_an_unknown_status_is_an_error_not_a_failure() -> None:
    rows = [*BANK_ROWS[:4], [2, "王五", CARD_16, 1, "B202611-0002", "处理中", None], BANK_ROWS[7]]
    with pytest.raises(BankFileError) as caught:
        parse_return(xlsx(rows), "r.xlsx", bank_layout())
    assert caught.value.messages == [
        "第5行：状态“处理中”不是已知的状态（成功：成功、S、0000；失败：失败、F）"
    ]


def test_other_statuses_count_as_failed_only_when_the_layout_says_so() -> None:
    rows = [*BANK_ROWS[:4], [2, "王五", CARD_16, 1, "B202611-0002", "E1234", "行内错误"], BANK_ROWS[7]]
    parsed = parse_return(xlsx(rows), "r.xlsx", bank_layout(return_other_status_failed=True))
    assert [row.paid for row in parsed] == [True, False]
    # Even then an empty status is not a failure: it is unreadable.
    rows[4][5] = None
    with pytest.raises(BankFileError, match="第5行：状态“”不是已知的状态"):
        parse_return(xlsx(rows), "r.xlsx", bank_layout(return_other_status_failed=True))


def test_a_missing_column_names_the_titles_that_are_there() -> None:
    rows = [[title for title in TITLES if title != "处理状态"], ["1", "张三", CARD_19, "1", "B-1", ""]]
    with pytest.raises(BankFileError) as caught:
        parse_return(xlsx(rows), "r.xlsx", generic())
    message = str(caught.value)
    assert "第1行找不到列“处理状态”" in message
    assert "收款人姓名、收款账号" in message


def test_amounts_that_cannot_be_read_are_errors_with_their_row_numbers() -> None:
    rows = [
        ["业务参考号", "金额", "处理状态"],
        ["B-1", "五百元", "成功"],
        ["B-2", "12.345", "成功"],
        ["B-3", "-1.00", "失败"],
        ["", "1.00", "成功"],
        ["B-5", "1.00", "成功"],
    ]
    layout = generic(return_columns={"reference": "业务参考号", "amount": "金额", "status": "处理状态"})
    with pytest.raises(BankFileError) as caught:
        parse_return(csv_bytes(rows, "gbk"), "r.csv", layout)
    assert caught.value.messages == [
        "第2行：金额“五百元”无法识别",
        "第3行：金额“12.345”无法识别",
        "第4行：金额“-1.00”无法识别",
        "第5行：缺少业务参考号",
    ]


def test_columns_can_be_given_by_number_for_a_file_without_titles() -> None:
    layout = generic(
        delimiter="|",
        return_columns={"reference": 1, "amount": 3, "status": 4, "reason": 5},
        return_header_rows=0,
        return_paid_values=["S"],
        return_failed_values=["F"],
    )
    data = "B-1|x|12.50|S|\r\nB-2|y|3|F|余额不足\r\n".encode("gbk")
    parsed = parse_return(data, "r.txt", layout)
    assert [(row.reference, row.amount, row.paid, row.reason) for row in parsed] == [
        ("B-1", Decimal("12.50"), True, ""),
        ("B-2", Decimal("3.00"), False, "余额不足"),
    ]
    assert parsed[0].name is None and parsed[0].card_number is None


def test_old_excel_files_and_other_kinds_are_refused() -> None:
    with pytest.raises(BankFileError, match="另存为 .xlsx 或 .csv"):
        parse_return(b"\xd0\xcf\x11\xe0", "回盘.xls", generic())
    with pytest.raises(BankFileError, match="应为 .xlsx 或 .csv"):
        parse_return(b"%PDF", "回盘.pdf", generic())
    with pytest.raises(BankFileError, match="无法读取 Excel 文件"):
        parse_return(b"not a zip", "回盘.xlsx", generic())


def test_a_file_in_neither_utf8_nor_the_layouts_encoding_is_refused() -> None:
    data = "业务参考号,金额,处理状态\r\n".encode("utf-16")
    with pytest.raises(BankFileError, match="无法识别文件编码"):
        parse_return(data, "r.csv", generic(encoding="utf-8"))


def test_a_return_with_titles_but_no_rows_is_refused() -> None:
    with pytest.raises(BankFileError, match="没有明细"):
        parse_return(csv_bytes([TITLES], "gbk"), "r.csv", generic())


# --- matching ----------------------------------------------------------------------------------------------


def expected(reference: str, amount: str, *, name: str = "张三", card: str = CARD_19) -> ExpectedLine:
    return ExpectedLine(reference=reference, name=name, card_number=card, amount=Decimal(amount))


def returned(
    row: int,
    reference: str,
    amount: str,
    *,
    paid: bool = True,
    name: str | None = "张三",
    card: str | None = CARD_19,
    reason: str = "",
) -> ReturnRow:
    return ReturnRow(
        row=row,
        reference=reference,
        name=name,
        card_number=card,
        amount=Decimal(amount),
        paid=paid,
        status="成功" if paid else "失败",
        reason=reason,
    )


def test_lines_are_paid_failed_with_the_banks_reason_or_missing() -> None:
    result = match_returns(
        [expected("R1", "100.00"), expected("R2", "200.00"), expected("R3", "300.00")],
        [returned(2, "R1", "100.00"), returned(3, "R2", "200.00", paid=False, reason="账户不存在")],
    )
    assert [(line.reference, line.outcome, line.reason) for line in result.lines] == [
        ("R1", Outcome.PAID, ""),
        ("R2", Outcome.FAILED, "账户不存在"),
        ("R3", Outcome.MISSING, ""),
    ]
    assert [line.confirmed for line in result.lines] == [True, True, False]
    assert [line.reference for line in result.with_outcome(Outcome.MISSING)] == ["R3"]
    assert not result.clean


def test_a_failure_without_a_reason_says_so() -> None:
    result = match_returns([expected("R1", "1.00")], [returned(2, "R1", "1.00", paid=False)])
    assert result.lines[0].reason == "失败"  # the status itself, when the bank gives no reason
    row = ReturnRow(2, "R1", None, None, Decimal("1.00"), False, "", "")
    assert match_returns([expected("R1", "1.00")], [row]).lines[0].reason == "银行未说明原因"


def test_a_clean_return_is_clean() -> None:
    result = match_returns([expected("R1", "1.00")], [returned(2, "R1", "1.00")])
    assert result.clean and result.mismatches == []


def test_unknown_references_and_duplicates_are_reported_not_matched() -> None:
    result = match_returns(
        [expected("R1", "100.00")],
        [returned(2, "R1", "100.00"), returned(3, "R9", "5.00"), returned(4, "R1", "100.00", paid=False)],
    )
    assert [row.row for row in result.unknown] == [3]
    assert [row.row for row in result.duplicates] == [4]
    line = result.lines[0]
    assert line.outcome is Outcome.PAID and line.row is not None and line.row.row == 2
    assert [(m.field, m.row) for m in line.mismatches] == [("duplicate", 4)]
    assert not line.confirmed
    assert line.mismatches[0].message == "第4行与第2行是同一笔（业务参考号 R1）"


def test_amount_name_and_card_differences_are_flagged_and_cards_are_masked_in_the_flag() -> None:
    result = match_returns(
        [expected("R1", "100.00")],
        [returned(7, "R1", "10.00", name="张山", card="6222021234567899999")],
    )
    line = result.lines[0]
    assert line.outcome is Outcome.PAID  # what the bank says, but…
    assert not line.confirmed  # …not to be taken as it is
    fields = {m.field: m for m in line.mismatches}
    assert set(fields) == {"amount", "name", "card_number"}
    assert fields["amount"].message == "第7行金额 10.00 与代发金额 100.00 不符"
    assert fields["name"].message == "第7行户名“张山”与收款人“张三”不符"
    card = fields["card_number"]
    assert card.expected == "6222 **** **** 1234" and card.given == "6222 **** **** 9999"
    assert CARD_19 not in card.message and "6222021234567899999" not in card.message


def test_a_masked_card_is_compared_by_the_digits_it_shows() -> None:
    ok = match_returns([expected("R1", "1.00")], [returned(2, "R1", "1.00", card="6222 **** **** 1234")])
    assert ok.clean
    last_four_only = match_returns(
        [expected("R1", "1.00")], [returned(2, "R1", "1.00", card="***************1234")]
    )
    assert last_four_only.clean
    other = match_returns([expected("R1", "1.00")], [returned(2, "R1", "1.00", card="6222********4321")])
    assert [m.field for m in other.lines[0].mismatches] == ["card_number"]
    assert other.lines[0].mismatches[0].given == "6222********4321"


@pytest.mark.parametrize(
    ("given", "matches"),
    [
        (CARD_19, True),
        ("6222 0212 3456 7891 234", True),
        ("6222021234567891235", False),
        ("6222********1234", True),
        ("6223********1234", False),
        ("****1234", True),
        ("******234", False),  # fewer than four digits shown: cannot be checked
        ("**********", False),
        ("", False),
        ("62220212345678912345678****1234", False),  # shows more digits than the card has
    ],
)
def test_cards_match(given: str, matches: bool) -> None:
    assert cards_match(CARD_19, given) is matches


@pytest.mark.parametrize(
    ("expected_name", "given", "matches"),
    [
        ("张三", "张三", True),
        ("张三", " 张 三 ", True),
        ("买买提·艾力", "买买提.艾力", True),
        ("买买提·艾力", "买买提•艾力", True),
        ("张三丰", "张*", True),
        ("张三丰", "*三丰", True),
        ("张三丰", "李*", False),
        ("张三", "张三丰", False),
        ("ＡＢ", "AB", True),  # full-width letters
    ],
)
def test_names_match(expected_name: str, given: str, matches: bool) -> None:
    assert names_match(expected_name, given) is matches


def test_a_return_without_name_or_card_columns_checks_only_the_amount() -> None:
    result = match_returns([expected("R1", "1.00")], [returned(2, "R1", "1.00", name=None, card=None)])
    assert result.clean


def test_our_own_duplicate_references_are_refused() -> None:
    with pytest.raises(BankFileError):
        match_returns([expected("R1", "1.00"), expected("R1", "2.00")], [])
