"""Bank file layouts in the admin: a bank's layout is added and edited here (docs/bank.md). The JSON is
checked by ``BankFileLayout.clean`` (layouts.build_layout) before it is saved."""

from __future__ import annotations

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from realname.bank.models import BankFileLayout


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
