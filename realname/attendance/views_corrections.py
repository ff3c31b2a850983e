"""Pages for corrections (补卡): the list (pending first), the request form, and the detail page where an
approver sees the day as it stands and approves or rejects.

Rows are read through core.pages.scoped_get / accounts.scope.restrict (out of scope → 404); the writes and
the rules (who may decide, limits, self-approval) are in :mod:`realname.attendance.corrections`, whose
PermissionDenied becomes a 403 and whose ValidationErrors come back onto the form or as a message.
"""

from __future__ import annotations

import os
from typing import Any
from uuid import UUID

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db import models
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from realname.accounts.roles import Perm
from realname.accounts.scope import has_perm, restrict
from realname.attendance import corrections
from realname.attendance.models_corrections import (
    CorrectionDirection,
    CorrectionRequest,
    CorrectionStatus,
)
from realname.core.forms import DATE, add_service_errors
from realname.core.pages import paginate, query_without_page, require, scoped_get, stored_file_response
from realname.orgs.models import Project
from realname.workers.forms import CONTENT_TYPES, EmploymentChoiceField, ListFilterForm, ProjectChoiceField
from realname.workers.models import Employment

# How a DayRecord status reads on screen (rules.Status values).
STATUS_LABELS = {
    "present": _("出勤"),
    "late": _("迟到"),
    "early_leave": _("早退"),
    "half_day": _("半天"),
    "absent": _("缺勤"),
    "missing_punch": _("缺卡"),
    "rest_day": _("休息日"),
    "holiday": _("节假日"),
}
DIRECTION_LABELS = {"01": _("入场"), "02": _("出场"), "": _("方向未知")}


# --- forms -------------------------------------------------------------------------------------------------


