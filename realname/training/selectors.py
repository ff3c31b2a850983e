"""Reads: what each employment must pass (derived from the plans at query time), where each worker stands
(:func:`training_facts`, the contract with the admission decision), completion rates, scoped lists.

Requirements are never stored per employment: an employment created on a page, through the API or by the
COPY-based Excel importer is "assigned" its courses the moment a plan covers its project and trade.
"""

from __future__ import annotations

import calendar
import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from django.db import connection
from django.db.models import BigIntegerField, BooleanField, Exists, F, Func, OuterRef, Q, QuerySet

from realname.accounts.models import ScopeKind, User
from realname.accounts.roles import Perm, Role, role_has
from realname.accounts.scope import has_perm, is_platform, membership_q, memberships, restrict
from realname.admission.facts import EmploymentKey, TrainingFact, TrainingState
from realname.orgs.models import Project
from realname.training.models import (
    PROJECT_BOUND_LEVELS,
    Course,
    ExamAttempt,
    OfflineSession,
    PlanCourse,
    QuestionBank,
    TrainingRecord,
)
from realname.workers.models import Employment, EmploymentStatus


def add_months(moment: dt.datetime, months: int) -> dt.datetime:
    """``moment`` plus whole calendar months (the 31st becomes the month's last day)."""
    index = moment.month - 1 + months
    year, month = moment.year + index // 12, index % 12 + 1
    day = min(moment.day, calendar.monthrange(year, month)[1])
    return moment.replace(year=year, month=month, day=day)


@dataclass(frozen=True, slots=True)
class Requirement:
    """One course an employment must pass, with the strictest rules of the plans that require it."""

    course_id: int
    title: str
    level: str
    validity_months: int  # 0: never expires
    absence_limit_days: int  # 0: no limit


def _strictest(values: Iterable[int]) -> int:
    positive = [v for v in values if v > 0]
    return min(positive) if positive else 0


def record_project_id(level: str, project_id: int) -> int | None:
    """The project a pass of a course at ``level`` belongs to (None: it counts on every project)."""
    return project_id if level in PROJECT_BOUND_LEVELS else None


class PlanIndex:
    """The plan lines of some projects, loaded in one query, answering "what does this employment need"."""

    def __init__(self, project_ids: Iterable[int]) -> None:
        rows = PlanCourse.objects.filter(plan__project_id__in=set(project_ids)).values_list(
            "plan__project_id",
            "plan__trade",
            "course_id",
            "course__title",
            "course__level",
            "validity_months",
            "absence_limit_days",
        )
        self._lines: dict[int, list[tuple[str, int, str, str, int, int]]] = defaultdict(list)
        for project_id, trade, course_id, title, level, validity, absence in rows:
            self._lines[project_id].append((trade, course_id, title, level, validity, absence))
        self._cache: dict[tuple[int, str], list[Requirement]] = {}

    def course_ids(self) -> set[int]:
        return {line[1] for lines in self._lines.values() for line in lines}

    def requirements(self, project_id: int, trade: str) -> list[Requirement]:
        key = (project_id, trade)
        found = self._cache.get(key)
        if found is not None:
            return found
        grouped: dict[int, list[tuple[str, int, str, str, int, int]]] = defaultdict(list)
        for line in self._lines.get(project_id, ()):
            if line[0] in ("", trade):
                grouped[line[1]].append(line)
        result = [
            Requirement(
                course_id=course_id,
                title=lines[0][2],
                level=lines[0][3],
                validity_months=_strictest(line[4] for line in lines),
                absence_limit_days=_strictest(line[5] for line in lines),
            )
            for course_id, lines in sorted(grouped.items(), key=lambda item: (item[1][0][2], item[0]))
        ]
        self._cache[key] = result
        return result


def requirements_for(employment: Employment) -> list[Requirement]:
    return PlanIndex([employment.project_id]).requirements(employment.project_id, employment.trade)


_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)


