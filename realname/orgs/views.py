"""Pages for companies, projects (with sections, geofence, wage account), participants and teams.

Every lookup goes through pages.scoped_get (404 outside the user's view); writes additionally need
pages.require (403 when visible but not changeable) and go through orgs.services.
"""

from __future__ import annotations

import math
import uuid
from collections.abc import Callable
from typing import Any, TypeVar

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _

from realname.accounts.roles import Perm
from realname.accounts.scope import can, has_perm
from realname.attendance import setup as attendance_setup
from realname.core.forms import add_service_errors
from realname.core.pages import paginate, query_without_page, require, scoped_get
from realname.orgs import selectors, services
from realname.orgs.forms import (
    CompanyFilter,
    CompanyForm,
    ParticipantCreateForm,
    ParticipantForm,
    ProjectCreateForm,
    ProjectFilter,
    ProjectForm,
    SectionForm,
    TeamFilter,
    TeamForm,
)
from realname.orgs.models import Company, Participant, Project, Section, Team

T = TypeVar("T")


def _attempt(form: Any, action: Callable[[], T], *, rename: dict[str, str] | None = None) -> T | None:
    """Run a service call; its ValidationError becomes errors on ``form`` and the result None."""
    try:
        return action()
    except ValidationError as exc:
        add_service_errors(form, exc, rename=rename)
        return None


def _uuid(value: str | None) -> uuid.UUID | None:
    try:
        return uuid.UUID(value or "")
    except ValueError:
        return None


def _company_url(company: Company) -> str:
    return reverse("orgs:company_detail", kwargs={"company": company.public_id})


def _project_url(project: Project) -> str:
    return reverse("orgs:project_detail", kwargs={"project": project.public_id})


def _team_url(team: Team) -> str:
    return reverse("orgs:team_detail", kwargs={"team": team.public_id})


def _form_page(request: HttpRequest, form: Any, *, title: str, back: str, **extra: Any) -> HttpResponse:
    return render(request, "orgs/form.html", {"form": form, "title": title, "back": back, **extra})


def fence_points(polygon: Any) -> str:
    """SVG ``points`` for a fence polygon in a 200×200 box: north up, longitudes shrunk by cos(latitude)."""
    if not polygon or len(polygon) < 3:
        return ""
    lats = [float(lat) for lat, _lng in polygon]
    scale_x = math.cos(math.radians(sum(lats) / len(lats)))
    xs = [float(lng) * scale_x for _lat, lng in polygon]
    left, top = min(xs), max(lats)
    span = max(max(xs) - left, top - min(lats)) or 1.0
    return " ".join(
        f"{(x - left) / span * 200:.1f},{(top - lat) / span * 200:.1f}"
        for x, lat in zip(xs, lats, strict=True)
    )


# --- companies ---------------------------------------------------------------------------------------------


@login_required
def company_list(request: HttpRequest) -> HttpResponse:
    filters = CompanyFilter(request.GET)
    text = filters.cleaned_data.get("q", "") if filters.is_valid() else ""
    page = paginate(request, selectors.list_companies(request.user, text=text))
    return render(
        request,
        "orgs/company_list.html",
        {
            "filters": filters,
            "page_obj": page,
            "query": query_without_page(request),
            "can_create": has_perm(request.user, Perm.ORGS_CHANGE),
        },
    )


@login_required
def company_detail(request: HttpRequest, company: uuid.UUID) -> HttpResponse:
    obj = scoped_get(request, Company.objects.select_related("registered_by"), Perm.ORGS_VIEW, company)
    return render(
        request,
        "orgs/company_detail.html",
        {
            "company": obj,
            "participations": selectors.company_participations(request.user, obj),
            "can_edit": can(request.user, Perm.ORGS_CHANGE, obj),
        },
    )


