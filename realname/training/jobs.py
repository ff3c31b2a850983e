"""Periodic training jobs (run by ``manage.py worker``): re-training after absence, and warnings before a
pass expires.

A worker away from a project longer than a plan's absence limit must take that project-level course
again. The mark is persisted on the training record, so the worker's first (refused) punch on return does
not undo it; only a new pass clears it.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo

from django.db import transaction
from django.db.models import F, OuterRef, Q, Subquery
from django.db.models.functions import Coalesce, Greatest
from django.utils import timezone

from realname.accounts.roles import Perm, Role
from realname.admission.changes import inputs_changed
from realname.admission.facts import TrainingFact, TrainingState
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


# Warn this many days before a required pass expires (once per threshold), like the certificates.
EXPIRY_WARNING_DAYS = (30, 7)
SAFETY_ROLES = frozenset({Role.PROJECT_MANAGER, Role.LABOUR_MANAGER, Role.TEAM_LEADER, Role.SAFETY_OFFICER})


def warn_expiring(now: dt.datetime | None = None) -> int:
    """Tell the worker and the people responsible for them (project and labour managers, team leaders,
    safety officers in whose scope the employment lies) that a required course runs out within 30 days, and
    again within 7. Each message once (dedupe key per employment, course, expiry and threshold); returns the
    number of new inbox rows."""
    from realname.notifications.models import Level as NoticeLevel
    from realname.notifications.selectors import recipients_by_object
    from realname.notifications.services import Message, post_messages
    from realname.training.selectors import training_facts

    now = now or timezone.now()
    horizon = now + dt.timedelta(days=max(EXPIRY_WARNING_DAYS))
    planned = PlanCourse.objects.values("plan__project_id")
    employments = list(
        Employment.objects.filter(status=EmploymentStatus.ACTIVE, project_id__in=planned).select_related(
            "worker", "project"
        )
    )
    due: list[tuple[Employment, TrainingFact, int]] = []
    facts = training_facts(employments, now)
    for employment in employments:
        for fact in facts.get(employment.pk, []):
            if fact.state != TrainingState.PASSED or fact.expires_at is None or fact.expires_at > horizon:
                continue
            left = (fact.expires_at - now).days
            threshold = min(d for d in EXPIRY_WARNING_DAYS if left < d)
            due.append((employment, fact, threshold))
    if not due:
        return 0
    audience = recipients_by_object(
        perm=Perm.TRAINING_VIEW, model=Employment, ids={e.pk for e, _f, _t in due}, roles=SAFETY_ROLES
    )
    messages: list[Message] = []
    for employment, fact, threshold in due:
        local = timezone.localtime(fact.expires_at, zoneinfo.ZoneInfo(employment.project.time_zone))
        title = f"{employment.worker.name}的培训“{fact.title}”将于{local:%Y-%m-%d}过期"
        body = f"项目 {employment.project.code}：过期后将不能进场，请安排重新培训。"
        key = f"training.expiring:{employment.pk}:{fact.course_id}:{local:%Y%m%d}:{threshold}"
        recipients = set(audience.get(employment.pk, set()))
        if employment.worker.user_id:
            recipients.add(employment.worker.user_id)
        for user_id in sorted(recipients):
            messages.append(
                Message(
                    recipient_id=user_id,
                    kind="training.expiring",
                    level=NoticeLevel.WARNING if threshold <= 7 else NoticeLevel.INFO,
                    title=title,
                    body=body,
                    link=f"/training/workers/{employment.worker.public_id}/",
                    project_id=employment.project_id,
                    dedupe_key=key,
                )
            )
    return post_messages(messages, now=now).created
