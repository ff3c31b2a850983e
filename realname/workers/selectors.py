"""Reads for workers, employments and contracts: lists, search, flags.

Every list starts from :func:`realname.accounts.scope.restrict`; the filters here only narrow further.
"""

from __future__ import annotations

import datetime as dt
import re
import uuid
from dataclasses import dataclass
from typing import Any

from django.db.models import Count, Exists, IntegerField, OuterRef, Prefetch, Q, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce

from realname.accounts.roles import Perm
from realname.accounts.scope import restrict
from realname.core import dictionaries
from realname.core.identifiers import IdentifierError, check_id, compact
from realname.orgs.models import Participant, Project, Team
from realname.workers.models import BankAccount, Contract, Employment, EmploymentStatus, Worker


def on_site_between(first: dt.date, last: dt.date) -> Q:
    """Employments on site on at least one day from ``first`` to ``last``: entered by ``last`` and not
    exited before ``first`` (the attendance close, back-fills, rules pages and monthly sheets share it)."""
    return Q(entry_date__lte=last) & (Q(exit_date__isnull=True) | Q(exit_date__gte=first))


def overlapping_employments(employment: Employment) -> QuerySet[Employment]:
    """Other active employments of the same worker on *other* projects whose periods overlap this one."""
    qs = Employment.objects.filter(worker_id=employment.worker_id, status="active").exclude(
        project_id=employment.project_id
    )
    qs = qs.exclude(pk=employment.pk).filter(
        Q(exit_date__isnull=True) | Q(exit_date__gte=employment.entry_date)
    )
    if employment.exit_date is not None:
        qs = qs.filter(entry_date__lte=employment.exit_date)
    return qs.select_related("project")


def id_indexes_for(text: str) -> list[str]:
    """Blind indexes of ``text`` read as an ID number of every national type whose format check it passes.

    A clerk types a number without saying which document it is; each type gets its own index
    (services.id_index binds the type in), so we look for all the plausible ones at once.
    """
    from realname.workers.services import id_index

    folded = compact(text)
    if len(folded) < 4:
        return []
    indexes = []
    for id_type in dictionaries.table("id_types"):
        try:
            checked = check_id(id_type, folded)
        except (IdentifierError, KeyError):
            # KeyError: python-stdnum's ric.validate fails so for some area codes (e.g. 110199); a search
            # box must not turn that into a server error.
            continue
        indexes.append(id_index(checked.id_type, checked.number))
    return indexes


def search_workers(user: Any, text: str = "", perm: str = Perm.WORKERS_VIEW) -> QuerySet[Worker]:
    """Workers in scope whose name contains ``text`` or whose full ID number (any type) or phone is it."""
    qs = restrict(Worker.objects.all(), user, perm)
    text = (text or "").strip()
    if not text:
        return qs
    folded = compact(text)
    q = Q(name__icontains=text) | Q(phone=folded)
    indexes = id_indexes_for(folded)
    if indexes:
        q |= Q(id_number_index__in=indexes)
    return qs.filter(q)


def roster_search_params(user: Any, text: str) -> dict[str, str]:
    """How a roster search travels in the URL: names and phones as typed, a full ID number never.

    The number is looked up here through the blind index and replaced by the public ids of the workers
    found, so it stays out of URLs, access logs, browser history and the page. Text that looks like a
    document number (six digits in a row, not a mobile) but matches no one becomes an empty search.
    """
    text = (text or "").strip()
    if not text:
        return {}
    indexes = id_indexes_for(text)
    if indexes:
        found = restrict(Worker.objects.filter(id_number_index__in=indexes), user, Perm.WORKERS_VIEW)
        ids = [str(public_id) for public_id in found.values_list("public_id", flat=True)[:50]]
        if ids:
            return {"ids": ",".join(ids)}
    folded = compact(text)
    if re.search(r"\d{6}", folded) and not re.fullmatch(r"(\+?86)?1[3-9]\d{9}", folded):
        return {"ids": "none"}
    return {"q": text}


def parse_ids(text: str) -> list[uuid.UUID]:
    """Public ids from a comma-separated URL value; anything that is not a UUID is dropped."""
    ids = []
    for part in (text or "").split(","):
        try:
            ids.append(uuid.UUID(part.strip()))
        except ValueError:
            continue
    return ids


