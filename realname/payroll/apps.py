from __future__ import annotations

from django.apps import AppConfig


class PayrollConfig(AppConfig):
    name = "realname.payroll"
    label = "payroll"
