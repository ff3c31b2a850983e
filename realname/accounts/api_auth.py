"""API authentication: personal bearer tokens (hashed at rest) and, for the browser, the session."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.utils import timezone
from ninja.security import HttpBearer
from ninja.security.session import SessionAuth as NinjaSessionAuth

from realname.accounts.models import ApiToken, hash_token
from realname.core.context import current_actor


class ApiTokenAuth(HttpBearer):
    def authenticate(self, request: HttpRequest, token: str) -> Any:
        if not token.startswith(ApiToken.PREFIX):
            return None
        found = (
            ApiToken.objects.select_related("user")
            .filter(key_hash=hash_token(token), revoked_at__isnull=True, user__is_active=True)
            .first()
        )
        if found is None:
            return None
        now = timezone.now()
        if found.last_used_at is None or (now - found.last_used_at).total_seconds() > 60:
            ApiToken.objects.filter(pk=found.pk).update(last_used_at=now)
        request.user = found.user
        # The middleware bound an anonymous actor for this request; the API's writes are audited as this user.
        actor = current_actor()
        if actor is not None:
            actor.user = found.user
            actor.via = "api"
        return found.user


class SessionAuth(NinjaSessionAuth):
    """Logged-in browser users may call the API too (CSRF is checked by ninja for unsafe methods)."""
