"""API shapes for workers, employments (进场/退场) and contracts.

Inputs and outputs are separate classes. Outputs carry sensitive numbers only masked (the ID number, the
current bank card); the plaintext ID number leaves the server only through the audited reveal endpoint.
"""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal
from typing import Any

from ninja import Field, Schema

from realname.core.api_errors import InputSchema
from realname.orgs.schemas import ParticipantRef, ProjectRef, Ref, TeamRef
from realname.workers.models import BankAccount, Contract, Employment, Worker


class WorkerRef(Ref):
    name: str
    id_number_masked: str


class EmploymentRef(Ref):
    entry_date: dt.date
    status: str


# --- workers -----------------------------------------------------------------------------------------------


class WorkerIn(InputSchema):
    id_type: str = Field("01", description="证件类型代码（字典 id_types），01 居民身份证")
    id_number: str = Field(..., description="证件号码；同一证件号码全平台只登记一次")
    name: str
    phone: str = ""
    ethnicity: str = ""
    address: str = ""
    issuing_authority: str = ""
    id_valid_from: dt.date | None = None
    id_valid_until: dt.date | None = None
    education: str = ""
    politics: str = ""
    marital_status: str = ""
    emergency_contact_name: str = ""
    emergency_contact_phone: str = ""
    bank_card: str = Field("", description="工资卡号（可选）；保存为当前工资卡")
    bank_name: str = ""
    bank_code: str = ""


def _current_card(worker: Worker) -> BankAccount | None:
    cards = getattr(worker, "current_cards", None)
    if cards is None:  # not prefetched
        cards = list(worker.bank_accounts.filter(is_current=True))
    return cards[0] if cards else None


class WorkerOut(WorkerRef):
    id_type: str
    birth_date: dt.date | None
    sex: str
    ethnicity: str
    phone: str
    address: str
    issuing_authority: str
    id_valid_from: dt.date | None
    id_valid_until: dt.date | None
    education: str
    politics: str
    marital_status: str
    emergency_contact_name: str
    emergency_contact_phone: str
    bank_card_masked: str = Field("", description="当前工资卡号（脱敏）")
    bank_name: str = ""
    bank_code: str = ""
    warnings: list[str] = Field([], description="证件号、银行卡号需人工核对的提示")
    identity_check: str = Field(
        "",
        description="身份核验方式：card_reader 读卡器 / original 核对原件 / face_match 人证比对；空为未核验",
    )
    identity_checked_at: dt.datetime | None = Field(None, description="身份核验时间（未核验的人员不能准入）")
    created_at: dt.datetime
    updated_at: dt.datetime

    @staticmethod
    def resolve_bank_card_masked(obj: Worker) -> str:
        card = _current_card(obj)
        return card.card_number_masked if card else ""

    @staticmethod
    def resolve_bank_name(obj: Worker) -> str:
        card = _current_card(obj)
        return card.bank_name if card else ""

    @staticmethod
    def resolve_bank_code(obj: Worker) -> str:
        card = _current_card(obj)
        return card.bank_code if card else ""

    @staticmethod
    def resolve_warnings(obj: Worker) -> list[str]:
        card = _current_card(obj)
        return [*(obj.id_warnings or []), *((card.warnings or []) if card else [])]


# What a registration answer leaves out when the person lies outside the caller's scope (registered by
# another company, never employed by the caller): holding an ID number shows that its holder is registered,
# not where they live or how to reach them.
PERSONAL_FIELDS: dict[str, Any] = {
    "ethnicity": "",
    "phone": "",
    "address": "",
    "issuing_authority": "",
    "id_valid_from": None,
    "id_valid_until": None,
    "education": "",
    "politics": "",
    "marital_status": "",
    "emergency_contact_name": "",
    "emergency_contact_phone": "",
    "bank_card_masked": "",
    "bank_name": "",
    "bank_code": "",
    "warnings": [],
}


