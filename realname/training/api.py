"""API endpoints for training: courses, plans, records, completion rates, and a worker's own requirements.

Each endpoint: parse (schema) → scoped lookup → service / selector → render. Out of scope is 404.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Count, Prefetch, QuerySet
from django.http import Http404, HttpRequest
from django.utils import timezone
from ninja import Path, Router, Status

from realname.accounts.roles import Perm
from realname.accounts.scope import is_platform, restrict
from realname.core.api_errors import ERRORS, WRITE_ERRORS, list_endpoint, parse_public_id, require_perm
from realname.orgs.models import Company, Project
from realname.training import selectors, services
from realname.training.models import Course, PlanCourse, TrainingPlan, TrainingRecord
from realname.training.schemas import (
    CourseIn,
    CourseOut,
    PlanIn,
    PlanOut,
    ProjectCompletionOut,
    RecordOut,
    RequirementOut,
)
from realname.workers.models import Employment

router = Router(tags=["training"])

ID = Path(..., description="对象 id（UUID）", example="3fa85f64-5717-4562-b3fc-2a963f66afa6")


def _courses(user: Any) -> QuerySet[Course]:
    return selectors.visible_courses(user).annotate(lesson_count=Count("lessons")).order_by("title", "id")


def _plans() -> QuerySet[TrainingPlan]:
    items = PlanCourse.objects.select_related("course").order_by("id")
    return (
        TrainingPlan.objects.select_related("project")
        .prefetch_related(Prefetch("items", queryset=items))
        .order_by("project__code", "trade", "id")
    )


def _project(request: HttpRequest, code: str, perm: str) -> Project:
    project = restrict(Project.objects.all(), request.user, perm).filter(code=code).first()
    if project is None:
        raise Http404
    return project


# --- courses -----------------------------------------------------------------------------------------------


@router.get("/courses", response=list[CourseOut], summary="培训课程 / list courses")
@list_endpoint
def list_courses(request: HttpRequest, q: str = "", level: str = "") -> QuerySet[Course]:
    qs = _courses(request.user)
    if q:
        qs = qs.filter(title__icontains=q.strip())
    if level:
        qs = qs.filter(level=level)
    return qs


@router.get("/courses/{course_id}", response={200: CourseOut, **ERRORS}, summary="课程详情 / read a course")
def get_course(request: HttpRequest, course_id: str = ID) -> Course:
    course = _courses(request.user).filter(public_id=parse_public_id(course_id)).first()
    if course is None:
        raise Http404
    return course


@router.post("/courses", response={201: CourseOut, **WRITE_ERRORS}, summary="新建课程 / create a course")
def create_course(request: HttpRequest, payload: CourseIn) -> Status[Course]:
    require_perm(request, Perm.TRAINING_MANAGE)
    owners = {c.public_id: c for c in selectors.owner_companies(request.user)}
    company: Company | None = None
    if payload.company is not None:
        company = owners.get(payload.company)
        if company is None:
            raise ValidationError({"company": "不存在或无权限"})
    elif not is_platform(request.user, Perm.TRAINING_MANAGE):
        if len(owners) != 1:
            raise ValidationError({"company": "请指定所属企业"})
        company = next(iter(owners.values()))
    bank = None
    if payload.exam_bank is not None:
        bank = selectors.manageable_banks(request.user).filter(public_id=payload.exam_bank).first()
        if bank is None:
            raise ValidationError({"exam_bank": "不存在或无权限"})
    fields = payload.dict(exclude={"company", "exam_bank", "title", "training_type"})
    course = services.create_course(
        company=company, title=payload.title, training_type=payload.training_type, exam_bank=bank, **fields
    )
    return Status(201, _courses(request.user).get(pk=course.pk))


# --- plans -------------------------------------------------------------------------------------------------


@router.get("/plans", response=list[PlanOut], summary="培训计划 / list plans")
@list_endpoint
def list_plans(request: HttpRequest, project: str = "") -> QuerySet[TrainingPlan]:
    qs = restrict(_plans(), request.user, Perm.TRAINING_VIEW)
    if project:
        qs = qs.filter(project__code=project)
    return qs


@router.post("/plans", response={201: PlanOut, **WRITE_ERRORS}, summary="新建培训计划 / create a plan")
def create_plan(request: HttpRequest, payload: PlanIn) -> Status[TrainingPlan]:
    require_perm(request, Perm.TRAINING_MANAGE)
    project = selectors.plan_projects(request.user).filter(code=payload.project).first()
    if project is None:
        raise ValidationError({"project": "不存在或无权限"})
    courses = selectors.visible_courses(request.user, Perm.TRAINING_MANAGE)
    with transaction.atomic():
        plan = services.create_plan(project=project, name=payload.name, trade=payload.trade)
        for item in payload.items:
            course = courses.filter(public_id=item.course).first()
            if course is None:
                raise ValidationError({"items": "课程不存在或无权限"})
            services.add_plan_course(
                plan=plan,
                course=course,
                validity_months=item.validity_months,
                absence_limit_days=item.absence_limit_days,
            )
    return Status(201, _plans().get(pk=plan.pk))


# --- records and completion --------------------------------------------------------------------------------


@router.get("/records", response=list[RecordOut], summary="培训记录 / list training records")
@list_endpoint
def list_records(
    request: HttpRequest, project: str = "", worker: UUID | None = None, course: UUID | None = None
) -> QuerySet[TrainingRecord]:
    """``project`` (项目编码) keeps the records that count on that project: its project- and team-level
    passes and the company-level passes of its workers."""
    qs = selectors.visible_records(request.user).order_by("-passed_at", "id")
    if project:
        qs = selectors.records_for_project(qs, project)
    if worker is not None:
        qs = qs.filter(worker__public_id=worker)
    if course is not None:
        qs = qs.filter(course__public_id=course)
    return qs


@router.get(
    "/projects/{code}/completion",
    response={200: ProjectCompletionOut, **ERRORS},
    summary="培训完成率 / completion rate by team and trade",
)
def completion(request: HttpRequest, code: str) -> dict[str, Any]:
    project = _project(request, code, Perm.TRAINING_VIEW)
    employments = restrict(Employment.objects.filter(project=project), request.user, Perm.TRAINING_VIEW)
    result = selectors.project_completion(employments, timezone.now())

    def rows(items: list[selectors.Completion]) -> list[dict[str, Any]]:
        return [
            {"key": c.key, "label": c.label, "complete": c.complete, "total": c.total, "rate": c.rate}
            for c in items
        ]

    return {
        "project": project.code,
        "complete": result.project.complete,
        "total": result.project.total,
        "rate": result.project.rate,
        "by_team": rows(result.by_team),
        "by_trade": rows(result.by_trade),
    }


@router.get("/me/requirements", response=list[RequirementOut], summary="我的培训要求 / my required courses")
def my_requirements(request: HttpRequest) -> list[dict[str, Any]]:
    require_perm(request, Perm.TRAINING_TAKE)
    employments = selectors.own_active_employments(request.user)
    rows = selectors.requirement_rows(employments, timezone.now())
    return [
        {
            "project": row.employment.project.code,
            "employment": row.employment.public_id,
            "course": row.course.public_id if row.course else None,
            "title": row.fact.title,
            "level": row.fact.level,
            "state": str(row.fact.state),
            "passed_at": row.fact.passed_at,
            "expires_at": row.fact.expires_at,
        }
        for row in rows
    ]
