"""Reads for bank files and batches."""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection
from dataclasses import dataclass
from typing import Any, Literal

from django.db.models import QuerySet

from realname.accounts.roles import Perm
from realname.accounts.scope import restrict
from realname.bank.models import BankBatch, BankBatchLine, BankFileLayout, BatchLineStatus, BatchStatus
from realname.payroll.models import PayLine, PaySheet

PaymentState = Literal["not_sent", "pending", "paid", "failed"]


def get_default_layout(*, bank_code: str) -> BankFileLayout | None:
    """The default layout for a bank category (e.g. the wage account's bank), else the generic default."""
    layouts = {
        layout.bank_code: layout
        for layout in BankFileLayout.objects.filter(is_default=True, bank_code__in={bank_code, ""})
    }
    return layouts.get(bank_code) or layouts.get("")


@dataclass(frozen=True)
class PaymentStatus:
    """Where one pay line's money is: its latest attempt in a bank batch."""

    state: PaymentState  # not_sent: in a batch not yet handed to the bank
    batch_reference: str
    paid_at: dt.datetime | None  # when the bank's return (or a person checking it) said paid
    reason: str  # the bank's reason for a failure


def payment_status(pay_line_ids: Collection[int]) -> dict[int, PaymentStatus]:
    """The latest attempt for each of these pay lines (a paid attempt wins, e.g. a re-issue paid after the
    original failed). Pay lines never put in a batch — or only in cancelled ones — are not in the result."""
    if not pay_line_ids:
        return {}
    rows = (
        BankBatchLine.objects.filter(pay_line_id__in=list(pay_line_ids))
        .exclude(status=BatchLineStatus.CANCELLED)
        .values_list(
            "pay_line_id", "status", "batch__reference", "batch__status", "returned_at", "bank_reason"
        )
        .order_by("pay_line_id", "created_at", "id")
    )
    result: dict[int, PaymentStatus] = {}
    for pay_line_id, status, reference, batch_status, returned_at, reason in rows:
        current = result.get(pay_line_id)
        if current is not None and current.state == "paid":
            continue
        state: PaymentState
        if status == BatchLineStatus.PAID:
            state = "paid"
        elif status == BatchLineStatus.FAILED:
            state = "failed"
        elif batch_status in (BatchStatus.PREPARED, BatchStatus.EXPORTED):
            state = "not_sent"
        else:
            state = "pending"
        result[pay_line_id] = PaymentStatus(
            state=state,
            batch_reference=reference,
            paid_at=returned_at if state == "paid" else None,
            reason=reason if state == "failed" else "",
        )
    return result


def visible_batches(user: Any) -> QuerySet[BankBatch]:
    """Batches with at least one line of a pay sheet the user may see (``payroll.view``): a subcontractor
    sees the batches paying its workers, a team leader those paying their team."""
    sheets = restrict(PaySheet.objects.all(), user, Perm.PAYROLL_VIEW).values("pk")
    ids = BankBatchLine.objects.filter(pay_line__sheet__in=sheets).values("batch_id")
    return BankBatch.objects.filter(pk__in=ids).select_related("project", "layout", "created_by", "parent")


def visible_lines(user: Any, batch: BankBatch) -> QuerySet[BankBatchLine]:
    """The batch's lines whose pay line the user may see."""
    pay_lines = restrict(PayLine.objects.all(), user, Perm.PAYROLL_VIEW).values("pk")
    return (
        batch.lines.filter(pay_line__in=pay_lines)
        .select_related(
            "worker",
            "pay_line__sheet__participant__company",
            "pay_line__sheet__team",
            "resolved_by",
            "reissued_by__batch",
        )
        .order_by("seq")
    )
