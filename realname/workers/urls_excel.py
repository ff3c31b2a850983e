"""Excel template, import and roster export (included from workers/urls.py, namespace "workers")."""

from __future__ import annotations

from django.urls import URLPattern, path

from realname.workers import views_excel

urlpatterns: list[URLPattern] = [
    path("import/", views_excel.import_page, name="import"),
    path("import/template.xlsx", views_excel.import_template, name="import_template"),
    path("export.xlsx", views_excel.export_roster, name="export"),
]
