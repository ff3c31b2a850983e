"""The home page and the health check."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render

from realname.accounts.models import User
from realname.accounts.roles import Perm
from realname.accounts.scope import has_perm, memberships, restrict
from realname.orgs.models import Project
from realname.workers.models import Employment, Worker


@login_required
def home(request: HttpRequest) -> HttpResponse:
    projects = restrict(Project.objects.all(), request.user, Perm.ORGS_VIEW).order_by("code")[:20]
    on_site = restrict(Employment.objects.filter(status="active"), request.user, Perm.WORKERS_VIEW).count()
    # A worker's own page: may they enter each site, and why not; their training (the phone pages).
    own = None
    user = request.user
    if isinstance(user, User) and Worker.objects.filter(user=user).exists():
        own = list(
            Employment.objects.filter(worker__user=user, status="active").select_related(
                "project", "admission"
            )
        )
    arrears = None
    if has_perm(request.user, Perm.PAYROLL_VIEW):
        from realname.payroll.selectors import visible_warnings

        arrears = visible_warnings(request.user).filter(resolved_at__isnull=True).count()
    return render(
        request,
        "core/home.html",
        {
            "arrears": arrears,
            "projects": projects,
            "on_site": on_site,
            "memberships": memberships(request.user),
            "own_employments": own,
        },
    )


def healthz(request: HttpRequest) -> JsonResponse:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return JsonResponse({"status": "ok"})
