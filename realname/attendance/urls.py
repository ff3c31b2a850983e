"""Device endpoints, mounted at the site root: ZKTeco firmware calls fixed paths (with or without .aspx)."""

from __future__ import annotations

from django.urls import path, re_path

from realname.attendance import views, views_corrections, views_days, views_devices, views_setup

app_name = "attendance"

urlpatterns = [
    re_path(r"^iclock/cdata(?:\.aspx)?$", views_devices.iclock_cdata, name="iclock_cdata"),
    re_path(r"^iclock/getrequest(?:\.aspx)?$", views_devices.iclock_getrequest, name="iclock_getrequest"),
    re_path(r"^iclock/devicecmd(?:\.aspx)?$", views_devices.iclock_devicecmd, name="iclock_devicecmd"),
    path("devices/hik/<str:secret>/events", views_devices.hikvision_events, name="hikvision_events"),
    path("attendance/projects/<uuid:project_id>/onsite/", views.onsite, name="onsite"),
    path("attendance/", views_days.index, name="index"),
    path("attendance/projects/<uuid:project_id>/days/", views_days.day_list, name="day_list"),
    path(
        "attendance/employments/<uuid:employment_id>/days/<str:work_date>/",
        views_days.day_detail,
        name="day_detail",
    ),
    path("attendance/teams/<uuid:team_id>/monthly/", views_days.monthly_sheet, name="monthly"),
    path("attendance/teams/<uuid:team_id>/monthly/print/", views_days.monthly_print, name="monthly_print"),
    path("attendance/teams/<uuid:team_id>/monthly.xlsx", views_days.monthly_xlsx, name="monthly_xlsx"),
    path("attendance/corrections/", views_corrections.correction_list, name="correction_list"),
    path("attendance/corrections/new/", views_corrections.correction_create, name="correction_create"),
    path(
        "attendance/corrections/<uuid:public_id>/",
        views_corrections.correction_detail,
        name="correction_detail",
    ),
    path(
        "attendance/corrections/<uuid:public_id>/approve/",
        views_corrections.correction_approve,
        name="correction_approve",
    ),
    path(
        "attendance/corrections/<uuid:public_id>/reject/",
        views_corrections.correction_reject,
        name="correction_reject",
    ),
    path(
        "attendance/corrections/<uuid:public_id>/cancel/",
        views_corrections.correction_cancel,
        name="correction_cancel",
    ),
    path(
        "attendance/corrections/<uuid:public_id>/evidence/",
        views_corrections.correction_evidence,
        name="correction_evidence",
    ),
    # device registry and attendance settings (views_setup)
    path("attendance/devices/", views_setup.device_list, name="device_list"),
    path(
        "attendance/projects/<uuid:project_id>/devices/", views_setup.project_devices, name="project_devices"
    ),
    path(
        "attendance/projects/<uuid:project_id>/devices/new/", views_setup.device_create, name="device_create"
    ),
    path("attendance/devices/<uuid:device_id>/", views_setup.device_detail, name="device_detail"),
    path("attendance/devices/<uuid:device_id>/edit/", views_setup.device_edit, name="device_edit"),
    path(
        "attendance/devices/<uuid:device_id>/enabled/", views_setup.device_set_enabled, name="device_enabled"
    ),
    path(
        "attendance/devices/<uuid:device_id>/rotate-secret/",
        views_setup.device_rotate_secret,
        name="device_rotate_secret",
    ),
    path(
        "attendance/devices/<uuid:device_id>/reveal-secret/",
        views_setup.device_reveal_secret,
        name="device_reveal_secret",
    ),
    path(
        "attendance/devices/<uuid:device_id>/mappings/", views_setup.device_mappings, name="device_mappings"
    ),
    path(
        "attendance/devices/<uuid:device_id>/mappings/remove/", views_setup.device_unmap, name="device_unmap"
    ),
    path(
        "attendance/devices/<uuid:device_id>/commands/", views_setup.device_commands, name="device_commands"
    ),
    path(
        "attendance/devices/<uuid:device_id>/commands/queue/",
        views_setup.device_queue_command,
        name="device_queue_command",
    ),
    path(
        "attendance/devices/<uuid:device_id>/raw/",
        views_setup.device_raw_messages,
        name="device_raw_messages",
    ),
    path("attendance/devices/<uuid:device_id>/raw/replay/", views_setup.device_replay, name="device_replay"),
    path("attendance/projects/<uuid:project_id>/rules/", views_setup.project_rules, name="project_rules"),
    path("attendance/teams/<uuid:team_id>/rules/", views_setup.team_rules, name="team_rules"),
    path(
        "attendance/teams/<uuid:team_id>/rules/delete/",
        views_setup.team_rules_delete,
        name="team_rules_delete",
    ),
    path("attendance/holidays/", views_setup.holidays, name="holidays"),
    path("attendance/holidays/edit/", views_setup.holiday_edit, name="holiday_edit"),
    path("attendance/holidays/delete/", views_setup.holiday_delete, name="holiday_delete"),
]
