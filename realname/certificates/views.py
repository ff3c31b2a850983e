"""Pages: a worker's certificates (add, correct, verify, 复审 / 延期复核, scans), the expiring-soon list per
project, and the certificate types and trade rules.

A certificate is seen by whoever may see its worker (``workers.view``) and changed by whoever holds
``certificates.manage`` over that worker; outside scope is a 404, visible but not permitted a 403. Its number
is shown masked; the full number only through the audited reveal POST (``certificates.manage``). Types are
edited with ``admission.policy`` in platform scope; trade rules with ``admission.policy`` held project-wide on
their project (general contractor, owner, supervisor — not a subcontractor; platform rules: platform scope).
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any
from uuid import UUID

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import QuerySet
from django.db.models.fields.files import FieldFile
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from realname.accounts.roles import Perm
from realname.accounts.scope import can, has_perm, is_platform, restrict
from realname.certificates import selectors, services
from realname.certificates.forms import (
    CertificateForm,
    CertificateTypeForm,
    DeleteForm,
    ExpiringFilterForm,
    ReviewForm,
    ScanForm,
    TradeRuleForm,
    VerifyForm,
)
from realname.certificates.models import (
    Certificate,
    CertificateScan,
    CertificateType,
    RenewalKind,
    TradeRule,
)
from realname.core.forms import add_service_errors
from realname.core.pages import paginate, query_without_page, require, scoped_get, stored_file_response
from realname.orgs.models import Project
from realname.workers.forms import CONTENT_TYPES, RevealForm
from realname.workers.models import Worker


def _key(public_id: Any) -> uuid.UUID:
    try:
        return uuid.UUID(str(public_id))
    except ValueError:
        raise Http404 from None


def _certificate(request: HttpRequest, public_id: Any, *, manage: bool = False) -> Certificate:
    """The certificate if its worker is visible (else 404); with ``manage``, 403 unless the user may manage
    that worker's certificates."""
    qs = selectors.certificates_for(request.user).select_related("worker", "type", "verified_by")
    certificate = qs.filter(public_id=_key(public_id)).first()
    if certificate is None:
        raise Http404
    if manage:
        require(request, Perm.CERTIFICATES_MANAGE)
        if not can(request.user, Perm.CERTIFICATES_MANAGE, certificate.worker):
            raise PermissionDenied
    return certificate


def _worker(request: HttpRequest, public_id: Any, *, manage: bool = False) -> Worker:
    worker = scoped_get(request, Worker.objects.all(), Perm.WORKERS_VIEW, public_id)
    if manage:
        require(request, Perm.CERTIFICATES_MANAGE, worker)
    return worker


def _active_types() -> QuerySet[CertificateType]:
    return CertificateType.objects.filter(active=True).order_by("regime", "category", "code")


def _file_response(stored: FieldFile, download_name: str) -> FileResponse:
    return stored_file_response(stored, download_name, CONTENT_TYPES)


def _back(certificate: Certificate) -> HttpResponse:
    return redirect("certificates:worker_certificates", public_id=certificate.worker.public_id)


# --- a worker's certificates -------------------------------------------------------------------------------


@login_required
def worker_certificates(request: HttpRequest, public_id: UUID) -> HttpResponse:
    worker = _worker(request, public_id)
    certificates = list(
        worker.certificates.select_related("type", "verified_by").prefetch_related("scans", "reviews")
    )
    today = timezone.localdate()
    return render(
        request,
        "certificates/worker_certificates.html",
        {
            "worker": worker,
            "certificates": certificates,
            "today": today,
            "soon": today + dt.timedelta(days=30),
            "can_manage": can(request.user, Perm.CERTIFICATES_MANAGE, worker),
        },
    )


