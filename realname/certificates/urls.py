from __future__ import annotations

from django.urls import URLPattern, path

app_name = "certificates"
urlpatterns: list[URLPattern] = []
