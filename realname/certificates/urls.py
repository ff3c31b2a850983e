from __future__ import annotations

from django.urls import URLPattern, path

from realname.certificates import views

app_name = "certificates"
urlpatterns: list[URLPattern] = [
    path("", views.expiring_list, name="expiring_list"),
    path("workers/<uuid:public_id>/", views.worker_certificates, name="worker_certificates"),
    path("workers/<uuid:public_id>/new/", views.certificate_create, name="certificate_create"),
    path("<uuid:public_id>/edit/", views.certificate_edit, name="certificate_edit"),
    path(
        "<uuid:public_id>/reveal-number/", views.certificate_reveal_number, name="certificate_reveal_number"
    ),
    path("<uuid:public_id>/verify/", views.certificate_verify, name="certificate_verify"),
    path("<uuid:public_id>/review/", views.certificate_review, name="certificate_review"),
    path("<uuid:public_id>/delete/", views.certificate_delete, name="certificate_delete"),
    path("<uuid:public_id>/scans/new/", views.scan_create, name="scan_create"),
    path("scans/<uuid:public_id>/", views.scan_file, name="scan_file"),
    path("scans/<uuid:public_id>/delete/", views.scan_delete, name="scan_delete"),
    path("types/", views.type_list, name="type_list"),
    path("types/new/", views.type_edit, name="type_create"),
    path("types/<uuid:public_id>/edit/", views.type_edit, name="type_edit"),
    path("rules/", views.rule_list, name="rule_list"),
    path("rules/new/", views.rule_edit, name="rule_create"),
    path("rules/<uuid:public_id>/edit/", views.rule_edit, name="rule_edit"),
    path("rules/<uuid:public_id>/delete/", views.rule_delete, name="rule_delete"),
]
