from __future__ import annotations

from django.apps import AppConfig


class TrainingConfig(AppConfig):
    name = "realname.training"
    label = "training"
