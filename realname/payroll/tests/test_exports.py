"""The pay sheet for signing (print page and .xlsx), the wage ledger (工资支付台账), pay slips (工资条)."""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook
from openpyxl.worksheet.worksheet import Worksheet

from realname.bank import services as bank_services
from realname.bank.selectors import PaymentStatus
from realname.bank.tests.conftest import Bank, approve_a, approve_b, bank, return_csv  # noqa: F401 - fixture
from realname.bank.tests.test_batches import line_for, row
from realname.core.models import AuditEntry
from realname.payroll import exports, services
from realname.payroll.models import PayLine, PaySheet, SheetStatus
from realname.payroll.tests.conftest import Payroll, record_day, working_days
from realname.payroll.tests.test_services import line_of, sheet_of
from realname.testing import employ, make_worker
from realname.workers import services as worker_services

D = Decimal


def as_(client: Client, user: object) -> Client:
    client.force_login(user)  # type: ignore[arg-type]
    return client


def _sheet_ws(data: bytes) -> Worksheet:
    ws = load_workbook(io.BytesIO(data)).active
    assert isinstance(ws, Worksheet)
    return ws


def _rows(ws: Worksheet) -> list[list[Any]]:
    return [list(r) for r in ws.iter_rows(values_only=True)]


def _find(rows: list[list[Any]], first: str) -> list[Any]:
    return next(r for r in rows if isinstance(r[0], str) and r[0].startswith(first))


def _confirm_both_with_paper(pay: Payroll) -> None:
    """Generate; every line of both sheets confirmed by a paper signature the preparers register."""
    world = pay.world
    services.generate(period=pay.period, by=world.alice)
    for team, by in ((world.team_a, pay.tina), (world.team_b, world.bob)):
        sheet = services.confirm_team(sheet=sheet_of(pay, team.pk), by=by, note="纸质")
        for line in PayLine.objects.filter(sheet=sheet):
            services.record_paper_signature(line=line, by=world.alice, note="纸质工资表本人签字")


def _confirm_both(pay: Payroll) -> tuple[PaySheet, PaySheet]:
    """team_a's sheet: 张甲 with a 500 advance and 300 of meals, confirmed on her phone; team_b's sheet:
    李乙, a paper signature registered by bob. Both reach workers_confirmed."""
    world = pay.world
    for kind, amount in (("advance", "500"), ("meals", "300")):
        services.add_item(
            period=pay.period,
            employment=pay.emp_a,
            by=world.alice,
            direction="deduction",
            kind=kind,
            amount=D(amount),
            note="10月",
        )
    services.generate(period=pay.period, by=world.alice)
    sheet_a = services.confirm_team(sheet=sheet_of(pay, world.team_a.pk), by=pay.tina)
    services.confirm_line(line=line_of(sheet_a, pay.emp_a.pk), by=world.wendy)
    sheet_b = services.confirm_team(
        sheet=sheet_of(pay, world.team_b.pk), by=world.bob, note="班组长已在纸质工资表签字"
    )
    services.record_paper_signature(line=line_of(sheet_b, pay.emp_b.pk), by=world.bob, note="纸质第1页")
    sheet_a.refresh_from_db()
    sheet_b.refresh_from_db()
    assert sheet_a.status == sheet_b.status == SheetStatus.WORKERS_CONFIRMED
    return sheet_a, sheet_b


# --- the pay sheet workbook -------------------------------------------------------------------------------


