from __future__ import annotations

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin

from realname.accounts.models import ApiToken, Membership, User


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0
    filter_horizontal = ("projects",)


@admin.register(User)
class RealnameUserAdmin(UserAdmin):
    inlines = [MembershipInline]
    list_display = ("username", "display_name", "is_active", "is_superuser", "last_login")
    fieldsets = (
        *UserAdmin.fieldsets,
        ("Realname", {"fields": ("display_name", "phone", "preferred_language")}),
    )  # type: ignore[misc]


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    list_display = ("user", "name", "key_prefix", "created_at", "last_used_at", "revoked_at")
    readonly_fields = ("key_prefix", "key_hash", "created_at", "last_used_at")
