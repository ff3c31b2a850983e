"""Properties over random batches: the pain.001 control figures are the lines' count and sum, and a CSV
written in a layout reads back through the same layout's return mapping with the same references and
amounts."""

from __future__ import annotations

import xml.etree.ElementTree as ET  # noqa: S405 — parses only XML these tests just wrote
from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from realname.bank import formats
from realname.bank.formats import ExportLine, to_csv, to_pain001
from realname.bank.returns import ExpectedLine, Outcome, match_returns, parse_return
from realname.bank.tests.samples import generic, header

NS = {"p": formats.PAIN_001_NS}
# Common name characters, the middle dot of minority names, and the characters a CSV must quote.
NAME_CHARS = (
    "张王李赵刘陈杨黄周吴徐孙马朱胡林郭何高罗郑梁谢宋唐许邓冯韩曹曾彭萧蔡潘田董袁于余"
    "叶蒋杜苏魏程吕丁沈任姚卢傅钟姜崔谭廖范汪陆金石戴贾韦夏邱方侯邹熊孟秦白江阎薛尹段"
    "雷黎史龙陶贺顾毛郝龚邵万钱严赖覃洪武莫孔汤向常温康施文牛樊葛邢安齐易乔伍庞颜倪庄"
    "聂章鲁岳翟殷詹申欧耿关兰焦俞左柳甘祝包宁尚符舒阮柯纪梅童凌毕单季裴霍涂成苗谷盛曲"
    "翁冉骆蓝路游辛靳管柴蒙鲍华喻祁蒲房滕屈饶解牟艾尤阳时穆农司卓古吉缪简车项连芦麦褚"
    "娄窦戚岑景党宫费卜冷晏席卫米柏宗瞿桂全佟应臧闵苟邬边卞姬师和仇栾隋商刁沙荣巫寇桑"
    "郎甄丛仲虞敖巩明佘池查麻苑迟邝买提艾力·"
)
MEMO_CHARS = NAME_CHARS + '工资月份,"; 0123456789'

amounts = st.decimals(min_value=Decimal("0.01"), max_value=Decimal("999999.99"), places=2)


@st.composite
def batches(draw: st.DrawFn) -> list[ExportLine]:
    count = draw(st.integers(min_value=1, max_value=25))
    references = draw(
        st.lists(
            st.from_regex(r"[A-Za-z0-9_-]{1,35}", fullmatch=True), min_size=count, max_size=count, unique=True
        )
    )
    lines = []
    for seq, reference in enumerate(references, start=1):
        lines.append(
            ExportLine(
                seq=seq,
                reference=reference,
                name=draw(st.text(alphabet=NAME_CHARS, min_size=1, max_size=12)),
                card_number=draw(st.from_regex(r"[1-9][0-9]{11,18}", fullmatch=True)),
                bank_code=draw(st.sampled_from(["", "102", "105", "403"])),
                bank_name="中国工商银行",
                amount=draw(amounts),
                memo=draw(st.text(alphabet=MEMO_CHARS, max_size=20)),
            )
        )
    return lines


@settings(max_examples=60, deadline=None)
@given(batches())
def test_pain001_control_figures_are_the_count_and_sum_of_the_lines(lines: list[ExportLine]) -> None:
    root = ET.fromstring(to_pain001(header(lines), lines))  # noqa: S314 — our own output
    total = sum((line.amount for line in lines), Decimal(0))
    for block in ("p:CstmrCdtTrfInitn/p:GrpHdr", "p:CstmrCdtTrfInitn/p:PmtInf"):
        assert root.findtext(f"{block}/p:NbOfTxs", namespaces=NS) == str(len(lines))
        assert Decimal(root.findtext(f"{block}/p:CtrlSum", namespaces=NS) or "") == total
    amounts = [Decimal(a.text or "") for a in root.iterfind(".//p:CdtTrfTxInf/p:Amt/p:InstdAmt", NS)]
    assert amounts == [line.amount for line in lines]


@settings(max_examples=60, deadline=None)
@given(
    batches(),
    st.sampled_from(["gbk", "gb18030", "utf-8", "utf-8-sig"]),
    st.sampled_from([",", ";", "\t", "|"]),
)
def test_a_csv_reads_back_through_the_return_mapping(
    lines: list[ExportLine], encoding: str, delimiter: str
) -> None:
    layout = generic(
        encoding=encoding,
        delimiter=delimiter,
        export_columns=[
            {"field": "seq", "title": "序号"},
            {"field": "name", "title": "收款人姓名"},
            {"field": "card_number", "title": "收款账号"},
            {"field": "amount", "title": "金额"},
            {"field": "memo", "title": "用途"},
            {"field": "reference", "title": "业务参考号"},
            {"field": "constant", "title": "处理状态", "value": "成功"},  # a synthetic all-paid status
        ],
        return_columns={
            "reference": "业务参考号",
            "name": "收款人姓名",
            "card_number": "收款账号",
            "amount": "金额",
            "status": "处理状态",
        },
    )
    rows = parse_return(to_csv(header(lines), lines, layout), "回盘.csv", layout)
    assert [(row.reference, row.amount) for row in rows] == [(line.reference, line.amount) for line in lines]
    assert all(row.paid for row in rows)
    result = match_returns(
        [ExpectedLine(line.reference, line.name, line.card_number, line.amount) for line in lines], rows
    )
    assert result.clean
    assert len(result.with_outcome(Outcome.PAID)) == len(lines)
