"""Writes for bank batches (代发批次): create from approved pay sheets, export the bank's file, mark sent,
import the bank's return file, resolve flagged lines by hand, re-issue failed lines, cancel (atomic, audited).

Who: the general contractor pays every participant's workers through the project's dedicated wage account
(条例 Art. 31), so only a user holding ``bank.pay`` for a company that is the project's general contractor
(or a platform administrator) acts on a project's batches.

Where the money goes: always **the worker's own current card** (``workers.BankAccount``). A worker without
one, or whose card is also another worker's current card (a team leader's or a third party's card
registered for several people), stops the whole batch: every problem is listed, nothing is half made.

Card numbers are decrypted only in memory while a file is written or a return file compared; they are
never logged, and every file handed out is an EXPORT audit entry.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from realname.accounts.models import User
from realname.accounts.roles import Perm
from realname.accounts.scope import company_role_projects
from realname.bank import formats, returns, selectors
from realname.bank.layouts import BankFileError
from realname.bank.models import (
    BankBatch,
    BankBatchLine,
    BankFileLayout,
    BankReturnFile,
    BatchKind,
    BatchLineStatus,
    BatchStatus,
)
from realname.core import audit
from realname.core.masking import mask_bank_card
from realname.core.models import AuditAction
from realname.core.text import listed
from realname.orgs.models import GENERAL_CONTRACTOR, Project
from realname.payroll import services as payroll
from realname.payroll.models import PayLine, PaySheet, SheetStatus
from realname.workers.models import BankAccount

ZERO = Decimal("0.00")
FORMATS = {
    "xlsx": ("xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
    "csv": ("csv", "text/csv"),
    "pain001": ("xml", "application/xml"),
}
MAX_RETURN_BYTES = 5 * 1024 * 1024
_SAFE = re.compile(r"[^A-Za-z0-9]")


# --- who ---------------------------------------------------------------------------------------------------


def payable_projects(user: User | None) -> QuerySet[Project]:
    """The projects whose wage account ``user`` pays from: those where one of the user's companies holding
    ``bank.pay`` is the general contractor (within the membership's scope), or all for the platform."""
    if user is None:
        return Project.objects.none()
    return company_role_projects(user, Perm.BANK_PAY, GENERAL_CONTRACTOR)


def may_pay(user: User | None, project: Project) -> bool:
    return payable_projects(user).filter(pk=project.pk).exists()


def _require_payer(user: User, project: Project) -> None:
    if not may_pay(user, project):
        raise PermissionDenied(_("只有总承包单位（或平台）有代发权限的人员可以办理该项目的代发"))


# --- create ------------------------------------------------------------------------------------------------


@dataclass
class CreateResult:
    batch: BankBatch
    skipped: list[str] = field(default_factory=list)  # lines with nothing to pay (实发 ≤ 0), named


def _month_label(month: dt.date) -> str:
    return _("%(y)s年%(m)s月工资") % {"y": month.year, "m": month.month}


def _next_reference(project: Project, month: dt.date) -> str:
    """``<project code>-<YYYYMM>-<NNN>``: NNN counts the project's batches (the project row is locked)."""
    Project.objects.select_for_update().filter(pk=project.pk).first()
    number = BankBatch.objects.filter(project=project).count() + 1
    code = _SAFE.sub("", project.code)[:16] or f"P{project.pk}"
    return f"{code}-{month:%Y%m}-{number:03d}"


def _payer_header(batch: BankBatch, lines: Sequence[formats.ExportLine]) -> formats.BatchHeader:
    created = batch.created_at or timezone.now()
    return formats.BatchHeader(
        reference=batch.reference,
        created_at=timezone.localtime(created),
        execution_date=batch.execution_date,
        payer_name=batch.payer_name,
        payer_account=batch.payer_account,
        payer_bank_code=batch.payer_bank_code,
        payer_branch=batch.payer_branch,
        count=batch.count,
        control_sum=batch.total,
    )


def _wage_account_problems(project: Project) -> list[str]:
    problems = []
    if not project.wage_account_number.strip() or not project.wage_account_name.strip():
        problems.append(
            _("项目%(p)s未登记农民工工资专用账户（户名、账号），请先在项目信息中填写") % {"p": project.code}
        )
    if not project.wage_bank_code:
        problems.append(_("项目%(p)s未填写专用账户的开户银行类别") % {"p": project.code})
    return problems


@dataclass(frozen=True)
class _Planned:
    pay_line: PayLine
    account: BankAccount
    amount: Decimal
    memo: str


def _card_problems(pairs: Sequence[tuple[PayLine, BankAccount | None]]) -> list[str]:
    """Every reason one of these workers' cards may not be paid to, each naming the worker."""
    problems: list[str] = []
    accounts = [account for _line, account in pairs if account is not None]
    # The same card number as another worker's current card: a team leader's or someone else's card.
    shared: dict[str, list[BankAccount]] = defaultdict(list)
    for other in (
        BankAccount.objects.filter(
            is_current=True, card_number_index__in={a.card_number_index for a in accounts}
        )
        .select_related("worker")
        .order_by("worker__name")
    ):
        shared[other.card_number_index].append(other)
    for line, account in pairs:
        name = line.worker.name
        if account is None:
            problems.append(
                _("%(name)s：没有登记本人的工资卡，请先在工人信息中登记本人的银行卡") % {"name": name}
            )
            continue
        if account.worker_id != line.worker_id:
            problems.append(
                _("%(name)s：工资卡 %(card)s 不是本人的卡")
                % {"name": name, "card": account.card_number_masked}
            )
            continue
        others = [a.worker.name for a in shared[account.card_number_index] if a.worker_id != line.worker_id]
        if others:
            problems.append(
                _(
                    "%(name)s：工资卡 %(card)s 同时登记为%(others)s的工资卡。工资只能发到工人本人的卡，"
                    "不能发到班组长或他人的卡，请先更正本人的工资卡"
                )
                % {"name": name, "card": account.card_number_masked, "others": listed(others)}
            )
    return problems


def _export_line(seq: int, reference: str, plan: _Planned) -> formats.ExportLine:
    return formats.ExportLine(
        seq=seq,
        reference=reference,
        name=plan.pay_line.worker.name,
        card_number=plan.account.card_number(),
        bank_code=plan.account.bank_code,
        bank_name=plan.account.bank_name,
        amount=plan.amount,
        memo=plan.memo,
    )


def _write_batch(
    *,
    project: Project,
    month: dt.date,
    execution_date: dt.date,
    plans: Sequence[_Planned],
    layout: BankFileLayout | None,
    by: User,
    kind: str,
    parent: BankBatch | None = None,
    note: str = "",
) -> tuple[BankBatch, list[BankBatchLine]]:
    """Check the whole batch as the bank file would (formats.check_batch), then write it and its lines."""
    layout = layout or selectors.get_default_layout(bank_code=project.wage_bank_code)
    if layout is None:
        raise ValidationError(_("没有可用的代发文件格式，请先在后台添加"))
    reference = _next_reference(project, month)
    total = sum((plan.amount for plan in plans), ZERO)
    batch = BankBatch(
        project=project,
        reference=reference,
        layout=layout,
        kind=kind,
        parent=parent,
        month=month,
        execution_date=execution_date,
        total=total,
        count=len(plans),
        payer_name=project.wage_account_name.strip(),
        payer_account=re.sub(r"\s", "", project.wage_account_number),
        payer_bank_code=project.wage_bank_code,
        payer_branch=project.wage_bank_branch.strip(),
        note=note,
        created_by=by,
    )
    export_lines = [_export_line(seq, f"{reference}-{seq:04d}", plan) for seq, plan in enumerate(plans, 1)]
    try:
        formats.check_batch(_payer_header(batch, export_lines), export_lines)
    except BankFileError as exc:
        raise ValidationError(exc.messages) from None
    batch.save()
    rows = BankBatchLine.objects.bulk_create(
        [
            BankBatchLine(
                batch=batch,
                seq=export.seq,
                pay_line=plan.pay_line,
                worker=plan.pay_line.worker,
                bank_account=plan.account,
                name=export.name,
                card_number_masked=plan.account.card_number_masked or mask_bank_card(export.card_number),
                bank_name=export.bank_name,
                bank_code=export.bank_code,
                amount=plan.amount,
                memo=plan.memo,
                reference=export.reference,
            )
            for export, plan in zip(export_lines, plans, strict=True)
        ]
    )
    audit.record(
        AuditAction.CREATE,
        batch,
        changes={
            "reference": reference,
            "kind": kind,
            "count": batch.count,
            "total": str(total),
            "parent": parent.reference if parent else None,
        },
        note=note,
    )
    return batch, rows


@transaction.atomic
def create_batch(
    *, sheets: Iterable[PaySheet], by: User, layout: BankFileLayout | None = None
) -> CreateResult:
    """A batch paying every line with net pay of the given general-contractor-approved sheets of one project,
    each to the worker's own current card. Refused as a whole, with every problem listed, if anything is
    wrong."""
    ids = sorted({sheet.pk for sheet in sheets})
    if not ids:
        raise ValidationError(_("请选择要代发的工资表"))
    locked = list(
        PaySheet.objects.select_for_update(of=("self",))
        .filter(pk__in=ids)
        .select_related("project", "period", "participant__company", "team")
        .order_by("period__month", "participant__company__name", "team_key")
    )
    projects = {sheet.project_id for sheet in locked}
    if len(projects) != 1:
        raise ValidationError(_("一个代发批次只能包含同一个项目的工资表"))
    project = locked[0].project
    _require_payer(by, project)
    problems = _wage_account_problems(project)
    for sheet in locked:
        if sheet.status != SheetStatus.GC_APPROVED:
            problems.append(
                _("%(sheet)s：状态为“%(status)s”，只有总承包单位审核通过、尚未提交银行的工资表可以代发")
                % {"sheet": sheet, "status": sheet.get_status_display()}
            )
    pay_lines = list(
        PayLine.objects.filter(sheet__in=locked)
        .select_related("worker", "sheet__period")
        .order_by("sheet__period__month", "sheet_id", "worker__name", "id")
    )
    in_other = set(
        BankBatchLine.objects.filter(
            pay_line__in=pay_lines, status__in=[BatchLineStatus.PENDING, BatchLineStatus.PAID]
        ).values_list("pay_line_id", flat=True)
    )
    skipped: list[str] = []
    payable: list[PayLine] = []
    for line in pay_lines:
        if line.pk in in_other:
            problems.append(_("%(name)s：该工资明细已在另一个代发批次中") % {"name": line.worker.name})
        elif line.net > 0:
            payable.append(line)
        else:
            skipped.append(
                _("%(name)s（实发 %(net)s 元，不代发）") % {"name": line.worker.name, "net": line.net}
            )
    if not payable and not problems:
        problems.append(_("所选工资表没有实发金额大于 0 的明细"))
    cards = {
        account.worker_id: account
        for account in BankAccount.objects.filter(
            worker_id__in={line.worker_id for line in payable}, is_current=True
        )
    }
    problems.extend(_card_problems([(line, cards.get(line.worker_id)) for line in payable]))
    # Count and total against the sheets: what is paid plus what is skipped is what the sheets say.
    sheets_total = sum((sheet.net for sheet in locked), ZERO)
    lines_total = sum((line.net for line in pay_lines), ZERO)
    if sheets_total != lines_total:
        problems.append(
            _("工资表合计 %(sheets)s 元与明细合计 %(lines)s 元不符")
            % {"sheets": sheets_total, "lines": lines_total}
        )
    if sum(sheet.line_count for sheet in locked) != len(pay_lines):
        problems.append(_("工资表人数与明细笔数不符"))
    if problems:
        raise ValidationError(problems)
    month = max(sheet.period.month for sheet in locked)
    pay_date = min(sheet.period.pay_date for sheet in locked)
    plans = [
        _Planned(line, cards[line.worker_id], line.net, _month_label(line.sheet.period.month))
        for line in payable
    ]
    batch, _rows = _write_batch(
        project=project,
        month=month,
        execution_date=max(pay_date, timezone.localdate()),
        plans=plans,
        layout=layout,
        by=by,
        kind=BatchKind.NORMAL,
        note="；".join(str(sheet) for sheet in locked),
    )
    if batch.total != sum((line.net for line in payable), ZERO) or batch.count != len(payable):
        raise ValidationError(_("批次笔数或总金额与工资表不符"))  # pragma: no cover - guards the code above
    return CreateResult(batch, skipped)


# --- export and send ---------------------------------------------------------------------------------------


def _lock(batch: BankBatch) -> BankBatch:
    return (
        BankBatch.objects.select_for_update(of=("self",)).select_related("project", "layout").get(pk=batch.pk)
    )


def export_filename(batch: BankBatch, fmt: str) -> str:
    extension, _type = FORMATS[fmt]
    return f"{batch.reference}.{extension}"


@transaction.atomic
def export(*, batch: BankBatch, fmt: str, by: User) -> bytes:
    """The bank's file for the batch (``fmt``: xlsx, csv or pain001). Card numbers are decrypted here, in
    memory, and go only into the returned bytes; the download is an EXPORT audit entry (no numbers)."""
    if fmt not in FORMATS:
        raise ValidationError(_("未知的文件格式"))
    batch = _lock(batch)
    _require_payer(by, batch.project)
    if batch.status == BatchStatus.CANCELLED:
        raise ValidationError(_("已作废的批次不能导出"))
    rows = list(batch.lines.select_related("bank_account").order_by("seq"))
    lines = [
        formats.ExportLine(
            seq=row.seq,
            reference=row.reference,
            name=row.name,
            card_number=row.bank_account.card_number(),
            bank_code=row.bank_code,
            bank_name=row.bank_name,
            amount=row.amount,
            memo=row.memo,
        )
        for row in rows
    ]
    header = _payer_header(batch, lines)
    try:
        if fmt == "xlsx":
            data = formats.to_xlsx(header, lines, batch.layout)
        elif fmt == "csv":
            data = formats.to_csv(header, lines, batch.layout)
        else:
            data = formats.to_pain001(header, lines)
    except BankFileError as exc:
        raise ValidationError(exc.messages) from None
    if batch.status == BatchStatus.PREPARED:
        batch.status = BatchStatus.EXPORTED
        batch.exported_at = timezone.now()
        batch.save(update_fields=["status", "exported_at", "updated_at"])
    audit.record(
        AuditAction.EXPORT,
        batch,
        changes={"format": fmt, "count": batch.count, "total": str(batch.total), "layout": batch.layout.name},
    )
    return data


@transaction.atomic
def mark_sent(*, batch: BankBatch, by: User, note: str = "") -> BankBatch:
    """The exported file was handed to the bank (uploaded to online banking, or given at the counter). The
    sheets of a normal batch become "sent to bank" (a re-issue's sheets already were)."""
    batch = _lock(batch)
    _require_payer(by, batch.project)
    if batch.status != BatchStatus.EXPORTED:
        raise ValidationError(_("请先导出代发文件，再标记为已提交银行"))
    batch.status = BatchStatus.SENT
    batch.sent_at = timezone.now()
    batch.sent_by = by
    batch.save(update_fields=["status", "sent_at", "sent_by", "updated_at"])
    if batch.kind == BatchKind.NORMAL:
        for sheet in _sheets_of(batch):
            payroll.mark_sent(sheet=sheet, by=by, note=_("代发批次 %(ref)s") % {"ref": batch.reference})
    audit.record(AuditAction.UPDATE, batch, changes={"status": BatchStatus.SENT}, note=note.strip())
    return batch


@transaction.atomic
def cancel(*, batch: BankBatch, by: User, reason: str, not_at_bank: bool = False) -> BankBatch:
    """Void a batch that never reached the bank (made by mistake, wrong format): it and its lines stay on
    record, marked cancelled, and its pay lines may go into a new batch. Once its file was downloaded, the
    file may already be in the online bank: cancelling then needs ``not_at_bank`` — the person's statement
    that the file was not submitted (kept in the audit note) — or a second batch could pay the same wages."""
    batch = _lock(batch)
    _require_payer(by, batch.project)
    if batch.status not in (BatchStatus.PREPARED, BatchStatus.EXPORTED):
        raise ValidationError(_("已提交银行的批次不能作废"))
    if not reason.strip():
        raise ValidationError({"reason": _("请写明作废原因")})
    if batch.status == BatchStatus.EXPORTED and not not_at_bank:
        raise ValidationError(
            _(
                "该批次文件已下载，可能已提交网银：请先核实银行没有收到或没有执行该文件，勾选确认后再作废，以免重复发放"
            )
        )
    if batch.status == BatchStatus.EXPORTED:
        reason = f"{reason.strip()}（确认：文件未提交银行）"
    batch.lines.update(status=BatchLineStatus.CANCELLED, updated_at=timezone.now())
    if batch.kind == BatchKind.REISSUE:  # the failed originals may be re-issued again
        BankBatchLine.objects.filter(reissued_by__batch=batch).update(reissued_by=None)
    batch.status = BatchStatus.CANCELLED
    batch.save(update_fields=["status", "updated_at"])
    audit.record(AuditAction.UPDATE, batch, changes={"status": BatchStatus.CANCELLED}, note=reason.strip())
    return batch


def _sheets_of(batch: BankBatch) -> list[PaySheet]:
    return list(
        PaySheet.objects.filter(pk__in=batch.lines.values("pay_line__sheet_id")).order_by("pk").distinct()
    )


# --- returns -----------------------------------------------------------------------------------------------


@dataclass
class ImportResult:
    record: BankReturnFile
    paid: list[str] = field(default_factory=list)  # "name amount"
    failed: list[str] = field(default_factory=list)  # "name: reason"
    flagged: list[str] = field(default_factory=list)  # every mismatch / conflict message
    missing: list[str] = field(default_factory=list)  # names without a row in the file
    unknown: list[str] = field(default_factory=list)  # rows whose reference is not in the batch


def _flag(line: BankBatchLine, message: str, filename: str, **fields: object) -> None:
    flag = {"message": message, "file": filename, **fields}
    if flag not in line.flags:  # the same file uploaded again adds nothing
        line.flags = [*line.flags, flag]


@transaction.atomic
def import_return(*, batch: BankBatch, data: bytes, filename: str, by: User) -> ImportResult:
    """Read the bank's return file for a sent batch and book each line's answer: paid, or failed with the
    bank's reason. A row whose name, card or amount differs from the line, a repeated row, and an answer that
    contradicts an earlier return are flagged and **not** booked (the line stays pending for review). Then
    each sheet's status follows (payroll.mark_settled)."""
    batch = _lock(batch)
    _require_payer(by, batch.project)
    if batch.status not in (BatchStatus.SENT, BatchStatus.PARTLY_FAILED, BatchStatus.SETTLED):
        raise ValidationError(_("批次尚未标记为已提交银行，不能导入回盘"))
    if len(data) > MAX_RETURN_BYTES:
        raise ValidationError(_("回盘文件不能超过 5 MB"))
    try:
        rows = returns.parse_return(data, filename, batch.layout)
    except BankFileError as exc:
        raise ValidationError(exc.messages) from None
    lines = list(batch.lines.select_related("bank_account").order_by("seq"))
    expected = [
        returns.ExpectedLine(line.reference, line.name, line.bank_account.card_number(), line.amount)
        for line in lines
        if line.status != BatchLineStatus.CANCELLED
    ]
    try:
        match = returns.match_returns(expected, rows)
    except BankFileError as exc:
        raise ValidationError(exc.messages) from None
    by_reference = {line.reference: line for line in lines}
    now = timezone.now()
    name = filename[-200:]
    record = BankReturnFile(
        batch=batch, filename=name, sha256=hashlib.sha256(data).hexdigest(), uploaded_by=by
    )
    result = ImportResult(record)
    for answer in match.lines:
        line = by_reference[answer.reference]
        if answer.outcome is returns.Outcome.MISSING:
            if line.status == BatchLineStatus.PENDING:
                result.missing.append(line.name)
            continue
        new_status = (
            BatchLineStatus.PAID if answer.outcome is returns.Outcome.PAID else BatchLineStatus.FAILED
        )
        changed = False
        if answer.mismatches:
            for mismatch in answer.mismatches:
                _flag(line, mismatch.message, name, row=mismatch.row, field=mismatch.field)
                result.flagged.append(f"{line.name}：{mismatch.message}")
            changed = True
        elif line.status == BatchLineStatus.PENDING:
            line.status = new_status
            line.bank_reason = answer.reason[:300] if new_status == BatchLineStatus.FAILED else ""
            line.returned_at = now
            changed = True
            if new_status == BatchLineStatus.PAID:
                result.paid.append(f"{line.name} {line.amount}")
            else:
                result.failed.append(f"{line.name}：{line.bank_reason}")
        elif line.status != new_status:
            message = _("回盘结果“%(new)s”与此前的结果“%(old)s”不同，未更改，请与银行核实") % {
                "new": new_status.label,
                "old": line.get_status_display(),
            }
            assert answer.row is not None
            _flag(line, message, name, row=answer.row.row, field="status")
            result.flagged.append(f"{line.name}：{message}")
            changed = True
        if changed:
            line.save(update_fields=["status", "bank_reason", "returned_at", "flags", "updated_at"])
    for row in match.unknown:
        result.unknown.append(
            _("第%(row)s行：业务参考号“%(ref)s”不在本批次中（金额 %(amount)s）")
            % {"row": row.row, "ref": row.reference[:40], "amount": row.amount}
        )
    record.paid, record.failed = len(result.paid), len(result.failed)
    record.flagged, record.missing = len(result.flagged), len(result.missing)
    record.details = {"unknown": result.unknown, "flagged": result.flagged}
    record.save()
    audit.record(
        AuditAction.IMPORT,
        batch,
        changes={
            "file": name,
            "paid": record.paid,
            "failed": record.failed,
            "flagged": record.flagged,
            "missing": record.missing,
            "unknown": len(result.unknown),
        },
    )
    _settle(batch, by)
    return result


@transaction.atomic
def resolve_line(*, line: BankBatchLine, by: User, paid: bool, note: str, reason: str = "") -> BankBatchLine:
    """A person settles a pending line the return file could not (flagged, or missing from it), after checking
    the bank's statement: paid, or failed with the reason. The note says what was checked."""
    batch = _lock(line.batch)
    line = BankBatchLine.objects.select_for_update().get(pk=line.pk)
    _require_payer(by, batch.project)
    if batch.status not in (BatchStatus.SENT, BatchStatus.PARTLY_FAILED, BatchStatus.SETTLED):
        raise ValidationError(_("批次尚未提交银行"))
    if line.status != BatchLineStatus.PENDING:
        raise ValidationError(_("该笔已有结果，不能再更改"))
    if not note.strip():
        raise ValidationError({"note": _("请写明核对依据（如银行流水、回单号）")})
    if not paid and not reason.strip():
        raise ValidationError({"reason": _("请填写失败原因")})
    line.status = BatchLineStatus.PAID if paid else BatchLineStatus.FAILED
    line.bank_reason = "" if paid else reason.strip()[:300]
    line.returned_at = timezone.now()
    line.resolved_by = by
    line.resolution_note = note.strip()[:300]
    line.save()
    audit.record(
        AuditAction.UPDATE,
        batch,
        changes={"line": line.reference, "status": line.status, "resolved_by_hand": True},
        note=note.strip(),
    )
    _settle(batch, by)
    return line


def _latest_states(pay_line_ids: Iterable[int]) -> dict[int, str]:
    """The state of each pay line's latest live attempt (see selectors.payment_status)."""
    return {key: status.state for key, status in selectors.payment_status(list(pay_line_ids)).items()}


def _settle(batch: BankBatch, by: User) -> None:
    """Bring the batch's status, and its sheets', in line with the lines' answers."""
    states = list(batch.lines.exclude(status=BatchLineStatus.CANCELLED).values_list("status", flat=True))
    if BatchLineStatus.FAILED in states:
        status = BatchStatus.PARTLY_FAILED
    elif BatchLineStatus.PENDING in states:
        status = BatchStatus.SENT
    else:
        status = BatchStatus.SETTLED
    if status != batch.status:
        batch.status = status
        batch.settled_at = timezone.now() if status == BatchStatus.SETTLED else None
        batch.save(update_fields=["status", "settled_at", "updated_at"])
    note = _("代发批次 %(ref)s 回盘") % {"ref": batch.reference}
    for sheet in _sheets_of(batch):
        if sheet.status not in (SheetStatus.SENT, SheetStatus.PARTLY_FAILED):
            continue
        ids = PayLine.objects.filter(sheet=sheet, bank_lines__isnull=False).values_list("pk", flat=True)
        latest = _latest_states(set(ids))
        failed = sum(1 for state in latest.values() if state == "failed")
        pending = sum(1 for state in latest.values() if state in ("pending", "not_sent"))
        if failed:
            payroll.mark_settled(sheet=sheet, by=by, failed=failed, note=note)
        elif not pending:
            payroll.mark_settled(sheet=sheet, by=by, failed=0, note=note)


# --- re-issue ----------------------------------------------------------------------------------------------


@transaction.atomic
def create_reissue(
    *, batch: BankBatch, by: User, confirm_same_card: bool = False, note: str = ""
) -> BankBatch:
    """A re-issue batch (补发) of the batch's failed lines not yet re-issued, each to the worker's **current**
    card. A line whose card was not changed since the failure is refused unless ``confirm_same_card`` with a
    note (the bank's reason was not about the card, e.g. 账户冻结已解除)."""
    batch = _lock(batch)
    _require_payer(by, batch.project)
    failed = list(
        batch.lines.filter(status=BatchLineStatus.FAILED, reissued_by__isnull=True)
        .select_related("worker", "bank_account", "pay_line__worker", "pay_line__sheet__period")
        .order_by("seq")
    )
    if not failed:
        raise ValidationError(_("该批次没有待补发的失败明细"))
    if confirm_same_card and not note.strip():
        raise ValidationError({"note": _("仍用原卡补发时，请写明原因（如银行说明的失败原因与卡号无关）")})
    cards = {
        account.worker_id: account
        for account in BankAccount.objects.filter(
            worker_id__in={line.worker_id for line in failed}, is_current=True
        )
    }
    problems = _wage_account_problems(batch.project)
    problems.extend(_card_problems([(line.pay_line, cards.get(line.worker_id)) for line in failed]))
    for line in failed:
        account = cards.get(line.worker_id)
        if (
            account is not None
            and account.card_number_index == line.bank_account.card_number_index
            and not confirm_same_card
        ):
            problems.append(
                _(
                    "%(name)s：工资卡仍是 %(card)s，与失败时相同（银行说明：%(reason)s）。"
                    "请先在工人信息中更正工资卡；如确认原卡无误，请勾选“仍用原卡补发”并写明原因"
                )
                % {"name": line.name, "card": line.card_number_masked, "reason": line.bank_reason or "—"}
            )
    if problems:
        raise ValidationError(problems)
    plans = [
        _Planned(
            line.pay_line,
            cards[line.worker_id],
            line.amount,
            (_("%(memo)s（补发）") % {"memo": line.memo})[:140] if line.memo else _("补发工资"),
        )
        for line in failed
    ]
    text = _("补发 %(ref)s 的失败明细") % {"ref": batch.reference}
    if note.strip():
        text += f"：{note.strip()}"
    reissue, rows = _write_batch(
        project=batch.project,
        month=batch.month,
        execution_date=timezone.localdate(),
        plans=plans,
        layout=batch.layout,
        by=by,
        kind=BatchKind.REISSUE,
        parent=batch,
        note=text,
    )
    for original, row in zip(failed, rows, strict=True):
        original.reissued_by = row
        original.save(update_fields=["reissued_by", "updated_at"])
    return reissue
