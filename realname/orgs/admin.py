from __future__ import annotations

from django.contrib import admin

from realname.orgs.models import Company, Participant, Project, Section, Team

for model in (Company, Project, Section, Participant, Team):
    admin.site.register(model)
