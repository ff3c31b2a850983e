"""The Django admin is for platform administrators (superusers) only; the audit log is read-only there."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from realname.core.models import AuditEntry

# Only superusers (platform administrators) reach the admin; staff flags alone are not enough.
admin.site.has_permission = lambda request: bool(request.user.is_active and request.user.is_superuser)  # type: ignore[method-assign]


@admin.register(AuditEntry)
class AuditEntryAdmin(admin.ModelAdmin):
    list_display = ("at", "actor_label", "ip_address", "action", "object_type", "object_repr")
    list_filter = ("action", "object_type")
    search_fields = ("actor_label", "object_repr", "object_id")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
