"""Signing checkpoints with Ed25519, in the C2SP signed-note format (https://c2sp.org/signed-note).

A checkpoint's signed text ("note body") is four lines, each ending in a newline:

    realname/<origin>        who publishes the log (REALNAME_LEDGER_ORIGIN)
    <tree size>              decimal
    <root hash>              standard base64 of the 32-byte root
    <time>                   UTC, YYYY-MM-DDTHH:MM:SSZ

The first three lines are exactly a C2SP tlog-checkpoint; the time is an extension line. The signature is
Ed25519 over those bytes. The key name is the origin line and the key id is the first four bytes of
SHA-256(name || 0x0A || 0x01 || public key), as signed-note defines for Ed25519, so the published
verifier key ``<name>+<key id hex>+<base64(0x01 || public key)>`` works with Go's golang.org/x/mod/sumdb/note.

The private key is REALNAME_LEDGER_SIGNING_KEY: a 32-byte Ed25519 seed, base64 (url-safe or standard,
padding optional). ``python -m config.keyfile`` writes one for local installations.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import hashlib
from dataclasses import dataclass
from functools import lru_cache

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from realname.ledger.canonical import format_time

ALGORITHM_ED25519 = 0x01
"""The signed-note signature type byte of Ed25519."""


@dataclass(frozen=True)
class SigningKey:
    """The installation's checkpoint key: its name (the origin line), id and the key pair."""

    name: str
    private: Ed25519PrivateKey
    public: bytes

    @property
    def key_id(self) -> bytes:
        return key_id(self.name, self.public)

    @property
    def verifier_key(self) -> str:
        """The signed-note verifier key text anyone can use to check our checkpoints."""
        encoded = base64.b64encode(bytes([ALGORITHM_ED25519]) + self.public).decode()
        return f"{self.name}+{self.key_id.hex()}+{encoded}"


def origin() -> str:
    """The checkpoint's first line: ``realname/<installation origin>``."""
    return f"realname/{settings.REALNAME_LEDGER_ORIGIN}"


def key_id(name: str, public: bytes) -> bytes:
    """signed-note key id: SHA-256(name || "\\n" || 0x01 || public key)[:4]."""
    return hashlib.sha256(name.encode() + b"\n" + bytes([ALGORITHM_ED25519]) + public).digest()[:4]


def decode_seed(text: str) -> bytes:
    """A 32-byte seed from its base64 text (url-safe or standard, padding optional); refuses anything else."""
    cleaned = text.strip().replace("+", "-").replace("/", "_").rstrip("=")
    try:
        raw = base64.urlsafe_b64decode(cleaned + "=" * (-len(cleaned) % 4))
    except (ValueError, binascii.Error):
        raise ImproperlyConfigured("REALNAME_LEDGER_SIGNING_KEY is not valid base64") from None
    if len(raw) != 32:
        raise ImproperlyConfigured(
            f"REALNAME_LEDGER_SIGNING_KEY must be a 32-byte Ed25519 seed, got {len(raw)}"
        )
    return raw


@lru_cache(maxsize=4)
def _load(seed_text: str, name: str) -> SigningKey:
    private = Ed25519PrivateKey.from_private_bytes(decode_seed(seed_text))
    public = private.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
    return SigningKey(name=name, private=private, public=public)


def signing_key() -> SigningKey:
    """The configured key; ImproperlyConfigured when REALNAME_LEDGER_SIGNING_KEY is unset or malformed."""
    text = getattr(settings, "REALNAME_LEDGER_SIGNING_KEY", "")
    if not text:
        raise ImproperlyConfigured(
            "REALNAME_LEDGER_SIGNING_KEY is not set (run `python -m config.keyfile` for a local one)"
        )
    return _load(text, origin())


def checkpoint_body(*, origin: str, tree_size: int, root_hash: bytes, timestamp: dt.datetime) -> bytes:
    """The signed text of a checkpoint (see the module docstring)."""
    root = base64.b64encode(root_hash).decode()
    return f"{origin}\n{tree_size}\n{root}\n{format_time(timestamp)}\n".encode()


def sign(body: bytes, key: SigningKey | None = None) -> bytes:
    """The 64-byte Ed25519 signature of ``body``."""
    return (key or signing_key()).private.sign(body)


def verify(body: bytes, signature: bytes, public: bytes) -> bool:
    """True iff ``signature`` is ``public``'s Ed25519 signature over ``body``; False on malformed input."""
    try:
        Ed25519PublicKey.from_public_bytes(public).verify(signature, body)
    except (InvalidSignature, ValueError, TypeError):
        return False
    return True


def signed_note(body: bytes, signature: bytes, *, name: str, key_id_bytes: bytes) -> str:
    """The whole signed note: body, a blank line, and the signature line ``— <name> <base64(id || sig)>``."""
    encoded = base64.b64encode(key_id_bytes + signature).decode()
    return f"{body.decode()}\n\u2014 {name} {encoded}\n"
