"""The pay pages: periods, generation, inputs, a sheet through its workflow, and the worker's phone pages."""

from __future__ import annotations

import datetime as dt

from django.test import Client
from django.urls import reverse

from realname.payroll.models import (
    LineStatus,
    PayItem,
    PayLine,
    PayPeriod,
    PaySheet,
    PieceQuantity,
    SheetStatus,
)
from realname.payroll.tests.conftest import Payroll, record_day


def as_(client: Client, user: object) -> Client:
    client.force_login(user)  # type: ignore[arg-type]
    return client


def test_a_labour_manager_opens_a_period_and_generates_from_the_pages(pay: Payroll, client: Client) -> None:
    as_(client, pay.world.bob)
    page = client.get(reverse("payroll:period_list"))
    assert page.status_code == 200 and "新建计薪周期" in page.content.decode()
    response = client.post(
        reverse("payroll:period_list"),
        {"project": str(pay.world.p1.public_id), "month": "2026-11", "pay_date": ""},
    )
    period = PayPeriod.objects.get(project=pay.world.p1, month=dt.date(2026, 11, 1))
    assert response.status_code == 302 and period.pay_date == dt.date(2026, 12, 15)  # a Tuesday
    duplicate = client.post(
        reverse("payroll:period_list"), {"project": str(pay.world.p1.public_id), "month": "2026-11"}
    )
    assert "已经存在" in duplicate.content.decode()
    client.post(reverse("payroll:period_generate", args=[pay.period.public_id]))
    sheet = PaySheet.objects.get(period=pay.period)  # bob prepares only his company's sheet
    assert sheet.participant == pay.world.sub_b
    detail = client.get(reverse("payroll:period_detail", args=[pay.period.public_id])).content.decode()
    assert "6840.00" in detail


def test_the_sheet_page_explains_each_line_and_walks_the_workflow(pay: Payroll, client: Client) -> None:
    world = pay.world
    record_day(pay.emp_a, dt.date(2026, 10, 17), "8")
    as_(client, world.alice)
    client.post(reverse("payroll:period_generate", args=[pay.period.public_id]))
    sheet = PaySheet.objects.get(period=pay.period, team=world.team_a)
    page = client.get(reverse("payroll:sheet_detail", args=[sheet.public_id])).content.decode()
    assert "计日工资：18 天 × 日工资 380.00 元" in page
    assert "休息日加班 8 小时 × 47.50 元/小时 × 200%" in page
    assert "10-17" in page or "2026-10-17" in page
    # alice (general contractor's administrator) records the team leader's paper confirmation
    refused = client.post(reverse("payroll:sheet_confirm_team", args=[sheet.public_id]), {"note": ""})
    assert refused.status_code == 302
    sheet.refresh_from_db()
    assert sheet.status == SheetStatus.DRAFT
    as_(client, pay.tina)
    client.post(reverse("payroll:sheet_confirm_team", args=[sheet.public_id]), {"note": ""})
    sheet.refresh_from_db()
    assert sheet.status == SheetStatus.TEAM_CONFIRMED


def test_a_worker_confirms_or_disputes_on_the_phone_page(pay: Payroll, client: Client) -> None:
    from realname.payroll import services

    world = pay.world
    services.generate(period=pay.period, by=world.alice)
    sheet = PaySheet.objects.get(period=pay.period, team=world.team_a)
    line = PayLine.objects.get(sheet=sheet, employment=pay.emp_a)
    as_(client, world.wendy)
    # a draft's figures may still change: the worker sees the line once the team leader has confirmed it
    assert "6840.00" not in client.get(reverse("payroll:my_pay")).content.decode()
    assert client.get(reverse("payroll:my_line", args=[line.public_id])).status_code == 404
    services.confirm_team(sheet=sheet, by=pay.tina)
    assert "6840.00" in client.get(reverse("payroll:my_pay")).content.decode()
    page = client.get(reverse("payroll:my_line", args=[line.public_id])).content.decode()
    assert "金额无误，确认" in page
    client.post(
        reverse("payroll:my_line", args=[line.public_id]),
        {"action": "dispute", "part": "base.daily", "reason": "17日我上了班"},
    )
    line.refresh_from_db()
    assert line.status == LineStatus.DISPUTED and line.dispute_part == "base.daily"
    as_(client, world.alice)
    client.post(reverse("payroll:line_answer", args=[line.public_id]), {"note": "17日无考勤，请申请补卡"})
    as_(client, world.wendy)
    assert "请申请补卡" in client.get(reverse("payroll:my_line", args=[line.public_id])).content.decode()
    client.post(reverse("payroll:my_line", args=[line.public_id]), {"action": "confirm"})
    line.refresh_from_db()
    assert line.status == LineStatus.CONFIRMED


