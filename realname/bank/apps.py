from __future__ import annotations

from django.apps import AppConfig


class BankConfig(AppConfig):
    name = "realname.bank"
    label = "bank"
