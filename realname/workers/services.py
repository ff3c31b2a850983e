"""Writes for workers, bank cards, employments and contracts (keyword-only, atomic, audited).

``register_worker`` is the one door into the worker registry: the form, the API, the Excel import and the
demo all call it. It validates the ID, deduplicates by blind index (one person, one record, for life),
encrypts, and reports warnings (never errors) for what a clerk should double-check.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from realname.accounts.models import User
from realname.admission.changes import inputs_changed
from realname.core import audit, crypto
from realname.core.identifiers import (
    CheckedId,
    IdentifierError,
    check_bank_card,
    check_id,
    check_mobile,
    clean_text,
)
from realname.core.masking import mask_bank_card, mask_id_number
from realname.core.models import AuditAction
from realname.core.services import create_row, update_row
from realname.orgs.models import Company, Participant, Project, Team
from realname.workers.models import (
    CARD_CONTEXT,
    ID_CONTEXT,
    BankAccount,
    Contract,
    Employment,
    EmploymentStatus,
    IdentityCheck,
    Worker,
)


def id_index(id_type: str, number: str) -> str:
    return crypto.blind_index(f"{id_type}:{number}", context=ID_CONTEXT)


def card_index(number: str) -> str:
    return crypto.blind_index(number, context=CARD_CONTEXT)


def checked_id(id_type: str, id_number: str) -> CheckedId:
    try:
        return check_id(id_type, id_number)
    except IdentifierError as exc:
        raise ValidationError({"id_number": str(exc)}) from None


def find_worker(*, id_type: str = "01", id_number: str) -> Worker | None:
    """Exact lookup by ID number through the blind index (no plaintext in the query)."""
    try:
        number = check_id(id_type, id_number).number
    except IdentifierError:
        return None
    return Worker.objects.filter(id_number_index=id_index(id_type, number)).first()


@dataclass
class Registration:
    worker: Worker
    created: bool
    changed: bool
    warnings: list[str] = field(default_factory=list)


# The person details a registration may carry besides name, ID and phone (forms and imports use the list).
PERSON_DETAIL_FIELDS = (
    "ethnicity",
    "address",
    "issuing_authority",
    "id_valid_from",
    "id_valid_until",
    "education",
    "politics",
    "marital_status",
    "emergency_contact_name",
    "emergency_contact_phone",
    "photo",
)


@transaction.atomic
def register_worker(
    *,
    name: str,
    id_number: str,
    id_type: str = "01",
    phone: str = "",
    registered_by_company: Company | None = None,
    bank_card: str = "",
    bank_code: str = "",
    bank_name: str = "",
    **fields: Any,
) -> Registration:
    """Create the worker, or bring the existing record of the same person up to date with what is given.

    Blank values never erase what the registry already knows.
    """
    unknown = set(fields) - set(PERSON_DETAIL_FIELDS)
    if unknown:
        raise ValidationError(dict.fromkeys(unknown, "未知字段"))
    checked = checked_id(id_type, id_number)
    name = clean_text(name)
    if not name:
        raise ValidationError({"name": "姓名不能为空"})
    values: dict[str, Any] = {"name": name, **{k: v for k, v in fields.items() if v not in (None, "")}}
    if phone:
        try:
            values["phone"] = check_mobile(phone)
        except IdentifierError as exc:
            raise ValidationError({"phone": str(exc)}) from None
    warnings = list(checked.warnings)
    index = id_index(checked.id_type, checked.number)
    worker = Worker.objects.select_for_update().filter(id_number_index=index).first()
    created = worker is None
    changed = False
    if worker is None:
        worker = create_row(
            Worker,
            id_type=checked.id_type,
            id_number_enc=crypto.encrypt(checked.number, context=ID_CONTEXT),
            id_number_index=index,
            id_number_masked=mask_id_number(checked.number),
            birth_date=checked.birth_date,
            sex=checked.sex,
            id_warnings=checked.warnings,
            registered_by_company=registered_by_company,
            **values,
        )
        changed = True
    else:
        before = audit.snapshot(worker)
        update_row(worker, **values)
        changed = audit.snapshot(worker) != before
    if bank_card:
        card_result = set_bank_card(
            worker=worker, card_number=bank_card, bank_code=bank_code, bank_name=bank_name
        )
        warnings += card_result.warnings
        changed = changed or card_result.changed
    return Registration(worker=worker, created=created, changed=changed, warnings=warnings)


@transaction.atomic
def update_worker(*, worker: Worker, **fields: Any) -> Worker:
    """Change a worker's details. The ID number is the person's identity and is never edited here."""
    if {"id_number", "id_type", "id_number_enc", "id_number_index"} & set(fields):
        raise ValidationError({"id_number": "证件号码是人员身份，不能修改；如登记有误请联系平台管理员"})
    if fields.get("phone"):
        try:
            fields["phone"] = check_mobile(fields["phone"])
        except IdentifierError as exc:
            raise ValidationError({"phone": str(exc)}) from None
    if "name" in fields:
        fields["name"] = clean_text(fields["name"])
    before = (worker.birth_date, worker.sex)
    worker = update_row(worker, **fields)
    if (worker.birth_date, worker.sex) != before:  # the age policy reads both
        inputs_changed(worker_ids=[worker.pk])
    return worker


@transaction.atomic
def verify_identity(*, worker: Worker, method: str, by: User | None = None) -> Worker:
    """实名核验: record that someone checked the person against their ID document (by ``method``, one of
    IdentityCheck). Until then admission refuses them. Audited; checking again records the new check."""
    if method not in IdentityCheck.values:
        raise ValidationError({"method": "请选择核验方式：身份证读卡器读取、核对证件原件或人证比对"})
    worker = update_row(
        worker, identity_check=method, identity_checked_at=timezone.now(), identity_checked_by=by
    )
    inputs_changed(worker_ids=[worker.pk])
    return worker


@dataclass
class CardResult:
    account: BankAccount
    changed: bool
    warnings: list[str]


@transaction.atomic
def set_bank_card(*, worker: Worker, card_number: str, bank_name: str, bank_code: str = "") -> CardResult:
    """Make ``card_number`` the worker's current wage card; earlier cards are kept, no longer current."""
    try:
        card = check_bank_card(card_number)
    except IdentifierError as exc:
        raise ValidationError({"bank_card": str(exc)}) from None
    bank_name = clean_text(bank_name)
    if not bank_name:
        raise ValidationError({"bank_name": "请填写开户银行"})
    index = card_index(card.number)
    existing = BankAccount.objects.select_for_update().filter(worker=worker, card_number_index=index).first()
    if existing is not None:
        before = audit.snapshot(existing)
        if not existing.is_current:
            BankAccount.objects.filter(worker=worker, is_current=True).update(is_current=False)
        update_row(existing, is_current=True, bank_name=bank_name, bank_code=bank_code or existing.bank_code)
        return CardResult(existing, audit.snapshot(existing) != before, card.warnings)
    for old in BankAccount.objects.filter(worker=worker, is_current=True):
        update_row(old, is_current=False, audit_note="换卡")
    account = create_row(
        BankAccount,
        worker=worker,
        bank_code=bank_code,
        bank_name=bank_name,
        card_number_enc=crypto.encrypt(card.number, context=CARD_CONTEXT),
        card_number_index=index,
        card_number_masked=mask_bank_card(card.number),
        warnings=card.warnings,
    )
    return CardResult(account, True, card.warnings)


