"""Writes: post notifications into inboxes, send them on by e-mail and SMS after the commit, mark them read,
and keep each user's delivery preferences.

- :func:`notify` — one message to an audience (who holds a permission over an object, see selectors).
- :func:`post_messages` — many messages, each to its own recipient (digests whose text differs per person).
  The database decides duplicates: (recipient, dedupe_key) is unique, so re-running a check adds nothing.
- :func:`deliver_due` — sends pending e-mail / SMS deliveries. Called right after the commit for the new
  ones, and by ``manage.py worker`` (or by hand) for retries. A failed delivery never touches the inbox row.
"""

from __future__ import annotations

import datetime as dt
import logging
import uuid
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass
from functools import partial
from typing import Any, Final

from django.conf import settings
from django.core.mail import EmailMessage
from django.db import models, transaction
from django.db.models import F
from django.utils import timezone

from realname.accounts.models import User
from realname.core.logging import redact
from realname.core.services import create_row, update_row
from realname.notifications.models import (
    LEVEL_RANK,
    Channel,
    Delivery,
    DeliveryStatus,
    Notification,
    NotificationPreference,
)
from realname.notifications.selectors import Audience, audience_user_ids
from realname.notifications.sms import SmsBackend, SmsMessage, get_backend, masked_phone
from realname.orgs.models import Project

log = logging.getLogger(__name__)

MAX_ATTEMPTS: Final = 5
# Wait before the 2nd, 3rd, … try: a mail server or SMS gateway that is down for a while is waited out.
RETRY_DELAYS: Final = (
    dt.timedelta(minutes=1),
    dt.timedelta(minutes=10),
    dt.timedelta(hours=1),
    dt.timedelta(hours=6),
)
# How long a sender holds a claimed delivery; a sender that died mid-send frees it after this.
LEASE: Final = dt.timedelta(minutes=5)
SMS_MAX_CHARS: Final = 140
_CHUNK: Final = 1000


@dataclass(frozen=True, kw_only=True)
class Message:
    """One inbox entry to write: who gets it, what it says, and the key that makes it happen only once."""

    recipient_id: int
    kind: str
    level: str
    title: str
    body: str = ""
    link: str = ""
    project_id: int | None = None
    dedupe_key: str


@dataclass(frozen=True)
class NotifyResult:
    """New inbox rows, messages that were already there (same recipient and key), deliveries queued."""

    created: int = 0
    duplicates: int = 0
    deliveries: int = 0

    def __add__(self, other: NotifyResult) -> NotifyResult:
        return NotifyResult(
            self.created + other.created,
            self.duplicates + other.duplicates,
            self.deliveries + other.deliveries,
        )


@dataclass(frozen=True)
class DeliveryResult:
    sent: int = 0
    retrying: int = 0
    failed: int = 0


class DeliveryError(Exception):
    """A delivery that cannot be made as things stand (no address); retrying will not help."""

    retryable = False


def _checked(message: Message) -> Message:
    """Refuse programming errors loudly (these messages are built by code, not typed by people)."""
    if not message.kind or len(message.kind) > 60:
        raise ValueError(f"notification kind must be 1–60 characters: {message.kind!r}")
    if message.level not in LEVEL_RANK:
        raise ValueError(f"unknown notification level {message.level!r}")
    if not message.title.strip():
        raise ValueError("a notification needs a title")
    if not message.dedupe_key or len(message.dedupe_key) > 200:
        raise ValueError(f"dedupe_key must be 1–200 characters: {message.dedupe_key!r}")
    if message.link and (not message.link.startswith("/") or message.link.startswith("//")):
        raise ValueError(f"a notification links to a path on this site, not {message.link!r}")
    return message


def _chunks(items: Sequence[Any]) -> Iterable[Sequence[Any]]:
    for start in range(0, len(items), _CHUNK):
        yield items[start : start + _CHUNK]


