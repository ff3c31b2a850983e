"""The one scoping mechanism: which rows of each model family a user may see or change.

Every page, API endpoint, export and command narrows its querysets through :func:`restrict`; a row outside
the result is answered as "not found" (404), exactly like a row that does not exist.

Rules, per membership (a user's memberships are OR-ed):
- platform scope: everything.
- region scope (regulators): projects whose region code starts with the prefix, and what hangs off them.
- company / projects scope: the projects the company takes part in (optionally only the listed ones). On a
  project where the company is general contractor, owner or supervisor it sees every participant's people;
  elsewhere only rows owned by its own participation (its teams, its workers' employments and contracts).
- team leaders additionally see only their own teams' people; a worker only their own records.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from typing import Any, TypeVar

from django.db import models
from django.db.models import Q

from realname.accounts.models import Membership, ScopeKind, User
from realname.accounts.roles import Role, role_has

M = TypeVar("M", bound=models.Model)


@dataclass(frozen=True)
class Paths:
    """Lookup paths from a model to its project, owning company, team and worker ("" = the row itself)."""

    project: str
    owner: str | None = None
    team: str | None = None
    worker: str | None = None


FAMILIES: dict[str, Paths] = {
    "orgs.Project": Paths(project=""),
    "orgs.Section": Paths(project="project"),
    "orgs.Participant": Paths(project="project"),
    "orgs.Team": Paths(project="project", owner="participant__company", team=""),
    "workers.Employment": Paths(
        project="project", owner="participant__company", team="team", worker="worker"
    ),
    # A gate event hangs off its project and the employment it was matched to (null for an unknown person,
    # which only the project-wide roles see).
    "attendance.AccessEvent": Paths(
        project="project",
        owner="employment__participant__company",
        team="employment__team",
        worker="employment__worker",
    ),
    # A correction (补卡) request is seen and decided by whoever may see and manage that employment.
    "attendance.CorrectionRequest": Paths(
        project="project",
        owner="employment__participant__company",
        team="employment__team",
        worker="employment__worker",
    ),
    # A gate device belongs to its project's site, not to a participant. Managing one (and reading its
    # status list) additionally needs project-wide scope: realname.attendance.setup.wide_projects.
    "attendance.Device": Paths(project="project"),
    # A worker's day (derived from their punches) is seen like the punches themselves.
    "attendance.DayRecord": Paths(
        project="project",
        owner="employment__participant__company",
        team="employment__team",
        worker="employment__worker",
    ),
    "workers.Contract": Paths(
        project="project",
        owner="employment__participant__company",
        team="employment__team",
        worker="employment__worker",
    ),
    # Training plans are the project's; every role on the project sees them (managing needs TRAINING_MANAGE).
    "training.TrainingPlan": Paths(project="project"),
    "training.PlanCourse": Paths(project="plan__project"),
    # An exam attempt is seen like the employment it was taken for.
    "training.ExamAttempt": Paths(
        project="employment__project",
        owner="employment__participant__company",
        team="employment__team",
        worker="employment__worker",
    ),
    # An offline session belongs to its project and (when recorded for one) a team: a team leader sees
    # their own team's sessions, a subcontractor those of its teams, the general contractor all of them.
    # A worker (self scope) sees none: training.selectors.visible_sessions leaves their memberships out.
    "training.OfflineSession": Paths(project="project", owner="team__participant__company", team="team"),
    # Pay: a period is the project's; a sheet is its participant's and team's (a team leader sees their own
    # team's); a line is seen like the sheet, and by its worker. Workers hold no PAYROLL_VIEW, only
    # PAYROLL_CONFIRM on their own lines. Inputs are seen like the employment they are for.
    "payroll.PayPeriod": Paths(project="project"),
    "payroll.PaySheet": Paths(project="project", owner="participant__company", team="team"),
    "payroll.PayLine": Paths(
        project="sheet__project", owner="sheet__participant__company", team="sheet__team", worker="worker"
    ),
    "payroll.PayItem": Paths(
        project="period__project",
        owner="employment__participant__company",
        team="employment__team",
        worker="employment__worker",
    ),
    # A wage-arrears warning about one participant's people is seen like their sheets; one about the whole
    # project (the wage account's funding) only project-wide (general contractor, owner, supervisor,
    # regulators).
    "payroll.ArrearsWarning": Paths(project="project", owner="participant__company", team="team"),
    "payroll.PieceQuantity": Paths(
        project="period__project",
        owner="employment__participant__company",
        team="employment__team",
        worker="employment__worker",
    ),
}


def _lk(path: str, rest: str) -> str:
    if not path:
        return "pk" if rest == "" else rest
    return f"{path}__{rest}" if rest else path


def memberships(user: User | Any) -> list[Membership]:
    """The user's memberships (cached on the user object for the request)."""
    if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
        return []
    cached: list[Membership] | None = getattr(user, "_rn_memberships", None)
    if cached is None:
        cached = list(user.memberships.select_related("company").prefetch_related("projects"))
        setattr(user, "_rn_memberships", cached)  # noqa: B010 - a per-request cache on the user object
    return cached


