from __future__ import annotations

from django.urls import URLPattern, URLResolver, include, path

from realname.payroll import views

app_name = "payroll"
urlpatterns: list[URLPattern | URLResolver] = [
    path("", views.period_list, name="period_list"),
    path("periods/<uuid:public_id>/", views.period_detail, name="period_detail"),
    path("periods/<uuid:public_id>/generate/", views.period_generate, name="period_generate"),
    path("periods/<uuid:public_id>/inputs/", views.period_inputs, name="period_inputs"),
    path("inputs/<str:kind>/<uuid:public_id>/remove/", views.input_remove, name="input_remove"),
    path("sheets/<uuid:public_id>/", views.sheet_detail, name="sheet_detail"),
    path("sheets/<uuid:public_id>/confirm-team/", views.sheet_confirm_team, name="sheet_confirm_team"),
    path("sheets/<uuid:public_id>/reopen/", views.sheet_reopen, name="sheet_reopen"),
    path(
        "sheets/<uuid:public_id>/approve-employer/",
        views.sheet_approve_employer,
        name="sheet_approve_employer",
    ),
    path("sheets/<uuid:public_id>/approve-gc/", views.sheet_approve_gc, name="sheet_approve_gc"),
    path("sheets/<uuid:public_id>/revise/", views.sheet_revise, name="sheet_revise"),
    path("lines/<uuid:public_id>/paper-signature/", views.line_paper_signature, name="line_paper_signature"),
    path("lines/<uuid:public_id>/answer/", views.line_answer, name="line_answer"),
    path("warnings/", views.warnings_list, name="warnings"),
    path("deposits/", views.deposit_list, name="deposit_list"),
    path("me/", views.my_pay, name="my_pay"),
    path("me/<uuid:public_id>/", views.my_line, name="my_line"),
    path("", include("realname.payroll.urls_exports")),
]
