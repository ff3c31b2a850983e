"""Warnings about refused workers at the gate: a punch stored with the ``admission_denied`` flag (the device
got its OK and the punch is kept) is reported once per worker and local day to whoever manages that
worker's people on the project (labour managers, safety officers, project managers), with the reasons."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from typing import Final
from zoneinfo import ZoneInfo

from django.db.models import TextField
from django.db.models.functions import Cast
from django.urls import reverse
from django.utils import timezone

from realname.accounts.roles import Perm
from realname.admission.rules import reason_from_json, render
from realname.attendance.models import AccessEvent
from realname.attendance.services import FLAG_ADMISSION_DENIED
from realname.notifications.models import Level
from realname.notifications.selectors import recipients_by_object
from realname.notifications.services import Message, NotifyResult, post_messages
from realname.orgs.models import Project
from realname.workers.models import Employment

DENIED_AT_GATE: Final = "admission.denied_at_gate"
# Days looked at by each run (today included): a missed run over a weekend still reports.
RECENT_DAYS: Final = 3


def denied_punch_messages(project: Project, now: dt.datetime) -> list[Message]:
    tz = ZoneInfo(project.time_zone)
    today = now.astimezone(tz).date()
    since = dt.datetime.combine(today - dt.timedelta(days=RECENT_DAYS - 1), dt.time(0), tzinfo=tz)
    events = (
        AccessEvent.objects.filter(project=project, occurred_at__gte=since, employment__isnull=False)
        .annotate(flag_text=Cast("flags", TextField()))
        .filter(flag_text__contains=FLAG_ADMISSION_DENIED)
        .order_by("occurred_at", "pk")
        .values_list("pk", "employment_id", "occurred_at", "flags", "device__name", "device__serial")
    )
    first: dict[tuple[int, dt.date], tuple[int, dt.datetime, list[str], str]] = {}
    count: defaultdict[tuple[int, dt.date], int] = defaultdict(int)
    for pk, employment_id, occurred_at, flags, device_name, serial in events.iterator(chunk_size=2000):
        if FLAG_ADMISSION_DENIED not in flags:
            continue
        key = (employment_id, occurred_at.astimezone(tz).date())
        count[key] += 1
        first.setdefault(key, (pk, occurred_at, flags, device_name or serial))
    if not first:
        return []
    audience = recipients_by_object(
        perm=Perm.BLACKLIST_MANAGE, model=Employment, ids={employment_id for employment_id, _ in first}
    )
    employments = Employment.objects.select_related("worker", "admission").in_bulk(
        {employment_id for employment_id, _ in first}
    )
    messages: list[Message] = []
    for (employment_id, day), (_, occurred_at, flags, gate) in sorted(first.items(), key=lambda i: i[1][1]):
        employment = employments[employment_id]
        codes = [flag.removeprefix("denied:") for flag in flags if flag.startswith("denied:")]
        status = getattr(employment, "admission", None)
        reasons = [reason_from_json(value) for value in status.reasons] if status is not None else []
        shown = [reason.message for reason in reasons if reason.code in codes] or [
            render(code, {})
            for code in codes  # decided again since: the reasons' words without details
        ]
        local = occurred_at.astimezone(tz)
        title = f"不准入人员刷卡：{employment.worker.name} {local:%m-%d %H:%M} {gate}"
        body = (
            f"{project.code} {employment.worker.name} 于 {local:%Y-%m-%d %H:%M} 在 {gate} 刷卡"
            f"（当天共 {count[(employment_id, day)]} 次），准入判定为不准入：{'；'.join(shown)}。"
            "设备已按协议应答，记录已保存；请核实现场情况。"
        )
        for user_id in sorted(audience.get(employment_id, set())):
            messages.append(
                Message(
                    recipient_id=user_id,
                    kind=DENIED_AT_GATE,
                    level=Level.WARNING,
                    title=title,
                    body=body,
                    link=reverse("admission:project", kwargs={"code": project.code}) + "?allowed=0",
                    project_id=project.pk,
                    dedupe_key=f"{DENIED_AT_GATE}:{employment.public_id}:{day.isoformat()}",
                )
            )
    return messages


def report_denied_punches(*, now: dt.datetime | None = None) -> NotifyResult:
    now = now or timezone.now()
    messages: list[Message] = []
    for project in Project.objects.order_by("pk"):
        messages += denied_punch_messages(project, now)
    return post_messages(messages, now=now)
