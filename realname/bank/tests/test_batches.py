"""Bank batches through the services: made from approved sheets to each worker's own card, exported, sent,
answered by the bank's return file, re-issued after the card is corrected — and never deleted."""

from __future__ import annotations

import csv
import importlib.resources
import io
from decimal import Decimal

import openpyxl
import pytest
import xmlschema
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import DatabaseError, connection, transaction

from realname.bank import db_triggers, services
from realname.bank.models import BankBatch, BankBatchLine, BatchKind, BatchLineStatus, BatchStatus
from realname.bank.selectors import payment_status
from realname.bank.tests.conftest import WAGE_ACCOUNT, Bank, approve_a, approve_b, give_card, return_csv
from realname.core.models import AuditEntry
from realname.payroll import services as payroll
from realname.payroll.models import PayLine, SheetStatus
from realname.workers import services as worker_services
from realname.workers.models import BankAccount

D = Decimal


def line_for(batch: BankBatch, worker_id: int) -> BankBatchLine:
    return batch.lines.get(worker_id=worker_id)


def row(line: BankBatchLine, status: str, reason: str = "", amount: str = "") -> list[str]:
    """A return row for ``line`` as the bank writes it (the full card number, as sent)."""
    return [
        str(line.seq),
        line.name,
        line.bank_account.card_number(),
        line.bank_name,
        amount or str(line.amount),
        line.memo,
        line.reference,
        status,
        reason,
    ]


def sent_batch(bank: Bank) -> BankBatch:
    approve_a(bank)
    approve_b(bank)
    fred = bank.pay.fred
    batch = services.create_batch(sheets=[bank.sheet_a, bank.sheet_b], by=fred).batch
    services.export(batch=batch, fmt="xlsx", by=fred)
    return services.mark_sent(batch=batch, by=fred, note="网银上传")


def test_a_batch_pays_every_worker_of_an_approved_sheet_to_their_own_card(bank: Bank) -> None:
    world = bank.pay.world
    approve_a(bank)
    result = services.create_batch(sheets=[bank.sheet_a], by=bank.pay.fred)
    batch = result.batch
    assert batch.reference == "P1-202610-001"
    assert (batch.kind, batch.status, batch.count, batch.total) == (
        BatchKind.NORMAL,
        BatchStatus.PREPARED,
        2,
        D("6840.00") + D("7200.00"),
    )
    assert (batch.payer_account, batch.payer_bank_code) == (WAGE_ACCOUNT, "105")
    lines = list(batch.lines.order_by("seq"))
    assert [(line.name, line.amount) for line in lines] == [("张甲", D("6840.00")), ("王丁", D("7200.00"))]
    card_a = BankAccount.objects.get(worker=world.worker_a, is_current=True)
    assert lines[0].bank_account == card_a and lines[0].card_number_masked == card_a.card_number_masked
    assert "*" in lines[0].card_number_masked
    assert [line.reference for line in lines] == ["P1-202610-001-0001", "P1-202610-001-0002"]
    assert lines[0].memo == "2026年10月工资"
    assert result.skipped == []
    # count and total agree with the sheet
    assert batch.total == sum(line.net for line in PayLine.objects.filter(sheet=bank.sheet_a))
    bank.sheet_a.refresh_from_db()
    assert bank.sheet_a.status == SheetStatus.GC_APPROVED  # sent only when the file went to the bank
    assert AuditEntry.objects.filter(object_type="bank.BankBatch", action="create").count() == 1


def test_a_line_with_nothing_to_pay_is_skipped_and_named(bank: Bank) -> None:
    pay = bank.pay
    payroll.add_item(
        period=pay.period,
        employment=bank.emp_d,
        by=pay.world.alice,
        direction="deduction",
        kind="advance",
        amount=D("7200.00"),
        note="已借支",
    )
    payroll.generate(period=pay.period, by=pay.world.alice)
    approve_a(bank)
    result = services.create_batch(sheets=[bank.sheet_a], by=pay.fred)
    assert result.skipped == ["王丁（实发 0.00 元，不代发）"]
    assert (result.batch.count, result.batch.total) == (1, D("6840.00"))


def test_only_general_contractor_approved_sheets_and_only_the_general_contractor_pays(bank: Bank) -> None:
    pay = bank.pay
    world = pay.world
    with pytest.raises(ValidationError) as draft:
        services.create_batch(sheets=[bank.sheet_a], by=pay.fred)
    assert "总承包单位审核通过" in str(draft.value)
    approve_b(bank)
    for outsider in (world.bob, pay.bella, world.charlie, pay.tina, world.wendy):
        with pytest.raises(PermissionDenied):  # the subcontractor's people, another company, a worker
            services.create_batch(sheets=[bank.sheet_b], by=outsider)
    batch = services.create_batch(sheets=[bank.sheet_b], by=world.alice).batch
    assert batch.count == 1
    with pytest.raises(ValidationError) as twice:
        services.create_batch(sheets=[bank.sheet_b], by=world.admin)
    assert "李乙：该工资明细已在另一个代发批次中" in str(twice.value)


