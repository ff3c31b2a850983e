"""API shapes for companies, projects, sections, participants and teams.

Inputs and outputs are separate classes. Every object is named by its ``id`` — the row's public UUID, never
its database key — and related objects appear as small references (id plus a readable field or two).
"""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal
from typing import Any

from ninja import Field, Schema

from realname.core.api_errors import InputSchema
from realname.orgs.models import GENERAL_CONTRACTOR, Company, Participant, Project


class Ref(Schema):
    id: uuid.UUID = Field(..., alias="public_id")


class CompanyRef(Ref):
    name: str
    credit_code: str


class ProjectRef(Ref):
    code: str
    name: str


class SectionRef(Ref):
    code: str
    name: str


class ParticipantRef(Ref):
    role: str
    company: CompanyRef


class TeamRef(Ref):
    name: str


class PersonRef(Ref):
    name: str


# --- companies ---------------------------------------------------------------------------------------------


class CompanyIn(InputSchema):
    name: str
    credit_code: str = Field(..., description="统一社会信用代码（18位，GB 32100 校验）")
    registration_type: str = ""
    region_code: str = ""
    address: str = ""
    legal_representative: str = ""
    contact_name: str = ""
    contact_phone: str = ""


class CompanyOut(CompanyRef):
    registration_type: str
    region_code: str
    address: str
    legal_representative: str
    contact_name: str
    contact_phone: str
    created_at: dt.datetime


# --- projects and sections -------------------------------------------------------------------------------


class ProjectIn(InputSchema):
    code: str = Field(..., description="项目编码（全平台唯一）")
    name: str
    category: str = Field(..., description="项目分类代码（字典 project_categories）")
    region_code: str = Field(..., description="项目所在地6位行政区划代码")
    status: str | None = Field(None, description="项目状态代码（字典 project_status），默认 003")
    address: str = ""
    time_zone: str | None = Field(None, description="IANA 时区，默认 Asia/Shanghai")
    start_date: dt.date | None = None
    end_date: dt.date | None = None
    fence_lat: Decimal | None = Field(None, max_digits=9, decimal_places=6)
    fence_lng: Decimal | None = Field(None, max_digits=9, decimal_places=6)
    fence_radius_m: int | None = None
    wage_bank_code: str = ""
    wage_bank_branch: str = ""
    wage_account_name: str = ""
    wage_account_number: str = ""
    general_contractor: uuid.UUID | None = Field(
        None,
        description="总承包单位（企业 id）。企业用户默认为本企业；平台管理员必须指定。",
    )


class SectionIn(InputSchema):
    code: str
    name: str


class SectionOut(SectionRef):
    project: ProjectRef


class ProjectOut(ProjectRef):
    category: str
    status: str
    region_code: str
    address: str
    time_zone: str
    start_date: dt.date | None
    end_date: dt.date | None
    fence_lat: Decimal | None
    fence_lng: Decimal | None
    fence_radius_m: int | None
    wage_bank_code: str
    wage_bank_branch: str
    wage_account_name: str
    wage_account_number: str
    general_contractor: CompanyRef | None = None
    created_at: dt.datetime

    @staticmethod
    def resolve_general_contractor(obj: Project) -> Company | None:
        found = getattr(obj, "gc_participants", None)
        if found is None:  # not prefetched
            found = list(obj.participants.filter(role=GENERAL_CONTRACTOR).select_related("company"))
        return found[0].company if found else None


class ProjectDetailOut(ProjectOut):
    sections: list[SectionRef] = []

    @staticmethod
    def resolve_sections(obj: Project) -> Any:
        return obj.sections.all()


# --- participants ------------------------------------------------------------------------------------------


class ParticipantIn(InputSchema):
    project: uuid.UUID
    company: uuid.UUID
    role: str = Field(
        ..., description="参建单位类型代码（字典 participant_types，如 009 总承包、006 劳务分包）"
    )
    section: uuid.UUID | None = None
    entry_date: dt.date | None = None
    exit_date: dt.date | None = None
    manager_name: str = ""
    manager_phone: str = ""


class ParticipantOut(Ref):
    project: ProjectRef
    company: CompanyRef
    role: str
    role_name: str = ""
    section: SectionRef | None
    entry_date: dt.date | None
    exit_date: dt.date | None
    manager_name: str
    manager_phone: str

    @staticmethod
    def resolve_role_name(obj: Participant) -> str:
        return str(obj.get_role_display())


# --- teams -------------------------------------------------------------------------------------------------


class TeamIn(InputSchema):
    participant: uuid.UUID = Field(..., description="班组所属参建单位（参建单位 id）")
    name: str
    leader: uuid.UUID | None = Field(None, description="班组长（工人 id），须在本项目在场")
    section: uuid.UUID | None = None
    entry_date: dt.date | None = None
    exit_date: dt.date | None = None


class TeamOut(Ref):
    project: ProjectRef
    participant: ParticipantRef
    name: str
    leader: PersonRef | None
    section: SectionRef | None
    entry_date: dt.date | None
    exit_date: dt.date | None
