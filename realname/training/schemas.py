"""API shapes for training: courses, plans, records, completion rates, a worker's own requirements."""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal

from ninja import Field, Schema

from realname.core.api_errors import InputSchema
from realname.orgs.schemas import CompanyRef, ProjectRef, Ref
from realname.workers.schemas import WorkerRef


class CourseRef(Ref):
    title: str
    level: str


class CourseOut(CourseRef):
    company: CompanyRef | None
    training_type: str
    description: str
    duration_minutes: int
    exam_bank: uuid.UUID | None = Field(None, alias="exam_bank.public_id")
    exam_question_count: int
    exam_pass_mark: int
    exam_time_limit_minutes: int
    lessons: int = Field(0, alias="lesson_count", description="课时数")


class CourseIn(InputSchema):
    company: uuid.UUID | None = Field(None, description="所属企业 id；留空为平台通用课程（仅平台管理员）")
    title: str = Field(..., min_length=1, max_length=200)
    training_type: str = Field(..., description="培训类型代码（字典 training_types，003001–003004）")
    level: str = Field("", description='教育级别："company" / "project" / "team"，其他课程留空')
    description: str = ""
    duration_minutes: int = Field(0, ge=0, le=100_000)
    exam_bank: uuid.UUID | None = None
    exam_question_count: int = Field(10, ge=1, le=200)
    exam_pass_mark: int = Field(80, ge=1, le=100)
    exam_time_limit_minutes: int = Field(30, ge=1, le=600)


class PlanItemIn(InputSchema):
    course: uuid.UUID
    validity_months: int = Field(0, ge=0, le=600, description="有效期（月），0 表示长期有效")
    absence_limit_days: int = Field(0, ge=0, le=3650, description="离场超过该天数须重新培训（仅项目级课程）")


class PlanIn(InputSchema):
    project: str = Field(..., description="项目编码")
    name: str = Field(..., min_length=1, max_length=200)
    trade: str = Field("", description="工种代码；留空表示本项目所有工种")
    items: list[PlanItemIn] = Field(default_factory=list)


class PlanItemOut(Schema):
    course: CourseRef
    validity_months: int
    absence_limit_days: int


class PlanOut(Ref):
    project: ProjectRef
    name: str
    trade: str
    items: list[PlanItemOut]


class RecordOut(Ref):
    worker: WorkerRef
    course: CourseRef
    project: ProjectRef | None
    score: Decimal | None
    attempts: int
    time_spent_seconds: int
    passed_at: dt.datetime | None
    source: str
    expires_at: dt.datetime | None
    retake_marked_at: dt.datetime | None


class CompletionOut(Schema):
    key: str = Field(..., description="班组 id 或工种代码")
    label: str
    complete: int
    total: int
    rate: float = Field(..., description="完成率（%）")


class ProjectCompletionOut(Schema):
    project: str
    complete: int
    total: int
    rate: float
    by_team: list[CompletionOut]
    by_trade: list[CompletionOut]


class RequirementOut(Schema):
    project: str
    employment: uuid.UUID
    course: uuid.UUID
    title: str
    level: str
    state: str = Field(..., description="passed / not_passed / expired / retake")
    passed_at: dt.datetime | None
    expires_at: dt.datetime | None