@transaction.atomic
def post_messages(messages: Iterable[Message], *, now: dt.datetime | None = None) -> NotifyResult:
    """Write ``messages`` into their recipients' inboxes; a (recipient, dedupe_key) already there is skipped.

    E-mail / SMS deliveries are queued for the recipients who asked for them at this level and sent after
    the commit (:func:`deliver_due`)."""
    now = now or timezone.now()
    unique: dict[tuple[int, str], Message] = {}
    for message in messages:
        unique.setdefault((message.recipient_id, message.dedupe_key), _checked(message))
    if not unique:
        return NotifyResult()
    rows = [
        Notification(
            public_id=uuid.uuid4(),
            recipient_id=m.recipient_id,
            kind=m.kind,
            level=m.level,
            title=redact(m.title.strip())[:200],
            body=redact(m.body.strip()),
            link=m.link,
            project_id=m.project_id,
            dedupe_key=m.dedupe_key,
            created_at=now,
        )
        for m in unique.values()
    ]
    Notification.objects.bulk_create(rows, ignore_conflicts=True, batch_size=500)
    # A row whose freshly drawn public_id is in the table was inserted now; a conflicting one was not.
    created: list[tuple[int, int, str]] = []
    for chunk in _chunks([r.public_id for r in rows]):
        created += Notification.objects.filter(public_id__in=chunk).values_list("pk", "recipient_id", "level")
    deliveries = _queue_deliveries(created)
    if deliveries:
        transaction.on_commit(partial(_deliver_after_commit, [pk for pk, _, _ in created]))
    return NotifyResult(created=len(created), duplicates=len(rows) - len(created), deliveries=deliveries)


def notify(
    *,
    kind: str,
    level: str,
    title: str,
    body: str = "",
    link: str = "",
    project: Project | None = None,
    dedupe_key: str,
    audience: Audience | Iterable[Audience],
    now: dt.datetime | None = None,
) -> NotifyResult:
    """Tell everyone in ``audience`` (see :class:`~realname.notifications.selectors.Audience`) the same thing,
    once per person for ``dedupe_key``."""
    recipients = sorted(audience_user_ids(audience))
    return post_messages(
        (
            Message(
                recipient_id=user_id,
                kind=kind,
                level=level,
                title=title,
                body=body,
                link=link,
                project_id=project.pk if project is not None else None,
                dedupe_key=dedupe_key,
            )
            for user_id in recipients
        ),
        now=now,
    )


def _queue_deliveries(created: list[tuple[int, int, str]]) -> int:
    if not created:
        return 0
    prefs = {
        p.user_id: p
        for p in NotificationPreference.objects.filter(
            user_id__in={recipient for _, recipient, _ in created}
        ).filter(models.Q(email_enabled=True) | models.Q(sms_enabled=True))
    }
    rows = [
        Delivery(notification_id=pk, channel=channel)
        for pk, recipient, level in created
        if recipient in prefs
        for channel in (Channel.EMAIL, Channel.SMS)
        if prefs[recipient].wants(channel, level)
    ]
    Delivery.objects.bulk_create(rows, batch_size=500)
    return len(rows)


def _deliver_after_commit(notification_ids: list[int]) -> None:
    try:
        deliver_due(notification_ids=notification_ids, limit=None)
    except Exception:  # the inbox rows are committed; the worker retries what is still pending
        log.exception("sending notifications by e-mail/SMS failed; left pending for retry")


# --- delivery ----------------------------------------------------------------------------------------------


def _link_text(notification: Notification) -> str:
    if not notification.link:
        return ""
    return f"{settings.REALNAME_SITE_URL}{notification.link}"


def _email_text(notification: Notification) -> str:
    parts = [notification.title, "", notification.body]
    if notification.link:
        parts += ["", f"查看：{_link_text(notification)}"]
    parts += ["", "—— 实名制管理平台自动发送。可在“通知设置”中关闭邮件通知。"]
    return "\n".join(parts)


def _sms_text(notification: Notification) -> str:
    text = f"【实名制】{notification.title}"
    if notification.body:
        text += f"：{notification.body}"
    return text if len(text) <= SMS_MAX_CHARS else text[: SMS_MAX_CHARS - 1] + "…"


def _send(delivery: Delivery, backend: SmsBackend | None) -> SmsBackend | None:
    notification = delivery.notification
    user: User = notification.recipient
    if delivery.channel == Channel.EMAIL:
        if not user.email:
            raise DeliveryError("用户未设置邮件地址")
        EmailMessage(
            subject=f"[实名制] {notification.title}", body=_email_text(notification), to=[user.email]
        ).send()
        return backend
    if not user.phone:
        raise DeliveryError("用户未设置手机号")
    backend = backend or get_backend()
    backend.send(
        SmsMessage(
            phone=user.phone, text=_sms_text(notification), kind=notification.kind, level=notification.level
        )
    )
    return backend


