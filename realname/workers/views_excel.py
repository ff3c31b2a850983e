"""Pages for the Excel template, the bulk import and the masked roster export.

Projects are looked up through core.pages.scoped_get (outside the user's scope → 404, like a missing one);
the import itself is workers.importer.import_workers, which also applies the user's scope to every row.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.http import content_disposition_header
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET, require_http_methods

from realname.accounts.roles import Perm
from realname.accounts.scope import can, restrict
from realname.core.pages import require, scoped_get
from realname.orgs.models import Project
from realname.workers import excel
from realname.workers.importer import ImportReport, import_workers

MAX_UPLOAD_BYTES = 10 * 1024 * 1024


class ImportUploadForm(forms.Form):
    """The uploaded spreadsheet: only .xlsx, at most 10 MB."""

    file = forms.FileField(label=_("Excel 文件（.xlsx）"), help_text=_("请使用导入模板；不超过 10 MB"))
    dry_run = forms.BooleanField(label=_("只校验，不导入"), required=False)

    def clean_file(self) -> UploadedFile:
        upload: UploadedFile = self.cleaned_data["file"]
        if not (upload.name or "").lower().endswith(".xlsx"):
            raise ValidationError(
                _("只能上传 .xlsx 格式的 Excel 文件（.xls 或 .csv 请先用 Excel/WPS 另存为 .xlsx）")
            )
        if (upload.size or 0) > MAX_UPLOAD_BYTES:
            raise ValidationError(_("文件超过 10 MB，请分成几个文件导入"))
        return upload


def _xlsx(data: bytes, filename: str) -> HttpResponse:
    return HttpResponse(
        data,
        content_type=excel.XLSX_CONTENT_TYPE,
        headers={"Content-Disposition": content_disposition_header(True, filename)},
    )


@login_required
@require_http_methods(["GET", "POST"])
def import_page(request: HttpRequest) -> HttpResponse:
    require(request, Perm.WORKERS_CHANGE)
    projects = restrict(Project.objects.all(), request.user, Perm.WORKERS_CHANGE).order_by("code")
    public_id = request.POST.get("project") or request.GET.get("project")
    project = (
        scoped_get(request, Project.objects.all(), Perm.WORKERS_CHANGE, public_id) if public_id else None
    )
    form = ImportUploadForm()
    report: ImportReport | None = None
    project_error = ""
    if request.method == "POST":
        form = ImportUploadForm(request.POST, request.FILES)
        if project is None:
            project_error = str(_("请选择项目"))
        elif form.is_valid():
            upload = form.cleaned_data["file"]
            report = import_workers(
                project=project,
                source=upload,
                user=request.user,
                filename=upload.name or "",
                dry_run=form.cleaned_data["dry_run"],
            )
            if report.imported:
                form = ImportUploadForm()
    context: dict[str, Any] = {
        "projects": projects,
        "project": project,
        "project_error": project_error,
        "form": form,
        "report": report,
        "can_export": project is not None and can(request.user, Perm.EXPORT, project),
    }
    return render(request, "workers/import.html", context)


@login_required
@require_GET
def import_template(request: HttpRequest) -> HttpResponse:
    require(request, Perm.WORKERS_CHANGE)
    public_id = request.GET.get("project")
    project = (
        scoped_get(request, Project.objects.all(), Perm.WORKERS_CHANGE, public_id) if public_id else None
    )
    return _xlsx(excel.template_bytes(project), excel.template_filename(project))


@login_required
@require_GET
def export_roster(request: HttpRequest) -> HttpResponse:
    project = scoped_get(request, Project.objects.all(), Perm.EXPORT, request.GET.get("project"))
    data, _count = excel.export_roster(project=project, user=request.user)
    return _xlsx(data, excel.roster_filename(project))
