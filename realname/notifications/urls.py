from __future__ import annotations

from django.urls import URLPattern, path

from realname.notifications import views

app_name = "notifications"
urlpatterns: list[URLPattern] = [
    path("", views.inbox, name="inbox"),
    path("read-all/", views.read_all, name="read_all"),
    path("settings/", views.preferences, name="preferences"),
    path("<uuid:public_id>/read/", views.read_one, name="read"),
]