def test_no_card_or_another_workers_card_refuses_the_whole_batch_naming_each_worker(bank: Bank) -> None:
    pay = bank.pay
    world = pay.world
    approve_a(bank)
    BankAccount.objects.filter(worker=world.worker_a).update(is_current=False)
    leaders_card = BankAccount.objects.get(worker=pay.leader, is_current=True)
    worker_services.set_bank_card(
        worker=bank.emp_d.worker,
        card_number=leaders_card.card_number(),
        bank_name=leaders_card.bank_name,
        bank_code=leaders_card.bank_code,
    )
    with pytest.raises(ValidationError) as refused:
        services.create_batch(sheets=[bank.sheet_a], by=pay.fred)
    messages = refused.value.messages
    assert any(m.startswith("张甲：没有登记本人的工资卡") for m in messages)
    assert any(
        m.startswith("王丁：工资卡") and "同时登记为赵班长的工资卡" in m and "不能发到班组长或他人的卡" in m
        for m in messages
    )
    assert leaders_card.card_number() not in str(messages)  # masked
    assert not BankBatch.objects.exists()  # no partial batch


def test_the_missing_wage_account_is_named(bank: Bank) -> None:
    approve_a(bank)
    type(bank.pay.world.p1).objects.filter(pk=bank.pay.world.p1.pk).update(wage_account_number="")
    with pytest.raises(ValidationError) as refused:
        services.create_batch(sheets=[bank.sheet_a], by=bank.pay.fred)
    assert "未登记农民工工资专用账户" in str(refused.value)


def test_the_exported_files_carry_the_cards_in_full_and_pain001_is_valid(bank: Bank) -> None:
    world = bank.pay.world
    approve_a(bank)
    batch = services.create_batch(sheets=[bank.sheet_a], by=bank.pay.fred).batch
    card_a = BankAccount.objects.get(worker=world.worker_a, is_current=True).card_number()
    with pytest.raises(PermissionDenied):
        services.export(batch=batch, fmt="csv", by=world.bob)
    data = services.export(batch=batch, fmt="xlsx", by=bank.pay.fred)
    sheet = openpyxl.load_workbook(io.BytesIO(data)).worksheets[0]
    cells = [tuple(r) for r in sheet.iter_rows(values_only=True)]
    summary = {r[0]: r[1] for r in cells[:9]}
    assert (summary["笔数"], D(str(summary["总金额"])), summary["付款账号"]) == (
        2,
        D("14040.00"),
        WAGE_ACCOUNT,
    )
    assert (1, "张甲", card_a, D("6840.00")) in {(r[0], r[1], r[2], D(str(r[4]))) for r in cells[11:]}
    text = services.export(batch=batch, fmt="csv", by=bank.pay.fred).decode("gbk")
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[1][1:3] == ["张甲", card_a] and rows[1][6] == "P1-202610-001-0001"
    xml = services.export(batch=batch, fmt="pain001", by=bank.pay.fred)
    resource = importlib.resources.files("sepaxml") / "schemas" / "pain.001.001.03.xsd"
    with importlib.resources.as_file(resource) as path:
        schema = xmlschema.XMLSchema(str(path))
    schema.validate(xml.decode())
    assert card_a in xml.decode() and "<CtrlSum>14040.00</CtrlSum>" in xml.decode()
    batch.refresh_from_db()
    assert batch.status == BatchStatus.EXPORTED and batch.exported_at is not None
    exports = AuditEntry.objects.filter(object_type="bank.BankBatch", action="export")
    assert sorted(e.changes["format"] for e in exports) == ["csv", "pain001", "xlsx"]
    assert all(card_a not in str(e.changes) + e.note for e in AuditEntry.objects.all())


