"""Seed the age policies and high-risk trades (editable data afterwards; see docs/admission.md)."""

from __future__ import annotations

import uuid
from typing import Any

from django.db import migrations

NATIONAL = "劳动法第十五条"
SHANGHAI = "沪建质安联〔2019〕346号"

# (name, region prefix, sex, risk class, min age, max age, source). Ages are full years, both inclusive:
# "60周岁以上" (以上 includes the number itself) refused means 59 is the oldest admitted.
POLICIES = [
    ("全国：未满16周岁不得招用", "", "", "", 16, None, NATIONAL),
    ("上海：男性 18–59 周岁", "31", "M", "", 18, 59, SHANGHAI),
    ("上海：女性 18–49 周岁", "31", "F", "", 18, 49, SHANGHAI),
    ("上海：高危作业男性不超过 54 周岁", "31", "M", "high", None, 54, SHANGHAI),
    ("上海：高危作业女性不超过 44 周岁", "31", "F", "high", None, 44, SHANGHAI),
]

# Trades whose work is at height, with hoisting or explosives: high-risk for the age policy.
HIGH_RISK_TRADES = ["030", "080", "170", "180", "210", "280", "310"]


def seed(apps: Any, schema_editor: Any) -> None:
    AgePolicy = apps.get_model("admission", "AgePolicy")
    TradeRiskClass = apps.get_model("admission", "TradeRiskClass")
    for name, prefix, sex, risk, low, high, source in POLICIES:
        AgePolicy.objects.get_or_create(
            name=name,
            defaults={
                "public_id": uuid.uuid4(),
                "region_prefix": prefix,
                "sex": sex,
                "risk_class": risk,
                "min_age": low,
                "max_age": high,
                "source": source,
            },
        )
    for trade in HIGH_RISK_TRADES:
        TradeRiskClass.objects.get_or_create(trade=trade, defaults={"risk_class": "high"})


def unseed(apps: Any, schema_editor: Any) -> None:
    apps.get_model("admission", "AgePolicy").objects.filter(name__in=[p[0] for p in POLICIES]).delete()
    apps.get_model("admission", "TradeRiskClass").objects.filter(trade__in=HIGH_RISK_TRADES).delete()


class Migration(migrations.Migration):
    dependencies = [("admission", "0002_decisions_blacklist_age_policy")]
    operations = [migrations.RunPython(seed, unseed)]
