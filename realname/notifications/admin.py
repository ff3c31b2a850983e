"""Platform administrators' view of notifications and their deliveries (read-only: they are messages to
people, not records to edit)."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from realname.notifications.models import Delivery, Notification, NotificationPreference


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Notification)
class NotificationAdmin(ReadOnlyAdmin):
    list_display = ("created_at", "recipient", "kind", "level", "title", "project", "read_at")
    list_filter = ("kind", "level")
    search_fields = ("title", "recipient__username", "dedupe_key")
    raw_id_fields = ("recipient", "project")


@admin.register(Delivery)
class DeliveryAdmin(ReadOnlyAdmin):
    list_display = ("created_at", "notification", "channel", "status", "attempts", "sent_at", "last_error")
    list_filter = ("channel", "status")
    raw_id_fields = ("notification",)


@admin.register(NotificationPreference)
class NotificationPreferenceAdmin(ReadOnlyAdmin):
    list_display = ("user", "email_enabled", "email_min_level", "sms_enabled", "sms_min_level", "updated_at")
    raw_id_fields = ("user",)
