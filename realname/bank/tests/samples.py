"""Small builders for the bank-file tests: lines, a header that agrees with them, and the seeded generic
layout as a spec (built from the data migration's own constants, so the seed is what is tested)."""

from __future__ import annotations

import datetime as dt
import importlib
from collections.abc import Sequence
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from realname.bank.formats import BatchHeader, ExportLine
from realname.bank.layouts import LayoutSpec, build_layout

SHANGHAI = ZoneInfo("Asia/Shanghai")
SEED = importlib.import_module("realname.bank.migrations.0002_seed_generic_layout")

# A 19-digit card number (more digits than a float holds) and a 16-digit one.
CARD_19 = "6222021234567891234"
CARD_16 = "6217000010001234"


def generic(**changes: Any) -> LayoutSpec:
    data: dict[str, Any] = {
        "name": SEED.NAME,
        "export_columns": SEED.EXPORT_COLUMNS,
        "encoding": "gbk",
        "delimiter": ",",
        "xlsx_summary": True,
        "return_columns": SEED.RETURN_COLUMNS,
        "return_paid_values": ["成功"],
        "return_failed_values": ["失败", "退票"],
        "return_other_status_failed": False,
        "return_header_rows": 1,
        "return_footer_rows": 0,
    }
    data.update(changes)
    return build_layout(**data)


def line(
    seq: int, amount: str, *, name: str = "张三", card: str = CARD_19, reference: str = ""
) -> ExportLine:
    return ExportLine(
        seq=seq,
        reference=reference or f"B202611-{seq:04d}",
        name=name,
        card_number=card,
        bank_code="102",
        bank_name="中国工商银行北京朝阳支行",
        amount=Decimal(amount),
        memo="2026年10月工资",
    )


def header(lines: Sequence[ExportLine], **changes: Any) -> BatchHeader:
    data: dict[str, Any] = {
        "reference": "B202611",
        "created_at": dt.datetime(2026, 11, 26, 9, 30, tzinfo=SHANGHAI),
        "execution_date": dt.date(2026, 11, 30),
        "payer_name": "某建设集团有限公司某项目农民工工资专用账户",
        "payer_account": "11050162540000000123",
        "payer_bank_code": "105",
        "payer_branch": "中国建设银行北京分行营业部",
        "count": len(lines),
        "control_sum": sum((item.amount for item in lines), Decimal(0)),
    }
    data.update(changes)
    return BatchHeader(**data)


def three_lines() -> list[ExportLine]:
    return [
        line(1, "5200.00", name="张三", card=CARD_19),
        line(2, "4870.50", name="买买提·艾力", card=CARD_16),
        line(3, "0.01", name="李四", card="6228480012345678901"),
    ]