def test_a_return_books_paid_and_failed_and_flags_a_wrong_amount_without_paying_it(bank: Bank) -> None:
    pay = bank.pay
    world = pay.world
    batch = sent_batch(bank)
    bank.sheet_a.refresh_from_db()
    assert bank.sheet_a.status == SheetStatus.SENT
    line_a, line_b = line_for(batch, world.worker_a.pk), line_for(batch, world.worker_b.pk)
    line_d = line_for(batch, bank.emp_d.worker_id)
    data = return_csv(
        [
            row(line_a, "成功"),
            row(line_d, "失败", "账户已销户"),
            row(line_b, "成功", amount="6480.00"),
            ["9", "某某", "6222000000000000000", "某行", "10.00", "", "X-UNKNOWN-1", "成功", ""],
        ]
    )
    with pytest.raises(PermissionDenied):
        services.import_return(batch=batch, data=data, filename="回盘.csv", by=world.bob)
    result = services.import_return(batch=batch, data=data, filename="回盘.csv", by=pay.fred)
    assert result.paid == ["张甲 6840.00"] and result.failed == ["王丁：账户已销户"]
    assert result.flagged == ["李乙：第4行金额 6480.00 与代发金额 6840.00 不符"]
    assert result.unknown == ["第5行：业务参考号“X-UNKNOWN-1”不在本批次中（金额 10.00）"]
    for line in (line_a, line_b, line_d):
        line.refresh_from_db()
    assert (line_a.status, line_d.status, line_d.bank_reason) == ("paid", "failed", "账户已销户")
    assert line_b.status == BatchLineStatus.PENDING  # flagged, never booked
    assert line_b.flags[0]["field"] == "amount" and line_b.flags[0]["row"] == 4
    batch.refresh_from_db()
    bank.sheet_a.refresh_from_db()
    bank.sheet_b.refresh_from_db()
    assert batch.status == BatchStatus.PARTLY_FAILED
    assert bank.sheet_a.status == SheetStatus.PARTLY_FAILED
    assert bank.sheet_b.status == SheetStatus.SENT  # its only line awaits review
    assert batch.returns.get().flagged == 1
    status = payment_status([line_a.pay_line_id, line_b.pay_line_id, line_d.pay_line_id])
    assert status[line_a.pay_line_id].state == "paid" and status[line_a.pay_line_id].paid_at is not None
    assert status[line_b.pay_line_id].state == "pending"
    assert (status[line_d.pay_line_id].state, status[line_d.pay_line_id].reason) == ("failed", "账户已销户")
    # The same file again changes nothing; a later file that contradicts a booked answer is flagged.
    services.import_return(batch=batch, data=data, filename="回盘.csv", by=pay.fred)
    line_b.refresh_from_db()
    assert len(line_b.flags) == 1
    again = services.import_return(
        batch=batch, data=return_csv([row(line_a, "失败", "退票")]), filename="回盘2.csv", by=pay.fred
    )
    line_a.refresh_from_db()
    assert line_a.status == "paid" and "与此前的结果“已到账”不同" in again.flagged[0]
    # A person settles the flagged line after checking the bank's statement.
    with pytest.raises(ValidationError):
        services.resolve_line(line=line_b, by=pay.fred, paid=True, note=" ")
    services.resolve_line(line=line_b, by=pay.fred, paid=True, note="银行回单 20261115-0003 金额 6840.00")
    bank.sheet_b.refresh_from_db()
    assert bank.sheet_b.status == SheetStatus.PAID


def test_failed_lines_are_reissued_to_the_corrected_card_and_the_sheet_becomes_paid(bank: Bank) -> None:
    pay = bank.pay
    world = pay.world
    batch = sent_batch(bank)
    line_a, line_b = line_for(batch, world.worker_a.pk), line_for(batch, world.worker_b.pk)
    line_d = line_for(batch, bank.emp_d.worker_id)
    services.import_return(
        batch=batch,
        data=return_csv([row(line_a, "成功"), row(line_b, "成功"), row(line_d, "失败", "户名与账号不符")]),
        filename="回盘.csv",
        by=pay.fred,
    )
    bank.sheet_a.refresh_from_db()
    assert bank.sheet_a.status == SheetStatus.PARTLY_FAILED
    with pytest.raises(ValidationError) as same:
        services.create_reissue(batch=batch, by=pay.fred)
    assert "王丁：工资卡仍是" in str(same.value) and "户名与账号不符" in str(same.value)
    with pytest.raises(ValidationError):
        services.create_reissue(batch=batch, by=pay.fred, confirm_same_card=True, note="")
    new_card = give_card(bank.emp_d.worker)  # the labour manager corrected the card on the worker's page
    reissue = services.create_reissue(batch=batch, by=pay.fred)
    assert (reissue.kind, reissue.parent, reissue.count, reissue.total) == (
        BatchKind.REISSUE,
        batch,
        1,
        D("7200.00"),
    )
    new_line = reissue.lines.get()
    assert new_line.bank_account == new_card and new_line.memo == "2026年10月工资（补发）"
    line_d.refresh_from_db()
    assert line_d.reissued_by == new_line
    with pytest.raises(ValidationError):
        services.create_reissue(batch=batch, by=pay.fred)  # nothing left to re-issue
    assert payment_status([line_d.pay_line_id])[line_d.pay_line_id].state == "not_sent"
    services.export(batch=reissue, fmt="csv", by=pay.fred)
    services.mark_sent(batch=reissue, by=pay.fred)
    bank.sheet_a.refresh_from_db()
    assert bank.sheet_a.status == SheetStatus.PARTLY_FAILED  # still: the re-issue awaits the bank
    assert payment_status([line_d.pay_line_id])[line_d.pay_line_id].state == "pending"
    services.import_return(
        batch=reissue, data=return_csv([row(new_line, "成功")]), filename="补发回盘.csv", by=pay.fred
    )
    bank.sheet_a.refresh_from_db()
    reissue.refresh_from_db()
    assert bank.sheet_a.status == SheetStatus.PAID and reissue.status == BatchStatus.SETTLED
    status = payment_status([line_d.pay_line_id])[line_d.pay_line_id]
    assert (status.state, status.batch_reference) == ("paid", reissue.reference)
    assert payment_status([]) == {}


