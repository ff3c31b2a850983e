"""Template context: whether the user is a worker using the self-service pages only (the navigation then
shows their own pages — attendance, corrections, training, notifications — instead of the office menu)."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.utils.functional import SimpleLazyObject

from realname.accounts.models import ScopeKind
from realname.accounts.roles import Role
from realname.accounts.scope import memberships


def _self_service(user: Any) -> bool:
    granted = memberships(user)
    return bool(granted) and all(m.role == Role.WORKER or m.scope_kind == ScopeKind.SELF for m in granted)


def self_service(request: HttpRequest) -> dict[str, Any]:
    user = getattr(request, "user", None)
    return {"self_service": SimpleLazyObject(lambda: _self_service(user))}
