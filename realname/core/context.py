"""Who is acting, and from where: set per request (or per command) and read by the audit log."""

from __future__ import annotations

import contextvars
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from realname.accounts.models import User


@dataclass
class Actor:
    """The person acting in this request or command; API authentication fills in the user late."""

    user: User | None
    ip_address: str | None = None
    via: str = "web"  # web / api / command


_current: contextvars.ContextVar[Actor | None] = contextvars.ContextVar("realname_actor", default=None)


def current_actor() -> Actor | None:
    return _current.get()


@contextmanager
def acting_as(user: User | None, *, ip_address: str | None = None, via: str = "web") -> Iterator[Actor]:
    actor = Actor(user=user, ip_address=ip_address, via=via)
    token = _current.set(actor)
    try:
        yield actor
    finally:
        _current.reset(token)