def reveal_id_number(*, worker: Worker, reason: str = "") -> str:
    """The plaintext ID number for one person, written to the audit log. Permission is the caller's check."""
    audit.record(AuditAction.REVEAL, worker, changes={"field": "id_number"}, note=reason)
    return worker.id_number()


def reveal_bank_card(*, account: BankAccount, reason: str = "") -> str:
    audit.record(
        AuditAction.REVEAL,
        account,
        changes={"field": "card_number"},
        note=reason,
        object_repr=str(account.worker),
    )
    return account.card_number()


def _check_employment_links(project: Project, participant: Participant, team: Team | None) -> None:
    if participant.project_id != project.pk:
        raise ValidationError({"participant": "参建单位不属于该项目"})
    if team is not None and team.participant_id != participant.pk:
        raise ValidationError({"team": "班组不属于该参建单位"})


@dataclass
class EntryResult:
    employment: Employment
    created: bool
    changed: bool
    overlaps: list[Employment]


@transaction.atomic
def register_entry(
    *,
    worker: Worker,
    project: Project,
    participant: Participant,
    trade: str,
    entry_date: dt.date,
    team: Team | None = None,
    role: str = "20",
) -> EntryResult:
    """进场: the worker's active employment on the project (created, or updated when already on site)."""
    from realname.workers.selectors import overlapping_employments

    _check_employment_links(project, participant, team)
    current = (
        Employment.objects.select_for_update().filter(worker=worker, project=project, status="active").first()
    )
    if current is not None and current.participant_id != participant.pk:
        raise ValidationError(
            {"participant": f"该工人已以“{current.participant.company}”身份在本项目在场，请先办理退场"}
        )
    values: dict[str, Any] = {"team": team, "trade": trade, "role": role, "entry_date": entry_date}
    if current is None:
        employment = create_row(Employment, project=project, participant=participant, worker=worker, **values)
        created = changed = True
    else:
        before = audit.snapshot(current)
        employment = update_row(current, **values)
        created, changed = False, audit.snapshot(employment) != before
    if created:
        # Back after a long absence: the project-level course must be retaken before the first punch.
        from realname.training.jobs import mark_retakes_after_absence

        mark_retakes_after_absence(worker_ids=[worker.pk])
    if changed:
        inputs_changed(worker_ids=[worker.pk])
    return EntryResult(employment, created, changed, list(overlapping_employments(employment)))


