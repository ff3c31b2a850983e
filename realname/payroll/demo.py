"""Demo pay: the demo project's pay period for the month the demo gate's punches mostly fall in, with a few
deductions (meals, an advance) and a piece quantity, the sheets generated from the day records, the demo
team leader's sheet confirmed by them and waiting for the demo worker's answer on the phone (the others
signed on paper), the general contractor's own sheet approved all the way, the rest left as drafts, one
wage-account deposit short of the expected cost, and the arrears check run — so every pay page, the
worker's phone page, the warnings and the API have something to show.

Idempotent: an existing period is left as it is.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.utils import timezone

from realname.accounts.models import User
from realname.orgs.models import GENERAL_CONTRACTOR, Project
from realname.payroll import arrears, services
from realname.payroll.models import LineStatus, PayLine, PayPeriod, PaySheet, SheetStatus
from realname.workers.models import Employment


def _month_of_most_punches(project: Project) -> dt.date:
    from realname.attendance.days import DayRecord

    latest = DayRecord.objects.filter(project=project, hours__gt=0).order_by("-work_date").first()
    day = latest.work_date if latest is not None else timezone.localdate()
    return day.replace(day=1)


def seed_payroll(project: Project) -> PayPeriod | None:
    month = _month_of_most_punches(project)
    if PayPeriod.objects.filter(project=project, month=month).exists():
        return None
    period = services.open_period(project=project, month=month, by=None)
    gc_admin = User.objects.filter(username="gc_admin").first()
    leader_user = User.objects.filter(username="team_leader").first()
    worker_user = User.objects.filter(username="worker").first()
    on_site = list(
        Employment.objects.filter(project=project, status="active").select_related("team").order_by("id")[:12]
    )
    if gc_admin is not None:
        for n, employment in enumerate(on_site[:6]):
            services.add_item(
                period=period,
                employment=employment,
                by=gc_admin,
                direction="deduction",
                kind="meals",
                amount=Decimal("300.00"),
                note="食堂伙食费",
            )
            if n == 2:
                services.add_item(
                    period=period,
                    employment=employment,
                    by=gc_admin,
                    direction="deduction",
                    kind="advance",
                    amount=Decimal("800.00"),
                    note="月中借支",
                )
        if on_site:
            services.add_item(
                period=period,
                employment=on_site[-1],
                by=gc_admin,
                direction="addition",
                kind="allowance",
                amount=Decimal("200.00"),
                note="高温补贴",
            )
    services.generate(period=period, by=None)

    if gc_admin is not None and leader_user is not None:
        _walk(period, gc_admin, leader_user, worker_user)

    if gc_admin is not None:
        expected = services.estimate(period)
        services.record_deposit(
            project=project,
            by=gc_admin,
            received_on=period.month + dt.timedelta(days=27),
            for_month=period.month,
            amount=(expected * Decimal("0.8")).quantize(Decimal("1")) or Decimal("1"),
            payer="建设单位（演示）",
            reference="DEMO-RGF-001",
            note="人工费用拨付（八成，演示欠薪预警）",
        )
    arrears.check_all(projects=[project])
    return period


def _walk(period: PayPeriod, gc_admin: User, leader_user: User, worker_user: User | None) -> None:
    """The team leader's sheet waits for the demo worker's answer on the phone (everyone else signed on
    paper); the general contractor's own sheet goes all the way to its approval, ready for the bank."""
    mine = (
        PaySheet.objects.filter(period=period, team__leader__user=leader_user, status=SheetStatus.DRAFT)
        .select_related("participant")
        .first()
    )
    if mine is not None:
        services.confirm_team(sheet=mine, by=leader_user)
        for line in PayLine.objects.filter(sheet=mine).select_related("worker"):
            if worker_user is None or line.worker.user_id != worker_user.pk:
                services.record_paper_signature(line=line, by=gc_admin, note="纸质工资表本人签字（演示）")
    own = (
        PaySheet.objects.filter(period=period, participant__role=GENERAL_CONTRACTOR, status=SheetStatus.DRAFT)
        .exclude(line_count=0)
        .first()
    )
    if own is None:
        return
    services.confirm_team(sheet=own, by=gc_admin, note="班组长已在纸质工资表签字（演示）")
    for line in PayLine.objects.filter(sheet=own, status=LineStatus.PENDING):
        services.record_paper_signature(line=line, by=gc_admin, note="纸质工资表本人签字（演示）")
    services.approve_employer(sheet=own, by=gc_admin, note="演示：已核对")
    services.approve_gc(sheet=own, by=gc_admin, note="演示：已核对")