def test_the_sheet_workbook_has_the_title_a_lines_figures_totals_a_masked_id_and_the_signature(
    pay: Payroll,
) -> None:
    sheet_a, _ = _confirm_both(pay)
    ws = _sheet_ws(exports.sheet_workbook(sheet_a))
    rows = _rows(ws)
    assert ws.title == "工资支付表"
    assert rows[0][0] == "项目P1 2026年10月 工资支付表"
    assert "用工单位：甲建设集团有限公司" in rows[1][0] and "班组：甲钢筋班" in rows[1][0]
    assert "发薪日：2026-11-13" in rows[1][0] and "版本：v1" in rows[1][0]
    headers = rows[2]
    assert headers == [
        "序号",
        "姓名",
        "身份证号",
        "出勤天数",
        "工时",
        "加班工时",
        "应发明细",
        "应发工资",
        "扣款：借支",
        "扣款：伙食费",
        "扣款合计",
        "实发工资",
        "本人签字",
    ]
    line = dict(zip(headers, rows[3], strict=True))
    worker = pay.world.worker_a
    assert line["姓名"] == "张甲"
    assert line["身份证号"] == worker.id_number_masked and "*" in line["身份证号"]
    assert worker.id_number() not in str(rows)
    assert (line["出勤天数"], line["工时"]) == (18, 144)
    assert line["应发明细"] == "计日工资：18 天 × 日工资 380.00 元：6840.00"
    assert (line["应发工资"], line["扣款：借支"], line["扣款：伙食费"]) == (6840, 500, 300)
    assert (line["扣款合计"], line["实发工资"]) == (800, 6040)
    assert line["本人签字"].startswith("手机确认 2026-")
    totals = _find(rows, "合计")
    assert totals[0] == "合计（1人）" and totals[7:12] == [6840, 500, 300, 800, 6040]
    signatures = _find(rows, "班组长（签字）")[0]
    assert "用工单位（盖章）" in signatures and "总承包单位（盖章）" in signatures
    assert ws.page_setup.orientation == "landscape" and ws.page_setup.fitToWidth == 1
    assert ws.print_title_rows == "$3:$3"
    assert ws.cell(4, 12).number_format == "#,##0.00"


def test_a_paper_signature_names_who_registered_it_and_a_pending_line_leaves_the_cell_blank(
    pay: Payroll,
) -> None:
    world = pay.world
    services.generate(period=pay.period, by=world.alice)
    sheet_b = services.confirm_team(sheet=sheet_of(pay, world.team_b.pk), by=world.bob, note="纸质")
    pending = _rows(_sheet_ws(exports.sheet_workbook(sheet_b)))
    assert pending[3][1] == "李乙" and pending[3][-1] is None  # blank: the worker signs here
    services.record_paper_signature(line=line_of(sheet_b, pay.emp_b.pk), by=world.bob, note="第1页")
    signed = _rows(_sheet_ws(exports.sheet_workbook(sheet_b)))
    assert signed[3][-1].startswith("纸质签字（登记人 bob，2026-")
    assert signed[2][8] == "扣款合计"  # no deduction kinds on this sheet: no deduction columns


# --- the ledger -------------------------------------------------------------------------------------------


def test_the_ledger_has_every_art_15_column_and_masks_ids_unless_revealed(pay: Payroll) -> None:
    _confirm_both(pay)
    lines = sorted(exports.ledger_lines(pay.period, pay.world.alice), key=lambda line: line.pk)
    assert [line.worker.name for line in lines] == ["张甲", "李乙"]
    ws = _sheet_ws(exports.ledger_workbook(pay.period, lines, reveal_ids=False))
    rows = _rows(ws)
    assert rows[0][0] == "项目P1 2026年10月 工资支付台账"
    assert "第十五条" in rows[2][0] and "草稿和已被新版本取代的工资表不在本台账内" in rows[2][0]
    headers = rows[3]
    for art_15 in (
        "用人单位名称",
        "支付周期",
        "支付日期",
        "姓名",
        "身份证号码",
        "联系方式",
        "工作时间",
        "应发工资项目及数额",
        "代扣、代缴、扣除项目和数额",
        "实发工资数额",
        "银行代发工资凭证或者农民工签字",
    ):
        assert art_15 in headers
    a = dict(zip(headers, rows[4], strict=True))
    worker_a = pay.world.worker_a
    assert a["用人单位名称"] == "甲建设集团有限公司" and a["支付周期"] == "2026-10"
    assert a["支付日期"].date() == dt.date(2026, 11, 13)  # the period's pay date: nothing paid yet
    assert a["身份证号码"] == worker_a.id_number_masked
    assert a["联系方式"] == (worker_a.phone or None)
    assert a["工作时间"] == "出勤 18.0 天；工时 144.00 小时；加班 0.00 小时"
    assert a["应发工资项目及数额"] == "计日工资：18 天 × 日工资 380.00 元：6840.00\n应发合计：6840.00"
    assert (
        a["代扣、代缴、扣除项目和数额"]
        == "扣款：借支 10月：500.00\n扣款：伙食费 10月：300.00\n扣款合计：800.00"
    )
    assert a["实发工资数额"] == 6040
    assert a["银行代发工资凭证或者农民工签字"].startswith("手机确认 2026-")
    b = dict(zip(headers, rows[5], strict=True))
    assert b["银行代发工资凭证或者农民工签字"].startswith("纸质签字（登记人 bob")
    assert _find(rows, "合计")[11] == 6040 + 6840
    revealed = _rows(_sheet_ws(exports.ledger_workbook(pay.period, lines, reveal_ids=True)))
    assert revealed[4][6] == worker_a.id_number() and revealed[5][6] == pay.world.worker_b.id_number()