@login_required
def certificate_create(request: HttpRequest, public_id: UUID) -> HttpResponse:
    worker = _worker(request, public_id, manage=True)
    form = CertificateForm(request.POST or None, types=_active_types(), initial={"holder_name": worker.name})
    if request.method == "POST" and form.is_valid():
        try:
            certificate = services.add_certificate(worker=worker, **form.service_fields())
        except ValidationError as exc:
            add_service_errors([form], exc)
        else:
            messages.success(request, gettext("已登记证书：%(c)s") % {"c": certificate})
            return redirect("certificates:worker_certificates", public_id=worker.public_id)
    return render(
        request,
        "certificates/certificate_form.html",
        {"form": form, "worker": worker, "required": selectors.required_for_worker(worker)},
    )


@never_cache
@login_required
@require_POST
def certificate_reveal_number(request: HttpRequest, public_id: UUID) -> HttpResponse:
    """查看完整编号: the plaintext number for the verifier (it may be the holder's ID number), audited like
    an ID reveal. Out of scope 404, visible without ``certificates.manage`` over the worker 403."""
    certificate = _certificate(request, public_id, manage=True)
    form = RevealForm(request.POST)
    reason = form.cleaned_data["reason"] if form.is_valid() else ""
    plaintext = services.reveal_number(certificate=certificate, reason=reason)
    context = {
        "label": gettext("%(name)s 的%(type)s证书编号")
        % {
            "name": certificate.worker.name,
            "type": certificate.type.name,
        },
        "value": plaintext,
        "back": reverse("certificates:worker_certificates", args=[certificate.worker.public_id]),
        "element_id": f"number-{certificate.public_id}",
    }
    template = "workers/_revealed.html" if request.headers.get("HX-Request") else "workers/revealed.html"
    return render(request, template, context)


@login_required
def certificate_edit(request: HttpRequest, public_id: UUID) -> HttpResponse:
    certificate = _certificate(request, public_id, manage=True)
    types = _active_types() | CertificateType.objects.filter(pk=certificate.type_id)
    form = CertificateForm(request.POST or None, instance=certificate, types=types.distinct())
    if request.method == "POST" and form.is_valid():
        try:
            services.update_certificate(certificate=certificate, **form.service_fields())
        except ValidationError as exc:
            add_service_errors([form], exc)
        else:
            messages.success(request, gettext("已保存"))
            return _back(certificate)
    return render(
        request,
        "certificates/certificate_form.html",
        {"form": form, "worker": certificate.worker, "certificate": certificate},
    )


@login_required
def certificate_verify(request: HttpRequest, public_id: UUID) -> HttpResponse:
    certificate = _certificate(request, public_id, manage=True)
    form = VerifyForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.verify_certificate(
                certificate=certificate,
                status=form.cleaned_data["status"],
                note=form.cleaned_data["note"],
                by=request.user,  # type: ignore[arg-type]  # login_required: an authenticated User
            )
        except ValidationError as exc:
            add_service_errors([form], exc)
        else:
            messages.success(request, gettext("已记录核验结果"))
            return _back(certificate)
    return render(
        request,
        "certificates/certificate_action.html",
        {"form": form, "certificate": certificate, "title": gettext("核验证书")},
    )


@login_required
def certificate_review(request: HttpRequest, public_id: UUID) -> HttpResponse:
    certificate = _certificate(request, public_id, manage=True)
    initial = {"kind": RenewalKind.REVIEW if certificate.next_review_on else RenewalKind.RENEWAL}
    form = ReviewForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            if data["kind"] == RenewalKind.REVIEW:
                services.record_review(
                    certificate=certificate,
                    reviewed_on=data["reviewed_on"],
                    next_review_on=data["new_date"],
                    note=data["note"],
                    by=request.user,  # type: ignore[arg-type]
                )
            else:
                services.renew_certificate(
                    certificate=certificate,
                    reviewed_on=data["reviewed_on"],
                    new_expires_on=data["new_date"],
                    note=data["note"],
                    by=request.user,  # type: ignore[arg-type]
                )
        except ValidationError as exc:
            add_service_errors(
                [form], exc, rename={"next_review_on": "new_date", "new_expires_on": "new_date"}
            )
        else:
            messages.success(request, gettext("已登记"))
            return _back(certificate)
    return render(
        request,
        "certificates/certificate_action.html",
        {"form": form, "certificate": certificate, "title": gettext("登记复审 / 延期复核")},
    )