def test_pages_are_scoped(pay: Payroll, client: Client) -> None:
    from realname.payroll import services

    world = pay.world
    services.generate(period=pay.period, by=world.alice)
    sheet_a = PaySheet.objects.get(period=pay.period, team=world.team_a)
    line_a = PayLine.objects.get(sheet=sheet_a)
    as_(client, world.bob)  # the subcontractor does not see the general contractor's sheet
    assert client.get(reverse("payroll:sheet_detail", args=[sheet_a.public_id])).status_code == 404
    as_(client, world.charlie)  # another project's company sees nothing of P1
    assert client.get(reverse("payroll:period_detail", args=[pay.period.public_id])).status_code == 404
    as_(client, world.wendy)  # a worker sees no sheet (outside what they may view: 404), only their own line
    assert client.get(reverse("payroll:sheet_detail", args=[sheet_a.public_id])).status_code == 404
    other = PayLine.objects.get(employment=pay.emp_b)
    assert client.get(reverse("payroll:my_line", args=[other.public_id])).status_code == 404
    services.confirm_team(sheet=sheet_a, by=pay.tina)
    assert client.get(reverse("payroll:my_line", args=[line_a.public_id])).status_code == 200


def test_inputs_page_enters_deductions_and_piece_quantities(pay: Payroll, client: Client) -> None:
    world = pay.world
    as_(client, world.alice)
    url = reverse("payroll:period_inputs", args=[pay.period.public_id])
    client.post(
        url,
        {
            "form": "item",
            "item-employment": str(pay.emp_a.public_id),
            "item-item": "deduction:meals",
            "item-amount": "260",
            "item-note": "10月伙食",
        },
    )
    item = PayItem.objects.get()
    assert (item.kind, item.amount) == ("meals", 260)
    as_(client, pay.tina)
    client.post(
        url,
        {
            "form": "piece",
            "piece-employment": str(pay.emp_a.public_id),
            "piece-description": "钢筋绑扎",
            "piece-quantity": "3",
            "piece-unit": "80",
            "piece-unit_price": "20",
            "piece-overtime": "",
        },
    )
    assert PieceQuantity.objects.get().entered_by == pay.tina
    page = client.get(url).content.decode()
    assert "伙食费" in page and "钢筋绑扎" in page
    as_(client, world.alice)
    client.post(reverse("payroll:period_generate", args=[pay.period.public_id]))
    line = PayLine.objects.get(employment=pay.emp_a)
    assert str(line.net) == "6640.00"  # 6840 + 3 × 20 − 260


def test_a_paper_signature_is_recorded_from_the_sheet_page_only_with_its_basis(
    pay: Payroll, client: Client
) -> None:
    from realname.payroll import services

    world = pay.world
    services.generate(period=pay.period, by=world.bob)
    sheet = PaySheet.objects.get(period=pay.period, team=world.team_b)
    services.confirm_team(sheet=sheet, by=world.bob, note="班组长已在纸质工资表签字")
    line = PayLine.objects.get(sheet=sheet)
    as_(client, world.bob)
    url = reverse("payroll:line_paper_signature", args=[line.public_id])
    refused = client.post(url, {"note": ""}, follow=True).content.decode()
    assert "请写明签字的依据" in refused
    line.refresh_from_db()
    assert line.status == LineStatus.PENDING
    client.post(url, {"note": "纸质工资表第1页本人签字"})
    line.refresh_from_db()
    assert (line.status, line.confirm_via, line.confirm_note) == (
        LineStatus.CONFIRMED,
        "paper",
        "纸质工资表第1页本人签字",
    )


def test_generate_names_who_belongs_on_a_confirmed_sheet_and_is_on_none(pay: Payroll, client: Client) -> None:
    from realname.payroll import services
    from realname.testing import employ, make_worker

    world = pay.world
    services.generate(period=pay.period, by=world.alice)
    b_sheet = PaySheet.objects.get(period=pay.period, team=world.team_b)
    services.confirm_team(sheet=b_sheet, by=world.alice, note="班组长已在纸质工资表上签字")
    # A worker of team B whose days arrive after its sheet was confirmed (a late entry, a late 补卡).
    late = employ(make_worker("吴迟"), world.sub_b, team=world.team_b)
    record_day(late, dt.date(2026, 10, 9))
    as_(client, world.alice)
    page = client.post(
        reverse("payroll:period_generate", args=[pay.period.public_id]), follow=True
    ).content.decode()
    assert "吴迟 本月应在上述已确认或审核的工资表上" in page
    assert "退回草稿后重新计算" in page
    assert not PayLine.objects.filter(employment=late).exists()
