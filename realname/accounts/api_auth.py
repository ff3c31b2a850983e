"""API authentication: personal bearer tokens (hashed at rest) and, for the browser, the session."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest
from django.utils import timezone
from ninja.errors import HttpError
from ninja.security import HttpBearer
from ninja.security.apikey import APIKeyCookie
from ninja.utils import check_csrf

from realname.accounts.models import ApiToken, User, hash_token
from realname.core.context import current_actor

# last_used_at is a hint for the owner ("is this token still in use?"), not a log: at most this often.
LAST_USED_RESOLUTION_S = 60


def _act_as_api(user: User) -> None:
    # The middleware bound the actor for this request; the API's writes are audited as this user, via the API.
    actor = current_actor()
    if actor is not None:
        actor.user = user
        actor.via = "api"


class ApiTokenAuth(HttpBearer):
    """``Authorization: Bearer rn_…``; an unknown or revoked token, or an inactive user's, is a 401."""

    def authenticate(self, request: HttpRequest, token: str) -> Any:
        token = token.strip()
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
        if found.last_used_at is None or (now - found.last_used_at).total_seconds() > LAST_USED_RESOLUTION_S:
            ApiToken.objects.filter(pk=found.pk).update(last_used_at=now)
        request.user = found.user
        _act_as_api(found.user)
        return found.user


class SessionAuth(APIKeyCookie):
    """Logged-in browser users may call the API too; unsafe methods need the CSRF token, as on every page.

    A request that offers an ``Authorization`` header is judged by that header alone: a bad token is a 401,
    never silently replaced by a session (nor turned into a CSRF 403).
    """

    param_name: str = settings.SESSION_COOKIE_NAME

    def __call__(self, request: HttpRequest) -> Any:
        if request.headers.get("Authorization"):
            return None
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated:
            return None
        if not getattr(request, "_ninja_csrf_exempt", False) and check_csrf(request):
            raise HttpError(403, "CSRF 校验失败")
        _act_as_api(user)
        return user

    def authenticate(
        self, request: HttpRequest, key: str | None
    ) -> Any:  # pragma: no cover - __call__ decides
        return None