class _AnyOf(Func):
    """``column = ANY(%s)`` with the ids as one array parameter (PostgreSQL): a plan as good as ``IN (…)``
    without a ten-thousand-parameter statement to build and parse."""

    output_field = BooleanField()

    def __init__(self, expression: Any, values: list[int]) -> None:
        super().__init__(expression)
        self.values = values

    def as_sql(self, compiler: Any, connection: Any, **extra: Any) -> tuple[str, list[Any]]:  # type: ignore[override]
        sql, params = compiler.compile(self.source_expressions[0])
        return f"{sql} = ANY(%s::bigint[])", [*params, self.values]


class _EpochMicros(Func):
    """A timestamp as whole microseconds since 1970 (PostgreSQL): integers load many times faster than
    timestamps, which matters for the 30,000 passes of a 10,000-worker allow-list rebuild."""

    template = "(EXTRACT(EPOCH FROM %(expressions)s) * 1000000)::bigint"
    output_field = BigIntegerField()


def _passes(
    employments: Sequence[EmploymentKey], course_ids: set[int]
) -> dict[tuple[int, int, int | None], tuple[dt.datetime, dt.datetime | None]]:
    """(worker, course, project or None) → (passed_at, retake_marked_at) of the passes that may count."""
    worker_ids = {e.worker_id for e in employments}
    project_ids = {e.project_id for e in employments}
    qs = TrainingRecord.objects.filter(
        Q(project_id__isnull=True) | Q(project_id__in=project_ids),
        course_id__in=course_ids,
        passed_at__isnull=False,
    ).order_by()
    records: dict[tuple[int, int, int | None], tuple[dt.datetime, dt.datetime | None]] = {}
    if connection.vendor == "postgresql":
        rows = (
            qs.filter(_AnyOf(F("worker_id"), sorted(worker_ids)))
            .annotate(p=_EpochMicros("passed_at"), r=_EpochMicros("retake_marked_at"))
            .values_list("worker_id", "course_id", "project_id", "p", "r")
        )
        for worker_id, course_id, project_id, passed, retake in rows:
            records[(worker_id, course_id, project_id)] = (
                _EPOCH + dt.timedelta(microseconds=passed),
                None if retake is None else _EPOCH + dt.timedelta(microseconds=retake),
            )
    else:
        for worker_id, course_id, project_id, passed_at, retake_at in qs.filter(
            worker_id__in=worker_ids
        ).values_list("worker_id", "course_id", "project_id", "passed_at", "retake_marked_at"):
            if passed_at is not None:  # filtered above; tells the type checker
                records[(worker_id, course_id, project_id)] = (passed_at, retake_at)
    return records


def training_facts(employments: Sequence[EmploymentKey], at: dt.datetime) -> dict[int, list[TrainingFact]]:
    """Per employment pk, one fact per required course (from the plans for its project and trade) — in two
    queries whatever the number of employments. Employments no plan covers get []."""
    if not employments:
        return {}
    plans = PlanIndex({e.project_id for e in employments})
    course_ids = plans.course_ids()
    records = _passes(employments, course_ids) if course_ids else {}
    missing: tuple[None, None] = (None, None)
    result: dict[int, list[TrainingFact]] = {}
    for employment in employments:
        facts: list[TrainingFact] = []
        for req in plans.requirements(employment.project_id, employment.trade):
            bound = employment.project_id if req.level in PROJECT_BOUND_LEVELS else None
            passed_at, retake = records.get((employment.worker_id, req.course_id, bound), missing)
            facts.append(_fact(req, passed_at, retake, at))
        result[employment.pk] = facts
    return result


def _fact(
    req: Requirement, passed_at: dt.datetime | None, retake: dt.datetime | None, at: dt.datetime
) -> TrainingFact:
    if passed_at is None or passed_at > at:
        return TrainingFact(req.course_id, req.title, req.level, TrainingState.NOT_PASSED)
    expires_at = add_months(passed_at, req.validity_months) if req.validity_months else None
    if retake is not None and retake <= at:
        state = TrainingState.RETAKE_AFTER_ABSENCE
    elif expires_at is not None and expires_at <= at:
        state = TrainingState.EXPIRED
    else:
        state = TrainingState.PASSED
    return TrainingFact(req.course_id, req.title, req.level, state, passed_at, expires_at)


