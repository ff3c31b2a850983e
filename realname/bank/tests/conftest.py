"""Fixtures for the batch tests: the payroll tests' October on P1 (``pay``), a third worker on team_a,
P1's wage account, each worker's own card, and helpers that walk sheets to the general contractor's
approval."""

from __future__ import annotations

import csv
import datetime as dt
import io
from dataclasses import dataclass
from decimal import Decimal

import pytest

from realname.core import synthetic
from realname.orgs.models import Project
from realname.payroll import services as payroll
from realname.payroll.models import PayLine, PaySheet, SheetStatus
from realname.payroll.tests.conftest import Payroll, pay, record_day, working_days  # noqa: F401 - fixture
from realname.testing import employ, make_worker, rng
from realname.workers import services as worker_services
from realname.workers.models import BankAccount, Employment, Worker

WAGE_ACCOUNT = "11050162540000000123"


def give_card(worker: Worker) -> BankAccount:
    code, name, number = synthetic.bank_card(rng())
    return worker_services.set_bank_card(
        worker=worker, card_number=number, bank_name=name, bank_code=code
    ).account


@dataclass
class Bank:
    pay: Payroll
    emp_d: Employment  # worker_d (王丁), GC's team_a, daily 380
    sheet_a: PaySheet  # team_a: worker_a, worker_d (and the leader, who has no days: nothing to pay)
    sheet_b: PaySheet  # subcontractor B's team_b: worker_b


@pytest.fixture
def bank(pay: Payroll) -> Bank:  # noqa: F811 - the imported fixture
    world = pay.world
    Project.objects.filter(pk=world.p1.pk).update(
        wage_bank_code="105",
        wage_bank_branch="中国建设银行北京分行营业部",
        wage_account_name="甲建设集团有限公司项目P1农民工工资专用账户",
        wage_account_number=WAGE_ACCOUNT,
    )
    worker_d = make_worker("王丁", registered_by_company=world.company_a)
    emp_d = employ(worker_d, world.gc_p1, team=world.team_a)
    worker_services.create_contract(
        employment=emp_d,
        pay_type="daily",
        daily_rate=Decimal("400.00"),
        period_type="0",
        start_date=emp_d.entry_date,
        end_date=dt.date(2027, 12, 31),
    )
    for day in working_days():
        record_day(emp_d, day)
    for worker in (world.worker_a, world.worker_b, worker_d, pay.leader):
        give_card(worker)
    payroll.generate(period=pay.period, by=world.alice)
    sheets = PaySheet.objects.filter(period=pay.period).exclude(status=SheetStatus.SUPERSEDED)
    return Bank(pay, emp_d, sheets.get(team=world.team_a), sheets.get(team=world.team_b))


def approve_a(bank: Bank) -> PaySheet:
    """team_a's sheet through the team leader, its workers, and the general contractor (employer and GC)."""
    sheet, world = bank.sheet_a, bank.pay.world
    payroll.confirm_team(sheet=sheet, by=bank.pay.tina)
    for line in PayLine.objects.filter(sheet=sheet):
        if line.worker_id == world.worker_a.pk:
            payroll.confirm_line(line=line, by=world.wendy)
        else:
            payroll.record_paper_signature(line=line, by=world.alice, note="纸质工资表本人签字")
    payroll.approve_employer(sheet=sheet, by=world.alice)
    payroll.approve_gc(sheet=sheet, by=world.alice)
    sheet.refresh_from_db()
    return sheet


def approve_b(bank: Bank) -> PaySheet:
    sheet, world = bank.sheet_b, bank.pay.world
    payroll.confirm_team(sheet=sheet, by=world.bob, note="班组长已在纸质工资表签字")
    for line in PayLine.objects.filter(sheet=sheet):
        payroll.record_paper_signature(line=line, by=world.bob, note="纸质工资表本人签字")
    payroll.approve_employer(sheet=sheet, by=bank.pay.bella)
    payroll.approve_gc(sheet=sheet, by=world.alice)
    sheet.refresh_from_db()
    return sheet


def return_csv(rows: list[list[str]]) -> bytes:
    """A return file in the seeded generic layout: our columns back, plus 处理状态 and 失败原因."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(
        ["序号", "收款人姓名", "收款账号", "收款银行", "金额", "用途", "业务参考号", "处理状态", "失败原因"]
    )
    writer.writerows(rows)
    return out.getvalue().encode("gbk")
