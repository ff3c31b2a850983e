"""Certificate warnings: 30 and 7 days before a certificate's expiry or its next 复审, and on expiry.

:func:`run_certificate_warnings` is run daily by ``manage.py worker``. Each warning's dedupe key names the
certificate, the date it is about and the threshold, so re-running it (or running it twice at once)
notifies nobody twice, while a renewed certificate (new expiry) is warned about again next time round.

Who hears: the safety officers and labour managers whose ``certificates.manage`` scope covers one of the
worker's active employments (each on that project), and the worker themself when they have an account.
Only the most urgent threshold is sent: a certificate registered 5 days before its expiry gets the 7-day
warning, not also the 30-day one. An expiry is reported for :data:`EXPIRED_LOOKBACK_DAYS` after the date
(a run missed for a while still reports; an old expiry is not dug up — admission refuses the worker anyway).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass
from typing import Final
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from realname.accounts.roles import Perm, Role
from realname.certificates.models import Certificate, VerificationStatus
from realname.notifications.models import Level
from realname.notifications.selectors import recipients_by_object
from realname.notifications.services import Message, post_messages
from realname.workers.models import Employment, EmploymentStatus

EXPIRING: Final = "certificates.expiring"
REVIEW_DUE: Final = "certificates.review_due"
EXPIRED: Final = "certificates.expired"

THRESHOLDS: Final = (7, 30)  # days before; the smallest that applies is the one sent
EXPIRED_LOOKBACK_DAYS: Final = 30
AUDIENCE_ROLES: Final = frozenset({Role.SAFETY_OFFICER, Role.LABOUR_MANAGER})


@dataclass(frozen=True)
class Finding:
    kind: str
    threshold: int  # days before (0 for an expiry)
    date: dt.date  # the expiry or review date it is about
    days_left: int


def findings_on(today: dt.date, expires_on: dt.date, next_review_on: dt.date | None) -> list[Finding]:
    """What to warn about for one certificate on ``today`` (pure: the dedupe keys make it once only)."""
    found: list[Finding] = []
    if today > expires_on:
        if (today - expires_on).days <= EXPIRED_LOOKBACK_DAYS:
            found.append(Finding(EXPIRED, 0, expires_on, (expires_on - today).days))
        return found
    for kind, date in ((EXPIRING, expires_on), (REVIEW_DUE, next_review_on)):
        if date is None or date < today:
            continue
        left = (date - today).days
        threshold = next((t for t in THRESHOLDS if left <= t), None)
        if threshold is not None:
            found.append(Finding(kind, threshold, date, left))
    return found


def _texts(finding: Finding, name: str, type_name: str, number: str, own: bool) -> tuple[str, str, str]:
    """Level, title and body of one warning (``own``: addressed to the holder)."""
    who = _("您的") if own else _("%(name)s 的") % {"name": name}
    values = {"who": who, "type": type_name, "date": finding.date.isoformat(), "days": finding.days_left}
    if finding.kind == EXPIRED:
        title = _("%(who)s%(type)s证书已于 %(date)s 过期") % values
        body = _("证书编号 %(number)s。过期证书不能持证上岗，请办理延期复核或重新取证。")
        return Level.CRITICAL, title, body % {"number": number}
    if finding.kind == EXPIRING:
        title = _("%(who)s%(type)s证书将于 %(date)s 到期（还有 %(days)s 天）") % values
        body = _("证书编号 %(number)s。请在到期前向原发证机关申请延期复核或换证。")
    else:
        title = _("%(who)s%(type)s证书应于 %(date)s 前复审（还有 %(days)s 天）") % values
        body = _("证书编号 %(number)s。逾期未复审的证书不能持证上岗，请在复审期内申请复审。")
    level = Level.WARNING if finding.threshold <= 7 else Level.INFO
    return level, title, body % {"number": number}


def run_certificate_warnings(now: dt.datetime | None = None) -> int:
    """Post the warnings due at ``now``; returns the number of notifications created."""
    now = now or timezone.now()
    day = now.date()
    low, high = (
        day - dt.timedelta(days=EXPIRED_LOOKBACK_DAYS + 2),
        day + dt.timedelta(days=max(THRESHOLDS) + 2),
    )
    rows = list(
        Certificate.objects.exclude(verification_status=VerificationStatus.REJECTED)
        .filter(Q(expires_on__range=(low, high)) | Q(next_review_on__range=(low, high)))
        .filter(Q(worker__employments__status=EmploymentStatus.ACTIVE) | Q(worker__user__isnull=False))
        .distinct()
        .values_list(
            "pk",
            "public_id",
            "worker_id",
            "worker__public_id",
            "worker__name",
            "worker__user_id",
            "type__name",
            "number_masked",
            "expires_on",
            "next_review_on",
        )
        .order_by("pk")
    )
    if not rows:
        return 0
    employments: dict[int, list[tuple[int, int, str]]] = defaultdict(list)  # worker → (emp, project, tz)
    for emp_id, worker_id, project_id, tz in (
        Employment.objects.filter(worker_id__in={r[2] for r in rows}, status=EmploymentStatus.ACTIVE)
        .order_by("pk")
        .values_list("pk", "worker_id", "project_id", "project__time_zone")
    ):
        employments[worker_id].append((emp_id, project_id, tz))
    managers = recipients_by_object(
        perm=Perm.CERTIFICATES_MANAGE,
        model=Employment,
        ids=[e[0] for emps in employments.values() for e in emps],
        roles=AUDIENCE_ROLES,
    )
    messages: list[Message] = []
    for (
        _pk,
        public_id,
        worker_id,
        worker_public_id,
        name,
        user_id,
        type_name,
        number,
        expires,
        review,
    ) in rows:
        emps = employments.get(worker_id, [])
        zone = ZoneInfo(emps[0][2] if emps else settings.TIME_ZONE)
        today = now.astimezone(zone).date()
        link = reverse("certificates:worker_certificates", args=[worker_public_id])
        # Each recipient once, filed under the first project through which they manage the worker.
        audience: dict[int, int | None] = {}
        for emp_id, project_id, _tz in emps:
            for user in sorted(managers.get(emp_id, set())):
                audience.setdefault(user, project_id)
        for finding in findings_on(today, expires, review):
            key = f"{finding.kind}:{public_id}:{finding.date.isoformat()}:{finding.threshold}"
            for recipient, filed_under in audience.items():
                level, title, body = _texts(finding, name, type_name, number, own=False)
                messages.append(
                    Message(
                        recipient_id=recipient,
                        kind=finding.kind,
                        level=level,
                        title=title,
                        body=body,
                        link=link,
                        project_id=filed_under,
                        dedupe_key=key,
                    )
                )
            if user_id is not None and user_id not in audience:
                level, title, body = _texts(finding, name, type_name, number, own=True)
                messages.append(
                    Message(
                        recipient_id=user_id,
                        kind=finding.kind,
                        level=level,
                        title=title,
                        body=body,
                        link=link,
                        project_id=emps[0][1] if emps else None,
                        dedupe_key=key,
                    )
                )
    return post_messages(messages, now=now).created