@login_required
def certificate_delete(request: HttpRequest, public_id: UUID) -> HttpResponse:
    certificate = _certificate(request, public_id, manage=True)
    form = DeleteForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        services.delete_certificate(certificate=certificate, reason=form.cleaned_data["reason"])
        messages.success(request, gettext("已删除证书：%(c)s") % {"c": certificate})
        return redirect("certificates:worker_certificates", public_id=certificate.worker.public_id)
    return render(
        request,
        "certificates/certificate_action.html",
        {"form": form, "certificate": certificate, "title": gettext("删除证书"), "danger": True},
    )


@login_required
def scan_create(request: HttpRequest, public_id: UUID) -> HttpResponse:
    certificate = _certificate(request, public_id, manage=True)
    form = ScanForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        services.add_scan(
            certificate=certificate, file=form.cleaned_data["file"], caption=form.cleaned_data["caption"]
        )
        messages.success(request, gettext("已上传扫描件"))
        return _back(certificate)
    return render(
        request,
        "certificates/certificate_action.html",
        {"form": form, "certificate": certificate, "title": gettext("上传扫描件"), "upload": True},
    )


def _scan(request: HttpRequest, public_id: Any) -> CertificateScan:
    scan = (
        CertificateScan.objects.filter(
            certificate__in=selectors.certificates_for(request.user).values("pk"), public_id=_key(public_id)
        )
        .select_related("certificate__worker")
        .first()
    )
    if scan is None:
        raise Http404
    return scan


@login_required
def scan_file(request: HttpRequest, public_id: UUID) -> FileResponse:
    scan = _scan(request, public_id)
    return _file_response(scan.file, f"certificate-{scan.public_id}")


@login_required
@require_POST
def scan_delete(request: HttpRequest, public_id: UUID) -> HttpResponse:
    scan = _scan(request, public_id)
    certificate = _certificate(request, scan.certificate.public_id, manage=True)
    services.delete_scan(scan=scan)
    messages.success(request, gettext("已删除扫描件"))
    return _back(certificate)


# --- expiring soon -----------------------------------------------------------------------------------------


@login_required
def expiring_list(request: HttpRequest) -> HttpResponse:
    """Per project: the certificates of its active workers that expire or are due for 复审 within N days
    (default 30), expired and overdue ones first."""
    require(request, Perm.WORKERS_VIEW)
    projects = restrict(Project.objects.all(), request.user, Perm.WORKERS_VIEW).order_by("code")
    form = ExpiringFilterForm(request.GET, projects=projects)
    project: Project | None = form.value("project")
    days = form.value("days")
    days = 30 if days is None else days
    today = timezone.localdate()
    if project is not None:
        today = selectors.project_today(project, timezone.now())
    certificates = selectors.list_certificates(
        request.user, project=project, expiring_within=days, today=today
    ).order_by("expires_on", "worker__name", "id")
    if project is None:
        certificates = certificates.filter(
            worker__employments__project__in=projects.values("pk"), worker__employments__status="active"
        ).distinct()
    page = paginate(request, certificates)
    return render(
        request,
        "certificates/expiring_list.html",
        {
            "form": form,
            "page_obj": page,
            "query": query_without_page(request),
            "today": today,
            "soon": today + dt.timedelta(days=days),
            "days": days,
            "project": project,
        },
    )


# --- types and trade rules ---------------------------------------------------------------------------------


def _require_platform_policy(request: HttpRequest) -> None:
    if not is_platform(request.user, Perm.ADMISSION_POLICY):
        raise PermissionDenied


