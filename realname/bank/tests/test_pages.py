"""The batch pages: a new batch from the approved sheets, the batch with masked cards, audited downloads,
the return file upload with its match result, re-issue — and who may see or do what."""

from __future__ import annotations

import io
from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from realname.bank.models import BankBatch, BatchLineStatus, BatchStatus
from realname.bank.tests.conftest import Bank, approve_a, approve_b, give_card, return_csv
from realname.bank.tests.test_batches import line_for, row
from realname.core.models import AuditEntry
from realname.payroll.models import SheetStatus
from realname.workers.models import BankAccount


def as_(client: Client, user: object) -> Client:
    client.force_login(user)  # type: ignore[arg-type]
    return client


def test_finance_makes_a_batch_downloads_it_and_books_the_return(bank: Bank, client: Client) -> None:
    pay = bank.pay
    world = pay.world
    approve_a(bank)
    approve_b(bank)
    as_(client, pay.fred)
    page = client.get(reverse("bank:batch_create")).content.decode()
    assert str(bank.sheet_a.public_id) in page and str(bank.sheet_b.public_id) in page
    response = client.post(
        reverse("bank:batch_create"), {"sheets": [str(bank.sheet_a.public_id), str(bank.sheet_b.public_id)]}
    )
    batch = BankBatch.objects.get()
    assert response.status_code == 302 and response["Location"].endswith(f"/bank/{batch.public_id}/")
    card_a = BankAccount.objects.get(worker=world.worker_a, is_current=True)
    detail = client.get(reverse("bank:batch_detail", args=[batch.public_id])).content.decode()
    assert card_a.card_number_masked in detail and card_a.card_number() not in detail
    assert "20880.00" in detail and "P1-202610-001" in detail
    download = client.post(reverse("bank:batch_download", args=[batch.public_id, "csv"]))
    assert download.status_code == 200 and card_a.card_number().encode() in download.content
    assert download["Content-Disposition"] == 'attachment; filename="P1-202610-001.csv"'
    assert AuditEntry.objects.filter(action="export", object_type="bank.BankBatch").count() == 1
    client.post(reverse("bank:batch_mark_sent", args=[batch.public_id]))
    batch.refresh_from_db()
    assert batch.status == BatchStatus.SENT
    line_a, line_b = line_for(batch, world.worker_a.pk), line_for(batch, world.worker_b.pk)
    line_d = line_for(batch, bank.emp_d.worker_id)
    data = return_csv(
        [row(line_a, "成功"), row(line_d, "失败", "账户已销户"), row(line_b, "成功", amount="1.00")]
    )
    result = client.post(
        reverse("bank:batch_return", args=[batch.public_id]),
        {"file": SimpleUploadedFile("回盘.csv", data, content_type="text/csv")},
    ).content.decode()
    assert "成功 1 笔，失败 1 笔，待核对 1 处" in result
    assert "王丁：账户已销户" in result and "第4行金额 1.00 与代发金额 6840.00 不符" in result
    bank.sheet_a.refresh_from_db()
    assert bank.sheet_a.status == SheetStatus.PARTLY_FAILED
    # the flagged line is settled by hand from the page
    client.post(
        reverse("bank:line_resolve", args=[line_b.public_id]),
        {"outcome": "paid", "note": "银行回单 0003", "reason": ""},
    )
    line_b.refresh_from_db()
    assert line_b.status == BatchLineStatus.PAID
    # re-issue: refused while the card is the same, made once it was corrected
    client.post(reverse("bank:batch_reissue", args=[batch.public_id]), {"note": ""})
    assert BankBatch.objects.count() == 1
    give_card(bank.emp_d.worker)
    response = client.post(reverse("bank:batch_reissue", args=[batch.public_id]), {"note": ""})
    reissue = BankBatch.objects.get(parent=batch)
    assert response["Location"].endswith(f"/bank/{reissue.public_id}/")
    listing = client.get(reverse("bank:batch_list")).content.decode()
    assert batch.reference in listing and reissue.reference in listing


