"""Keeping admission decisions current and acting on their changes; the blacklist.

Each employment's decision in force is an :class:`AdmissionStatus` row. It is made again:

* right after a change of what it depends on (``changes.inputs_changed`` queues the worker in the same
  transaction; the queue is worked off after that commit and by the worker's ``admission.refresh`` job);
* when it said it would change by itself (``changes_at``: an expiry, an exit, a birthday);
* for every employment of a project once per local day, after midnight (the sweep), whatever else happened.

When the answer flips (or an employment is decided for the first time) the project's gate devices are told
through their protocol (realname/attendance/allowlist.py), and a worker who loses admission is reported to
the people who manage them.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone

from realname.accounts.models import User
from realname.accounts.roles import Perm
from realname.admission.changes import inputs_changed
from realname.admission.models import AdmissionStatus, AdmissionSweep, BlacklistEntry, BlacklistLevel, Recheck
from realname.admission.rules import Code, Decision, reason_from_json
from realname.admission.selectors import Decided, decide_project
from realname.core.services import create_row, update_row
from realname.orgs.models import Company, Project
from realname.workers.models import Employment, EmploymentStatus, Worker

if TYPE_CHECKING:
    from realname.attendance.allowlist import AllowListChange

DENIED_KIND = "admission.changed"


@dataclass(frozen=True)
class RefreshResult:
    decided: int = 0
    created: int = 0  # employments decided for the first time
    flipped: int = 0  # allowed ↔ denied
    updated: int = 0  # rows written (first decisions, flips, new reasons or new change moments)
    rechecks: int = 0  # queued rechecks worked off

    def __add__(self, other: RefreshResult) -> RefreshResult:
        return RefreshResult(
            self.decided + other.decided,
            self.created + other.created,
            self.flipped + other.flipped,
            self.updated + other.updated,
            self.rechecks + other.rechecks,
        )


def _stored(project: Project, ids: Sequence[int]) -> dict[int, AdmissionStatus]:
    found: dict[int, AdmissionStatus] = {}
    for start in range(0, len(ids), 20_000):
        for status in AdmissionStatus.objects.filter(
            project=project, employment_id__in=ids[start : start + 20_000]
        ):
            found[status.employment_id] = status
    return found


@transaction.atomic
def refresh(
    project: Project, *, employment_ids: Iterable[int] | None = None, at: dt.datetime | None = None
) -> RefreshResult:
    """Decide the project's employments again (all a sweep decides, or just ``employment_ids``), store what
    changed and tell the devices about every flip. Refreshes of one project take turns (a row lock on the
    project), so two of them cannot send the same device command twice."""
    from realname.attendance.allowlist import sync_allowlist

    at = at or timezone.now()
    Project.objects.select_for_update().filter(pk=project.pk).first()
    decided = decide_project(project, at, employment_ids=employment_ids)
    stored = _stored(project, [d.employment.pk for d in decided])
    new: list[AdmissionStatus] = []
    changed: list[AdmissionStatus] = []
    sync: list[AllowListChange] = []
    lost: list[Decided] = []
    for item in decided:
        decision, employment = item.decision, item.employment
        reasons = [reason.as_json() for reason in decision.reasons]
        old = stored.get(employment.pk)
        if old is None:
            new.append(
                AdmissionStatus(
                    employment_id=employment.pk,
                    project_id=project.pk,
                    worker_id=employment.worker_id,
                    allowed=decision.allowed,
                    reasons=reasons,
                    decided_at=at,
                    changes_at=decision.changes_at,
                    changed_at=at,
                )
            )
            sync.append(_change(employment.pk, decision))
            continue
        if (
            old.allowed == decision.allowed
            and old.reasons == reasons
            and old.changes_at == decision.changes_at
        ):
            continue
        if old.allowed != decision.allowed:
            old.changed_at = at
            sync.append(_change(employment.pk, decision))
            if not decision.allowed:
                lost.append(item)
        elif decision.allowed and old.changes_at != decision.changes_at:
            # Still allowed, but until another moment (a certificate renewed): devices that carry a
            # validity window (Hikvision) are told the new one.
            sync.append(_change(employment.pk, decision))
        elif (
            not decision.allowed
            and _for_good(decision.codes)
            and not _for_good(r["code"] for r in old.reasons)
        ):
            # Refused before (suspended on the gates), and now gone for good: off the gates entirely.
            sync.append(_change(employment.pk, decision))
        old.allowed, old.reasons, old.decided_at, old.changes_at = (
            decision.allowed,
            reasons,
            at,
            decision.changes_at,
        )
        changed.append(old)
    AdmissionStatus.objects.bulk_create(new, batch_size=2000)
    AdmissionStatus.objects.bulk_update(
        changed, ["allowed", "reasons", "decided_at", "changes_at", "changed_at"], batch_size=2000
    )
    if sync:
        sync_allowlist(project=project, changes=sync, now=at)
    if lost:
        _report_lost(project, lost, at)
    flipped = sum(1 for status in changed if status.changed_at == at)
    return RefreshResult(len(decided), len(new), flipped, len(new) + len(changed))


def _change(employment_id: int, decision: Decision) -> AllowListChange:
    """What the gates are told: allowed until the decision lapses by itself, or refused and why."""
    from realname.attendance.allowlist import AllowListChange

    return AllowListChange(
        employment_id,
        decision.allowed,
        decision.changes_at if decision.allowed else None,
        tuple(reason.message for reason in decision.reasons),
        # Off the gates for good only when the employment is over; any other refusal may lift (a renewed
        # certificate, a passed course), and a suspended Hikvision person keeps their enrolled face.
        remove=_for_good(decision.codes),
    )


_FOR_GOOD = {Code.EMPLOYMENT_ENDED, Code.NO_EMPLOYMENT}


def _for_good(codes: Iterable[str]) -> bool:
    return bool(_FOR_GOOD.intersection(codes))


def _report_lost(project: Project, lost: Sequence[Decided], at: dt.datetime) -> None:
    """Tell whoever manages these workers' people on the project that they may no longer enter, and why
    (one audience lookup for all of them: a midnight sweep can take many off the allow-list at once)."""
    from realname.notifications.models import Level
    from realname.notifications.selectors import recipients_by_object
    from realname.notifications.services import Message, post_messages

    audience = recipients_by_object(
        perm=Perm.BLACKLIST_MANAGE, model=Employment, ids=[item.employment.pk for item in lost]
    )
    link = reverse("admission:project", kwargs={"code": project.code}) + "?allowed=0"
    messages: list[Message] = []
    for item in lost:
        employment, decision = item.employment, item.decision
        why = "；".join(reason.message for reason in decision.reasons)
        messages += [
            Message(
                recipient_id=user_id,
                kind=DENIED_KIND,
                level=Level.WARNING,
                title=f"{employment.worker_name} 已不能进入 {project.code}",
                body=f"{project.code} {employment.worker_name}：{why}。闸机白名单已同步撤销其通行权限。",
                link=link,
                project_id=project.pk,
                dedupe_key=f"{DENIED_KIND}:{employment.public_id}:{at.isoformat()}",
            )
            for user_id in sorted(audience.get(employment.pk, ()))
        ]
    post_messages(messages, now=at)


def process_rechecks(
    *, limit: int = 5000, at: dt.datetime | None = None, worker_ids: Collection[int] | None = None
) -> RefreshResult:
    """Decide again for the workers queued by ``changes.inputs_changed``, on every project they work on
    (only ``worker_ids``' rechecks when given: what a web request just changed, not an import's backlog)."""
    at = at or timezone.now()
    total = RefreshResult()
    with transaction.atomic():
        queued = Recheck.objects.order_by("pk")
        if worker_ids is not None:
            queued = queued.filter(worker_id__in=list(worker_ids))
        if transaction.get_connection().vendor == "postgresql":
            queued = queued.select_for_update(skip_locked=True)
        rows = list(queued.values_list("pk", "worker_id")[:limit])
        if not rows:
            return total
        workers = {worker_id for _, worker_id in rows}
        by_project: defaultdict[int, set[int]] = defaultdict(set)
        # Everyone on site, and any employment the gates were told about (an exit must reach them, and a
        # suspended person who leaves is then deleted).
        told = AdmissionStatus.objects.filter(worker_id__in=workers).values("employment_id")
        for project_id, employment_id in (
            Employment.objects.filter(worker_id__in=workers)
            .filter(Q(status=EmploymentStatus.ACTIVE) | Q(pk__in=told))
            .values_list("project_id", "pk")
        ):
            by_project[project_id].add(employment_id)
        for project in Project.objects.filter(pk__in=by_project).order_by("pk"):
            total += refresh(project, employment_ids=by_project[project.pk], at=at)
        Recheck.objects.filter(pk__in=[pk for pk, _ in rows]).delete()
    return total + RefreshResult(rechecks=len(rows))


def refresh_due(*, now: dt.datetime | None = None) -> RefreshResult:
    """The time-driven part: the daily sweep of each project after its local midnight, and the decisions
    that said they would change by now."""
    now = now or timezone.now()
    total = RefreshResult()
    sweeps = dict(AdmissionSweep.objects.values_list("project_id", "swept_on"))
    for project in Project.objects.order_by("pk"):
        today = now.astimezone(ZoneInfo(project.time_zone)).date()
        if sweeps.get(project.pk) == today:
            continue
        with transaction.atomic():
            total += refresh(project, at=now)
            AdmissionSweep.objects.update_or_create(
                project=project, defaults={"swept_on": today, "swept_at": now}
            )
    due: defaultdict[int, list[int]] = defaultdict(list)
    for project_id, employment_id in AdmissionStatus.objects.filter(changes_at__lte=now).values_list(
        "project_id", "employment_id"
    ):
        due[project_id].append(employment_id)
    for project in Project.objects.filter(pk__in=due).order_by("pk"):
        total += refresh(project, employment_ids=due[project.pk], at=now)
    return total


def run_admission_jobs(*, now: dt.datetime | None = None) -> RefreshResult:
    """One tick of the worker's ``admission.refresh`` job: the queue, then the time-driven refreshes."""
    total = RefreshResult()
    for _ in range(_RECHECK_STEPS_PER_TICK):
        step = process_rechecks(at=now)
        total += step
        if not step.rechecks:
            break
    return total + refresh_due(now=now)