class WorkerRegistrationOut(WorkerOut):
    created: bool = Field(
        ..., description="true：新登记；false：此人已登记（按证件号去重），已按提交内容更新"
    )
    changed: bool
    restricted: bool = Field(
        False, description="true：此人由其他单位登记、不在您的范围内，仅返回身份信息；办理进场后可查看全部"
    )

    @classmethod
    def of(cls, worker: Worker, *, created: bool, changed: bool, restricted: bool) -> WorkerRegistrationOut:
        fields = dict(WorkerOut.from_orm(worker))
        if restricted:
            fields.update(PERSONAL_FIELDS)
        # Built from validated parts without validating again (which would run the resolvers on a dict).
        return cls.model_construct(**fields, created=created, changed=changed, restricted=restricted)


class RevealIn(InputSchema):
    reason: str = Field("", max_length=300, description="查看原因（写入审计日志）")


class RevealOut(Schema):
    id: uuid.UUID
    id_type: str
    id_number: str


# --- employments -------------------------------------------------------------------------------------------


class EmploymentIn(InputSchema):
    participant: uuid.UUID = Field(..., description="参建单位 id；项目即该参建单位所在项目")
    team: uuid.UUID | None = Field(None, description="班组 id（须属于该参建单位）")
    worker: uuid.UUID | None = Field(None, description="工人 id；或改为提供 id_type + id_number")
    id_type: str = "01"
    id_number: str | None = Field(None, description="已登记工人的证件号码（代替 worker）")
    trade: str = Field(..., description="工种代码（字典 trades）")
    role: str = Field("20", description="人员类型代码（字典 worker_roles）")
    entry_date: dt.date


class ExitIn(InputSchema):
    exit_date: dt.date


class EmploymentOut(Ref):
    project: ProjectRef
    participant: ParticipantRef
    team: TeamRef | None
    worker: WorkerRef
    trade: str
    trade_name: str = ""
    role: str
    entry_date: dt.date
    exit_date: dt.date | None
    status: str

    @staticmethod
    def resolve_trade_name(obj: Employment) -> str:
        return str(obj.get_trade_display())


class EntryOut(EmploymentOut):
    created: bool = Field(..., description="true：新进场；false：该工人已在场，已按提交内容更新")
    warnings: list[str] = []


# --- contracts ---------------------------------------------------------------------------------------------


class ContractIn(InputSchema):
    employment: uuid.UUID = Field(..., description="进退场记录 id")
    code: str = ""
    period_type: str = Field("0", description="合同期限类型代码（字典 contract_period_types）")
    start_date: dt.date
    end_date: dt.date | None = None
    pay_type: str = Field(..., description="daily 计日 / monthly 计月 / hourly 计时 / piece 计件")
    daily_rate: Decimal | None = Field(None, max_digits=10, decimal_places=2)
    monthly_salary: Decimal | None = Field(None, max_digits=10, decimal_places=2)
    hourly_rate: Decimal | None = Field(None, max_digits=10, decimal_places=2)
    piece_unit: str = ""
    piece_unit_price: Decimal | None = Field(None, max_digits=10, decimal_places=2)
    pay_day: int = 15
    signed_on: dt.date | None = None


class ContractOut(Ref):
    project: ProjectRef
    employment: EmploymentRef
    worker: WorkerRef
    code: str
    period_type: str
    start_date: dt.date
    end_date: dt.date | None
    pay_type: str
    daily_rate: Decimal | None
    monthly_salary: Decimal | None
    hourly_rate: Decimal | None
    piece_unit: str
    piece_unit_price: Decimal | None
    pay_day: int
    signed_on: dt.date | None

    @staticmethod
    def resolve_worker(obj: Contract) -> Any:
        return obj.employment.worker


class IdentityCheckIn(InputSchema):
    method: str = Field(
        description="核验方式：card_reader 身份证读卡器读取 / original 核对证件原件 / face_match 人证比对"
    )
