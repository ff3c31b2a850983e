from __future__ import annotations

from django.urls import include, path

app_name = "workers"
urlpatterns: list = [
    # Excel template / import / export pages live in urls_excel.py (realname/workers/views_excel.py).
    path("", include("realname.workers.urls_excel")),
]