@login_required
def company_create(request: HttpRequest) -> HttpResponse:
    require(request, Perm.ORGS_CHANGE)
    form = CompanyForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        fields = form.service_fields()
        created = _attempt(
            form,
            lambda: services.create_company(registered_by=selectors.acting_company(request.user), **fields),
        )
        if created is not None:
            messages.success(request, _("已登记企业 %(name)s") % {"name": created.name})
            return redirect("orgs:company_detail", company=created.public_id)
    return _form_page(request, form, title=_("登记企业"), back=reverse("orgs:company_list"))


@login_required
def company_edit(request: HttpRequest, company: uuid.UUID) -> HttpResponse:
    obj = scoped_get(request, Company.objects.all(), Perm.ORGS_VIEW, company)
    require(request, Perm.ORGS_CHANGE, obj)
    form = CompanyForm(request.POST or None, instance=obj)
    if request.method == "POST" and form.is_valid():
        fields = form.service_fields()
        if _attempt(form, lambda: services.update_company(company=obj, **fields)) is not None:
            messages.success(request, _("已保存"))
            return redirect("orgs:company_detail", company=obj.public_id)
    return _form_page(
        request, form, title=_("编辑企业：%(name)s") % {"name": obj.name}, back=_company_url(obj)
    )


# --- projects ----------------------------------------------------------------------------------------------


@login_required
def project_list(request: HttpRequest) -> HttpResponse:
    filters = ProjectFilter(request.GET)
    qs = selectors.list_projects(
        request.user,
        text=filters.value("q"),
        status=filters.value("status"),
        category=filters.value("category"),
        region=filters.value("region"),
    )
    return render(
        request,
        "orgs/project_list.html",
        {
            "filters": filters,
            "page_obj": paginate(request, qs),
            "query": query_without_page(request),
            "can_create": selectors.contractor_companies(request.user).exists(),
        },
    )


@login_required
def project_detail(request: HttpRequest, project: uuid.UUID) -> HttpResponse:
    obj = scoped_get(request, Project.objects.all(), Perm.ORGS_VIEW, project)
    can_change = can(request.user, Perm.ORGS_CHANGE, obj)
    participants = list(selectors.project_participants(request.user, obj))
    return render(
        request,
        "orgs/project_detail.html",
        {
            "project": obj,
            "fence_points": fence_points(obj.fence_polygon),
            "sections": selectors.project_sections(obj),
            "participants": participants,
            "headcount": sum(getattr(p, "headcount", 0) for p in participants),
            "teams": selectors.list_teams(request.user, project=obj),
            "can_change": can_change,
            "can_add_team": selectors.team_parents(request.user, project=obj).exists(),
            # The attendance buttons, each shown to those its page lets in (site-wide scope for the gates
            # and the rules; anyone who sees attendance for the day records).
            "can_see_days": can(request.user, Perm.ATTENDANCE_VIEW, obj),
            "can_see_devices": attendance_setup.is_wide(request.user, Perm.ATTENDANCE_VIEW, obj)
            or attendance_setup.is_wide(request.user, Perm.DEVICES_MANAGE, obj),
            "can_edit_rules": attendance_setup.is_wide(request.user, Perm.ATTENDANCE_RULES, obj),
            "section_form": SectionForm(auto_id="new_section_%s") if can_change else None,
        },
    )


@login_required
def project_create(request: HttpRequest) -> HttpResponse:
    require(request, Perm.ORGS_CHANGE)
    contractors = selectors.contractor_companies(request.user)
    if not contractors.exists():
        raise PermissionDenied
    form = ProjectCreateForm(
        request.POST or None, contractors=contractors, initial={"time_zone": "Asia/Shanghai"}
    )
    if request.method == "POST" and form.is_valid():
        fields = form.service_fields()
        gc = form.cleaned_data["general_contractor"]
        created = _attempt(form, lambda: services.create_project(general_contractor=gc, **fields))
        if created is not None:
            messages.success(request, _("已创建项目 %(code)s") % {"code": created.code})
            return redirect("orgs:project_detail", project=created.public_id)
    return _form_page(request, form, title=_("新建项目"), back=reverse("orgs:project_list"))