# --- completion rates --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Completion:
    """Active employments with every required course passed and valid, out of all active employments."""

    key: str
    label: str
    complete: int
    total: int

    @property
    def rate(self) -> float:
        return round(100.0 * self.complete / self.total, 1) if self.total else 0.0


@dataclass(frozen=True)
class ProjectCompletion:
    project: Completion
    by_team: list[Completion]
    by_trade: list[Completion]


def complete(facts: list[TrainingFact]) -> bool:
    """Every required course passed and valid (an employment no plan covers owes nothing)."""
    return all(f.state == TrainingState.PASSED for f in facts)


def project_completion(employments: QuerySet[Employment], at: dt.datetime) -> ProjectCompletion:
    """Completion of the given (already scoped) employments, overall, per team and per trade."""
    from realname.core import dictionaries

    rows = list(
        employments.filter(status=EmploymentStatus.ACTIVE)
        .select_related("team")
        .only("pk", "project_id", "worker_id", "trade", "team__name", "team__public_id")
    )
    facts = training_facts(rows, at)
    overall = [0, 0]
    teams: dict[str, list[Any]] = {}
    trades: dict[str, list[Any]] = {}
    for employment in rows:
        done = complete(facts.get(employment.pk, []))
        overall[0] += done
        overall[1] += 1
        team_key = str(employment.team.public_id) if employment.team else ""
        team_label = employment.team.name if employment.team else "（未分班组）"
        teams.setdefault(team_key, [team_label, 0, 0])
        teams[team_key][1] += done
        teams[team_key][2] += 1
        trades.setdefault(employment.trade, [dictionaries.label("trades", employment.trade), 0, 0])
        trades[employment.trade][1] += done
        trades[employment.trade][2] += 1
    return ProjectCompletion(
        project=Completion("", "", overall[0], overall[1]),
        by_team=sorted((Completion(k, v[0], v[1], v[2]) for k, v in teams.items()), key=lambda c: c.label),
        by_trade=sorted((Completion(k, v[0], v[1], v[2]) for k, v in trades.items()), key=lambda c: c.key),
    )


# --- scoped lists ------------------------------------------------------------------------------------------


def _own_company_ids(user: User | Any, perm: str) -> list[int]:
    return [m.company_id for m in memberships(user) if m.company_id and role_has(m.role, perm)]


def visible_courses(user: User | Any, perm: str = Perm.TRAINING_VIEW) -> QuerySet[Course]:
    """Platform-wide courses, and those of the companies the user's scope reaches (a worker: the
    companies on their projects)."""
    qs = Course.objects.select_related("company", "exam_bank")
    if not has_perm(user, perm):
        return qs.none()
    if is_platform(user, perm):
        return qs
    from realname.orgs.models import Company

    companies = restrict(Company.objects.all(), user, perm).values("pk")
    return qs.filter(Q(company__isnull=True) | Q(company__in=companies))


def manageable_courses(user: User | Any) -> QuerySet[Course]:
    """Courses the user may change: their own company's (a platform admin: all of them)."""
    qs = Course.objects.select_related("company", "exam_bank")
    if is_platform(user, Perm.TRAINING_MANAGE):
        return qs
    return qs.filter(company_id__in=_own_company_ids(user, Perm.TRAINING_MANAGE))


def manageable_banks(user: User | Any) -> QuerySet[QuestionBank]:
    qs = QuestionBank.objects.select_related("company")
    if is_platform(user, Perm.TRAINING_MANAGE):
        return qs
    return qs.filter(company_id__in=_own_company_ids(user, Perm.TRAINING_MANAGE))


