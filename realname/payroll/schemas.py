"""API shapes for pay periods, pay sheets and lines, wage-account deposits and wage-arrears warnings.

Amounts are decimal strings (ninja renders Decimal as a string), dates ISO 8601. A line's parts carry the
rule, dates and figures each amount came from, with the label in the caller's language.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from ninja import Field, Schema

from realname.orgs.schemas import CompanyRef, ProjectRef, Ref
from realname.payroll import calc
from realname.payroll.models import ArrearsWarning, PayLine
from realname.workers.schemas import WorkerRef


class PeriodOut(Ref):
    project: ProjectRef
    month: dt.date
    pay_date: dt.date


class TeamRef(Ref):
    name: str


class SheetOut(Ref):
    period: PeriodOut
    company: CompanyRef = Field(..., alias="participant.company")
    team: TeamRef | None
    revision: int
    revision_reason: str
    status: str
    gross: Decimal
    deductions: Decimal
    net: Decimal
    line_count: int
    warning_count: int
    generated_at: dt.datetime | None


class PartOut(Schema):
    code: str
    label: str
    amount: Decimal
    quantity: Decimal
    unit: str
    rate: Decimal
    percent: int
    dates: list[dt.date]


class WarningOut(Schema):
    code: str
    message: str


class LineOut(Ref):
    sheet: str  # the sheet's id
    worker: WorkerRef
    pay_type: str
    days: Decimal
    hours: Decimal
    overtime_hours: Decimal
    gross: Decimal
    deductions: Decimal
    net: Decimal
    status: str
    confirm_via: str
    confirmed_at: dt.datetime | None
    parts: list[PartOut]
    warnings: list[WarningOut]

    @staticmethod
    def resolve_sheet(obj: PayLine) -> str:
        return str(obj.sheet.public_id)

    @staticmethod
    def resolve_parts(obj: PayLine) -> list[dict[str, Any]]:
        return [{**p, "label": calc.render(p["code"], p.get("params", {}))} for p in obj.parts]

    @staticmethod
    def resolve_warnings(obj: PayLine) -> list[dict[str, Any]]:
        return [
            {"code": w["code"], "message": calc.render(w["code"], w.get("params", {}))} for w in obj.warnings
        ]


class ArrearsOut(Ref):
    project: ProjectRef
    month: dt.date = Field(..., alias="period.month")
    pay_date: dt.date = Field(..., alias="period.pay_date")
    kind: str
    kind_label: str
    worker: WorkerRef | None
    amount: Decimal | None
    message: str
    opened_at: dt.datetime
    resolved_at: dt.datetime | None

    @staticmethod
    def resolve_kind_label(obj: ArrearsWarning) -> str:
        return str(obj.get_kind_display())


class DepositOut(Ref):
    project: ProjectRef
    received_on: dt.date
    for_month: dt.date
    amount: Decimal
    payer: str
    reference: str
    note: str
