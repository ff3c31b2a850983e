"""Routes for pay slips (工资条), the wage ledger (工资支付台账) and the printable pay sheet."""

from __future__ import annotations

from django.urls import URLPattern

urlpatterns: list[URLPattern] = []
