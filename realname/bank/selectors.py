"""Reads for bank files."""

from __future__ import annotations

from realname.bank.models import BankFileLayout


def get_default_layout(*, bank_code: str) -> BankFileLayout | None:
    """The default layout for a bank category (e.g. the wage account's bank), else the generic default."""
    layouts = {
        layout.bank_code: layout
        for layout in BankFileLayout.objects.filter(is_default=True, bank_code__in={bank_code, ""})
    }
    return layouts.get(bank_code) or layouts.get("")