def test_drafts_and_superseded_sheets_stay_out_of_the_ledger(pay: Payroll) -> None:
    world = pay.world
    services.generate(period=pay.period, by=world.alice)
    assert list(exports.ledger_lines(pay.period, world.alice)) == []  # drafts only
    sheet_a, sheet_b = _confirm_both(pay)
    services.approve_employer(sheet=sheet_a, by=world.alice)
    services.approve_gc(sheet=sheet_a, by=world.alice)
    new = services.revise(sheet=sheet_a, by=world.alice, reason="更正考勤")
    sheet_a.refresh_from_db()
    assert sheet_a.status == SheetStatus.SUPERSEDED and new.status == SheetStatus.DRAFT
    in_ledger = list(exports.ledger_lines(pay.period, world.alice))
    assert [line.sheet_id for line in in_ledger] == [sheet_b.pk]


def test_the_ledger_shows_the_banks_voucher_and_paid_date_when_paid(
    pay: Payroll, monkeypatch: pytest.MonkeyPatch
) -> None:
    _confirm_both(pay)
    lines = sorted(exports.ledger_lines(pay.period, pay.world.alice), key=lambda line: line.pk)
    paid_at = dt.datetime(2026, 11, 12, 3, 0, tzinfo=dt.UTC)  # 11:00 in Shanghai
    statuses = {
        lines[0].pk: PaymentStatus("paid", "WB202611-001", paid_at, ""),
        lines[1].pk: PaymentStatus("failed", "WB202611-001", None, "户名不符"),
    }
    monkeypatch.setattr(exports, "payments_of", lambda ids: {k: v for k, v in statuses.items() if k in ids})
    rows = exports.ledger_rows(pay.period, lines)
    assert rows[0].pay_date == dt.date(2026, 11, 12) and rows[0].paid
    assert rows[0].evidence.startswith("银行代发 批次 WB202611-001，2026-11-12 发放成功\n手机确认")
    assert rows[1].pay_date == dt.date(2026, 11, 13) and not rows[1].paid
    assert "银行代发失败（批次 WB202611-001：户名不符）" in rows[1].evidence


