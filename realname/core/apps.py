from __future__ import annotations

from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "realname.core"
    label = "core"
    verbose_name = "核心"
