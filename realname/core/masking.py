"""How sensitive numbers look on screens and in exports (docs/security.md)."""

from __future__ import annotations


def mask_id_number(number: str) -> str:
    """``110105194912310021`` → ``110105********0021``; short numbers keep only their last two."""
    if not number:
        return ""
    if len(number) >= 15:
        return number[:6] + "*" * (len(number) - 10) + number[-4:]
    if len(number) <= 4:
        return "*" * len(number)
    return "*" * (len(number) - 2) + number[-2:]


def mask_bank_card(number: str) -> str:
    """``6222021234567891234`` → ``6222 **** **** 1234``."""
    if not number:
        return ""
    if len(number) <= 8:
        return "*" * (len(number) - 2) + number[-2:]
    return f"{number[:4]} **** **** {number[-4:]}"


def mask_phone(number: str) -> str:
    """``13812345678`` → ``138****5678``."""
    if len(number) != 11:
        return number
    return number[:3] + "****" + number[-4:]
