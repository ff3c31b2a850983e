from __future__ import annotations

from django.urls import URLPattern, path

from realname.admission import views

app_name = "admission"
urlpatterns: list[URLPattern] = [
    path("projects/<str:code>/", views.project_admission, name="project"),
    path("projects/<str:code>/refresh/", views.project_refresh, name="project_refresh"),
    path("blacklist/", views.blacklist, name="blacklist"),
    path("blacklist/new/", views.blacklist_create, name="blacklist_create"),
    path("blacklist/<uuid:public_id>/remove/", views.blacklist_remove, name="blacklist_remove"),
    path("policies/", views.policies, name="policies"),
    path("policies/new/", views.policy_edit, name="policy_create"),
    path("policies/<uuid:public_id>/", views.policy_edit, name="policy_edit"),
    path("trade-risks/", views.trade_risk_edit, name="trade_risk_edit"),
]
