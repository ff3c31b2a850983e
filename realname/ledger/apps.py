from __future__ import annotations

from django.apps import AppConfig


class LedgerConfig(AppConfig):
    name = "realname.ledger"
    label = "ledger"
