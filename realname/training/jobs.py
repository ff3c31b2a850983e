"""Periodic training jobs (run by ``manage.py worker``): re-training after absence, and warnings before a
pass expires.

A worker away from a project longer than a plan's absence limit must take that project-level course
again. The mark is persisted on the training record, so the worker's first (refused) punch on return does
not undo it; only a new pass clears it.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from collections.abc import Iterable

from django.db import transaction
from django.db.models import OuterRef, Q, Subquery
from django.utils import timezone
from django.utils.translation import gettext as _

from realname.accounts.roles import Perm, Role
from realname.admission.changes import inputs_changed
from realname.admission.facts import TrainingFact, TrainingState
from realname.attendance.models import AccessEvent
from realname.core.models import AuditAction
from realname.training.models import PROJECT_BOUND_LEVELS, Level, PlanCourse, TrainingRecord
from realname.training.services import RecordAudit
from realname.workers.models import Employment, EmploymentStatus


@transaction.atomic
def mark_retakes_after_absence(
    now: dt.datetime | None = None, *, worker_ids: Iterable[int] | None = None
) -> int:
    """Mark every project-level pass whose worker stayed away from the project longer than the plan's
    absence limit after passing. Returns the number of passes marked.

    Absence is measured on the project, not on one employment: an exit and a later re-entry make a new
    employment, so the worker's gate events on all their employments there count, a closed employment
    counts as presence up to its exit date, and the current one from its entry date. A pass is due when

    - the worker has not been seen for longer than the limit (the gap still open), or
    - the current employment began more than the limit after the worker was last seen on the project
      before it (the gap closed by a re-entry — even if they have punched since).

    One SELECT finds the candidates (the active employment, its trade, the limit from the plans, the last
    gate events and the last exit are correlated subqueries), one UPDATE marks them, one INSERT audits them.

    ``worker_ids`` limits the run to those workers: a registration (进场) can call it for the worker just
    re-registered, so a long absence is marked at once rather than at the job's next run.
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
    # The worker's employments on the record's project, from inside a subquery on the gate events (whose own
    # worker and project columns an OuterRef would otherwise find first).
    on_project_of_record = Employment.objects.filter(
        worker_id=OuterRef(OuterRef("worker_id")), project_id=OuterRef(OuterRef("project_id"))
    )
    last_seen = (
        AccessEvent.objects.filter(employment_id__in=on_project_of_record.values("pk"))
        .order_by("-occurred_at")
        .values("occurred_at")[:1]
    )
    earlier = on_project_of_record.exclude(pk=OuterRef(OuterRef("emp_id")))
    seen_before = (
        AccessEvent.objects.filter(employment_id__in=earlier.values("pk"))
        .order_by("-occurred_at")
        .values("occurred_at")[:1]
    )
    last_exit = (
        Employment.objects.filter(worker_id=OuterRef("worker_id"), project_id=OuterRef("project_id"))
        .exclude(pk=OuterRef("emp_id"))
        .filter(exit_date__isnull=False)
        .order_by("-exit_date")
        .values("exit_date")[:1]
    )
    candidates = (
        TrainingRecord.objects.filter(
            course__level=Level.PROJECT,
            project_id__isnull=False,
            passed_at__isnull=False,
            retake_marked_at__isnull=True,
            passed_at__lt=now,
            **({} if worker_ids is None else {"worker_id__in": list(worker_ids)}),
        )
        .annotate(
            emp_id=Subquery(active.values("pk")[:1]),
            emp_trade=Subquery(active.values("trade")[:1]),
            emp_entry=Subquery(active.values("entry_date")[:1]),
        )
        .filter(emp_id__isnull=False)
        .annotate(limit_days=Subquery(limit))
        .filter(limit_days__isnull=False)
        .annotate(
            last_seen=Subquery(last_seen), seen_before=Subquery(seen_before), last_exit=Subquery(last_exit)
        )
        .values_list(
            "pk",
            "worker_id",
            "passed_at",
            "limit_days",
            "emp_entry",
            "last_seen",
            "seen_before",
            "last_exit",
            "project__time_zone",
        )
    )
    due: list[tuple[int, int, dt.datetime]] = []
    for pk, worker_id, passed_at, limit_days, entry, seen, before, left, zone_name in candidates:
        if passed_at is None:  # filtered above; tells the type checker
            continue
        zone = zoneinfo.ZoneInfo(zone_name)
        allowed = dt.timedelta(days=limit_days)
        entered = dt.datetime.combine(entry, dt.time(0), tzinfo=zone)
        exit_end = dt.datetime.combine(left + dt.timedelta(days=1), dt.time(0), tzinfo=zone) if left else None
        # The gap a re-entry closed: from the last presence before this employment to its entry.
        previous = [t for t in (passed_at, before, exit_end) if t is not None]
        reentry_gap = (before is not None or exit_end is not None) and entered - max(previous) > allowed
        # The gap still open: from the last presence on the project to now.
        since = max(t for t in (passed_at, seen, exit_end, entered) if t is not None)
        if reentry_gap or now - since > allowed:
            due.append((pk, worker_id, passed_at))
    if not due:
        return 0
    # A pass that came in meanwhile (newer than every pass read here) is not out of date.
    newest = max(passed_at for _pk, _worker_id, passed_at in due)
    records = list(
        TrainingRecord.objects.select_related("worker").filter(
            pk__in=[pk for pk, _worker_id, _passed in due],
            retake_marked_at__isnull=True,
            passed_at__lte=newest,
        )
    )
    marked = TrainingRecord.objects.filter(pk__in=[r.pk for r in records]).update(retake_marked_at=now)
    audit = RecordAudit(_("离场超过规定天数，须重新培训"))
    for record in records:
        audit.add(
            AuditAction.UPDATE,
            record,
            {"retake_marked_at": [None, str(now)]},
            project_id=record.project_id,
            company_id=record.worker.registered_by_company_id,
        )
    audit.flush()
    inputs_changed(worker_ids=[r.worker_id for r in records])
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
            threshold = min(d for d in EXPIRY_WARNING_DAYS if fact.expires_at <= now + dt.timedelta(days=d))
            due.append((employment, fact, threshold))
    if not due:
        return 0
    audience = recipients_by_object(
        perm=Perm.TRAINING_VIEW, model=Employment, ids={e.pk for e, _f, _t in due}, roles=SAFETY_ROLES
    )
    messages: list[Message] = []
    for employment, fact, threshold in due:
        assert fact.expires_at is not None  # filtered above
        local = timezone.localtime(fact.expires_at, zoneinfo.ZoneInfo(employment.project.time_zone))
        title = f"{employment.worker.name}的培训“{fact.title}”将于{local:%Y-%m-%d}过期"
        body = f"项目 {employment.project.code}：过期后将不能进场，请安排重新培训。"
        # One message per pass, not per employment: a company-level pass required on two projects is one
        # pass (the worker, and a manager who sees both projects, hear of it once).
        bound = employment.project_id if fact.level in PROJECT_BOUND_LEVELS else 0
        expiry = fact.expires_at.astimezone(dt.UTC)
        key = (
            f"training.expiring:{employment.worker_id}:{fact.course_id}:{bound}:"
            f"{expiry:%Y%m%d%H%M}:{threshold}"
        )
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
