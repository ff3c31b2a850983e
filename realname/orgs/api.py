"""API endpoints for companies, projects (with sections), participants and teams.

Each endpoint: parse (schema) → scoped lookup (``restrict``) → service → render. Lists are paginated and
ordered stably; an object outside the caller's scope is 404 like a missing one; writes need the family's
change permission (403 without it) and are audited as the caller, via the API.
"""

from __future__ import annotations

from uuid import UUID

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Prefetch, Q, QuerySet
from django.http import HttpRequest
from ninja import Path, Router, Status

from realname.accounts.roles import Perm
from realname.accounts.scope import is_platform, restrict
from realname.core.api_errors import (
    ERRORS,
    WRITE_ERRORS,
    get_changeable,
    get_visible,
    list_endpoint,
    refetch_in_scope,
    require_perm,
    resolve_optional_ref,
    resolve_ref,
)
from realname.core.identifiers import compact
from realname.orgs import selectors, services
from realname.orgs.models import GENERAL_CONTRACTOR, Company, Participant, Project, Section, Team
from realname.orgs.schemas import (
    CompanyIn,
    CompanyOut,
    ParticipantIn,
    ParticipantOut,
    ProjectDetailOut,
    ProjectIn,
    ProjectOut,
    SectionIn,
    SectionOut,
    TeamIn,
    TeamOut,
)
from realname.workers.models import Worker

router = Router(tags=["orgs"])

ID = Path(..., description="对象 id（UUID）", example="3fa85f64-5717-4562-b3fc-2a963f66afa6")


# Base querysets: what each endpoint renders, with a stable order ending in the primary key.


def companies() -> QuerySet[Company]:
    return Company.objects.order_by("name", "id")


def projects() -> QuerySet[Project]:
    general_contractors = Participant.objects.filter(role=GENERAL_CONTRACTOR).select_related("company")
    return Project.objects.prefetch_related(
        Prefetch("participants", queryset=general_contractors, to_attr="gc_participants")
    ).order_by("code", "id")


def sections() -> QuerySet[Section]:
    return Section.objects.select_related("project").order_by("project__code", "code", "id")


def participants() -> QuerySet[Participant]:
    return Participant.objects.select_related("project", "company", "section").order_by(
        "project__code", "role", "company__name", "id"
    )


def teams() -> QuerySet[Team]:
    return Team.objects.select_related("project", "participant__company", "leader", "section").order_by(
        "project__code", "name", "id"
    )


# --- companies ---------------------------------------------------------------------------------------------


@router.get("/companies", response=list[CompanyOut], summary="企业列表 / list companies")
@list_endpoint
def list_companies(request: HttpRequest, q: str = "") -> QuerySet[Company]:
    qs = restrict(companies(), request.user, Perm.ORGS_VIEW)
    if q:
        qs = qs.filter(Q(name__icontains=q.strip()) | Q(credit_code=compact(q)))
    return qs


@router.get(
    "/companies/{company_id}", response={200: CompanyOut, **ERRORS}, summary="企业详情 / read a company"
)
def get_company(request: HttpRequest, company_id: str = ID) -> Company:
    return get_visible(request, companies(), Perm.ORGS_VIEW, company_id)


@router.post(
    "/companies", response={201: CompanyOut, **WRITE_ERRORS}, summary="登记企业 / register a company"
)
def create_company(request: HttpRequest, payload: CompanyIn) -> Status[Company]:
    require_perm(request, Perm.ORGS_CHANGE)
    registered_by = selectors.acting_company(request.user, Perm.ORGS_CHANGE)
    with transaction.atomic():
        company = services.create_company(**payload.dict(), registered_by=registered_by)
        company = refetch_in_scope(request, companies(), Perm.ORGS_CHANGE, company, "name")
    return Status(201, company)


# --- projects and sections -------------------------------------------------------------------------------


@router.get("/projects", response=list[ProjectOut], summary="项目列表 / list projects")
@list_endpoint
def list_projects(
    request: HttpRequest, q: str = "", status: str = "", region_prefix: str = ""
) -> QuerySet[Project]:
    qs = restrict(projects(), request.user, Perm.ORGS_VIEW)
    if q:
        qs = qs.filter(Q(code__icontains=q.strip()) | Q(name__icontains=q.strip()))
    if status:
        qs = qs.filter(status=status)
    if region_prefix:
        qs = qs.filter(region_code__startswith=region_prefix.strip())
    return qs


@router.get(
    "/projects/{project_id}", response={200: ProjectDetailOut, **ERRORS}, summary="项目详情 / read a project"
)
def get_project(request: HttpRequest, project_id: str = ID) -> Project:
    return get_visible(request, projects().prefetch_related("sections"), Perm.ORGS_VIEW, project_id)


def _general_contractor(request: HttpRequest, given: UUID | None) -> Company:
    """The general contractor of a new project: one of the companies the caller may name (their own company,
    by default; any company for platform administrators, who must name one)."""
    allowed = selectors.contractor_companies(request.user)
    if given is not None:
        return resolve_ref(request, allowed, Perm.ORGS_CHANGE, given, "general_contractor")
    own = list(allowed[:2]) if not is_platform(request.user, Perm.ORGS_CHANGE) else []
    if len(own) != 1:
        raise ValidationError({"general_contractor": "请指定总承包单位"})
    return own[0]


