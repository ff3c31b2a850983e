"""Platform administrators' view of devices and what they sent. Raw facts are read-only here, and a
device's secret is never shown."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from realname.attendance.models import AccessEvent, Device, DeviceCommand, DeviceIdentity, RawMessage


@admin.register(Device)
class DeviceAdmin(admin.ModelAdmin):
    list_display = ("serial", "name", "kind", "project", "area", "role", "enabled", "last_seen_at")
    list_filter = ("kind", "role", "enabled")
    search_fields = ("serial", "name")
    exclude = ("secret",)
    readonly_fields = ("last_seen_at", "clock_skew_seconds", "attlog_stamp", "operlog_stamp")


@admin.register(DeviceIdentity)
class DeviceIdentityAdmin(admin.ModelAdmin):
    list_display = ("ref_kind", "ref", "project", "device", "employment")
    search_fields = ("ref",)
    raw_id_fields = ("employment", "device")


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(RawMessage)
class RawMessageAdmin(ReadOnlyAdmin):
    list_display = ("id", "kind", "serial", "path", "received_at", "parse_status")
    list_filter = ("kind", "parse_status")
    search_fields = ("serial",)
    exclude = ("body",)


@admin.register(AccessEvent)
class AccessEventAdmin(ReadOnlyAdmin):
    list_display = (
        "occurred_at",
        "person_ref",
        "worker",
        "device",
        "direction",
        "method",
        "flags",
        "ledger_index",
    )
    list_filter = ("source", "direction")
    search_fields = ("person_ref", "device_event_key")


@admin.register(DeviceCommand)
class DeviceCommandAdmin(ReadOnlyAdmin):
    list_display = ("device", "command_id", "status", "return_code", "created_at", "sent_at", "acked_at")
    list_filter = ("status",)
