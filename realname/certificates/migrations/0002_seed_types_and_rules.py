"""Seed the certificate types of the three regimes and the platform-wide trade rules (regulations.md §4).

Everything seeded here is data, editable on the pages afterwards. The 市场监管 validity (48 months) is the
commonly quoted figure and is NOT verified against the regulation; check it before relying on it.
"""

from __future__ import annotations

import uuid
from typing import Any

from django.db import migrations

# code, name, category, sub_item
HOUSING = [  # 住建: valid 24 months, 延期复核 within 3 months (90 days) before expiry, no periodic review
    ("ZJ-DG", "建筑电工", "建筑电工", ""),
    ("ZJ-JZ-PT", "建筑架子工（普通脚手架）", "建筑架子工", "普通脚手架"),
    ("ZJ-JZ-FZ", "建筑架子工（附着升降脚手架）", "建筑架子工", "附着升降脚手架"),
    ("ZJ-XH", "建筑起重信号司索工", "建筑起重信号司索工", ""),
    ("ZJ-SJ-TD", "建筑起重机械司机（塔式起重机）", "建筑起重机械司机", "塔式起重机"),
    ("ZJ-SJ-SJ", "建筑起重机械司机（施工升降机）", "建筑起重机械司机", "施工升降机"),
    ("ZJ-SJ-WL", "建筑起重机械司机（物料提升机）", "建筑起重机械司机", "物料提升机"),
    ("ZJ-AC-TD", "建筑起重机械安装拆卸工（塔式起重机）", "建筑起重机械安装拆卸工", "塔式起重机"),
    ("ZJ-AC-SJ", "建筑起重机械安装拆卸工（施工升降机）", "建筑起重机械安装拆卸工", "施工升降机"),
    ("ZJ-AC-WL", "建筑起重机械安装拆卸工（物料提升机）", "建筑起重机械安装拆卸工", "物料提升机"),
    ("ZJ-DL", "高处作业吊篮安装拆卸工", "高处作业吊篮安装拆卸工", ""),
    ("ZJ-HG", "建筑焊工", "经省级以上建设主管部门认定的其他特种作业", "建筑焊工"),
]
EMERGENCY = [  # 应急管理: valid 72 months, 复审 every 36 months, within 60 days before
    ("YJ-DG-DY", "低压电工作业", "电工作业", "低压电工作业"),
    ("YJ-DG-GY", "高压电工作业", "电工作业", "高压电工作业"),
    ("YJ-DG-FB", "防爆电气作业", "电工作业", "防爆电气作业"),
    ("YJ-HJ-RH", "熔化焊接与热切割作业", "焊接与热切割作业", "熔化焊接与热切割作业"),
    ("YJ-GC-DG", "登高架设作业", "高处作业", "登高架设作业"),
    ("YJ-GC-AZ", "高处安装、维护、拆除作业", "高处作业", "高处安装、维护、拆除作业"),
]
MARKET = [  # 市场监管 特种设备作业人员证: validity unverified (commonly 4 years), no periodic review
    ("SJ-Q1", "起重机指挥（Q1）", "起重机械作业", "起重机指挥"),
    ("SJ-Q2", "起重机司机（Q2）", "起重机械作业", "起重机司机"),
    ("SJ-N1", "叉车司机（N1）", "场（厂）内专用机动车辆作业", "叉车司机"),
]

RULES = [  # trade code, requirement label, certificate type codes (any one satisfies)
    ("130", "电工作业资格", ["ZJ-DG", "YJ-DG-DY"]),
    ("030", "架子工作业资格", ["ZJ-JZ-PT", "ZJ-JZ-FZ", "YJ-GC-DG"]),
    ("170", "起重信号作业资格", ["ZJ-XH", "SJ-Q1"]),
    ("180", "建筑起重机械安装拆卸作业资格", ["ZJ-AC-TD", "ZJ-AC-SJ", "ZJ-AC-WL"]),
    ("270", "焊接作业资格", ["YJ-HJ-RH", "ZJ-HG"]),
]


def seed(apps: Any, schema_editor: Any) -> None:
    CertificateType = apps.get_model("certificates", "CertificateType")
    TradeRule = apps.get_model("certificates", "TradeRule")
    types: dict[str, Any] = {}
    regimes = (
        ("housing", HOUSING, {"validity_months": 24, "renewal_window_days": 90}),
        (
            "emergency",
            EMERGENCY,
            {
                "validity_months": 72,
                "renewal_window_days": 60,
                "review_interval_months": 36,
                "review_window_days": 60,
            },
        ),
        (
            "market",
            MARKET,
            {
                "validity_months": 48,
                "renewal_window_days": 90,
                "note": "有效期按常见的4年预置，未经法规核实，请按发证机关规定修改",
            },
        ),
    )
    for regime, rows, rule in regimes:
        for code, name, category, sub_item in rows:
            types[code], _ = CertificateType.objects.get_or_create(
                code=code,
                defaults={
                    "public_id": uuid.uuid4(),
                    "regime": regime,
                    "name": name,
                    "category": category,
                    "sub_item": sub_item,
                    **rule,
                },
            )
    for trade, label, codes in RULES:
        if TradeRule.objects.filter(project__isnull=True, trade=trade).exists():
            continue
        rule_row = TradeRule.objects.create(public_id=uuid.uuid4(), trade=trade, label=label)
        rule_row.types.set([types[code] for code in codes])


class Migration(migrations.Migration):
    dependencies = [("certificates", "0001_initial")]

    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