_RECHECK_STEPS_PER_TICK = 20


# --- the blacklist -------------------------------------------------------------------------------------


@transaction.atomic
def add_to_blacklist(
    *,
    worker: Worker,
    level: str,
    reason: str,
    starts_on: dt.date,
    ends_on: dt.date | None = None,
    company: Company | None = None,
    project: Project | None = None,
    by: User | None = None,
) -> BlacklistEntry:
    """Bar ``worker`` at ``level`` (platform / company / project) for the period; audited."""
    reason = reason.strip()
    errors: dict[str, str] = {}
    if not reason:
        errors["reason"] = "请填写列入黑名单的原因"
    if ends_on is not None and ends_on < starts_on:
        errors["ends_on"] = "结束日期不能早于开始日期"
    if level == BlacklistLevel.COMPANY and company is None:
        errors["company"] = "企业黑名单须指定企业"
    if level == BlacklistLevel.PROJECT and project is None:
        errors["project"] = "项目黑名单须指定项目"
    if level not in BlacklistLevel.values:
        errors["level"] = "范围须为平台、企业或项目"
    if errors:
        raise ValidationError(errors)
    entry = create_row(
        BlacklistEntry,
        worker=worker,
        level=level,
        company=company if level == BlacklistLevel.COMPANY else None,
        project=project if level == BlacklistLevel.PROJECT else None,
        reason=reason,
        starts_on=starts_on,
        ends_on=ends_on,
        created_by=by,
    )
    inputs_changed(worker_ids=[worker.pk])
    return entry


@transaction.atomic
def remove_from_blacklist(
    *, entry: BlacklistEntry, reason: str, by: User | None = None, at: dt.datetime | None = None
) -> BlacklistEntry:
    """Take a worker off the blacklist: the entry stays, with who removed it, when and why (required)."""
    entry = BlacklistEntry.objects.select_for_update().get(pk=entry.pk)
    if entry.removed_at is not None:
        raise ValidationError({"reason": "该黑名单记录已解除"})
    reason = reason.strip()
    if not reason:
        raise ValidationError({"reason": "解除黑名单须填写原因"})
    entry = update_row(entry, removed_at=at or timezone.now(), removed_by=by, removal_reason=reason)
    inputs_changed(worker_ids=[entry.worker_id])
    return entry


def status_reasons(status: AdmissionStatus) -> list[str]:
    """The stored decision's reasons as messages in the active language."""
    return [reason_from_json(value).message for value in status.reasons]