def test_the_same_card_is_reissued_only_when_confirmed_with_a_reason(bank: Bank) -> None:
    pay = bank.pay
    batch = sent_batch(bank)
    rows = [row(line, "失败", "账户冻结") for line in batch.lines.order_by("seq")]
    services.import_return(batch=batch, data=return_csv(rows), filename="r.csv", by=pay.fred)
    reissue = services.create_reissue(
        batch=batch, by=pay.fred, confirm_same_card=True, note="银行确认冻结已解除，原卡可用"
    )
    assert reissue.count == 3 and "冻结已解除" in reissue.note


def test_lines_never_batched_have_no_status_and_a_cancelled_batch_frees_its_sheets(bank: Bank) -> None:
    pay = bank.pay
    approve_a(bank)
    batch = services.create_batch(sheets=[bank.sheet_a], by=pay.fred).batch
    ids = list(PayLine.objects.filter(sheet=bank.sheet_a).values_list("pk", flat=True))
    status = payment_status(ids)
    assert len(status) == 2 and {s.state for s in status.values()} == {"not_sent"}
    with pytest.raises(ValidationError):
        services.mark_sent(batch=batch, by=pay.fred)  # not exported yet
    with pytest.raises(ValidationError):
        services.cancel(batch=batch, by=pay.fred, reason="")
    services.cancel(batch=batch, by=pay.fred, reason="选错了文件格式")
    assert payment_status(ids) == {}
    again = services.create_batch(sheets=[bank.sheet_a], by=pay.fred).batch
    assert again.reference == "P1-202610-002" and again.count == 2


def test_the_database_refuses_to_delete_a_batch_or_its_lines(bank: Bank) -> None:
    db_triggers.install(connection)  # what migration bank.0004 does outside the test suite
    approve_a(bank)
    batch = services.create_batch(sheets=[bank.sheet_a], by=bank.pay.fred).batch
    with pytest.raises(DatabaseError), transaction.atomic():
        BankBatchLine.objects.filter(batch=batch).delete()
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("DELETE FROM bank_bankbatchline WHERE batch_id = %s", [batch.pk])
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("DELETE FROM bank_bankbatch WHERE id = %s", [batch.pk])
    assert BankBatch.objects.filter(pk=batch.pk).exists() and batch.lines.count() == 2


def test_a_sheet_in_a_batch_is_not_revised_until_the_batch_is_cancelled(bank: Bank) -> None:
    from realname.payroll import services as payroll
    from realname.payroll.models import SheetStatus

    pay = bank.pay
    approve_a(bank)
    batch = services.create_batch(sheets=[bank.sheet_a], by=pay.fred).batch
    with pytest.raises(ValidationError, match=batch.reference):
        payroll.revise(sheet=bank.sheet_a, by=pay.world.alice, reason="考勤更正")
    bank.sheet_a.refresh_from_db()
    assert bank.sheet_a.status == SheetStatus.GC_APPROVED
    services.cancel(batch=batch, by=pay.fred, reason="需修订工资表")
    new = payroll.revise(sheet=bank.sheet_a, by=pay.world.alice, reason="考勤更正")
    assert new.revision == 2


def test_a_downloaded_batch_is_cancelled_only_on_the_statement_that_the_bank_never_got_it(bank: Bank) -> None:
    pay = bank.pay
    approve_a(bank)
    batch = services.create_batch(sheets=[bank.sheet_a], by=pay.fred).batch
    services.export(batch=batch, fmt="csv", by=pay.fred)
    with pytest.raises(ValidationError, match="重复发放"):
        services.cancel(batch=batch, by=pay.fred, reason="格式不对")
    services.cancel(batch=batch, by=pay.fred, reason="格式不对", not_at_bank=True)
    batch.refresh_from_db()
    assert batch.status == BatchStatus.CANCELLED