def test_a_real_bank_batch_is_the_ledgers_voucher_and_the_slips_payment(bank: Bank, client: Client) -> None:  # noqa: F811
    pay = bank.pay
    world, fred = pay.world, pay.fred
    approve_a(bank)
    approve_b(bank)
    batch = bank_services.create_batch(sheets=[bank.sheet_a, bank.sheet_b], by=fred).batch
    bank_services.export(batch=batch, fmt="xlsx", by=fred)
    bank_services.mark_sent(batch=batch, by=fred, note="网银上传")
    line_a, line_b = line_for(batch, world.worker_a.pk), line_for(batch, world.worker_b.pk)
    line_d = line_for(batch, bank.emp_d.worker_id)
    in_ledger = {line.worker.name: line for line in exports.ledger_lines(pay.period, world.alice)}
    before = {r.name: r for r in exports.ledger_rows(pay.period, list(in_ledger.values()))}
    assert before["张甲"].evidence.startswith("手机确认 2026-")
    assert before["张甲"].evidence.endswith(f"\n已提交银行代发（批次 {batch.reference}），待银行回单")
    assert not before["张甲"].paid and before["张甲"].pay_date == pay.period.pay_date
    bank_services.import_return(
        batch=batch,
        data=return_csv([row(line_a, "成功"), row(line_b, "失败", "户名与账号不符"), row(line_d, "成功")]),
        filename="回盘.csv",
        by=fred,
    )
    line_a.refresh_from_db()
    assert line_a.returned_at is not None
    paid_on = timezone.localtime(line_a.returned_at, ZoneInfo("Asia/Shanghai")).date()
    after = {r.name: r for r in exports.ledger_rows(pay.period, list(in_ledger.values()))}
    assert after["张甲"].paid and after["张甲"].pay_date == paid_on
    assert after["张甲"].evidence.startswith(
        f"银行代发 批次 {batch.reference}，{paid_on:%Y-%m-%d} 发放成功\n手机确认"
    )
    assert after["王丁"].evidence.startswith(f"银行代发 批次 {batch.reference}")
    assert after["李乙"].evidence.endswith(f"银行代发失败（批次 {batch.reference}：户名与账号不符）")
    assert after["李乙"].pay_date == pay.period.pay_date and not after["李乙"].paid
    as_(client, world.alice)
    response = client.get(reverse("payroll:period_ledger_xlsx", args=[pay.period.public_id]))
    rows = _rows(_sheet_ws(response.content))
    voucher = {r[5]: (r[4], r[12]) for r in rows[4:] if isinstance(r[0], int)}
    assert voucher["张甲"][0].date() == paid_on and batch.reference in voucher["张甲"][1]
    as_(client, world.wendy)
    slip = client.get(reverse("payroll:my_slip", args=[in_ledger["张甲"].public_id])).content.decode()
    assert f"银行代发 批次 {batch.reference}，{paid_on:%Y-%m-%d} 发放成功" in slip


def test_the_ledger_page_and_a_masked_download_audited(pay: Payroll, client: Client) -> None:
    _confirm_both(pay)
    as_(client, pay.fred)  # finance: may export, may not reveal ID numbers
    page = client.get(reverse("payroll:period_ledger", args=[pay.period.public_id]))
    body = page.content.decode()
    assert page.status_code == 200 and "张甲" in body and "李乙" in body
    assert pay.world.worker_a.id_number_masked in body and pay.world.worker_a.id_number() not in body
    assert "含完整身份证号" not in body  # no such option without workers.reveal_id
    url = reverse("payroll:period_ledger_xlsx", args=[pay.period.public_id])
    assert client.get(url, {"ids": "full"}).status_code == 403
    response = client.get(url)
    assert response.status_code == 200 and response["Content-Type"] == exports.XLSX_CONTENT_TYPE
    rows = _rows(_sheet_ws(response.content))
    ids = {r[5]: r[6] for r in rows[4:] if isinstance(r[0], int)}
    assert ids == {"张甲": pay.world.worker_a.id_number_masked, "李乙": pay.world.worker_b.id_number_masked}
    entry = AuditEntry.objects.get(action="export", object_type="payroll.PayPeriod")
    assert entry.actor == pay.fred and entry.changes["id_numbers"] == "masked"
    assert entry.changes["rows"] == 2 and "身份证号已脱敏" in entry.note


def test_a_full_id_ledger_is_only_for_reveal_id_and_the_audit_says_so(pay: Payroll, client: Client) -> None:
    _confirm_both(pay)
    as_(client, pay.world.alice)
    page = client.get(reverse("payroll:period_ledger", args=[pay.period.public_id])).content.decode()
    assert "含完整身份证号" in page
    assert pay.world.worker_a.id_number() not in page  # the page itself stays masked
    response = client.get(reverse("payroll:period_ledger_xlsx", args=[pay.period.public_id]), {"ids": "full"})
    rows = _rows(_sheet_ws(response.content))
    ids = {r[5]: r[6] for r in rows[4:] if isinstance(r[0], int)}
    assert ids == {"张甲": pay.world.worker_a.id_number(), "李乙": pay.world.worker_b.id_number()}
    entry = AuditEntry.objects.get(action="export", object_type="payroll.PayPeriod")
    assert entry.changes["id_numbers"] == "full" and entry.changes["revealed"] == 2
    assert "含完整身份证号 2 人" in entry.note
    for number in (pay.world.worker_a.id_number(), pay.world.worker_b.id_number()):
        assert not AuditEntry.objects.filter(note__contains=number).exists()
        assert number not in str(list(AuditEntry.objects.values_list("changes", flat=True)))


