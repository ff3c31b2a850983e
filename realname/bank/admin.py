"""Bank file layouts in the admin: a bank's layout is added and edited here (docs/bank.md). The JSON is
checked by ``BankFileLayout.clean`` (layouts.build_layout) before it is saved."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from realname.bank.models import BankBatch, BankBatchLine, BankFileLayout


@admin.register(BankFileLayout)
class BankFileLayoutAdmin(admin.ModelAdmin):
    list_display = ("name", "bank_code", "is_default", "encoding", "xlsx_summary")
    list_filter = ("bank_code", "is_default", "encoding")
    search_fields = ("name", "note")
    fieldsets = (
        (None, {"fields": ("name", "bank_code", "is_default", "note")}),
        (_("导出"), {"fields": ("export_columns", "encoding", "delimiter", "xlsx_summary")}),
        (
            _("回盘"),
            {
                "fields": (
                    "return_columns",
                    "return_paid_values",
                    "return_failed_values",
                    "return_other_status_failed",
                    "return_header_rows",
                    "return_footer_rows",
                )
            },
        ),
    )


class _ReadOnly(admin.ModelAdmin):
    """Batches are made and changed only through realname/bank/services.py; the admin only shows them."""

    def has_add_permission(self, request: Any) -> bool:
        return False

    def has_change_permission(self, request: Any, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: Any, obj: Any = None) -> bool:
        return False


@admin.register(BankBatch)
class BankBatchAdmin(_ReadOnly):
    list_display = ("reference", "project", "kind", "status", "count", "total", "created_at")
    list_filter = ("status", "kind")
    search_fields = ("reference", "project__code")


@admin.register(BankBatchLine)
class BankBatchLineAdmin(_ReadOnly):
    list_display = ("reference", "name", "card_number_masked", "amount", "status", "bank_reason")
    list_filter = ("status",)
    search_fields = ("reference", "name")
