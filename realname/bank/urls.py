from __future__ import annotations

from django.urls import URLPattern, path

from realname.bank import views

app_name = "bank"
urlpatterns: list[URLPattern] = [
    path("", views.batch_list, name="batch_list"),
    path("new/", views.batch_create, name="batch_create"),
    path("<uuid:public_id>/", views.batch_detail, name="batch_detail"),
    path("<uuid:public_id>/download/<str:fmt>/", views.batch_download, name="batch_download"),
    path("<uuid:public_id>/sent/", views.batch_mark_sent, name="batch_mark_sent"),
    path("<uuid:public_id>/return/", views.batch_return, name="batch_return"),
    path("<uuid:public_id>/reissue/", views.batch_reissue, name="batch_reissue"),
    path("<uuid:public_id>/cancel/", views.batch_cancel, name="batch_cancel"),
    path("lines/<uuid:public_id>/resolve/", views.line_resolve, name="line_resolve"),
]