@login_required
def project_edit(request: HttpRequest, project: uuid.UUID) -> HttpResponse:
    obj = scoped_get(request, Project.objects.all(), Perm.ORGS_VIEW, project)
    require(request, Perm.ORGS_CHANGE, obj)
    form = ProjectForm(request.POST or None, instance=obj)
    if request.method == "POST" and form.is_valid():
        fields = form.service_fields()
        if _attempt(form, lambda: services.update_project(project=obj, **fields)) is not None:
            messages.success(request, _("已保存"))
            return redirect("orgs:project_detail", project=obj.public_id)
    return _form_page(request, form, title=_("编辑项目：%(p)s") % {"p": obj}, back=_project_url(obj))


# --- sections ----------------------------------------------------------------------------------------------


@login_required
def section_create(request: HttpRequest, project: uuid.UUID) -> HttpResponse:
    obj = scoped_get(request, Project.objects.all(), Perm.ORGS_VIEW, project)
    require(request, Perm.ORGS_CHANGE, obj)
    form = SectionForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        fields = form.service_fields()
        if _attempt(form, lambda: services.add_section(project=obj, **fields)) is not None:
            messages.success(request, _("已添加标段 %(code)s") % {"code": fields["code"]})
            return redirect("orgs:project_detail", project=obj.public_id)
    return _form_page(request, form, title=_("添加标段：%(p)s") % {"p": obj}, back=_project_url(obj))


@login_required
def section_edit(request: HttpRequest, section: uuid.UUID) -> HttpResponse:
    obj = scoped_get(request, Section.objects.select_related("project"), Perm.ORGS_VIEW, section)
    require(request, Perm.ORGS_CHANGE, obj)
    form = SectionForm(request.POST or None, instance=obj)
    if request.method == "POST" and form.is_valid():
        fields = form.service_fields()
        if _attempt(form, lambda: services.update_section(section=obj, **fields)) is not None:
            messages.success(request, _("已保存"))
            return redirect("orgs:project_detail", project=obj.project.public_id)
    return _form_page(request, form, title=_("编辑标段：%(s)s") % {"s": obj}, back=_project_url(obj.project))


# --- participants ------------------------------------------------------------------------------------------


@login_required
def participant_create(request: HttpRequest, project: uuid.UUID) -> HttpResponse:
    obj = scoped_get(request, Project.objects.all(), Perm.ORGS_VIEW, project)
    require(request, Perm.ORGS_CHANGE, obj)
    companies = selectors.list_companies(request.user).exclude(participations__project=obj)
    form = ParticipantCreateForm(
        request.POST or None, companies=companies, sections=selectors.project_sections(obj)
    )
    if request.method == "POST" and form.is_valid():
        fields = form.service_fields()
        data = form.cleaned_data

        def add() -> Participant:
            # One transaction: a new company is only kept when its participation is accepted too.
            with transaction.atomic():
                company = data["company"]
                if company is None:
                    company = services.create_company(
                        name=data["new_company_name"],
                        credit_code=data["new_company_credit_code"],
                        registered_by=selectors.acting_company(request.user),
                    )
                return services.add_participant(project=obj, company=company, **fields)

        rename = {"name": "new_company_name", "credit_code": "new_company_credit_code"}
        if data["company"] is None:
            rename["company"] = "new_company_name"
        if _attempt(form, add, rename=rename) is not None:
            messages.success(request, _("已添加参建单位"))
            return redirect("orgs:project_detail", project=obj.public_id)
    return _form_page(request, form, title=_("添加参建单位：%(p)s") % {"p": obj}, back=_project_url(obj))


