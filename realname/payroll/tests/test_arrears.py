"""Wage-arrears warnings (欠薪预警): funding before pay day, and after it unapproved sheets, unpaid workers,
pay below the minimum wage — opened once, told once, closed when they no longer hold; the API and pages."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.test import Client
from django.urls import reverse

from realname.notifications.models import Notification
from realname.orgs import services as org_services
from realname.payroll import arrears, selectors, services
from realname.payroll.models import ArrearsKind, ArrearsWarning, MinimumWage, PaySheet, WageDeposit
from realname.payroll.tests.conftest import OCT, Payroll, record_day
from realname.testing import make_company, make_user

D = Decimal
BEFORE = dt.date(2026, 11, 10)  # 3 days before the period's pay day (13 Nov)
AFTER = dt.date(2026, 11, 16)


def kinds(pay: Payroll) -> list[tuple[str, str]]:
    return sorted(
        ArrearsWarning.objects.filter(period=pay.period, resolved_at__isnull=True).values_list(
            "kind", "subject"
        )
    )


def test_a_funding_shortfall_before_pay_day_warns_the_general_contractor_and_the_owner(pay: Payroll) -> None:
    world = pay.world
    owner = make_company("丁房地产开发有限公司")
    org_services.add_participant(project=world.p1, company=owner, role="008")
    olga = make_user("olga", "company_admin", "company", company=owner)
    # expected: two workers × 18 days × 380 = 13,680; deposited 10,000 for October
    services.record_deposit(
        project=world.p1,
        by=world.alice,
        received_on=dt.date(2026, 11, 5),
        for_month=OCT,
        amount=D("10000"),
        payer="丁",
    )
    assert arrears.check_period(pay.period, today=dt.date(2026, 11, 1)).opened == 0  # too early to tell
    result = arrears.check_period(pay.period, today=BEFORE)
    assert result.opened == 1
    warning = ArrearsWarning.objects.get(kind=ArrearsKind.FUNDING_SHORTFALL)
    assert warning.amount == D("3680.00") and "13680.00" in warning.message
    told = set(
        Notification.objects.filter(kind="payroll.arrears.funding_shortfall").values_list(
            "recipient__username", flat=True
        )
    )
    assert told == {"alice", "olga", "fred"}  # GC's and owner's pay people, not the subcontractor's
    assert olga.pk
    # checked again: still open, not told twice; topped up: closed
    assert arrears.check_period(pay.period, today=BEFORE).still_open == 1
    assert Notification.objects.filter(kind="payroll.arrears.funding_shortfall").count() == 3
    services.record_deposit(
        project=world.p1,
        by=world.alice,
        received_on=dt.date(2026, 11, 9),
        for_month=OCT,
        amount=D("3680"),
        payer="丁",
    )
    assert arrears.check_period(pay.period, today=BEFORE).resolved == 1
    assert kinds(pay) == []


def test_only_the_general_contractor_records_deposits(pay: Payroll) -> None:
    import pytest
    from django.core.exceptions import PermissionDenied

    with pytest.raises(PermissionDenied):
        services.record_deposit(
            project=pay.world.p1,
            by=pay.world.bob,
            received_on=BEFORE,
            for_month=OCT,
            amount=D("1"),
            payer="x",
        )
    assert WageDeposit.objects.count() == 0


def test_after_pay_day_unapproved_sheets_and_unpaid_workers_warn(pay: Payroll) -> None:
    world = pay.world
    services.generate(period=pay.period, by=world.alice)
    arrears.check_period(pay.period, today=AFTER)
    sheets = {s.team_id: s for s in PaySheet.objects.filter(period=pay.period)}
    # the unapproved sheets are the warning (not one per worker on them); no money arrived for October
    assert kinds(pay) == sorted(
        [
            (ArrearsKind.FUNDING_SHORTFALL, "project"),
            (ArrearsKind.SHEET_NOT_APPROVED, f"sheet:{sheets[world.team_a.pk].pk}"),
            (ArrearsKind.SHEET_NOT_APPROVED, f"sheet:{sheets[world.team_b.pk].pk}"),
        ]
    )
    # the subcontractor hears about its own sheet, not the project's funding
    assert list(Notification.objects.filter(recipient=world.bob).values_list("kind", flat=True)) == [
        "payroll.arrears.sheet_not_approved"
    ]
    # and sees only its own warnings; the general contractor all of them; a team leader their team's
    visible = selectors.visible_warnings
    assert visible(world.bob).count() == 1
    assert visible(world.alice).count() == 3
    assert [w.subject for w in visible(pay.tina)] == [f"sheet:{sheets[world.team_a.pk].pk}"]


def test_an_approved_sheet_not_paid_after_pay_day_names_its_workers(pay: Payroll) -> None:
    from realname.payroll.tests.test_services import _through_team, line_of

    world = pay.world
    sheet = _through_team(pay)
    services.confirm_line(line=line_of(sheet, pay.emp_a.pk), by=world.wendy)
    services.approve_employer(sheet=sheet, by=world.alice)
    services.approve_gc(sheet=sheet, by=world.alice)
    arrears.check_period(pay.period, today=AFTER)
    unpaid = ArrearsWarning.objects.filter(kind=ArrearsKind.UNPAID_WORKER, resolved_at__isnull=True)
    assert [(w.worker_id, w.message) for w in unpaid] == [(world.worker_a.pk, "张甲 2026-10 工资未发放")]


def test_the_funding_gap_stays_open_after_pay_day_until_the_money_arrives(pay: Payroll) -> None:
    arrears.check_period(pay.period, today=BEFORE)
    arrears.check_period(pay.period, today=AFTER)
    assert ArrearsWarning.objects.get(kind=ArrearsKind.FUNDING_SHORTFALL).resolved_at is None
    services.record_deposit(
        project=pay.world.p1,
        by=pay.world.alice,
        received_on=AFTER,
        for_month=OCT,
        amount=D("13680"),
        payer="丁",
    )
    arrears.check_period(pay.period, today=AFTER)
    assert ArrearsWarning.objects.get(kind=ArrearsKind.FUNDING_SHORTFALL).resolved_at is not None


def test_older_periods_with_open_warnings_are_checked_until_they_close(pay: Payroll) -> None:
    arrears.check_period(pay.period, today=AFTER)
    assert ArrearsWarning.objects.filter(period=pay.period, resolved_at__isnull=True).exists()
    later = dt.datetime(2027, 1, 20, 12, tzinfo=dt.UTC)  # October is no longer "last month"
    services.record_deposit(
        project=pay.world.p1,
        by=pay.world.alice,
        received_on=AFTER,
        for_month=OCT,
        amount=D("13680"),
        payer="丁",
    )
    arrears.check_all(now=later, projects=[pay.world.p1])
    assert ArrearsWarning.objects.get(kind=ArrearsKind.FUNDING_SHORTFALL).resolved_at is not None


def test_a_worker_with_attendance_and_no_sheet_at_all_is_unpaid(pay: Payroll) -> None:
    arrears.check_period(pay.period, today=AFTER)
    messages = list(
        ArrearsWarning.objects.filter(kind=ArrearsKind.UNPAID_WORKER).values_list("message", flat=True)
    )
    assert len(messages) == 2 and all("尚无工资表" in m for m in messages)


def test_pay_below_the_regional_minimum_wage_warns(pay: Payroll) -> None:
    MinimumWage.objects.create(
        region_prefix="11", effective_from=dt.date(2025, 9, 1), monthly=D("9000"), source="测试"
    )
    services.generate(period=pay.period, by=pay.world.alice)
    arrears.check_period(pay.period, today=AFTER)
    below = ArrearsWarning.objects.filter(kind=ArrearsKind.BELOW_MINIMUM)
    assert below.count() == 2  # 380 × 21.75 = 8265 < 9000
    assert "8265.00" in below.first().message  # type: ignore[union-attr]


def test_the_daily_job_opens_a_period_for_a_month_with_attendance(pay: Payroll) -> None:
    nov = dt.date(2026, 11, 2)
    record_day(pay.emp_a, nov)
    now = dt.datetime(2026, 11, 20, 12, tzinfo=dt.UTC)
    result = arrears.check_all(now=now, projects=[pay.world.p1])
    assert result.periods_opened == 1
    assert pay.world.p1.pay_periods.filter(month=dt.date(2026, 11, 1)).exists()


def test_regulators_read_the_warnings_of_their_region_through_the_api(pay: Payroll, client: Client) -> None:
    arrears.check_period(pay.period, today=AFTER)
    client.force_login(pay.world.reggie)
    body = client.get("/api/v1/payroll/warnings?project=P1&kind=unpaid_worker").json()
    assert body["count"] == 2
    assert {item["kind"] for item in body["items"]} == {"unpaid_worker"}
    assert body["items"][0]["kind_label"] == "有出勤未发放"
    client.force_login(pay.world.charlie)  # another region's company: nothing of P1
    assert client.get("/api/v1/payroll/warnings?project=P1").json()["count"] == 0
    client.force_login(pay.world.reggie)
    assert client.get("/api/v1/payroll/warnings?project=P1").json()["count"] == 3  # with the funding gap
    client.force_login(pay.world.alice)
    page = client.get(reverse("payroll:warnings")).content.decode()
    assert "有出勤未发放" in page and "尚无工资表" in page
    home = client.get(reverse("core:home")).content.decode()
    assert "3 条未解除的欠薪预警" in home


def test_the_api_reads_sheets_and_explained_lines(pay: Payroll, client: Client) -> None:
    services.generate(period=pay.period, by=pay.world.alice)
    sheet = PaySheet.objects.get(period=pay.period, team=pay.world.team_a)
    client.force_login(pay.world.alice)
    sheets = client.get("/api/v1/payroll/sheets?project=P1").json()
    assert sheets["count"] == 2
    lines = client.get(f"/api/v1/payroll/sheets/{sheet.public_id}/lines").json()["items"]
    assert lines[0]["net"] == "6840.00"
    assert lines[0]["parts"][0]["label"] == "计日工资：18 天 × 日工资 380.00 元"
    client.force_login(pay.world.bob)
    assert client.get(f"/api/v1/payroll/sheets/{sheet.public_id}").status_code == 404
    services.confirm_team(sheet=sheet, by=pay.tina)
    client.force_login(pay.world.wendy)
    mine = client.get("/api/v1/payroll/my-lines").json()["items"]
    assert [m["net"] for m in mine] == ["6840.00"]


def test_the_worker_job_runs_the_check(pay: Payroll, monkeypatch: pytest.MonkeyPatch) -> None:
    from realname.core import jobs

    monkeypatch.setattr(arrears.timezone, "now", lambda: dt.datetime(2026, 11, 20, 9, tzinfo=dt.UTC))
    (job,) = [j for j in jobs.default_jobs() if j.name == "payroll.arrears"]
    summary = job.run()  # after October's pay day, nothing paid
    assert "arrears warnings opened" in summary
    assert ArrearsWarning.objects.filter(period=pay.period, resolved_at__isnull=True).exists()
    assert job.run() == ""  # the same again: nothing new
