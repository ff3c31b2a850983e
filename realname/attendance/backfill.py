"""Recomputing many days for a whole project — after a rule change, a holiday override entered late, or a
migration — split across worker processes.

:func:`realname.attendance.daycalc.recompute_project_days` does it in one transaction and one process,
which is what a settings page needs (save and recompute together, or neither). A back-fill of a month for
ten thousand people is CPU work in Python (the rules explain every day in words); this module cuts the
employments into contiguous shards and gives each to a forked process with its own connection and its own
transaction. Every shard is an ordinary, idempotent recomputation, so a failure leaves the other shards
done and the back-fill can simply be run again.

Only on PostgreSQL, from a process that is not inside a transaction (a command, the bench); anywhere else
it runs the shards one after another in this process.
"""

from __future__ import annotations

import datetime as dt
import gc
import multiprocessing
import os
from collections.abc import Iterable

from django.db import connection, connections

from realname.attendance import daycalc
from realname.attendance.daycalc import RecomputeResult
from realname.orgs.models import Project
from realname.workers.models import Employment


def default_jobs() -> int:
    return max(1, min(os.cpu_count() or 1, 8))


def _shard(args: tuple[int, list[dt.date], list[int]]) -> RecomputeResult:
    project_id, days, ids = args
    project = Project.objects.get(pk=project_id)
    try:
        return daycalc.recompute_project_days(
            project=project, dates=days, employments=Employment.objects.filter(pk__in=ids)
        )
    finally:
        connections.close_all()


def recompute_project(
    *, project: Project, dates: Iterable[dt.date], jobs: int | None = None, shard_size: int = 500
) -> RecomputeResult:
    """Recompute ``dates`` for everyone on site, in shards of ``shard_size`` employments over ``jobs``
    processes (default: one per CPU)."""
    days = sorted(set(dates))
    if not days:
        return RecomputeResult()
    ids = daycalc.on_site_ids(project, days[0], days[-1])
    shards = [ids[i : i + shard_size] for i in range(0, len(ids), shard_size)]
    jobs = min(jobs or default_jobs(), len(shards))
    work = [(project.pk, days, shard) for shard in shards]
    if jobs <= 1 or connection.vendor != "postgresql" or connection.in_atomic_block:
        total = RecomputeResult()
        for project_id, shard_days, shard in work:
            total += daycalc.recompute_project_days(
                project=Project.objects.get(pk=project_id),
                dates=shard_days,
                employments=Employment.objects.filter(pk__in=shard),
            )
        return total
    # Children must not share the parent's database connection: close it, fork, each opens its own.
    connections.close_all()
    total = RecomputeResult()
    # initializer: everything a child inherits (Django, the models, the holiday library) lives as long as
    # it does; frozen, it is left out of the collector's full passes over what the shards allocate.
    with multiprocessing.get_context("fork").Pool(jobs, initializer=gc.freeze) as pool:
        # Many small shards, each handed to whichever process is free: with as many shards as processes, the
        # one that drew the most work (or the busier core) would finish alone while the other core idles.
        for result in pool.imap_unordered(_shard, work):
            total += result
    return total
