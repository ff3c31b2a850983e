from __future__ import annotations

from django.apps import AppConfig


class AttendanceConfig(AppConfig):
    name = "realname.attendance"
    label = "attendance"
