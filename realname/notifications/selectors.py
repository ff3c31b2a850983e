"""Reads: whose inbox is whose, and who should hear about something (the audience).

A notification belongs to exactly one person: :func:`inbox` (recipient = the user) is this family's scope
rule, for every page and endpoint — even a platform administrator does not read someone else's inbox.

An audience is described the way roles.py and scope.py describe access: "every user whose role grants
``perm`` (optionally: only these roles) and whose scope covers this employment / team / project / event".
:func:`recipients_by_object` answers that for many objects at once with one query per distinct scope
(memberships of the same company and kind share one), not one per user or per object.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from django.db import models
from django.db.models import Case, IntegerField, Q, QuerySet, Value, When

from realname.accounts.models import Membership, ScopeKind, User
from realname.accounts.roles import Role, role_has

# One rule per membership is what an audience needs (a team leader's role narrows only that membership);
# accounts.scope ORs a user's memberships together, so the per-membership rule is used directly.
from realname.accounts.scope import FAMILIES, membership_q
from realname.notifications.models import Notification
from realname.orgs.models import Participant, Project

_CHUNK = 1000


@dataclass(frozen=True)
class Audience:
    """Who should hear about ``over``: holders of ``perm`` over it, optionally only in ``roles``.

    ``over`` is a row of a model family listed in ``accounts.scope.FAMILIES`` (an employment, a team, a
    project, a gate event…). Platform-wide memberships are left out unless ``include_platform``: a platform
    administrator's inbox would otherwise collect every project's warnings."""

    perm: str
    over: models.Model
    roles: frozenset[str] | None = None
    include_platform: bool = False


def inbox(user: User | Any) -> QuerySet[Notification]:
    """The user's own notifications, unread first, newest first."""
    if user is None or not getattr(user, "is_authenticated", False):
        return Notification.objects.none()
    return (
        Notification.objects.filter(recipient_id=user.pk)
        .select_related("project")
        .annotate(
            unread_rank=Case(
                When(read_at__isnull=True, then=Value(0)), default=Value(1), output_field=IntegerField()
            )
        )
        .order_by("unread_rank", "-created_at", "-id")
    )


def unread_count(user: User | Any) -> int:
    if user is None or not getattr(user, "is_authenticated", False):
        return 0
    return Notification.objects.filter(recipient_id=user.pk, read_at__isnull=True).count()


def inbox_kinds(user: User | Any) -> list[str]:
    return sorted(set(inbox(user).order_by().values_list("kind", flat=True).distinct()))


def inbox_projects(user: User | Any) -> QuerySet[Project]:
    """The projects the user's notifications are about (their own messages name them, nothing more)."""
    return Project.objects.filter(pk__in=inbox(user).order_by().values("project_id")).order_by("code")


# --- audiences ---------------------------------------------------------------------------------------------


def _chunks(ids: Sequence[int]) -> Iterable[Sequence[int]]:
    for start in range(0, len(ids), _CHUNK):
        yield ids[start : start + _CHUNK]


def _granting_roles(perm: str, roles: Collection[str] | None) -> list[str]:
    return [r for r in Role.values if role_has(r, perm) and (roles is None or r in roles)]


def _candidates(
    project_regions: dict[int, str], roles: list[str], include_platform: bool
) -> list[Membership]:
    """Memberships that could cover something on these projects (narrowed further in Python)."""
    project_ids = list(project_regions)
    companies = Participant.objects.filter(project_id__in=project_ids).values("company_id")
    on_projects = Q(user__worker__employments__project_id__in=project_ids)
    where = (
        Q(scope_kind__in=[ScopeKind.COMPANY, ScopeKind.PROJECTS], company_id__in=companies)
        | Q(scope_kind=ScopeKind.REGION)
        | (Q(scope_kind=ScopeKind.SELF) & on_projects)
        | (Q(role=Role.WORKER) & on_projects)
    )
    if include_platform:
        where |= Q(scope_kind=ScopeKind.PLATFORM)
    found = (
        Membership.objects.filter(where, role__in=roles, user__is_active=True)
        .select_related("user", "company")
        .prefetch_related("projects")
        .distinct()
        .order_by("pk")
    )
    kept: list[Membership] = []
    for m in found:
        if m.scope_kind == ScopeKind.PLATFORM and not include_platform:
            continue
        if m.scope_kind == ScopeKind.REGION and not any(
            region.startswith(m.region_prefix) for region in project_regions.values()
        ):
            continue
        if m.scope_kind == ScopeKind.PROJECTS and not {p.pk for p in m.projects.all()} & set(project_ids):
            continue
        kept.append(m)
    return kept


def _scope_key(m: Membership) -> tuple[Any, ...]:
    """Memberships with the same key select the same rows (the rule depends on the user only for team
    leaders and workers)."""
    personal = m.role in (Role.TEAM_LEADER, Role.WORKER) or m.scope_kind == ScopeKind.SELF
    return (
        m.scope_kind,
        m.company_id,
        m.region_prefix,
        frozenset(p.pk for p in m.projects.all()) if m.scope_kind == ScopeKind.PROJECTS else frozenset(),
        m.role if personal else "",
        m.user_id if personal else None,
    )


def recipients_by_object(
    *,
    perm: str,
    model: type[models.Model],
    ids: Iterable[int],
    roles: Collection[str] | None = None,
    include_platform: bool = False,
) -> dict[int, set[int]]:
    """For each ``model`` row in ``ids``: the ids of the active users who hold ``perm`` over it through a
    membership of one of ``roles`` (any role when None). Rows nobody covers are absent from the answer."""
    label = model._meta.label
    paths = FAMILIES[label]  # a model without a scope family cannot have an audience
    wanted = sorted(set(ids))
    roles_ = _granting_roles(perm, roles)
    if not wanted or not roles_:
        return {}
    project_path = paths.project or "pk"
    project_ids = set(
        model._default_manager.filter(pk__in=wanted).values_list(project_path, flat=True).distinct()
    )
    regions = dict(Project.objects.filter(pk__in=project_ids).values_list("pk", "region_code"))
    covered_by: dict[tuple[Any, ...], set[int]] = {}
    result: dict[int, set[int]] = defaultdict(set)
    for m in _candidates(regions, roles_, include_platform):
        key = _scope_key(m)
        if key not in covered_by:
            if m.scope_kind == ScopeKind.PLATFORM:
                covered_by[key] = set(wanted)
            else:
                q = membership_q(m, label)
                covered_by[key] = {
                    pk
                    for chunk in _chunks(wanted)
                    for pk in model._default_manager.filter(pk__in=chunk)
                    .filter(q)
                    .values_list("pk", flat=True)
                }
        for pk in covered_by[key]:
            result[pk].add(m.user_id)
    return dict(result)


def audience_user_ids(audiences: Audience | Iterable[Audience]) -> set[int]:
    """Everyone any of ``audiences`` names."""
    if isinstance(audiences, Audience):
        audiences = [audiences]
    users: set[int] = set()
    for a in audiences:
        found = recipients_by_object(
            perm=a.perm,
            model=type(a.over),
            ids=[a.over.pk],
            roles=a.roles,
            include_platform=a.include_platform,
        )
        users |= found.get(a.over.pk, set())
    return users
