from __future__ import annotations

from django.urls import path

from realname.core import views
from realname.core.views_audit import audit_list

app_name = "core"
urlpatterns = [
    path("", views.home, name="home"),
    path("healthz", views.healthz, name="healthz"),
    path("audit/", audit_list, name="audit_list"),
]
