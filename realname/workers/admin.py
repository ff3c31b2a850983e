"""Workers in the admin show only masked numbers; the ciphertext columns are not editable."""

from __future__ import annotations

from django.contrib import admin

from realname.workers.models import BankAccount, Contract, Employment, Worker


@admin.register(Worker)
class WorkerAdmin(admin.ModelAdmin):
    list_display = ("name", "id_number_masked", "sex", "birth_date", "phone")
    search_fields = ("name",)
    exclude = ("id_number_enc", "id_number_index")
    readonly_fields = ("id_number_masked",)


@admin.register(BankAccount)
class BankAccountAdmin(admin.ModelAdmin):
    list_display = ("worker", "bank_name", "card_number_masked", "is_current")
    exclude = ("card_number_enc", "card_number_index")
    readonly_fields = ("card_number_masked",)


admin.site.register(Employment)
admin.site.register(Contract)