@router.post(
    "/projects", response={201: ProjectDetailOut, **WRITE_ERRORS}, summary="新建项目 / create a project"
)
def create_project(request: HttpRequest, payload: ProjectIn) -> Status[Project]:
    require_perm(request, Perm.ORGS_CHANGE)
    general_contractor = _general_contractor(request, payload.general_contractor)
    fields = payload.dict(exclude={"general_contractor"})
    fields = {k: v for k, v in fields.items() if not (v is None and k in {"status", "time_zone"})}
    with transaction.atomic():
        project = services.create_project(general_contractor=general_contractor, **fields)
        project = refetch_in_scope(request, projects(), Perm.ORGS_CHANGE, project, "general_contractor")
    return Status(201, project)


@router.post(
    "/projects/{project_id}/sections",
    response={201: SectionOut, **ERRORS},
    summary="新增标段 / add a section",
)
def create_section(request: HttpRequest, payload: SectionIn, project_id: str = ID) -> Status[Section]:
    project = get_changeable(request, Project.objects.all(), Perm.ORGS_CHANGE, Perm.ORGS_VIEW, project_id)
    with transaction.atomic():
        section = services.add_section(project=project, code=payload.code, name=payload.name)
        section = refetch_in_scope(request, sections(), Perm.ORGS_CHANGE, section, "code")
    return Status(201, section)


# --- participants ------------------------------------------------------------------------------------------


@router.get("/participants", response=list[ParticipantOut], summary="参建单位列表 / list participants")
@list_endpoint
def list_participants(request: HttpRequest, project: UUID | None = None) -> QuerySet[Participant]:
    qs = restrict(participants(), request.user, Perm.ORGS_VIEW)
    if project is not None:
        qs = qs.filter(project__public_id=project)
    return qs


@router.get(
    "/participants/{participant_id}",
    response={200: ParticipantOut, **ERRORS},
    summary="参建单位详情 / read one",
)
def get_participant(request: HttpRequest, participant_id: str = ID) -> Participant:
    return get_visible(request, participants(), Perm.ORGS_VIEW, participant_id)


@router.post(
    "/participants", response={201: ParticipantOut, **WRITE_ERRORS}, summary="添加参建单位 / add one"
)
def create_participant(request: HttpRequest, payload: ParticipantIn) -> Status[Participant]:
    require_perm(request, Perm.ORGS_CHANGE)
    project = resolve_ref(request, Project.objects.all(), Perm.ORGS_CHANGE, payload.project, "project")
    company = resolve_ref(request, companies(), Perm.ORGS_CHANGE, payload.company, "company")
    section = resolve_optional_ref(
        request, Section.objects.filter(project=project), Perm.ORGS_CHANGE, payload.section, "section"
    )
    with transaction.atomic():
        participant = services.add_participant(
            project=project,
            company=company,
            role=payload.role,
            entry_date=payload.entry_date,
            exit_date=payload.exit_date,
            section=section,
            manager_name=payload.manager_name,
            manager_phone=payload.manager_phone,
        )
        participant = refetch_in_scope(request, participants(), Perm.ORGS_CHANGE, participant, "project")
    return Status(201, participant)


# --- teams -------------------------------------------------------------------------------------------------


@router.get("/teams", response=list[TeamOut], summary="班组列表 / list teams")
@list_endpoint
def list_teams(
    request: HttpRequest, project: UUID | None = None, participant: UUID | None = None
) -> QuerySet[Team]:
    qs = restrict(teams(), request.user, Perm.ORGS_VIEW)
    if project is not None:
        qs = qs.filter(project__public_id=project)
    if participant is not None:
        qs = qs.filter(participant__public_id=participant)
    return qs


@router.get("/teams/{team_id}", response={200: TeamOut, **ERRORS}, summary="班组详情 / read a team")
def get_team(request: HttpRequest, team_id: str = ID) -> Team:
    return get_visible(request, teams(), Perm.ORGS_VIEW, team_id)


@router.post("/teams", response={201: TeamOut, **WRITE_ERRORS}, summary="新建班组 / create a team")
def create_team(request: HttpRequest, payload: TeamIn) -> Status[Team]:
    require_perm(request, Perm.TEAMS_CHANGE)
    parents = selectors.team_parents(request.user)  # a subcontractor: only under its own participation
    participant = resolve_ref(request, parents, Perm.TEAMS_CHANGE, payload.participant, "participant")
    leader = resolve_optional_ref(request, Worker.objects.all(), Perm.TEAMS_CHANGE, payload.leader, "leader")
    section = resolve_optional_ref(
        request,
        Section.objects.filter(project_id=participant.project_id),
        Perm.TEAMS_CHANGE,
        payload.section,
        "section",
    )
    with transaction.atomic():
        team = services.create_team(
            participant=participant,
            name=payload.name,
            leader=leader,
            section=section,
            entry_date=payload.entry_date,
            exit_date=payload.exit_date,
        )
        team = refetch_in_scope(request, teams(), Perm.TEAMS_CHANGE, team, "participant")
    return Status(201, team)