def owner_companies(user: User | Any) -> list[Any]:
    """The companies on whose behalf the user may create courses and banks."""
    from realname.orgs.models import Company

    if is_platform(user, Perm.TRAINING_MANAGE):
        return list(Company.objects.order_by("name"))
    return list(Company.objects.filter(pk__in=_own_company_ids(user, Perm.TRAINING_MANAGE)))


def plan_projects(user: User | Any) -> QuerySet[Project]:
    """The projects whose training plans the user may change: a plan binds every participant's people, so it
    takes project-wide authority (general contractor, owner, supervisor; platform) with TRAINING_MANAGE."""
    from realname.attendance.setup import wide_projects

    return wide_projects(user, Perm.TRAINING_MANAGE)


def visible_records(user: User | Any, perm: str = Perm.TRAINING_VIEW) -> QuerySet[TrainingRecord]:
    """Training records of the workers whose employments the user may see: a project-bound record only
    through an employment on that project."""
    qs = TrainingRecord.objects.select_related("worker", "course", "project")
    if not has_perm(user, perm):
        return qs.none()
    if is_platform(user, perm):
        return qs
    employments = restrict(Employment.objects.all(), user, perm)
    return qs.filter(
        Exists(employments.filter(worker_id=OuterRef("worker_id"), project_id=OuterRef("project_id")))
        | (Q(project__isnull=True) & Exists(employments.filter(worker_id=OuterRef("worker_id"))))
    )


def visible_sessions(user: User | Any) -> QuerySet[OfflineSession]:
    """Offline sessions the user may open (their attendees' scores, the sign-in sheet, the photo): the
    sessions within the scope of the user's management roles. A worker's own account (self scope) sees
    none, not even their team's: their own result is on their training records."""
    qs = OfflineSession.objects.all()
    if is_platform(user, Perm.TRAINING_VIEW):
        return qs
    parts = [
        membership_q(m, "training.OfflineSession")
        for m in memberships(user)
        if role_has(m.role, Perm.TRAINING_VIEW) and m.scope_kind != ScopeKind.SELF and m.role != Role.WORKER
    ]
    if not parts:
        return qs.none()
    q = parts[0]
    for part in parts[1:]:
        q |= part
    return qs.filter(q)


def records_for_project(qs: QuerySet[TrainingRecord], code: str) -> QuerySet[TrainingRecord]:
    """The records that count on project ``code``: its own project- and team-level passes, and the
    company-level (and other) passes of the workers employed on it."""
    on_project = Employment.objects.filter(project__code=code).values("worker_id")
    return qs.filter(Q(project__code=code) | Q(project__isnull=True, worker_id__in=on_project))


@dataclass(frozen=True)
class RequirementRow:
    """One required course of one employment, as the worker's and the managers' pages show it."""

    employment: Employment
    fact: TrainingFact
    course: Course | None


def requirement_rows(employments: Sequence[Employment], at: dt.datetime) -> list[RequirementRow]:
    facts = training_facts(employments, at)
    course_ids = {f.course_id for fs in facts.values() for f in fs}
    courses = Course.objects.in_bulk(course_ids)
    return [
        RequirementRow(employment=e, fact=f, course=courses.get(f.course_id))
        for e in employments
        for f in facts.get(e.pk, [])
    ]


def active_employments_of_workers(worker_ids: Iterable[int]) -> list[Employment]:
    return list(Employment.objects.filter(worker_id__in=set(worker_ids), status=EmploymentStatus.ACTIVE))


def own_active_employments(user: User | Any) -> list[Employment]:
    """The signed-in worker's own active employments (nobody else's, whatever their role)."""
    if not getattr(user, "is_authenticated", False):
        return []
    return list(
        Employment.objects.filter(worker__user=user, status=EmploymentStatus.ACTIVE)
        .select_related("project", "team")
        .order_by("project__code", "id")
    )


def own_attempts(user: User | Any) -> QuerySet[ExamAttempt]:
    """The signed-in worker's own exam attempts."""
    if not getattr(user, "is_authenticated", False):
        return ExamAttempt.objects.none()
    return ExamAttempt.objects.filter(worker__user=user)