def _granting(user: User | Any, perm: str) -> list[Membership]:
    return [m for m in memberships(user) if role_has(m.role, perm)]


def is_platform(user: User | Any, perm: str) -> bool:
    if getattr(user, "is_superuser", False) and user.is_active:
        return True
    return any(m.scope_kind == ScopeKind.PLATFORM for m in _granting(user, perm))


def has_perm(user: User | Any, perm: str) -> bool:
    """Whether any of the user's roles grants ``perm`` somewhere (what rows is :func:`restrict`'s job)."""
    return is_platform(user, perm) or bool(_granting(user, perm))


def _company_projects(membership: Membership) -> models.QuerySet[Any]:
    from realname.orgs.models import Participant

    qs = Participant.objects.filter(company=membership.company)
    if membership.scope_kind == ScopeKind.PROJECTS:
        qs = qs.filter(project__in=membership.projects.all())
    return qs.values("project_id")


def _wide_projects(membership: Membership) -> models.QuerySet[Any]:
    from realname.orgs.models import PROJECT_WIDE_ROLES, Participant

    qs = Participant.objects.filter(company=membership.company, role__in=PROJECT_WIDE_ROLES)
    if membership.scope_kind == ScopeKind.PROJECTS:
        qs = qs.filter(project__in=membership.projects.all())
    return qs.values("project_id")


def _own_employments(user: User) -> models.QuerySet[Any]:
    from realname.workers.models import Employment

    return Employment.objects.filter(worker__user=user)


def membership_q(m: Membership, label: str) -> Q:
    """The rows of model ``label`` (one of FAMILIES) that this one membership reaches — for code that
    must know *which* grant covers a row (who should be told about it), not only whether some grant does."""
    return _family_q(m, m.user, FAMILIES[label])


def _family_q(m: Membership, user: User, paths: Paths) -> Q:
    p = paths.project
    if m.scope_kind == ScopeKind.PLATFORM:
        return Q()
    if m.scope_kind == ScopeKind.REGION:
        return Q(**{_lk(p, "region_code__startswith") if p else "region_code__startswith": m.region_prefix})
    if m.scope_kind == ScopeKind.SELF or m.role == Role.WORKER:
        if paths.worker is not None:
            return Q(**{_lk(paths.worker, "user"): user})
        if paths.team is not None:
            return Q(
                **{
                    _lk(paths.team, "pk__in") if paths.team else "pk__in": _own_employments(user).values(
                        "team_id"
                    )
                }
            )
        return Q(**{_lk(p, "in") if p else "pk__in": _own_employments(user).values("project_id")})
    # company / projects scope
    q = Q(**{_lk(p, "in") if p else "pk__in": _company_projects(m)})
    if paths.owner is not None:
        q &= Q(**{_lk(p, "in") if p else "pk__in": _wide_projects(m)}) | Q(**{paths.owner: m.company_id})
    if m.role == Role.TEAM_LEADER and paths.team is not None:
        q &= Q(**{_lk(paths.team, "leader__user") if paths.team else "leader__user": user})
    return q


def _any_of(qs: list[Q]) -> Q | None:
    if not qs:
        return None
    total = qs[0]
    for q in qs[1:]:
        total |= q
    return total


def paths_q(user: User | Any, perm: str, paths: Paths) -> Q | None:
    """The scope rule applied to any model through explicit ``paths`` (e.g. "where could a team hang")."""
    if is_platform(user, perm):
        return Q()
    return _any_of([_family_q(m, user, paths) for m in _granting(user, perm)])


