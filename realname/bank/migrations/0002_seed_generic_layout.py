"""Seed one generic 代发 layout (通用代发格式), the default for any bank without a layout of its own.

Its columns are the ones nearly every bank's 代发 template asks for; a bank's own template is added as
another layout in the admin (docs/bank.md). The return mapping expects the bank to send our file back with
two columns added: 处理状态 (成功 / 失败 / 退票) and 失败原因.
"""

from __future__ import annotations

import uuid
from typing import Any

from django.db import migrations

NAME = "通用代发格式"

EXPORT_COLUMNS = [
    {"field": "seq", "title": "序号"},
    {"field": "name", "title": "收款人姓名"},
    {"field": "card_number", "title": "收款账号"},
    {"field": "bank_name", "title": "收款银行"},
    {"field": "amount", "title": "金额"},
    {"field": "memo", "title": "用途"},
    {"field": "reference", "title": "业务参考号"},
]

RETURN_COLUMNS = {
    "reference": "业务参考号",
    "name": "收款人姓名",
    "card_number": "收款账号",
    "amount": "金额",
    "status": "处理状态",
    "reason": "失败原因",
}


def seed(apps: Any, schema_editor: Any) -> None:
    BankFileLayout = apps.get_model("bank", "BankFileLayout")
    BankFileLayout.objects.update_or_create(
        name=NAME,
        defaults={
            "public_id": uuid.uuid4(),
            "bank_code": "",
            "is_default": True,
            "export_columns": EXPORT_COLUMNS,
            "encoding": "gbk",
            "delimiter": ",",
            "xlsx_summary": True,
            "return_columns": RETURN_COLUMNS,
            "return_paid_values": ["成功"],
            "return_failed_values": ["失败", "退票"],
            "return_other_status_failed": False,
            "return_header_rows": 1,
            "return_footer_rows": 0,
            "note": "通用格式：未配置本行格式的银行使用此格式。回盘须带“处理状态”（成功/失败/退票）和“失败原因”列。",
        },
    )


def unseed(apps: Any, schema_editor: Any) -> None:
    apps.get_model("bank", "BankFileLayout").objects.filter(name=NAME).delete()


class Migration(migrations.Migration):
    dependencies = [("bank", "0001_layouts")]

    operations = [migrations.RunPython(seed, unseed)]
