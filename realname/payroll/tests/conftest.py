"""Fixtures for the payroll tests: October 2026 on project P1 of the shared world, day records written
directly (the attendance tests cover how punches become days), and the people of the workflow."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

import pytest
from django.utils import timezone

from realname.accounts.models import ScopeKind, User
from realname.accounts.roles import Role
from realname.attendance.calendar import HolidayCalendar
from realname.attendance.days import DayRecord
from realname.orgs import services as org_services
from realname.payroll import services
from realname.payroll.models import PayPeriod
from realname.testing import World, employ, make_user, make_worker
from realname.workers.models import Employment, Worker

OCT = dt.date(2026, 10, 1)
CAL = HolidayCalendar()


def record_day(
    employment: Employment,
    day: dt.date,
    hours: str = "8",
    *statuses: str,
    overtime: str | None = None,
) -> DayRecord:
    """Write ``employment``'s DayRecord for ``day`` as the attendance rules would: on a rest day every hour
    is overtime; on a working day ``overtime`` hours (default none)."""
    kind = CAL.kind(day)
    rest = kind in ("weekend", "holiday", "in_lieu_rest")
    overtime_kind = "holiday" if kind == "holiday" else ("rest_day" if rest else "workday")
    overtime = hours if rest else (overtime or "0")
    return DayRecord.objects.update_or_create(
        employment=employment,
        work_date=day,
        defaults={
            "project_id": employment.project_id,
            "worker_id": employment.worker_id,
            "day_kind": kind,
            "hours": Decimal(hours),
            "overtime_hours": Decimal(overtime),
            "overtime_kind": overtime_kind,
            "statuses": list(statuses) or (["rest_day"] if rest else ["present"]),
            "computed_at": timezone.now(),
        },
    )[0]


def working_days(month: dt.date = OCT) -> list[dt.date]:
    from realname.payroll.calc import month_dates

    return [d for d in month_dates(month) if CAL.kind(d) in ("workday", "adjusted_workday")]


@dataclass
class Payroll:
    world: World
    period: PayPeriod
    emp_a: Employment  # worker_a (张甲), GC's team_a, daily 380, linked to wendy
    emp_b: Employment  # worker_b (李乙), subcontractor B's team_b, daily 380
    leader: Worker  # team_a's leader
    tina: User  # team_a's leader's account (team leader, company A)
    bella: User  # project manager of company B (the subcontractor): approves as employer
    fred: User  # finance, company A


@pytest.fixture
def pay(world: World) -> Payroll:
    emp_a = Employment.objects.get(worker=world.worker_a, project=world.p1)
    emp_b = Employment.objects.get(worker=world.worker_b, project=world.p1)
    leader = make_worker("赵班长", registered_by_company=world.company_a)
    employ(leader, world.gc_p1, team=world.team_a)
    org_services.update_team(team=world.team_a, leader=leader)
    tina = make_user("tina", Role.TEAM_LEADER, ScopeKind.COMPANY, company=world.company_a)
    leader.user = tina
    leader.save(update_fields=["user"])
    bella = make_user("bella", Role.PROJECT_MANAGER, ScopeKind.COMPANY, company=world.company_b)
    fred = make_user("fred", Role.FINANCE, ScopeKind.COMPANY, company=world.company_a)
    period = services.open_period(project=world.p1, month=OCT, by=world.alice)
    for emp in (emp_a, emp_b):
        for day in working_days():
            record_day(emp, day)
    return Payroll(world, period, emp_a, emp_b, leader, tina, bella, fred)
