"""Attendance pages: who is on site now (在场人员 / 应急点名), for a muster during an evacuation.

The project is looked up through core.pages.scoped_get (out of scope → 404); the list itself comes from
:func:`realname.attendance.onsite.list_onsite`, which narrows the punches with accounts.scope.restrict.
"""

from __future__ import annotations

from uuid import UUID

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache

from realname.accounts.roles import Perm
from realname.attendance.onsite import WINDOW, list_onsite
from realname.core.pages import scoped_get
from realname.orgs.models import Project


@never_cache
@login_required
def onsite(request: HttpRequest, project_id: UUID) -> HttpResponse:
    project = scoped_get(request, Project.objects.all(), Perm.WORKERS_VIEW, project_id)
    muster = list_onsite(project=project, user=request.user)
    return render(
        request,
        "attendance/onsite.html",
        {"project": project, "muster": muster, "window_hours": int(WINDOW.total_seconds() // 3600)},
    )
