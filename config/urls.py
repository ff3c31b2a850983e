"""URL map: pages per app, the API under /api/v1/, the Django admin for platform administrators only."""

from __future__ import annotations

from django.contrib import admin
from django.urls import include, path

from config.api import api

admin.site.site_header = "Realname 实名制平台管理"

urlpatterns = [
    path("", include("realname.core.urls")),
    path("", include("realname.attendance.urls")),  # device endpoints at the paths firmware uses
    path("accounts/", include("realname.accounts.urls")),
    path("orgs/", include("realname.orgs.urls")),
    path("workers/", include("realname.workers.urls")),
    path("notifications/", include("realname.notifications.urls")),
    path("training/", include("realname.training.urls")),
    path("certificates/", include("realname.certificates.urls")),
    path("admission/", include("realname.admission.urls")),
    path("payroll/", include("realname.payroll.urls")),
    path("bank/", include("realname.bank.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("api/v1/", api.urls),
    path("admin/", admin.site.urls),
]