@login_required
def participant_edit(request: HttpRequest, participant: uuid.UUID) -> HttpResponse:
    obj = scoped_get(
        request, Participant.objects.select_related("project", "company"), Perm.ORGS_VIEW, participant
    )
    require(request, Perm.ORGS_CHANGE, obj)
    form = ParticipantForm(
        request.POST or None, instance=obj, sections=selectors.project_sections(obj.project)
    )
    if request.method == "POST" and form.is_valid():
        fields = form.service_fields()
        if _attempt(form, lambda: services.update_participant(participant=obj, **fields)) is not None:
            messages.success(request, _("已保存"))
            return redirect("orgs:project_detail", project=obj.project.public_id)
    return _form_page(
        request,
        form,
        title=_("编辑参建单位：%(c)s（%(p)s）") % {"c": obj.company, "p": obj.project.code},
        back=_project_url(obj.project),
    )


# --- teams -------------------------------------------------------------------------------------------------


@login_required
def team_list(request: HttpRequest) -> HttpResponse:
    projects = selectors.visible_projects(request.user)
    key = _uuid(request.GET.get("project"))
    project = projects.filter(public_id=key).first() if key else None
    participants = (
        selectors.project_participants(request.user, project) if project else Participant.objects.none()
    )
    filters = TeamFilter(request.GET, projects=projects, participants=participants)
    if filters.is_valid():
        qs = selectors.list_teams(
            request.user,
            project=filters.cleaned_data["project"],
            participant=filters.cleaned_data["participant"],
            text=filters.cleaned_data["q"],
        )
    else:
        qs = Team.objects.none()
    return render(
        request,
        "orgs/team_list.html",
        {"filters": filters, "page_obj": paginate(request, qs), "query": query_without_page(request)},
    )


@login_required
def team_detail(request: HttpRequest, team: uuid.UUID) -> HttpResponse:
    qs = Team.objects.select_related("project", "participant__company", "leader", "section")
    obj = scoped_get(request, qs, Perm.ORGS_VIEW, team)
    return render(
        request,
        "orgs/team_detail.html",
        {
            "team": obj,
            "members": selectors.team_members(request.user, obj),
            "can_edit": can(request.user, Perm.TEAMS_CHANGE, obj),
        },
    )


def _team_form(request: HttpRequest, project: Project, instance: Team | None = None) -> TeamForm:
    participants = selectors.team_parents(request.user, project=project)
    if not participants.exists():
        raise PermissionDenied
    initial = {}
    if instance is None:
        chosen = _uuid(request.GET.get("participant"))
        only = list(participants[:2])
        if chosen:
            initial["participant"] = participants.filter(public_id=chosen).first()
        elif len(only) == 1:
            initial["participant"] = only[0]
    return TeamForm(
        request.POST or None,
        instance=instance,
        initial=initial,
        participants=participants,
        leaders=selectors.leader_candidates(request.user, project),
        sections=selectors.project_sections(project),
    )


@login_required
def team_create(request: HttpRequest, project: uuid.UUID) -> HttpResponse:
    obj = scoped_get(request, Project.objects.all(), Perm.ORGS_VIEW, project)
    require(request, Perm.TEAMS_CHANGE)
    form = _team_form(request, obj)
    if request.method == "POST" and form.is_valid():
        fields = form.service_fields()
        created = _attempt(form, lambda: services.create_team(**fields))
        if created is not None:
            messages.success(request, _("已创建班组 %(name)s") % {"name": created.name})
            return redirect("orgs:team_detail", team=created.public_id)
    return _form_page(request, form, title=_("新建班组：%(p)s") % {"p": obj}, back=_project_url(obj))


@login_required
def team_edit(request: HttpRequest, team: uuid.UUID) -> HttpResponse:
    obj = scoped_get(request, Team.objects.select_related("project"), Perm.ORGS_VIEW, team)
    require(request, Perm.TEAMS_CHANGE, obj)
    form = _team_form(request, obj.project, instance=obj)
    if request.method == "POST" and form.is_valid():
        fields = form.service_fields()
        if _attempt(form, lambda: services.update_team(team=obj, **fields)) is not None:
            messages.success(request, _("已保存"))
            return redirect("orgs:team_detail", team=obj.public_id)
    return _form_page(request, form, title=_("编辑班组：%(name)s") % {"name": obj.name}, back=_team_url(obj))
