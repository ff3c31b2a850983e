"""Certificates in the admin: for looking things up. Changes go through the pages (audited, and they queue
admission rechecks), so the certificate rows are read-only here."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from realname.certificates.models import Certificate, CertificateType, TradeRule


@admin.register(CertificateType)
class CertificateTypeAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "regime", "validity_months", "review_interval_months", "active")
    list_filter = ("regime", "active")


@admin.register(TradeRule)
class TradeRuleAdmin(admin.ModelAdmin):
    list_display = ("trade", "project", "label")


@admin.register(Certificate)
class CertificateAdmin(admin.ModelAdmin):
    list_display = ("worker", "type", "number_masked", "expires_on", "next_review_on", "verification_status")
    list_filter = ("verification_status", "type__regime")
    search_fields = ("worker__name",)  # the number is encrypted: find it through services.find_certificates

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