@transaction.atomic
def update_employment(*, employment: Employment, **fields: Any) -> Employment:
    _check_employment_links(
        employment.project,
        fields.get("participant", employment.participant),
        fields.get("team", employment.team),
    )
    employment = update_row(employment, **fields)
    inputs_changed(worker_ids=[employment.worker_id])
    return employment


@transaction.atomic
def register_exit(*, employment: Employment, exit_date: dt.date) -> Employment:
    """退场: close the employment; the record stays."""
    if employment.status == EmploymentStatus.EXITED:
        raise ValidationError({"exit_date": "该工人已退场"})
    if exit_date < employment.entry_date:
        raise ValidationError({"exit_date": "退场日期不能早于进场日期"})
    employment = update_row(employment, exit_date=exit_date, status=EmploymentStatus.EXITED)
    inputs_changed(worker_ids=[employment.worker_id])  # the gates must stop letting them in
    return employment


_PAY_FIELDS = ("daily_rate", "monthly_salary", "hourly_rate", "piece_unit", "piece_unit_price")


def _pay_terms(pay_type: str, fields: dict[str, Any]) -> dict[str, Any]:
    """Keep only the pay fields that belong to ``pay_type``; say clearly what is missing."""
    wanted = {
        "daily": ("daily_rate",),
        "monthly": ("monthly_salary",),
        "hourly": ("hourly_rate",),
        "piece": ("piece_unit", "piece_unit_price"),
    }.get(pay_type)
    if wanted is None:
        raise ValidationError({"pay_type": "计薪方式应为计日、计月、计时或计件"})
    labels = {
        "daily_rate": "日工资",
        "monthly_salary": "月工资",
        "hourly_rate": "小时工资",
        "piece_unit": "计量单位",
        "piece_unit_price": "单价",
    }
    errors = {}
    for name in wanted:
        value = fields.get(name)
        if value in (None, ""):
            errors[name] = f"该计薪方式需填写{labels[name]}"
        elif name != "piece_unit" and Decimal(value) <= 0:
            errors[name] = f"{labels[name]}必须大于0"
    if errors:
        raise ValidationError(errors)
    cleaned = dict.fromkeys(_PAY_FIELDS)
    cleaned["piece_unit"] = ""
    for name in wanted:
        cleaned[name] = fields[name]
    return cleaned


def _check_period(period_type: str, start_date: dt.date, end_date: dt.date | None) -> None:
    if period_type == "0" and end_date is None:
        raise ValidationError({"end_date": "固定期限合同须填写结束日期"})
    if end_date is not None and end_date < start_date:
        raise ValidationError({"end_date": "合同结束日期不能早于开始日期"})


@transaction.atomic
def create_contract(*, employment: Employment, pay_type: str, start_date: dt.date, **fields: Any) -> Contract:
    _check_period(fields.get("period_type", "0"), start_date, fields.get("end_date"))
    pay = _pay_terms(pay_type, fields)
    rest = {k: v for k, v in fields.items() if k not in _PAY_FIELDS}
    contract = create_row(
        Contract,
        project=employment.project,
        employment=employment,
        pay_type=pay_type,
        start_date=start_date,
        **pay,
        **rest,
    )
    inputs_changed(worker_ids=[employment.worker_id])
    return contract


@transaction.atomic
def update_contract(*, contract: Contract, **fields: Any) -> Contract:
    pay_type = fields.get("pay_type", contract.pay_type)
    current = {name: getattr(contract, name) for name in _PAY_FIELDS}
    current.update({k: v for k, v in fields.items() if k in _PAY_FIELDS})
    fields.update(_pay_terms(pay_type, current))
    _check_period(
        fields.get("period_type", contract.period_type),
        fields.get("start_date", contract.start_date),
        fields.get("end_date", contract.end_date),
    )
    contract = update_row(contract, **fields)
    inputs_changed(worker_ids=[contract.employment.worker_id])
    return contract