def scope_q(user: User | Any, perm: str, label: str) -> Q | None:
    """The Q that selects what ``user`` may ``perm`` in model family ``label``; None means nothing."""
    if is_platform(user, perm):
        return Q()
    granting = _granting(user, perm)
    if label in FAMILIES:
        return _any_of([_family_q(m, user, FAMILIES[label]) for m in granting])
    if label == "orgs.Company":
        return _any_of([_company_q(m, user) for m in granting])
    if label == "workers.Worker":
        return _worker_q(user, perm, granting)
    if label == "workers.BankAccount":
        inner = _worker_q(user, perm, granting)
        if inner is None:
            return None
        from realname.workers.models import Worker

        return Q(worker__in=Worker.objects.filter(inner).values("pk"))
    if label == "core.AuditEntry":
        return _audit_q(user, perm, granting)
    raise KeyError(f"no scope rule for {label}")


def _company_q(m: Membership, user: User) -> Q:
    from realname.orgs.models import Participant, Project

    projects = Project.objects.filter(_family_q(m, user, FAMILIES["orgs.Project"])).values("pk")
    q = Q(pk__in=Participant.objects.filter(project__in=projects).values("company_id"))
    if m.company_id:
        q |= Q(pk=m.company_id) | Q(registered_by_id=m.company_id)
    return q


def _worker_q(user: User, perm: str, granting: list[Membership]) -> Q | None:
    from realname.workers.models import Employment

    parts: list[Q] = []
    for m in granting:
        if m.scope_kind == ScopeKind.SELF or m.role == Role.WORKER:
            parts.append(Q(user=user))
            continue
        emp = Employment.objects.filter(_family_q(m, user, FAMILIES["workers.Employment"]))
        parts.append(Q(pk__in=emp.values("worker_id")))
        if m.company_id and m.role != Role.TEAM_LEADER:
            parts.append(Q(registered_by_company_id=m.company_id))
    return _any_of(parts)


def _audit_q(user: User, perm: str, granting: list[Membership]) -> Q | None:
    from realname.orgs.models import Project

    parts: list[Q] = []
    for m in granting:
        projects = Project.objects.filter(_family_q(m, user, FAMILIES["orgs.Project"])).values("pk")
        q = Q(project_id__in=projects)
        if m.company_id:
            q |= Q(company_id=m.company_id)
        parts.append(q)
    return _any_of(parts)


def companies_on_project(
    user: User | Any, perm: str, project: Any, *, excluding_roles: Collection[str] = ()
) -> set[int]:
    """The companies through which ``user`` holds ``perm`` on ``project``: each from one membership that
    grants ``perm``, is of that company and whose own scope reaches the project. A right that depends on
    the company's part in the project (the general contractor's, the employer's) must come from such a
    membership: never the company of one membership paired with the project scope of another, which would
    let someone who works for a subcontractor on this project act here as their other employer, the
    general contractor, whose membership is scoped to other projects."""
    from realname.orgs.models import Project

    paths = FAMILIES["orgs.Project"]
    return {
        m.company_id
        for m in _granting(user, perm)
        if m.company_id is not None
        and m.role not in excluding_roles
        and Project.objects.filter(_family_q(m, user, paths), pk=project.pk).exists()
    }


def company_role_projects(user: User | Any, perm: str, participant_role: str) -> models.QuerySet[Any]:
    """The projects on which ``user`` holds ``perm`` through a company that takes part in the project as
    ``participant_role`` (e.g. the general contractor), membership by membership as in
    :func:`companies_on_project`; every project for a platform grant."""
    from realname.orgs.models import Participant, Project

    if is_platform(user, perm):
        return Project.objects.all()
    paths = FAMILIES["orgs.Project"]
    q = _any_of(
        [
            _family_q(m, user, paths)
            & Q(
                pk__in=Participant.objects.filter(company_id=m.company_id, role=participant_role).values(
                    "project_id"
                )
            )
            for m in _granting(user, perm)
            if m.company_id is not None
        ]
    )
    return Project.objects.none() if q is None else Project.objects.filter(q)


def restrict(qs: models.QuerySet[M], user: User | Any, perm: str) -> models.QuerySet[M]:
    """``qs`` narrowed to what ``user`` may ``perm``."""
    q = scope_q(user, perm, qs.model._meta.label)
    if q is None:
        return qs.none()
    return qs.filter(q)


def can(user: User | Any, perm: str, obj: models.Model) -> bool:
    """Whether ``obj`` lies within what ``user`` may ``perm``."""
    return restrict(type(obj)._default_manager.filter(pk=obj.pk), user, perm).exists()