def test_a_subcontractor_ledger_holds_only_its_own_workers(pay: Payroll, client: Client) -> None:
    _confirm_both(pay)
    as_(client, pay.world.bob)
    response = client.get(reverse("payroll:period_ledger_xlsx", args=[pay.period.public_id]), {"ids": "full"})
    rows = _rows(_sheet_ws(response.content))
    names = [r[5] for r in rows[4:] if isinstance(r[0], int)]
    assert names == ["李乙"] and rows[4][6] == pay.world.worker_b.id_number()


def test_the_ledger_print_and_slip_pages_read_a_fixed_number_of_queries(pay: Payroll, client: Client) -> None:
    world = pay.world
    for name in ("周一", "吴二", "郑三"):
        worker = make_worker(name, registered_by_company=world.company_b)
        emp = employ(worker, world.sub_b, team=world.team_b)
        worker_services.create_contract(
            employment=emp, pay_type="daily", daily_rate=D("350"), period_type="1", start_date=emp.entry_date
        )
        for day in working_days()[:10]:
            record_day(emp, day)
    _confirm_both_with_paper(pay)
    sheet_a, sheet_b = sheet_of(pay, world.team_a.pk), sheet_of(pay, world.team_b.pk)
    assert (sheet_a.line_count, sheet_b.line_count) == (1, 4)
    as_(client, world.alice)
    counts = {}
    for key, url in (
        ("ledger", reverse("payroll:period_ledger", args=[pay.period.public_id])),
        ("print_a", reverse("payroll:sheet_print", args=[sheet_a.public_id])),
        ("print_b", reverse("payroll:sheet_print", args=[sheet_b.public_id])),
        ("slips_a", reverse("payroll:sheet_slips", args=[sheet_a.public_id])),
        ("slips_b", reverse("payroll:sheet_slips", args=[sheet_b.public_id])),
    ):
        client.get(url)  # warm the session and the user's memberships alike for each page
        with CaptureQueriesContext(connection) as queries:
            assert client.get(url).status_code == 200
        counts[key] = len(queries)
    assert counts["print_a"] == counts["print_b"] and counts["slips_a"] == counts["slips_b"]
    assert counts["ledger"] < 20, counts


# --- pages: print, slips, scope ---------------------------------------------------------------------------


def test_the_print_page_and_the_xlsx_download_of_a_sheet(pay: Payroll, client: Client) -> None:
    sheet_a, _ = _confirm_both(pay)
    as_(client, pay.world.alice)
    page = client.get(reverse("payroll:sheet_print", args=[sheet_a.public_id])).content.decode()
    assert "项目P1 2026年10月 工资支付表" in page
    assert "张甲" in page and pay.world.worker_a.id_number_masked in page and "6040.00" in page
    assert "手机确认 2026-" in page and "总承包单位（盖章）" in page and "扣款：伙食费" in page
    assert "合计（1人）" in page
    detail = client.get(reverse("payroll:sheet_detail", args=[sheet_a.public_id])).content.decode()
    assert reverse("payroll:sheet_print", args=[sheet_a.public_id]) in detail
    response = client.get(reverse("payroll:sheet_xlsx", args=[sheet_a.public_id]))
    assert response.status_code == 200
    assert (
        "attachment" in response["Content-Disposition"] and response["Cache-Control"] == "private, no-store"
    )
    assert _rows(_sheet_ws(response.content))[3][1] == "张甲"
    entry = AuditEntry.objects.get(action="export", object_type="payroll.PaySheet")
    assert entry.object_id == str(sheet_a.public_id) and entry.changes["rows"] == 1
    assert "工资支付表导出 2026-10 v1，1 人" in entry.note
    assert entry.project_id == pay.world.p1.pk


