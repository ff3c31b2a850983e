"""Routes for pay slips (工资条), the wage ledger (工资支付台账) and the printable pay sheet."""

from __future__ import annotations

from django.urls import URLPattern, path

from realname.payroll import views_exports

urlpatterns: list[URLPattern] = [
    path("sheets/<uuid:public_id>/print/", views_exports.sheet_print, name="sheet_print"),
    path("sheets/<uuid:public_id>/xlsx/", views_exports.sheet_xlsx, name="sheet_xlsx"),
    path("sheets/<uuid:public_id>/slips/", views_exports.sheet_slips, name="sheet_slips"),
    path("periods/<uuid:public_id>/ledger/", views_exports.period_ledger, name="period_ledger"),
    path(
        "periods/<uuid:public_id>/ledger/xlsx/", views_exports.period_ledger_xlsx, name="period_ledger_xlsx"
    ),
    path("me/<uuid:public_id>/slip/", views_exports.my_slip, name="my_slip"),
]