@login_required
def type_list(request: HttpRequest) -> HttpResponse:
    if not (has_perm(request.user, Perm.ADMISSION_VIEW) or has_perm(request.user, Perm.WORKERS_VIEW)):
        raise PermissionDenied
    types = CertificateType.objects.order_by("regime", "category", "code")
    return render(
        request,
        "certificates/type_list.html",
        {"types": types, "can_edit": is_platform(request.user, Perm.ADMISSION_POLICY)},
    )


@login_required
def type_edit(request: HttpRequest, public_id: UUID | None = None) -> HttpResponse:
    _require_platform_policy(request)
    instance = None
    if public_id is not None:
        instance = CertificateType.objects.filter(public_id=public_id).first()
        if instance is None:
            raise Http404
    form = CertificateTypeForm(request.POST or None, instance=instance)
    if request.method == "POST" and form.is_valid():
        try:
            if instance is None:
                services.create_certificate_type(**form.service_fields())
            else:
                services.update_certificate_type(certificate_type=instance, **form.service_fields())
        except ValidationError as exc:
            add_service_errors([form], exc)
        else:
            messages.success(request, gettext("已保存证书类型"))
            return redirect("certificates:type_list")
    return render(request, "certificates/type_form.html", {"form": form, "instance": instance})


@login_required
def rule_list(request: HttpRequest) -> HttpResponse:
    if not (has_perm(request.user, Perm.ADMISSION_VIEW) or has_perm(request.user, Perm.WORKERS_VIEW)):
        raise PermissionDenied
    perm = Perm.ADMISSION_VIEW if has_perm(request.user, Perm.ADMISSION_VIEW) else Perm.WORKERS_VIEW
    rules = list(selectors.visible_rules(request.user, perm))
    changeable = set(selectors.changeable_rules(request.user).values_list("pk", flat=True))
    return render(
        request,
        "certificates/rule_list.html",
        {
            "rules": rules,
            "changeable": changeable,
            "can_create": is_platform(request.user, Perm.ADMISSION_POLICY)
            or selectors.rule_projects(request.user).exists(),
        },
    )


@login_required
def rule_edit(request: HttpRequest, public_id: UUID | None = None) -> HttpResponse:
    require(request, Perm.ADMISSION_POLICY)
    instance: TradeRule | None = None
    if public_id is not None:
        instance = (
            selectors.visible_rules(request.user, Perm.ADMISSION_VIEW).filter(public_id=public_id).first()
        )
        if instance is None:
            raise Http404
        if not selectors.changeable_rules(request.user).filter(pk=instance.pk).exists():
            raise PermissionDenied
    platform = is_platform(request.user, Perm.ADMISSION_POLICY)
    projects = selectors.rule_projects(request.user).order_by("code")
    if instance is None and not platform and not projects.exists():
        raise PermissionDenied
    form = TradeRuleForm(request.POST or None, instance=instance, projects=projects, platform=platform)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            if instance is None:
                services.create_trade_rule(
                    project=data.get("project"), trade=data["trade"], types=data["types"], label=data["label"]
                )
            else:
                services.update_trade_rule(
                    rule=instance, trade=data["trade"], types=data["types"], label=data["label"]
                )
        except ValidationError as exc:
            add_service_errors([form], exc)
        else:
            messages.success(request, gettext("已保存持证要求"))
            return redirect("certificates:rule_list")
    return render(request, "certificates/rule_form.html", {"form": form, "instance": instance})


@login_required
@require_POST
def rule_delete(request: HttpRequest, public_id: UUID) -> HttpResponse:
    require(request, Perm.ADMISSION_POLICY)
    rule = selectors.visible_rules(request.user, Perm.ADMISSION_VIEW).filter(public_id=public_id).first()
    if rule is None:
        raise Http404
    if not selectors.changeable_rules(request.user).filter(pk=rule.pk).exists():
        raise PermissionDenied
    services.delete_trade_rule(rule=rule)
    messages.success(request, gettext("已删除持证要求"))
    return redirect("certificates:rule_list")
