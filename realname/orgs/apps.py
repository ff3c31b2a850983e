from __future__ import annotations

from django.apps import AppConfig


class OrgsConfig(AppConfig):
    name = "realname.orgs"
    label = "orgs"
