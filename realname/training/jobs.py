"""Periodic training job (run by ``manage.py worker``): re-training after absence.

A worker away from a project longer than a plan's absence limit must take that project-level course
again. The mark is persisted on the training record, so the worker's first (refused) punch on return does
not undo it; only a new pass clears it.
"""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.db.models import F, OuterRef, Q, Subquery
from django.db.models.functions import Coalesce, Greatest
from django.utils import timezone

from realname.admission.changes import inputs_changed
from realname.attendance.models import AccessEvent
from realname.training.models import Level, PlanCourse, TrainingRecord
from realname.workers.models import Employment, EmploymentStatus


@transaction.atomic
def mark_retakes_after_absence(now: dt.datetime | None = None) -> int:
    """Mark every project-level pass whose worker was last seen at the project's gate (or, when not seen
    since, passed) more than the plan's absence limit before ``now``. Returns the number of passes marked.

    One SELECT finds them (the employment, its trade, the limit from the plans and the last gate event are
    correlated subqueries; the last event uses the (employment, occurred_at) index), one UPDATE marks them.
    """
    now = now or timezone.now()
    active = Employment.objects.filter(
        worker_id=OuterRef("worker_id"), project_id=OuterRef("project_id"), status=EmploymentStatus.ACTIVE
    )
    limit = (
        PlanCourse.objects.filter(
            plan__project_id=OuterRef("project_id"),
            course_id=OuterRef("course_id"),
            absence_limit_days__gt=0,
        )
        .filter(Q(plan__trade="") | Q(plan__trade=OuterRef("emp_trade")))
        .order_by("absence_limit_days")
        .values("absence_limit_days")[:1]
    )
    last_seen = (
        AccessEvent.objects.filter(employment_id=OuterRef("emp_id"))
        .order_by("-occurred_at")
        .values("occurred_at")[:1]
    )
    candidates = (
        TrainingRecord.objects.filter(
            course__level=Level.PROJECT,
            project_id__isnull=False,
            passed_at__isnull=False,
            retake_marked_at__isnull=True,
            passed_at__lt=now,
        )
        .annotate(
            emp_id=Subquery(active.values("pk")[:1]),
            emp_trade=Subquery(active.values("trade")[:1]),
        )
        .filter(emp_id__isnull=False)
        .annotate(limit_days=Subquery(limit), last_seen=Subquery(last_seen))
        .filter(limit_days__isnull=False)
        .annotate(since=Greatest(Coalesce(F("last_seen"), F("passed_at")), F("passed_at")))
        .values_list("pk", "worker_id", "since", "limit_days")
    )
    due = [
        (pk, worker_id, limit_days)
        for pk, worker_id, since, limit_days in candidates
        if since < now - dt.timedelta(days=limit_days)
    ]
    if not due:
        return 0
    # A pass that came in meanwhile is not out of date: nothing newer than the shortest limit can be due.
    shortest = min(limit for _pk, _worker_id, limit in due)
    marked = TrainingRecord.objects.filter(
        pk__in=[pk for pk, _worker_id, _limit in due],
        retake_marked_at__isnull=True,
        passed_at__lt=now - dt.timedelta(days=shortest),
    ).update(retake_marked_at=now)
    inputs_changed(worker_ids=[worker_id for _pk, worker_id, _limit in due])
    return marked


def retake_job() -> str:
    """The worker loop's wrapper: a line for the log, empty when nothing was marked."""
    marked = mark_retakes_after_absence()
    return f"{marked} passes need a retake after absence" if marked else ""
