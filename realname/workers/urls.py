from __future__ import annotations

from django.urls import include, path

from realname.workers import views

app_name = "workers"
urlpatterns: list = [
    path("", views.worker_list, name="worker_list"),
    path("new/", views.worker_create, name="worker_create"),
    path("<uuid:public_id>/", views.worker_detail, name="worker_detail"),
    path("<uuid:public_id>/edit/", views.worker_edit, name="worker_edit"),
    path("<uuid:public_id>/reveal-id/", views.worker_reveal_id, name="worker_reveal_id"),
    path("<uuid:public_id>/photo/", views.worker_photo, name="worker_photo"),
    path("<uuid:public_id>/verify-identity/", views.worker_verify_identity, name="worker_verify_identity"),
    path("<uuid:public_id>/bank-cards/new/", views.bank_card_create, name="bank_card_create"),
    path("bank-cards/<uuid:public_id>/reveal/", views.bank_card_reveal, name="bank_card_reveal"),
    path("employments/", views.employment_list, name="employment_list"),
    path("employments/new/", views.employment_create, name="employment_create"),
    path("employments/<uuid:public_id>/edit/", views.employment_edit, name="employment_edit"),
    path("employments/<uuid:public_id>/exit/", views.employment_exit, name="employment_exit"),
    path("contracts/", views.contract_list, name="contract_list"),
    path("contracts/new/", views.contract_create, name="contract_create"),
    path("contracts/<uuid:public_id>/edit/", views.contract_edit, name="contract_edit"),
    path("contracts/<uuid:public_id>/file/", views.contract_file, name="contract_file"),
    # Excel template / import / export pages live in urls_excel.py (realname/workers/views_excel.py).
    path("", include("realname.workers.urls_excel")),
]