def test_a_team_leader_prints_the_sheet_but_downloads_no_xlsx(pay: Payroll, client: Client) -> None:
    sheet_a, _ = _confirm_both(pay)
    as_(client, pay.tina)  # payroll.view on her team, no workers.export
    assert client.get(reverse("payroll:sheet_print", args=[sheet_a.public_id])).status_code == 200
    assert client.get(reverse("payroll:sheet_xlsx", args=[sheet_a.public_id])).status_code == 403
    assert not AuditEntry.objects.filter(action="export").exists()


def test_the_printed_slips_one_block_per_worker_with_cut_lines(pay: Payroll, client: Client) -> None:
    world = pay.world
    second = make_worker("孙丁", registered_by_company=world.company_a)
    emp = employ(second, world.gc_p1, team=world.team_a)
    worker_services.create_contract(
        employment=emp, pay_type="daily", daily_rate=D("400"), period_type="1", start_date=emp.entry_date
    )
    five = working_days()[:5]
    for day in five:
        record_day(emp, day)
    services.generate(period=pay.period, by=world.alice)
    sheet_a = sheet_of(pay, world.team_a.pk)
    as_(client, world.alice)
    page = client.get(reverse("payroll:sheet_slips", args=[sheet_a.public_id])).content.decode()
    assert page.count('<section class="slip"') == 2 and page.count('<hr class="cut">') == 1
    assert "2026年10月 工资条 · 张甲" in page and "2026年10月 工资条 · 孙丁" in page
    assert "计日工资：5 天 × 日工资 400.00 元" in page and "2000.00" in page
    assert "10月" + "、".join(str(d.day) for d in five) + "日" in page  # 孙丁's days, as days of the month


def test_the_worker_sees_their_own_slip_and_no_one_elses(pay: Payroll, client: Client) -> None:
    _confirm_both(pay)
    world = pay.world
    own = PayLine.objects.get(employment=pay.emp_a)
    other = PayLine.objects.get(employment=pay.emp_b)
    as_(client, world.wendy)
    page = client.get(reverse("payroll:my_slip", args=[own.public_id]))
    body = page.content.decode()
    assert page.status_code == 200
    assert "2026年10月 工资条" in body and "甲建设集团有限公司" in body
    assert "计日工资：18 天 × 日工资 380.00 元" in body and "扣款：借支 10月" in body
    assert "实发 6040.00" in body and "手机确认 2026-" in body
    assert client.get(reverse("payroll:my_slip", args=[other.public_id])).status_code == 404
    line_page = client.get(reverse("payroll:my_line", args=[own.public_id])).content.decode()
    assert reverse("payroll:my_slip", args=[own.public_id]) in line_page
    as_(client, world.alice)  # a manager is no worker: the phone slip is the worker's own page
    assert client.get(reverse("payroll:my_slip", args=[own.public_id])).status_code in (403, 404)


def test_outside_scope_every_export_page_is_not_found(pay: Payroll, client: Client) -> None:
    sheet_a, sheet_b = _confirm_both(pay)
    as_(client, pay.world.bob)  # subcontractor B: sees team_b's sheet only
    for name in ("sheet_print", "sheet_xlsx", "sheet_slips"):
        assert client.get(reverse(f"payroll:{name}", args=[sheet_a.public_id])).status_code == 404
    assert client.get(reverse("payroll:sheet_xlsx", args=[sheet_b.public_id])).status_code == 200
    as_(client, pay.world.charlie)  # another project's company: nothing of P1
    for name in ("period_ledger", "period_ledger_xlsx"):
        assert client.get(reverse(f"payroll:{name}", args=[pay.period.public_id])).status_code == 404
    assert client.get(reverse("payroll:sheet_print", args=[sheet_b.public_id])).status_code == 404
    assert AuditEntry.objects.filter(action="export").count() == 1  # bob's own sheet only