class CorrectionForm(forms.Form):
    """The request: whose punch, when (the project's local time), which way, why, and the evidence."""

    employment = EmploymentChoiceField(
        queryset=Employment.objects.none(), to_field_name="public_id", label=_("工人")
    )
    date = forms.DateField(label=_("补卡日期"), widget=DATE)
    time = forms.TimeField(
        label=_("补卡时间"),
        widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
        help_text=_("项目所在地的当地时间"),
    )
    direction = forms.ChoiceField(
        label=_("考勤方向"), choices=CorrectionDirection.choices, widget=forms.RadioSelect
    )
    reason = forms.CharField(
        label=_("补卡原因"),
        max_length=corrections.MAX_TEXT,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("例如：闸机故障、人脸未识别、随班组外出作业"),
    )
    evidence = forms.FileField(
        label=_("证明材料"),
        required=False,
        widget=forms.FileInput(attrs={"accept": ".pdf,.jpg,.jpeg,.png"}),
        help_text=_("照片或 PDF（jpg / png / pdf，不超过 10 MB）；建议上传，便于审批"),
    )

    def __init__(self, *args: Any, employments: models.QuerySet[Employment], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["employment"].queryset = employments  # type: ignore[attr-defined]


class DecisionForm(forms.Form):
    note = forms.CharField(
        label=_("审批意见"),
        required=False,
        max_length=corrections.MAX_TEXT,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class CorrectionFilterForm(ListFilterForm):
    status = forms.ChoiceField(
        label=_("状态"), required=False, choices=[("", "---------"), *CorrectionStatus.choices]
    )
    project = ProjectChoiceField(
        queryset=Project.objects.none(), to_field_name="public_id", required=False, label=_("项目")
    )

    def __init__(self, *args: Any, projects: models.QuerySet[Project], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["project"].queryset = projects  # type: ignore[attr-defined]


# --- pages -------------------------------------------------------------------------------------------------


@never_cache
@login_required
def correction_list(request: HttpRequest) -> HttpResponse:
    require(request, Perm.ATTENDANCE_VIEW)
    form = CorrectionFilterForm(
        request.GET,
        projects=restrict(Project.objects.all(), request.user, Perm.ATTENDANCE_VIEW).order_by("code"),
    )
    rows = corrections.list_corrections(
        request.user, project=form.value("project"), status=form.value("status") or ""
    )
    return render(
        request,
        "attendance/corrections/list.html",
        {
            "form": form,
            "page_obj": paginate(request, rows),
            "query": query_without_page(request),
            "may_request": has_perm(request.user, Perm.CORRECTION_REQUEST),
            "direction_labels": DIRECTION_LABELS,
        },
    )


@login_required
def correction_create(request: HttpRequest) -> HttpResponse:
    require(request, Perm.CORRECTION_REQUEST)
    employments = corrections.requestable_employments(request.user)
    initial: dict[str, Any] = {"date": timezone.localdate()}
    if request.GET.get("employment"):
        initial["employment"] = request.GET["employment"]
    if request.GET.get("date"):
        initial["date"] = request.GET["date"]
    if len(employments[:2]) == 1:  # a worker asking for themself: nothing to choose
        initial["employment"] = employments[0].public_id
    form = CorrectionForm(
        request.POST or None, request.FILES or None, employments=employments, initial=initial
    )
    if request.method == "POST" and form.is_valid():
        employment: Employment = form.cleaned_data["employment"]
        try:
            created = corrections.request_correction(
                employment=employment,
                occurred_at=corrections.local_moment(
                    employment.project, form.cleaned_data["date"], form.cleaned_data["time"]
                ),
                direction=form.cleaned_data["direction"],
                reason=form.cleaned_data["reason"],
                evidence=form.cleaned_data.get("evidence"),
                requested_by=request.user,
            )
        except ValidationError as exc:
            add_service_errors([form], exc)
        else:
            messages.success(request, gettext("已提交补卡申请，等待审批"))
            return redirect("attendance:correction_detail", public_id=created.public_id)
    return render(
        request,
        "attendance/corrections/form.html",
        {"form": form, "max_days": corrections.max_days()},
    )


def _get(request: HttpRequest, public_id: UUID) -> CorrectionRequest:
    return scoped_get(
        request,
        CorrectionRequest.objects.select_related(
            "project",
            "employment__team",
            "employment__participant__company",
            "worker",
            "requested_by",
            "decided_by",
            "event__device",
        ),
        Perm.ATTENDANCE_VIEW,
        public_id,
    )


@never_cache
@login_required
def correction_detail(request: HttpRequest, public_id: UUID) -> HttpResponse:
    correction = _get(request, public_id)
    day = corrections.get_day_view(correction, request.user)
    statuses = [STATUS_LABELS.get(code, code) for code in (day.record.statuses if day.record else [])]
    evidence_ext = os.path.basename(correction.evidence.name or "").rsplit(".", 1)[-1].lower()
    return render(
        request,
        "attendance/corrections/detail.html",
        {
            "c": correction,
            "day": day,
            "statuses": statuses,
            "may_decide": corrections.may_decide(request.user, correction),
            "may_cancel": corrections.may_cancel(request.user, correction),
            "decision_form": DecisionForm(),
            "evidence_is_image": bool(correction.evidence) and evidence_ext in ("jpg", "jpeg", "png"),
            "direction_labels": DIRECTION_LABELS,
        },
    )


def _decide(request: HttpRequest, public_id: UUID, action: str) -> HttpResponse:
    correction = _get(request, public_id)
    form = DecisionForm(request.POST)
    note = form.cleaned_data["note"] if form.is_valid() else ""
    try:
        if action == "approve":
            corrections.approve_correction(correction=correction, user=request.user, note=note)
            messages.success(request, gettext("已批准补卡，已新增一条补卡记录，原始刷卡记录保持不变"))
        elif action == "reject":
            corrections.reject_correction(correction=correction, user=request.user, note=note)
            messages.success(request, gettext("已驳回补卡申请"))
        else:
            corrections.cancel_correction(correction=correction, user=request.user)
            messages.success(request, gettext("已撤销补卡申请"))
    except ValidationError as exc:
        for text in exc.messages:
            messages.error(request, text)
    return redirect("attendance:correction_detail", public_id=correction.public_id)


@login_required
@require_POST
def correction_approve(request: HttpRequest, public_id: UUID) -> HttpResponse:
    return _decide(request, public_id, "approve")


@login_required
@require_POST
def correction_reject(request: HttpRequest, public_id: UUID) -> HttpResponse:
    return _decide(request, public_id, "reject")


@login_required
@require_POST
def correction_cancel(request: HttpRequest, public_id: UUID) -> HttpResponse:
    return _decide(request, public_id, "cancel")


@login_required
def correction_evidence(request: HttpRequest, public_id: UUID) -> FileResponse:
    """The evidence streamed to someone who may see the request; never a public media URL."""
    correction = scoped_get(request, CorrectionRequest.objects.all(), Perm.ATTENDANCE_VIEW, public_id)
    stored = correction.evidence
    if not stored:
        raise Http404
    return stored_file_response(stored, f"correction-{correction.public_id}", CONTENT_TYPES)
