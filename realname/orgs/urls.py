from __future__ import annotations

from django.urls import URLPattern, path

from realname.orgs import views

app_name = "orgs"
urlpatterns: list[URLPattern] = [
    path("companies/", views.company_list, name="company_list"),
    path("companies/new/", views.company_create, name="company_create"),
    path("companies/<uuid:company>/", views.company_detail, name="company_detail"),
    path("companies/<uuid:company>/edit/", views.company_edit, name="company_edit"),
    path("projects/", views.project_list, name="project_list"),
    path("projects/new/", views.project_create, name="project_create"),
    path("projects/<uuid:project>/", views.project_detail, name="project_detail"),
    path("projects/<uuid:project>/edit/", views.project_edit, name="project_edit"),
    path("projects/<uuid:project>/sections/new/", views.section_create, name="section_create"),
    path("projects/<uuid:project>/participants/new/", views.participant_create, name="participant_create"),
    path("projects/<uuid:project>/teams/new/", views.team_create, name="team_create"),
    path("sections/<uuid:section>/edit/", views.section_edit, name="section_edit"),
    path("participants/<uuid:participant>/edit/", views.participant_edit, name="participant_edit"),
    path("teams/", views.team_list, name="team_list"),
    path("teams/<uuid:team>/", views.team_detail, name="team_detail"),
    path("teams/<uuid:team>/edit/", views.team_edit, name="team_edit"),
]
