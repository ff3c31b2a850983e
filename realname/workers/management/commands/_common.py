"""What the worker spreadsheet commands share: who acts (--as) and which project (--project), scoped."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from django.core.management.base import CommandError

from realname.accounts.models import User
from realname.accounts.scope import restrict
from realname.core.context import acting_as
from realname.orgs.models import Project


def acting_user(username: str | None) -> User | None:
    """The user named by --as; None without it (the operator, with platform scope)."""
    if not username:
        return None
    user = User.objects.filter(username=username).first()
    if user is None:
        raise CommandError(f"用户不存在 / no such user: {username}")
    if not user.is_active:
        raise CommandError(f"用户已停用 / user is inactive: {username}")
    return user


def scoped_project(code: str, user: User | None, perm: str) -> Project:
    """The project with ``code``; with --as only if that user may ``perm`` it (otherwise as if missing)."""
    qs = Project.objects.filter(code=code.strip())
    if user is not None:
        qs = restrict(qs, user, perm)
    project = qs.first()
    if project is None:
        raise CommandError("项目不存在或无权限 / no such project, or not yours")
    return project


@contextmanager
def command_actor(user: User | None) -> Iterator[None]:
    """Audit entries written inside are attributed to --as's user, or to "<command>"."""
    with acting_as(user, via="command"):
        yield
