"""Reads for companies, projects, participants and teams, always narrowed by accounts.scope.restrict."""

from __future__ import annotations

from typing import Any

from django.db.models import Case, Count, IntegerField, OuterRef, Q, QuerySet, Subquery, Value, When
from django.db.models.functions import Coalesce

from realname.accounts import scope
from realname.accounts.models import ScopeKind
from realname.accounts.roles import Perm, role_has
from realname.accounts.scope import restrict
from realname.orgs.models import GENERAL_CONTRACTOR, Company, Participant, Project, Section, Team
from realname.workers.models import Employment, EmploymentStatus, Worker

# The Team family's scope rule (accounts.scope.FAMILIES["orgs.Team"]) seen from the participant a team would
# hang under: a team belongs to its participant's company on its project. Used to decide under which
# participants a user may create teams, before any team row exists.
_TEAM_PARENT_PATHS = scope.Paths(project="project", owner="company")


def _active_headcount(user: Any, **outer: str) -> Any:
    """A correlated count of the active employments the user may see, joined on ``outer`` (field→OuterRef)."""
    inner = Employment.objects.filter(
        status=EmploymentStatus.ACTIVE, **{k: OuterRef(v) for k, v in outer.items()}
    )
    visible = restrict(inner, user, Perm.WORKERS_VIEW)
    if not visible.query.is_empty():
        key = next(iter(outer))
        counted = visible.order_by().values(key).annotate(n=Count("pk")).values("n")
        return Coalesce(Subquery(counted, output_field=IntegerField()), Value(0))
    return Value(0, output_field=IntegerField())


# --- companies ---------------------------------------------------------------------------------------------


def list_companies(user: Any, *, text: str = "") -> QuerySet[Company]:
    qs = restrict(Company.objects.all(), user, Perm.ORGS_VIEW)
    text = text.strip()
    if text:
        code = text.replace(" ", "").upper()
        by_code = Q(credit_code__startswith=code) if len(code) >= 6 else Q(credit_code=code)
        qs = qs.filter(Q(name__icontains=text) | by_code)
    return qs.order_by("name", "pk")


def company_participations(user: Any, company: Company) -> QuerySet[Participant]:
    """The company's roles on the projects the user may see."""
    qs = restrict(Participant.objects.filter(company=company), user, Perm.ORGS_VIEW)
    return qs.select_related("project", "section").order_by("project__code")


def acting_company(user: Any, perm: str = Perm.ORGS_CHANGE) -> Company | None:
    """The company a user acts for when they register something (e.g. a new company's registered_by)."""
    for m in scope.memberships(user):
        if m.company_id and role_has(m.role, perm):
            return m.company
    return None


def contractor_companies(user: Any) -> QuerySet[Company]:
    """Companies that may be named general contractor of a project the user creates.

    Platform administrators choose any company; everyone else only the companies of their memberships that
    may change organisations on every project of the company (a projects-scoped member could not see the
    new project).
    """
    if scope.is_platform(user, Perm.ORGS_CHANGE):
        return Company.objects.order_by("name")
    ids = [
        m.company_id
        for m in scope.memberships(user)
        if m.company_id and m.scope_kind == ScopeKind.COMPANY and role_has(m.role, Perm.ORGS_CHANGE)
    ]
    return Company.objects.filter(pk__in=ids).order_by("name")


# --- projects ----------------------------------------------------------------------------------------------


def list_projects(
    user: Any, *, text: str = "", status: str = "", category: str = "", region: str = ""
) -> QuerySet[Project]:
    qs = restrict(Project.objects.all(), user, Perm.ORGS_VIEW)
    text = text.strip()
    if text:
        qs = qs.filter(Q(code__icontains=text) | Q(name__icontains=text))
    if status:
        qs = qs.filter(status=status)
    if category:
        qs = qs.filter(category=category)
    if region.strip():
        qs = qs.filter(region_code__startswith=region.strip())
    gc = Participant.objects.filter(project=OuterRef("pk"), role=GENERAL_CONTRACTOR).values("company__name")[
        :1
    ]
    return qs.annotate(gc_name=Subquery(gc)).order_by("code", "pk")


def visible_projects(user: Any) -> QuerySet[Project]:
    return restrict(Project.objects.all(), user, Perm.ORGS_VIEW).order_by("code")


def project_sections(project: Project) -> QuerySet[Section]:
    return project.sections.order_by("code")


def project_participants(user: Any, project: Project) -> QuerySet[Participant]:
    """The project's visible participants, general contractor first, each with ``headcount``, in one query."""
    qs = restrict(Participant.objects.filter(project=project), user, Perm.ORGS_VIEW)
    gc_first = Case(When(role=GENERAL_CONTRACTOR, then=Value(0)), default=Value(1))
    return (
        qs.select_related("company", "section")
        .annotate(headcount=_active_headcount(user, participant="pk"))
        .order_by(gc_first, "role", "company__name")
    )


def list_teams(
    user: Any, *, project: Project | None = None, participant: Participant | None = None, text: str = ""
) -> QuerySet[Team]:
    qs = restrict(Team.objects.all(), user, Perm.ORGS_VIEW)
    if project is not None:
        qs = qs.filter(project=project)
    if participant is not None:
        qs = qs.filter(participant=participant)
    text = text.strip()
    if text:
        qs = qs.filter(Q(name__icontains=text) | Q(leader__name__icontains=text))
    qs = qs.select_related("project", "participant__company", "leader", "section")
    return qs.annotate(headcount=_active_headcount(user, team="pk")).order_by("project__code", "name", "pk")


# --- teams -------------------------------------------------------------------------------------------------


def team_parents(
    user: Any, *, project: Project | None = None, perm: str = Perm.TEAMS_CHANGE
) -> QuerySet[Participant]:
    """Participants under which the user may create (or move) teams: the team would be within their scope.

    This is the orgs.Team scope rule of accounts.scope applied to the participant a new team hangs under
    (same project rule, same owning company rule), so it cannot drift from what restrict() later allows.
    """
    qs = Participant.objects.all() if project is None else Participant.objects.filter(project=project)
    q = scope.paths_q(user, perm, _TEAM_PARENT_PATHS)
    qs = qs.none() if q is None else qs.filter(q)
    return qs.select_related("company", "project").order_by("project__code", "role", "company__name")


def leader_candidates(user: Any, project: Project) -> QuerySet[Worker]:
    """Workers the user may see who are currently employed (active) on the project."""
    qs = restrict(Worker.objects.all(), user, Perm.WORKERS_VIEW)
    active = Employment.objects.filter(project=project, status=EmploymentStatus.ACTIVE).values("worker_id")
    return qs.filter(pk__in=active).order_by("name", "pk")


def team_members(user: Any, team: Team) -> QuerySet[Employment]:
    """The team's active employments that the user may see, with the worker (masked ID only)."""
    qs = Employment.objects.filter(team=team, status=EmploymentStatus.ACTIVE)
    return restrict(qs, user, Perm.WORKERS_VIEW).select_related("worker").order_by("worker__name", "pk")
