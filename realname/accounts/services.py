"""Writes for accounts: personal API tokens (keyword-only, atomic, audited)."""

from __future__ import annotations

from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone

from realname.accounts.models import ApiToken, User, hash_token
from realname.core import audit
from realname.core.models import AuditAction

PREFIX_LENGTH = 12  # "rn_" and nine characters: enough to tell a user's tokens apart, too little to guess


@dataclass
class IssuedToken:
    """A new token row and the token text, which exists only here: the database keeps its SHA-256."""

    token: ApiToken
    text: str


@transaction.atomic
def create_api_token(*, user: User, name: str = "") -> IssuedToken:
    """A new personal API token for ``user``; show ``text`` to its owner once, it cannot be recovered."""
    text = ApiToken.new_token_text()
    token = ApiToken(
        user=user, name=name.strip()[:100], key_prefix=text[:PREFIX_LENGTH], key_hash=hash_token(text)
    )
    token.full_clean()
    token.save()
    # The hash stays out of the log: the prefix is how a person recognises the token.
    audit.record(
        AuditAction.CREATE,
        token,
        changes={"user": user.get_username(), "name": token.name, "key_prefix": token.key_prefix},
    )
    return IssuedToken(token=token, text=text)


@transaction.atomic
def revoke_api_token(*, token: ApiToken) -> ApiToken:
    """Stop accepting ``token`` from now on; the row stays for the record. Revoking twice changes nothing."""
    token = ApiToken.objects.select_for_update().get(pk=token.pk)
    if token.revoked_at is not None:
        return token
    token.revoked_at = timezone.now()
    token.save(update_fields=["revoked_at"])
    audit.record(AuditAction.UPDATE, token, changes={"revoked_at": [None, str(token.revoked_at)]})
    return token
