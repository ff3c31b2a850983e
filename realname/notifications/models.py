"""Notifications: each user's in-app inbox (站内通知), how they want them beyond it (e-mail, SMS), and the
record of each sending. Warnings (考勤预警) are the first kind; later issues reuse the same rows."""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING, Final

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from realname.notifications import kinds

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise


class Level(models.TextChoices):
    INFO = "info", _("提示")
    WARNING = "warning", _("警告")
    CRITICAL = "critical", _("严重")


LEVEL_RANK: Final[dict[str, int]] = {Level.INFO: 0, Level.WARNING: 1, Level.CRITICAL: 2}


class Notification(models.Model):
    """One message in one user's inbox: what happened, how serious, where to look, whether it was read."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications"
    )
    kind = models.CharField(_("类型"), max_length=60)  # "<app>.<what>", e.g. "attendance.late_streak"
    level = models.CharField(_("级别"), max_length=10, choices=Level.choices, default=Level.INFO)
    title = models.CharField(_("标题"), max_length=200)
    # Names and masked data only: never an ID or card number (services redact long digit runs anyway).
    body = models.TextField(_("内容"), blank=True)
    link = models.CharField(_("链接"), max_length=300, blank=True)  # a path on this site
    project = models.ForeignKey(
        "orgs.Project",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
        verbose_name=_("项目"),
    )
    # What the message is about ("<kind>:<object>:<day>"): the same key never reaches the same person twice.
    dedupe_key = models.CharField(max_length=200)
    created_at = models.DateTimeField(_("时间"), default=timezone.now)
    read_at = models.DateTimeField(_("已读时间"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("通知")
        verbose_name_plural = _("通知")
        constraints = [
            models.UniqueConstraint(
                fields=["recipient", "dedupe_key"], name="notification_once_per_recipient"
            ),
            models.CheckConstraint(
                condition=Q(level__in=["info", "warning", "critical"]), name="notification_level_known"
            ),
        ]
        indexes = [models.Index(fields=["recipient", "read_at", "created_at"], name="notification_inbox")]

    def __str__(self) -> str:
        return f"{self.recipient_id} {self.kind} {self.title}"

    @property
    def is_read(self) -> bool:
        return self.read_at is not None

    @property
    def kind_label(self) -> StrOrPromise:
        return kinds.label(self.kind)


class NotificationPreference(models.Model):
    """How one user wants notifications beyond the inbox: by e-mail and/or SMS, and from which level up.

    Addresses are the user's own (``User.email``, ``User.phone``); nothing is copied here."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notification_preference"
    )
    email_enabled = models.BooleanField(_("邮件通知"), default=False)
    email_min_level = models.CharField(
        _("邮件通知的最低级别"), max_length=10, choices=Level.choices, default=Level.WARNING
    )
    sms_enabled = models.BooleanField(_("短信通知"), default=False)
    sms_min_level = models.CharField(
        _("短信通知的最低级别"), max_length=10, choices=Level.choices, default=Level.CRITICAL
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("通知设置")
        verbose_name_plural = _("通知设置")

    def __str__(self) -> str:
        return f"{self.user_id} email={self.email_enabled} sms={self.sms_enabled}"

    def wants(self, channel: str, level: str) -> bool:
        """Whether a notification of ``level`` should also go out over ``channel``."""
        if channel == Channel.EMAIL:
            enabled, floor = self.email_enabled, self.email_min_level
        else:
            enabled, floor = self.sms_enabled, self.sms_min_level
        return enabled and LEVEL_RANK.get(level, 0) >= LEVEL_RANK.get(floor, 0)


class Channel(models.TextChoices):
    EMAIL = "email", _("邮件")
    SMS = "sms", _("短信")


class DeliveryStatus(models.TextChoices):
    PENDING = "pending", _("待发送")
    SENT = "sent", _("已发送")
    FAILED = "failed", _("发送失败")


class Delivery(models.Model):
    """One notification's sending by e-mail or SMS: tried after the inbox row is committed, retried on
    failure, and never able to take the inbox row with it."""

    notification = models.ForeignKey(Notification, on_delete=models.CASCADE, related_name="deliveries")
    channel = models.CharField(_("渠道"), max_length=10, choices=Channel.choices)
    status = models.CharField(
        _("状态"), max_length=10, choices=DeliveryStatus.choices, default=DeliveryStatus.PENDING
    )
    attempts = models.PositiveSmallIntegerField(_("尝试次数"), default=0)
    # When the next try may start; a sender moves it forward as it claims the row (a lease), so a crashed
    # sender's row is picked up again later and two senders never send the same row at once.
    next_attempt_at = models.DateTimeField(default=timezone.now)
    sent_at = models.DateTimeField(_("发送时间"), null=True, blank=True)
    last_error = models.CharField(_("错误"), max_length=300, blank=True)  # addresses masked
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("通知发送")
        verbose_name_plural = _("通知发送")
        constraints = [
            models.UniqueConstraint(fields=["notification", "channel"], name="delivery_once_per_channel"),
        ]
        indexes = [models.Index(fields=["status", "next_attempt_at"], name="delivery_due")]

    def __str__(self) -> str:
        return f"{self.notification_id} {self.channel} {self.status}"
