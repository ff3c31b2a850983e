"""Device endpoints, mounted at the site root: ZKTeco firmware calls fixed paths (with or without .aspx)."""

from __future__ import annotations

from django.urls import path, re_path

from realname.attendance import views, views_devices

app_name = "attendance"

urlpatterns = [
    re_path(r"^iclock/cdata(?:\.aspx)?$", views_devices.iclock_cdata, name="iclock_cdata"),
    re_path(r"^iclock/getrequest(?:\.aspx)?$", views_devices.iclock_getrequest, name="iclock_getrequest"),
    re_path(r"^iclock/devicecmd(?:\.aspx)?$", views_devices.iclock_devicecmd, name="iclock_devicecmd"),
    path("devices/hik/<str:secret>/events", views_devices.hikvision_events, name="hikvision_events"),
    path("attendance/projects/<uuid:project_id>/onsite/", views.onsite, name="onsite"),
]