def _error_text(exc: Exception, user: User) -> str:
    text = f"{type(exc).__name__}: {exc}"
    if user.email:
        text = text.replace(user.email, "***@***")
    if user.phone:
        text = text.replace(user.phone, masked_phone(user.phone))
    return redact(text)[:300]


def deliver_due(
    *,
    now: dt.datetime | None = None,
    limit: int | None = 200,
    notification_ids: Collection[int] | None = None,
) -> DeliveryResult:
    """Send the pending deliveries that are due (optionally only those of ``notification_ids``).

    Each row is claimed with a conditional update before it is sent, so two senders never send it twice;
    failures are retried after :data:`RETRY_DELAYS` up to :data:`MAX_ATTEMPTS`, then marked failed.
    Runs outside any transaction: every outcome is stored as soon as it is known."""
    now = now or timezone.now()
    qs = (
        Delivery.objects.filter(status=DeliveryStatus.PENDING, next_attempt_at__lte=now)
        .select_related("notification__recipient")
        .order_by("next_attempt_at", "pk")
    )
    if notification_ids is not None:
        qs = qs.filter(notification_id__in=notification_ids)
    due = list(qs if limit is None else qs[:limit])
    backend: SmsBackend | None = None
    sent = retrying = failed = 0
    for delivery in due:
        claimed = Delivery.objects.filter(
            pk=delivery.pk, status=DeliveryStatus.PENDING, next_attempt_at=delivery.next_attempt_at
        ).update(next_attempt_at=now + LEASE, attempts=F("attempts") + 1)
        if not claimed:
            continue
        attempt = delivery.attempts + 1
        try:
            backend = _send(delivery, backend)
        except Exception as exc:  # any provider failure: record it, the inbox row stays
            error = _error_text(exc, delivery.notification.recipient)
            retry = getattr(exc, "retryable", True) and attempt < MAX_ATTEMPTS
            log.warning(
                "notification %s: %s delivery attempt %d failed (%s): %s",
                delivery.notification.public_id,
                delivery.channel,
                attempt,
                "will retry" if retry else "giving up",
                error,
            )
            if retry:
                delay = RETRY_DELAYS[min(attempt, len(RETRY_DELAYS)) - 1]
                Delivery.objects.filter(pk=delivery.pk).update(next_attempt_at=now + delay, last_error=error)
                retrying += 1
            else:
                Delivery.objects.filter(pk=delivery.pk).update(status=DeliveryStatus.FAILED, last_error=error)
                failed += 1
        else:
            Delivery.objects.filter(pk=delivery.pk).update(
                status=DeliveryStatus.SENT, sent_at=timezone.now(), last_error=""
            )
            sent += 1
    return DeliveryResult(sent, retrying, failed)


# --- reading and preferences -------------------------------------------------------------------------------


def mark_read(*, user: User, ids: Collection[int], now: dt.datetime | None = None) -> int:
    """Mark the user's own notifications ``ids`` read (others' ids are ignored); returns how many changed."""
    return Notification.objects.filter(recipient_id=user.pk, pk__in=list(ids), read_at__isnull=True).update(
        read_at=now or timezone.now()
    )


def mark_all_read(
    *, user: User, kind: str = "", project: Project | None = None, now: dt.datetime | None = None
) -> int:
    """Mark every unread notification of the user read (only those of ``kind`` / ``project`` if given)."""
    qs = Notification.objects.filter(recipient_id=user.pk, read_at__isnull=True)
    if kind:
        qs = qs.filter(kind=kind)
    if project is not None:
        qs = qs.filter(project=project)
    return qs.update(read_at=now or timezone.now())


def preferences_of(user: User) -> NotificationPreference:
    """The user's preferences (an unsaved default row if they never set any)."""
    found = NotificationPreference.objects.filter(user_id=user.pk).first()
    return found or NotificationPreference(user=user)


@transaction.atomic
def set_preferences(*, user: User, **fields: Any) -> NotificationPreference:
    """Create or change the user's e-mail / SMS preferences (validated, audited)."""
    row = NotificationPreference.objects.filter(user_id=user.pk).first()
    if row is None:
        return create_row(NotificationPreference, user=user, **fields)
    return update_row(row, **fields)
