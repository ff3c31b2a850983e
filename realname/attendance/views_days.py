"""Attendance pages: the day records of a project (日考勤), one day explained, and a team's monthly
attendance sheet (考勤表) on screen, for printing and as Excel.

Every object is looked up through core.pages.scoped_get or monthly's selectors, which narrow with
accounts.scope.restrict (out of scope → 404); the data comes from :mod:`realname.attendance.monthly`.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from django import forms
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.http import content_disposition_header
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET

from realname.accounts.roles import Perm
from realname.accounts.scope import can, restrict
from realname.attendance import daycalc, monthly, monthly_excel
from realname.core.pages import paginate, query_without_page, require, scoped_get
from realname.orgs.models import Project, Team
from realname.workers.forms import ListFilterForm

OVERTIME_LABELS = {"workday": _("工作日"), "rest_day": _("休息日"), "holiday": _("节假日")}
DIRECTION_LABELS = {"01": _("进场"), "02": _("出场"), "": _("方向未知")}


class DayFilterForm(ListFilterForm):
    """GET filters of the day list; a value that does not parse (or is out of scope) is not applied."""

    date = forms.DateField(
        label=_("日期"), required=False, widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )
    team = forms.ModelChoiceField(
        queryset=Team.objects.none(), to_field_name="public_id", required=False, label=_("班组")
    )
    status = forms.ChoiceField(
        label=_("状态"),
        required=False,
        choices=[("", "---------"), *((code, label) for code, (label, _b) in monthly.STATUS_LABELS.items())],
    )
    name = forms.CharField(
        label=_("姓名"),
        required=False,
        max_length=60,
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )

    def __init__(self, *args: Any, teams: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["team"].queryset = teams  # type: ignore[attr-defined]


@dataclass(frozen=True)
class Badge:
    label: Any
    css: str


def _badges(statuses: list[str]) -> list[Badge]:
    return [Badge(*monthly.STATUS_LABELS.get(code, (code, ""))) for code in statuses]


@login_required
@require_GET
def index(request: HttpRequest) -> HttpResponse:
    """The projects and teams whose attendance the user may see, with links to their pages."""
    require(request, Perm.ATTENDANCE_VIEW)
    projects = list(restrict(Project.objects.all(), request.user, Perm.ATTENDANCE_VIEW).order_by("code"))
    teams_by_project: dict[int, list[Team]] = defaultdict(list)
    teams = restrict(Team.objects.filter(project__in=projects), request.user, Perm.ATTENDANCE_VIEW)
    for team in teams.order_by("name"):
        teams_by_project[team.project_id].append(team)
    rows = [(project, teams_by_project.get(project.pk, [])) for project in projects]
    return render(request, "attendance/days/index.html", {"rows": rows})


@login_required
@require_GET
def day_list(request: HttpRequest, project_id: UUID) -> HttpResponse:
    project = scoped_get(request, Project.objects.all(), Perm.ATTENDANCE_VIEW, project_id)
    today = monthly.local_today(project)
    data = request.GET.copy()
    if not data.get("date"):
        data["date"] = today.isoformat()
    teams = restrict(Team.objects.filter(project=project), request.user, Perm.ATTENDANCE_VIEW).order_by(
        "name"
    )
    form = DayFilterForm(data, teams=teams)
    work_date: dt.date = form.value("date") or today
    team: Team | None = form.value("team")
    if data.get("team") and team is None:
        raise Http404  # a team out of scope (or gone) is not found, not silently unfiltered
    records = monthly.list_day_records(
        request.user,
        project=project,
        work_date=work_date,
        team=team,
        status=form.value("status") or "",
        name=form.value("name") or "",
    )
    page = paginate(request, records)
    rows = [(record, _badges(record.statuses)) for record in page]
    params = data.copy()
    params.pop("page", None)
    day_links = []
    for label, day in (
        (_("前一天"), work_date - dt.timedelta(days=1)),
        (_("昨天"), today - dt.timedelta(days=1)),
        (_("今天"), today),
        (_("后一天"), work_date + dt.timedelta(days=1)),
    ):
        params["date"] = day.isoformat()
        day_links.append((label, params.urlencode(), day == work_date))
    return render(
        request,
        "attendance/days/list.html",
        {
            "project": project,
            "form": form,
            "work_date": work_date,
            "team": team,
            "page_obj": page,
            "rows": rows,
            "query": query_without_page(request),
            "day_links": day_links,
            "overtime_labels": OVERTIME_LABELS,
            "month": f"{work_date:%Y-%m}",
        },
    )


@login_required
@require_GET
def day_detail(request: HttpRequest, employment_id: UUID, work_date: str) -> HttpResponse:
    try:
        day = dt.date.fromisoformat(work_date)
    except ValueError:
        raise Http404 from None
    record = monthly.get_day_record(request.user, employment_id=employment_id, work_date=day)
    if record is None:
        raise Http404
    calendar = daycalc.holiday_calendar()
    rules = daycalc.rules_for(record.employment)
    punches = [
        (punch, DIRECTION_LABELS.get(punch.event.direction, punch.event.direction))
        for punch in monthly.day_punches(request.user, record)
    ]
    return render(
        request,
        "attendance/days/detail.html",
        {
            "record": record,
            "project": record.project,
            "employment": record.employment,
            "day_kind": monthly.DAY_KIND_LABELS.get(record.day_kind, record.day_kind),
            "day_name": calendar.name(day),
            "spans": monthly.day_spans(record),
            "statuses": monthly.explain_statuses(record),
            "punches": punches,
            "rules": rules,
            "overtime_labels": OVERTIME_LABELS,
            "month": f"{day:%Y-%m}",
        },
    )


def _team(request: HttpRequest, team_id: UUID) -> Team:
    qs = Team.objects.select_related("project", "participant__company", "leader")
    return scoped_get(request, qs, Perm.ATTENDANCE_VIEW, team_id)


def _month(request: HttpRequest, team: Team) -> dt.date:
    try:
        return monthly.parse_month(request.GET.get("month", ""))
    except ValueError:
        return monthly.local_today(team.project).replace(day=1)


def _sheet_context(request: HttpRequest, team: Team) -> dict[str, Any]:
    month = _month(request, team)
    sheet = monthly.build_sheet(request.user, team=team, month=month)
    return {
        "team": team,
        "project": team.project,
        "sheet": sheet,
        "previous_month": f"{monthly.shift_month(month, -1):%Y-%m}",
        "next_month": f"{monthly.shift_month(month, 1):%Y-%m}",
        "can_export": can(request.user, Perm.EXPORT, team),
        "total_columns": 9 + len(sheet.days) + 3,
    }


@login_required
@require_GET
def monthly_sheet(request: HttpRequest, team_id: UUID) -> HttpResponse:
    team = _team(request, team_id)
    return render(request, "attendance/monthly/sheet.html", _sheet_context(request, team))


@login_required
@require_GET
def monthly_print(request: HttpRequest, team_id: UUID) -> HttpResponse:
    team = _team(request, team_id)
    return render(request, "attendance/monthly/print.html", _sheet_context(request, team))


@login_required
@require_GET
def monthly_xlsx(request: HttpRequest, team_id: UUID) -> HttpResponse:
    team = _team(request, team_id)
    require(request, Perm.EXPORT, team)
    data, filename, _sheet = monthly_excel.export_monthly_sheet(
        team=team, month=_month(request, team), user=request.user
    )
    return HttpResponse(
        data,
        content_type=monthly_excel.XLSX_CONTENT_TYPE,
        headers={"Content-Disposition": content_disposition_header(True, filename)},
    )
