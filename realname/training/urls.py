from __future__ import annotations

from django.urls import URLPattern, path

from realname.training import views

app_name = "training"
urlpatterns: list[URLPattern] = [
    path("", views.course_list, name="course_list"),
    path("courses/new/", views.course_create, name="course_create"),
    path("courses/<uuid:public_id>/", views.course_detail, name="course_detail"),
    path("courses/<uuid:public_id>/edit/", views.course_edit, name="course_edit"),
    path("courses/<uuid:public_id>/lessons/new/", views.lesson_create, name="lesson_create"),
    path("lessons/<uuid:public_id>/", views.lesson_detail, name="lesson_detail"),
    path("lessons/<uuid:public_id>/file/", views.lesson_file, name="lesson_file"),
    path("lessons/<uuid:public_id>/delete/", views.lesson_delete, name="lesson_delete"),
    path("banks/", views.bank_list, name="bank_list"),
    path("banks/new/", views.bank_create, name="bank_create"),
    path("banks/<uuid:public_id>/", views.bank_detail, name="bank_detail"),
    path("questions/<uuid:public_id>/delete/", views.question_delete, name="question_delete"),
    path("projects/<uuid:public_id>/plans/", views.plan_list, name="plan_list"),
    path("plans/<uuid:public_id>/delete/", views.plan_delete, name="plan_delete"),
    path("plan-items/<uuid:public_id>/delete/", views.plan_item_delete, name="plan_item_delete"),
    path("records/", views.record_list, name="record_list"),
    path("projects/<uuid:public_id>/completion/", views.completion, name="completion"),
    path("workers/<uuid:public_id>/", views.worker_training, name="worker_training"),
    path("sessions/", views.session_list, name="session_list"),
    path("sessions/new/", views.session_create, name="session_create"),
    path("sessions/<uuid:public_id>/", views.session_detail, name="session_detail"),
    path("sessions/<uuid:public_id>/<str:which>/", views.session_file, name="session_file"),
    path("me/", views.my_training, name="my_training"),
    path("me/<uuid:employment_id>/<uuid:course_id>/", views.my_course, name="my_course"),
    path("me/<uuid:employment_id>/<uuid:course_id>/exam/", views.my_exam_start, name="my_exam_start"),
    path("attempts/<uuid:public_id>/", views.my_attempt, name="my_attempt"),
]
