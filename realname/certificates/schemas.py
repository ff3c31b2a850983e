"""API shapes for certificate types, trade rules and workers' certificates (inputs and outputs apart).

The holder's ID number is accepted on input only to be compared with the worker's; outputs carry it masked.
The certificate number is output masked too (it may be an ID number); the plaintext only from the audited
reveal endpoint (``NumberRevealOut``).
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from ninja import Field, Schema

from realname.certificates.models import Certificate, TradeRule
from realname.core.api_errors import InputSchema
from realname.orgs.schemas import ProjectRef, Ref
from realname.workers.schemas import WorkerRef


class CertificateTypeOut(Ref):
    regime: str
    code: str
    name: str
    category: str
    sub_item: str
    validity_months: int
    renewal_window_days: int
    review_interval_months: int | None
    review_window_days: int
    active: bool
    note: str


class CertificateTypeRef(Ref):
    code: str
    name: str
    regime: str


class TradeRuleOut(Ref):
    trade: str
    trade_name: str
    project: ProjectRef | None
    label: str
    types: list[CertificateTypeRef]

    @staticmethod
    def resolve_trade_name(obj: TradeRule) -> str:
        return str(obj.get_trade_display())

    @staticmethod
    def resolve_types(obj: TradeRule) -> Any:
        return list(obj.types.all())


class ReviewOut(Ref):
    kind: str
    reviewed_on: dt.date
    previous_date: dt.date | None
    new_date: dt.date | None
    note: str


class CertificateOut(Ref):
    worker: WorkerRef
    type: CertificateTypeRef
    number: str = Field(..., description="证书编号（掩码：含身份证号码的编号只显示首6位和末4位）")
    holder_name: str
    holder_id_masked: str
    issuing_authority: str
    issue_date: dt.date
    expires_on: dt.date
    next_review_on: dt.date | None
    last_reviewed_on: dt.date | None
    verification_status: str
    verified_by: str | None
    verified_at: dt.datetime | None
    verification_note: str
    reviews: list[ReviewOut]

    @staticmethod
    def resolve_number(obj: Certificate) -> str:
        return obj.number_masked

    @staticmethod
    def resolve_verified_by(obj: Certificate) -> str | None:
        return str(obj.verified_by) if obj.verified_by_id else None

    @staticmethod
    def resolve_reviews(obj: Certificate) -> Any:
        return list(obj.reviews.all())


class NumberRevealOut(Schema):
    id: uuid.UUID
    number: str = Field(..., description="证书编号明文（本次查看已记入审计日志）")


class CertificateIn(InputSchema):
    worker: uuid.UUID = Field(..., description="工人 id")
    type: str = Field(..., description="证书类型代码（见 /certificates/types），如 ZJ-DG")
    number: str = Field(..., description="证书编号（同一类型内唯一）；加密保存，输出只显示掩码")
    holder_name: str = Field(..., description="证书上的持证人姓名")
    holder_id_number: str = Field(
        ..., description="证书上的持证人证件号码，须与工人的证件号码一致；不保存明文"
    )
    issuing_authority: str
    issue_date: dt.date
    expires_on: dt.date | None = Field(None, description="有效期至；省略时按类型有效期计算")
    last_reviewed_on: dt.date | None = Field(None, description="已复审过的填写最近一次复审日期")
    next_review_on: dt.date | None = Field(None, description="下次复审日期；省略时按类型复审规则计算")


class VerifyIn(InputSchema):
    status: str = Field(..., description="verified（与发证机关登记一致）或 rejected（核验不符，须附说明）")
    note: str = ""


class ReviewIn(InputSchema):
    kind: str = Field("review", description="review（复审）或 renewal（延期复核）")
    reviewed_on: dt.date
    new_date: dt.date | None = Field(
        None, description="复审：下次复审日期；延期复核：新的有效期至；省略时按类型规则计算"
    )
    note: str = ""