def test_a_return_file_over_5_mb_or_of_another_kind_is_refused(bank: Bank, client: Client) -> None:
    pay = bank.pay
    approve_a(bank)
    as_(client, pay.fred)
    client.post(reverse("bank:batch_create"), {"sheets": [str(bank.sheet_a.public_id)]})
    batch = BankBatch.objects.get()
    client.post(reverse("bank:batch_download", args=[batch.public_id, "xlsx"]))
    client.post(reverse("bank:batch_mark_sent", args=[batch.public_id]))
    big = io.BytesIO(b"0" * (5 * 1024 * 1024 + 1))
    page = client.post(
        reverse("bank:batch_return", args=[batch.public_id]),
        {"file": SimpleUploadedFile("r.csv", big.read())},
    ).content.decode()
    assert "不能超过 5 MB" in page
    page = client.post(
        reverse("bank:batch_return", args=[batch.public_id]), {"file": SimpleUploadedFile("r.pdf", b"%PDF")}
    ).content.decode()
    assert "回盘文件应为 .xlsx 或 .csv 文件" in page


def test_the_list_page_takes_as_many_queries_for_three_batches_as_for_one(
    bank: Bank, client: Client, django_assert_num_queries: Any
) -> None:
    from realname.bank import services

    pay = bank.pay
    approve_a(bank)
    approve_b(bank)
    services.create_batch(sheets=[bank.sheet_a], by=pay.fred)
    as_(client, pay.fred)
    client.get(reverse("bank:batch_list"))  # warm the per-request caches' code paths
    with CaptureQueriesContext(connection) as one:
        assert client.get(reverse("bank:batch_list")).status_code == 200
    first = services.create_batch(sheets=[bank.sheet_b], by=pay.fred).batch
    services.cancel(batch=first, by=pay.fred, reason="重做")
    services.create_batch(sheets=[bank.sheet_b], by=pay.fred)
    with django_assert_num_queries(len(one.captured_queries)):
        page = client.get(reverse("bank:batch_list")).content.decode()
    assert page.count("P1-202610-00") == 3


def test_pages_are_scoped(bank: Bank, client: Client) -> None:
    pay = bank.pay
    world = pay.world
    approve_a(bank)
    approve_b(bank)
    from realname.bank import services

    batch = services.create_batch(sheets=[bank.sheet_a, bank.sheet_b], by=pay.fred).batch
    detail = reverse("bank:batch_detail", args=[batch.public_id])
    # the subcontractor's labour manager sees the batch, only its own worker's line, and cannot act
    as_(client, world.bob)
    page = client.get(detail).content.decode()
    assert "李乙" in page and "张甲" not in page and "下载" not in page
    assert client.get(reverse("bank:batch_create")).status_code == 403
    assert client.post(reverse("bank:batch_download", args=[batch.public_id, "csv"])).status_code == 403
    # the subcontractor's project manager holds bank.pay but is not the general contractor
    as_(client, pay.bella)
    assert client.get(reverse("bank:batch_create")).status_code == 403
    assert client.post(reverse("bank:batch_reissue", args=[batch.public_id])).status_code == 403
    # another company's administrator and a worker see nothing
    as_(client, world.charlie)
    assert client.get(detail).status_code == 404
    assert batch.reference not in client.get(reverse("bank:batch_list")).content.decode()
    as_(client, world.wendy)
    assert client.get(reverse("bank:batch_list")).status_code == 403
    assert client.get(detail).status_code == 404
    # the regulator reads
    as_(client, world.reggie)
    assert client.get(detail).status_code == 200
    assert client.post(reverse("bank:batch_download", args=[batch.public_id, "csv"])).status_code == 403
    assert AuditEntry.objects.filter(action="export").count() == 0


def test_a_refused_batch_shows_every_problem_and_keeps_the_choice(bank: Bank, client: Client) -> None:
    approve_a(bank)
    BankAccount.objects.filter(worker=bank.pay.world.worker_a).update(is_current=False)
    as_(client, bank.pay.fred)
    page = client.post(
        reverse("bank:batch_create"), {"sheets": [str(bank.sheet_a.public_id)]}
    ).content.decode()
    assert "张甲：没有登记本人的工资卡" in page and " checked" in page
    assert not BankBatch.objects.exists()
