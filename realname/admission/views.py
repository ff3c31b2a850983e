"""Admission pages: a project's allow-list (decisions in force, with every reason), the blacklist, and the
age policy with the trades counted as high-risk."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext
from django.views.decorators.http import require_POST

from realname.accounts.models import User
from realname.accounts.roles import Perm
from realname.accounts.scope import can, has_perm, is_platform, restrict
from realname.admission import selectors, services
from realname.admission.forms import AgePolicyForm, BlacklistForm, RemoveForm, TradeRiskForm
from realname.admission.models import AdmissionStatus, AdmissionSweep, AgePolicy, TradeRiskClass
from realname.core.forms import add_service_errors
from realname.core.pages import paginate, query_without_page, require, scoped_get
from realname.core.services import create_row, delete_row, update_row
from realname.orgs.models import Company, Project
from realname.workers.models import Worker


def _user(request: HttpRequest) -> User:
    user = request.user
    assert isinstance(user, User)  # noqa: S101 - login_required
    return user


def _project(request: HttpRequest, code: str, perm: str) -> Project:
    project = restrict(Project.objects.all(), request.user, perm).filter(code=code).first()
    if project is None:
        raise Http404
    return project


@login_required
def project_admission(request: HttpRequest, code: str) -> HttpResponse:
    """The project's allow-list: each employment's decision in force, denied first, with every reason."""
    require(request, Perm.ADMISSION_VIEW)
    project = _project(request, code, Perm.ADMISSION_VIEW)
    visible = restrict(project.employments.all(), request.user, Perm.ADMISSION_VIEW).values("pk")
    statuses = AdmissionStatus.objects.filter(project=project, employment__in=visible).select_related(
        "worker", "employment__team"
    )
    shown = request.GET.get("allowed", "")
    if shown in ("0", "1"):
        statuses = statuses.filter(allowed=shown == "1")
    q = request.GET.get("q", "").strip()
    if q:
        statuses = statuses.filter(Q(worker__name__icontains=q) | Q(worker__id_number_masked__icontains=q))
    counts = {
        "allowed": AdmissionStatus.objects.filter(
            project=project, employment__in=visible, allowed=True
        ).count(),
        "denied": AdmissionStatus.objects.filter(
            project=project, employment__in=visible, allowed=False
        ).count(),
    }
    page = paginate(request, statuses.order_by("allowed", "worker__name", "employment_id"))
    sweep = AdmissionSweep.objects.filter(project=project).first()
    return render(
        request,
        "admission/project.html",
        {
            "project": project,
            "page_obj": page,
            "counts": counts,
            "shown": shown,
            "q": q,
            "query": query_without_page(request),
            "sweep": sweep,
            "can_refresh": can(request.user, Perm.BLACKLIST_MANAGE, project)
            or can(request.user, Perm.DEVICES_MANAGE, project),
        },
    )


@login_required
@require_POST
def project_refresh(request: HttpRequest, code: str) -> HttpResponse:
    """Decide every employment of the project again now (what the midnight sweep does)."""
    project = _project(request, code, Perm.ADMISSION_VIEW)
    if not (
        can(request.user, Perm.BLACKLIST_MANAGE, project) or can(request.user, Perm.DEVICES_MANAGE, project)
    ):
        raise PermissionDenied
    result = services.refresh(project)
    messages.success(
        request,
        gettext("已重新判定 %(decided)s 人，%(flipped)s 人准入状态变化，%(created)s 人首次判定")
        % {"decided": result.decided, "flipped": result.flipped, "created": result.created},
    )
    return redirect("admission:project", code=project.code)


# --- the blacklist ---------------------------------------------------------------------------------------


@login_required
def blacklist(request: HttpRequest) -> HttpResponse:
    require(request, Perm.ADMISSION_VIEW)
    entries = selectors.visible_blacklist(request.user)
    if request.GET.get("current") == "1":
        entries = entries.filter(removed_at__isnull=True)
    q = request.GET.get("q", "").strip()
    if q:
        entries = entries.filter(Q(worker__name__icontains=q) | Q(reason__icontains=q))
    page = paginate(request, entries)
    return render(
        request,
        "admission/blacklist.html",
        {
            "page_obj": page,
            "query": query_without_page(request),
            "q": q,
            "current": request.GET.get("current") == "1",
            "can_manage": has_perm(request.user, Perm.BLACKLIST_MANAGE),
        },
    )


def _blacklist_targets(user: User) -> tuple[Any, Any]:
    projects = restrict(Project.objects.all(), user, Perm.BLACKLIST_MANAGE).order_by("code")
    if is_platform(user, Perm.BLACKLIST_MANAGE):
        companies = Company.objects.all()
    else:
        companies = Company.objects.filter(pk__in=selectors.managing_companies(user))
    return companies.order_by("name"), projects


@login_required
def blacklist_create(request: HttpRequest) -> HttpResponse:
    require(request, Perm.BLACKLIST_MANAGE)
    user = _user(request)
    worker_id = request.GET.get("worker") or request.POST.get("worker") or ""
    if not worker_id:
        messages.info(request, gettext("请在工人详情页点击“列入黑名单”"))
        return redirect("admission:blacklist")
    worker = scoped_get(request, Worker.objects.all(), Perm.BLACKLIST_MANAGE, worker_id)
    companies, projects = _blacklist_targets(user)
    form = BlacklistForm(
        request.POST or None,
        companies=companies,
        projects=projects,
        initial={"starts_on": timezone.localdate(), "level": "project"},
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        refused = selectors.blacklist_level_error(user, data["level"], data["company"], data["project"])
        if refused:
            form.add_error("level", refused)
        else:
            try:
                services.add_to_blacklist(worker=worker, by=user, **data)
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                messages.success(request, gettext("已列入黑名单：%(name)s") % {"name": worker.name})
                return redirect("workers:worker_detail", public_id=worker.public_id)
    return render(request, "admission/blacklist_form.html", {"form": form, "worker": worker})


@login_required
def blacklist_remove(request: HttpRequest, public_id: UUID) -> HttpResponse:
    require(request, Perm.BLACKLIST_MANAGE)
    user = _user(request)
    entry = selectors.visible_blacklist(user).filter(public_id=public_id).first()
    if entry is None:
        raise Http404
    if not can(user, Perm.BLACKLIST_MANAGE, entry.worker) or not selectors.may_manage_entry(user, entry):
        raise PermissionDenied
    form = RemoveForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.remove_from_blacklist(entry=entry, reason=form.cleaned_data["reason"], by=user)
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, gettext("已解除黑名单：%(name)s") % {"name": entry.worker.name})
            return redirect("workers:worker_detail", public_id=entry.worker.public_id)
    return render(request, "admission/blacklist_remove.html", {"form": form, "entry": entry})


# --- the age policy --------------------------------------------------------------------------------------


@login_required
def policies(request: HttpRequest) -> HttpResponse:
    require(request, Perm.ADMISSION_VIEW)
    user = request.user
    projects = restrict(Project.objects.all(), user, Perm.ADMISSION_VIEW)
    lines = AgePolicy.objects.filter(Q(project__isnull=True) | Q(project__in=projects)).select_related(
        "project"
    )
    return render(
        request,
        "admission/policies.html",
        {
            "lines": lines.order_by("project__code", "region_prefix", "sex", "risk_class", "pk"),
            "risks": TradeRiskClass.objects.all(),
            "can_edit_platform": is_platform(user, Perm.ADMISSION_POLICY),
            "can_edit_projects": has_perm(user, Perm.ADMISSION_POLICY),
        },
    )


def _may_edit_line(user: Any, line: AgePolicy) -> bool:
    if line.project_id is None:
        return is_platform(user, Perm.ADMISSION_POLICY)
    return restrict(Project.objects.filter(pk=line.project_id), user, Perm.ADMISSION_POLICY).exists()


def _affected_workers(line: AgePolicy) -> None:
    """Everyone the line could concern is decided again (a policy is rare to change, the work is bounded)."""
    from realname.admission.changes import inputs_changed
    from realname.workers.models import Employment

    employments = Employment.objects.filter(status="active")
    if line.project_id is not None:
        employments = employments.filter(project_id=line.project_id)
    elif line.region_prefix:
        employments = employments.filter(project__region_code__startswith=line.region_prefix)
    inputs_changed(worker_ids=employments.values_list("worker_id", flat=True), after_commit=False)


@login_required
def policy_edit(request: HttpRequest, public_id: str | None = None) -> HttpResponse:
    require(request, Perm.ADMISSION_POLICY)
    user = _user(request)
    line = None
    if public_id:
        # Lines the user may see (national and regional ones, and their projects'): another project's line
        # is not found, exactly like one that does not exist.
        visible = restrict(Project.objects.all(), user, Perm.ADMISSION_VIEW)
        line = AgePolicy.objects.filter(
            Q(project__isnull=True) | Q(project__in=visible), public_id=public_id
        ).first()
        if line is None:
            raise Http404
    if line is not None and not _may_edit_line(user, line):
        raise PermissionDenied
    platform = is_platform(user, Perm.ADMISSION_POLICY)
    form = AgePolicyForm(
        request.POST or None,
        instance=line,
        projects=restrict(Project.objects.all(), user, Perm.ADMISSION_POLICY).order_by("code"),
        platform=platform,
    )
    if request.method == "POST" and "delete" in request.POST and line is not None:
        with transaction.atomic():
            _affected_workers(line)
            delete_row(line)
        messages.success(request, gettext("已删除年龄准入规则；受影响人员将重新判定"))
        return redirect("admission:policies")
    if request.method == "POST" and form.is_valid():
        with transaction.atomic():
            if line is None:
                line = create_row(AgePolicy, **form.cleaned_data)
            else:
                _affected_workers(AgePolicy.objects.get(pk=line.pk))  # whom it concerned before
                line = update_row(AgePolicy.objects.get(pk=line.pk), **form.cleaned_data)
            _affected_workers(line)
        messages.success(request, gettext("已保存年龄准入规则；受影响人员将重新判定"))
        return redirect("admission:policies")
    return render(request, "admission/policy_form.html", {"form": form, "line": line})


@login_required
def trade_risk_edit(request: HttpRequest) -> HttpResponse:
    if not is_platform(request.user, Perm.ADMISSION_POLICY):
        raise PermissionDenied
    form = TradeRiskForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        from realname.admission.changes import inputs_changed
        from realname.workers.models import Employment

        trade, risk = form.cleaned_data["trade"], form.cleaned_data["risk_class"]
        with transaction.atomic():
            current = TradeRiskClass.objects.filter(trade=trade).first()
            if current is None:
                create_row(TradeRiskClass, trade=trade, risk_class=risk)
            else:
                update_row(current, risk_class=risk)
            inputs_changed(
                worker_ids=Employment.objects.filter(status="active", trade=trade).values_list(
                    "worker_id", flat=True
                ),
                after_commit=False,
            )
        messages.success(request, gettext("已保存工种风险类别"))
        return redirect("admission:policies")
    return render(request, "admission/trade_risk_form.html", {"form": form})
