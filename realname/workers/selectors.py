"""Reads for workers and employments: lists, search, flags."""

from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet

from realname.accounts.roles import Perm
from realname.accounts.scope import restrict
from realname.workers.models import Employment, Worker


def overlapping_employments(employment: Employment) -> QuerySet[Employment]:
    """Other active employments of the same worker on *other* projects whose periods overlap this one."""
    qs = Employment.objects.filter(worker_id=employment.worker_id, status="active").exclude(
        project_id=employment.project_id
    )
    qs = qs.exclude(pk=employment.pk).filter(Q(exit_date__isnull=True) | Q(exit_date__gte=employment.entry_date))
    if employment.exit_date is not None:
        qs = qs.filter(entry_date__lte=employment.exit_date)
    return qs.select_related("project")


def search_workers(user: Any, text: str = "", perm: str = Perm.WORKERS_VIEW) -> QuerySet[Worker]:
    """Workers in scope whose name contains ``text``, or whose full ID number or phone is ``text``."""
    from realname.core.identifiers import compact
    from realname.workers.services import find_worker

    qs = restrict(Worker.objects.all(), user, perm)
    text = (text or "").strip()
    if not text:
        return qs
    q = Q(name__icontains=text) | Q(phone=compact(text))
    folded = compact(text)
    if len(folded) >= 8:
        match = find_worker(id_number=folded) or find_worker(id_type="08", id_number=folded)
        if match is not None:
            q |= Q(pk=match.pk)
    return qs.filter(q)
