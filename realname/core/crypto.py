"""Field encryption (AES-256-GCM, key id inside the ciphertext) and HMAC-SHA256 blind indexes.

Ciphertext text form: ``v1:<kid>:<base64url(nonce || ciphertext || tag)>``. The field's name is bound in as
associated data, so a ciphertext copied from one column into another does not decrypt.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import re
from dataclasses import dataclass
from functools import lru_cache

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

_KID_RE = re.compile(r"^[A-Za-z0-9_-]{1,32}$")


class DecryptionError(Exception):
    """A ciphertext that cannot be opened: unknown key id, tampered bytes, or the wrong column."""


@dataclass(frozen=True)
class Keyring:
    """The data keys (first one encrypts) and the separate blind-index key."""

    data_keys: dict[str, bytes]
    active_kid: str
    index_key: bytes


def _decode_key(name: str, text: str) -> bytes:
    try:
        raw = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except ValueError:
        raise ImproperlyConfigured(f"{name}: key is not valid base64") from None
    if len(raw) != 32:
        raise ImproperlyConfigured(f"{name}: key must be 32 bytes (AES-256), got {len(raw)}")
    return raw


def parse_keyring(data_keys: str, index_key: str) -> Keyring:
    """Parse ``REALNAME_DATA_KEYS`` ("kid:key,kid:key") and ``REALNAME_INDEX_KEY``, refusing bad values."""
    if not data_keys or not index_key:
        raise ImproperlyConfigured(
            "REALNAME_DATA_KEYS and REALNAME_INDEX_KEY must be set "
            "(run `python -m config.keyfile` for local ones)"
        )
    keys: dict[str, bytes] = {}
    order: list[str] = []
    for part in data_keys.split(","):
        part = part.strip()
        if not part:
            continue
        kid, sep, key_text = part.partition(":")
        if not sep or not _KID_RE.match(kid):
            raise ImproperlyConfigured("REALNAME_DATA_KEYS entries look like kid:base64key")
        if kid in keys:
            raise ImproperlyConfigured(f"REALNAME_DATA_KEYS names key id {kid!r} twice")
        keys[kid] = _decode_key("REALNAME_DATA_KEYS", key_text)
        order.append(kid)
    if not order:
        raise ImproperlyConfigured("REALNAME_DATA_KEYS holds no key")
    index = _decode_key("REALNAME_INDEX_KEY", index_key)
    if any(hmac.compare_digest(index, k) for k in keys.values()):
        raise ImproperlyConfigured("REALNAME_INDEX_KEY must differ from every data key")
    return Keyring(data_keys=keys, active_kid=order[0], index_key=index)


@lru_cache(maxsize=4)
def _keyring_for(data_keys: str, index_key: str) -> Keyring:
    return parse_keyring(data_keys, index_key)


def keyring() -> Keyring:
    return _keyring_for(settings.REALNAME_DATA_KEYS, settings.REALNAME_INDEX_KEY)


@lru_cache(maxsize=16)
def _aead(key: bytes) -> AESGCM:
    return AESGCM(key)


def encrypt(plaintext: str, *, context: str) -> str:
    ring = keyring()
    nonce = os.urandom(12)
    sealed = _aead(ring.data_keys[ring.active_kid]).encrypt(nonce, plaintext.encode(), context.encode())
    body = base64.urlsafe_b64encode(nonce + sealed).decode().rstrip("=")
    return f"v1:{ring.active_kid}:{body}"


def key_id_of(ciphertext: str) -> str:
    parts = ciphertext.split(":", 2)
    if len(parts) != 3 or parts[0] != "v1":
        raise DecryptionError("not a v1 ciphertext")
    return parts[1]


def decrypt(ciphertext: str, *, context: str) -> str:
    kid = key_id_of(ciphertext)
    key = keyring().data_keys.get(kid)
    if key is None:
        raise DecryptionError(f"unknown key id {kid!r}")
    body = ciphertext.split(":", 2)[2]
    try:
        raw = base64.urlsafe_b64decode(body + "=" * (-len(body) % 4))
        return _aead(key).decrypt(raw[:12], raw[12:], context.encode()).decode()
    except (InvalidTag, ValueError) as exc:
        raise DecryptionError("ciphertext does not open with its key") from exc


def blind_index(value: str, *, context: str) -> str:
    """Deterministic keyed digest of a normalised value, for exact-match search without the plaintext."""
    digest = hmac.new(keyring().index_key, f"{context}\x00{value}".encode(), hashlib.sha256)
    return digest.hexdigest()
