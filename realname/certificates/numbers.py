"""Certificate numbers at rest: normalised, encrypted, found by blind index, shown masked.

The 应急管理 特种作业操作证 is numbered with the holder's 公民身份号码, so a certificate number is treated
like an ID number (docs/security.md): the plaintext is kept only as AES-256-GCM ciphertext (the column
bound in as associated data), searched and kept unique per type through an HMAC blind index of the
normalised number, and shown masked. Masking: every run that looks like an ID number (17 digits and a
digit or X, or 15 digits) is masked with ``mask_id_number``; a number with no such run (e.g. a 住建
``京A042026000555``) is not personal data and stays readable in the masked column.

These functions take and return plain strings (no models) so the data migration can call them too.
"""

from __future__ import annotations

import re

from realname.core import crypto
from realname.core.identifiers import clean_text
from realname.core.masking import mask_id_number

NUMBER_CONTEXT = "certificates.Certificate.number"

ID_LIKE = re.compile(r"\d{17}[\dX]|\d{15}")


def normalise(number: str) -> str:
    """Spaces removed, upper-cased: ``京a04 2026000007`` → ``京A042026000007``."""
    return "".join(clean_text(number or "").split()).upper()


def is_id_like(number: str) -> bool:
    return ID_LIKE.search(normalise(number)) is not None


def mask(number: str) -> str:
    """The normalised number with each ID-like run masked (``mask_id_number``); others unchanged."""
    return ID_LIKE.sub(lambda match: mask_id_number(match.group(0)), normalise(number))


def index(number: str) -> str:
    """Blind index of the normalised number (exact-match search and uniqueness without the plaintext)."""
    return crypto.blind_index(normalise(number), context=NUMBER_CONTEXT)


def encrypt(number: str) -> str:
    return crypto.encrypt(normalise(number), context=NUMBER_CONTEXT)


def decrypt(ciphertext: str) -> str:
    return crypto.decrypt(ciphertext, context=NUMBER_CONTEXT)