def _active_count() -> Any:
    """Subquery: how many active employments the worker has, on any project (one per project at most)."""
    counted = (
        Employment.objects.filter(worker=OuterRef("pk"), status=EmploymentStatus.ACTIVE)
        .order_by()
        .values("worker")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return Coalesce(Subquery(counted, output_field=IntegerField()), Value(0))


def with_overlap_flag(qs: QuerySet[Worker]) -> QuerySet[Worker]:
    """Annotate ``active_projects``: active employments on different projects at the same time (≥2 = flag).

    Counted over the whole registry on purpose: double employment matters even where the other project
    lies outside the viewer's scope; only the count is shown, never the other project.
    """
    return qs.annotate(active_projects=_active_count())


def employments_with_overlap_flag(qs: QuerySet[Employment]) -> QuerySet[Employment]:
    """Annotate ``overlaps``: this employment is active and the worker is active on another project too."""
    others = Employment.objects.filter(worker=OuterRef("worker"), status=EmploymentStatus.ACTIVE).exclude(
        project=OuterRef("project")
    )
    return qs.annotate(overlaps=Exists(others) & Q(status=EmploymentStatus.ACTIVE))


@dataclass(frozen=True)
class EmploymentFilter:
    """What a roster or employment list is narrowed to (None / "" = no narrowing)."""

    project: Project | None = None
    participant: Participant | None = None
    team: Team | None = None
    trade: str = ""
    status: str = ""

    def apply(self, qs: QuerySet[Employment]) -> QuerySet[Employment]:
        if self.project is not None:
            qs = qs.filter(project=self.project)
        if self.participant is not None:
            qs = qs.filter(participant=self.participant)
        if self.team is not None:
            qs = qs.filter(team=self.team)
        if self.trade:
            qs = qs.filter(trade=self.trade)
        return qs

    @property
    def narrows(self) -> bool:
        return any((self.project, self.participant, self.team, self.trade, self.status))


def visible_employments(user: Any, perm: str = Perm.WORKERS_VIEW) -> QuerySet[Employment]:
    return restrict(Employment.objects.all(), user, perm)


def list_workers(
    user: Any, *, text: str = "", ids: list[uuid.UUID] | None = None, filters: EmploymentFilter | None = None
) -> QuerySet[Worker]:
    """The roster: workers in scope, searched and narrowed by their employments, with what a row shows.

    ``ids`` (public ids, from :func:`roster_search_params`) narrows to the workers an ID search found.
    """
    filters = filters or EmploymentFilter()
    qs = search_workers(user, text)
    if ids is not None:
        qs = qs.filter(public_id__in=ids)
    employments = visible_employments(user)
    if filters.narrows:
        matching = filters.apply(employments)
        if filters.status == EmploymentStatus.ACTIVE:
            qs = qs.filter(pk__in=matching.filter(status=EmploymentStatus.ACTIVE).values("worker_id"))
        elif filters.status == EmploymentStatus.EXITED:
            qs = qs.filter(pk__in=matching.values("worker_id")).exclude(
                pk__in=matching.filter(status=EmploymentStatus.ACTIVE).values("worker_id")
            )
        else:
            qs = qs.filter(pk__in=matching.values("worker_id"))
    shown = employments.filter(status=EmploymentStatus.ACTIVE).select_related("project", "team")
    return with_overlap_flag(qs).prefetch_related(
        Prefetch("employments", queryset=shown.order_by("project__code"), to_attr="active_employments")
    )


def list_employments(user: Any, *, filters: EmploymentFilter | None = None) -> QuerySet[Employment]:
    filters = filters or EmploymentFilter()
    qs = filters.apply(visible_employments(user))
    if filters.status:
        qs = qs.filter(status=filters.status)
    qs = qs.select_related("worker", "project", "participant__company", "team", "admission")
    return employments_with_overlap_flag(qs).order_by("-entry_date", "-id")


def list_contracts(user: Any, *, project: Project | None = None, pay_type: str = "") -> QuerySet[Contract]:
    qs = restrict(Contract.objects.all(), user, Perm.WORKERS_VIEW)
    if project is not None:
        qs = qs.filter(project=project)
    if pay_type:
        qs = qs.filter(pay_type=pay_type)
    return qs.select_related("project", "employment__worker", "employment__participant__company").order_by(
        "-start_date", "-id"
    )


def worker_employments(user: Any, worker: Worker) -> QuerySet[Employment]:
    """A worker's employments the user may see, newest first, with the overlap flag."""
    qs = (
        visible_employments(user)
        .filter(worker=worker)
        .select_related("project", "participant__company", "team", "admission")
    )
    return employments_with_overlap_flag(qs).order_by("-entry_date", "-id")


def worker_contracts(user: Any, worker: Worker) -> QuerySet[Contract]:
    qs = restrict(Contract.objects.filter(employment__worker=worker), user, Perm.WORKERS_VIEW)
    return qs.select_related("project", "employment__participant__company").order_by("-start_date", "-id")


def worker_bank_accounts(user: Any, worker: Worker) -> QuerySet[BankAccount]:
    return restrict(BankAccount.objects.filter(worker=worker), user, Perm.WORKERS_VIEW)


def changeable_pks(user: Any, qs: QuerySet[Any], pks: list[int]) -> set[int]:
    """Which of ``pks`` the user may change (one query; lets a list hide buttons row by row)."""
    if not pks:
        return set()
    return set(restrict(qs.filter(pk__in=pks), user, Perm.WORKERS_CHANGE).values_list("pk", flat=True))
