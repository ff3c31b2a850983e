"""Gate devices, what they send (raw messages), the punches read from it (access events), and the
commands queued for them. Raw facts are immutable; DayRecords (derived) come later and point back."""

from __future__ import annotations

import json
import secrets
from zoneinfo import ZoneInfo

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from realname.core.ids import time_ordered_uuid
from realname.core.models import PublicModel
from realname.core.validators import validate_time_zone


def new_device_secret() -> str:
    """A random credential for a device: the Hikvision URL path segment and the native HMAC key."""
    return secrets.token_urlsafe(32)


class DeviceKind(models.TextChoices):
    ZKTECO = "zkteco", _("中控 PUSH 考勤机 / ZKTeco PUSH")
    HIKVISION = "hikvision", _("海康 ISAPI 人脸终端 / Hikvision ISAPI")
    NATIVE = "native", _("本平台接口客户端 / native HTTP client")
    PHONE = "phone", _("手机打卡 / phone")


class DeviceRole(models.TextChoices):
    ENTRANCE = "entrance", _("入口 / entrance")
    EXIT = "exit", _("出口 / exit")
    BOTH = "both", _("出入口 / both")


class Device(PublicModel):
    """A gate or attendance terminal on one project; the device (not the request) decides the project."""

    project = models.ForeignKey("orgs.Project", on_delete=models.PROTECT, related_name="devices")
    kind = models.CharField(_("设备类型"), max_length=10, choices=DeviceKind.choices)
    serial = models.CharField(_("序列号"), max_length=64, unique=True)
    name = models.CharField(_("设备名称"), max_length=100, blank=True)
    area = models.CharField(_("闸机/作业区域"), max_length=100, blank=True)
    role = models.CharField(_("进出方向"), max_length=10, choices=DeviceRole.choices, default=DeviceRole.BOTH)
    # Blank: the project's zone. The device's wall-clock times are localised with this zone on arrival.
    time_zone = models.CharField(_("时区"), max_length=50, blank=True, validators=[validate_time_zone])
    enabled = models.BooleanField(_("启用"), default=True)
    # Never listed or shown: it authenticates the device (Hikvision path segment, native HMAC key).
    secret = models.CharField(max_length=64, unique=True, default=new_device_secret, editable=False)
    last_seen_at = models.DateTimeField(_("最后通讯时间"), null=True, blank=True)
    clock_skew_seconds = models.IntegerField(_("时钟偏差（秒）"), null=True, blank=True)
    # ZKTeco upload cursors (Stamp of the last upload), returned in the next handshake.
    attlog_stamp = models.CharField(max_length=40, blank=True)
    operlog_stamp = models.CharField(max_length=40, blank=True)

    class Meta:
        ordering = ["project", "serial"]
        verbose_name = _("考勤设备")
        verbose_name_plural = _("考勤设备")

    def __str__(self) -> str:
        return f"{self.serial} {self.name}".strip()

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.time_zone or self.project.time_zone)


class PersonRefKind(models.TextChoices):
    PIN = "pin", _("考勤机工号 PIN")
    EMPLOYEE_NO = "employee_no", _("人员编号 employeeNo")
    CARD = "card", _("卡号")


class DeviceIdentity(models.Model):
    """The identifier a device knows a person by (PIN, employee number, card) mapped to an employment.

    Scoped to one project: project-wide for the devices of one kind (``device`` null, ``kind`` set or
    blank for every kind), or for one device. One identifier means one person in a project.
    """

    project = models.ForeignKey("orgs.Project", on_delete=models.CASCADE, related_name="device_identities")
    device = models.ForeignKey(
        Device, null=True, blank=True, on_delete=models.CASCADE, related_name="identities"
    )
    kind = models.CharField(_("设备类型"), max_length=10, choices=DeviceKind.choices, blank=True)
    ref_kind = models.CharField(_("标识类型"), max_length=20, choices=PersonRefKind.choices)
    ref = models.CharField(_("标识"), max_length=64)
    employment = models.ForeignKey(
        "workers.Employment", on_delete=models.CASCADE, related_name="device_identities"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("设备人员标识")
        verbose_name_plural = _("设备人员标识")
        constraints = [
            models.UniqueConstraint(
                fields=["project", "ref_kind", "ref"], name="device_identity_unique_per_project"
            )
        ]

    def __str__(self) -> str:
        return f"{self.ref_kind}:{self.ref}"


class ParseStatus(models.TextChoices):
    NEW = "new", _("未解析")
    PARSED = "parsed", _("已解析")
    FAILED = "failed", _("解析失败")


class RawMessage(models.Model):
    """One request body exactly as a device sent it, stored before anything reads it (evidence, replay)."""

    # Copied from the device row in the same statement that stores the body (services.store_upload_if_
    # enabled), so no database-level keys: every gate request writes a row here, and PostgreSQL would check
    # each key at commit, locking the device row that every request of a busy gate shares. The ORM still
    # PROTECTs deletes.
    project = models.ForeignKey(
        "orgs.Project", null=True, blank=True, on_delete=models.PROTECT, related_name="+", db_constraint=False
    )
    device = models.ForeignKey(
        Device,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="raw_messages",
        db_index=False,  # the (device, received_at) index below starts with it
        db_constraint=False,
    )
    kind = models.CharField(max_length=10, choices=DeviceKind.choices)
    serial = models.CharField(max_length=64, blank=True)  # as the request gave it
    method = models.CharField(max_length=8, default="POST")
    path = models.CharField(max_length=300)
    query_string = models.CharField(max_length=2000, blank=True)
    content_type = models.CharField(max_length=200, blank=True)
    body = models.BinaryField()
    remote_addr = models.GenericIPAddressField(null=True, blank=True)
    received_at = models.DateTimeField()
    parse_status = models.CharField(max_length=10, choices=ParseStatus.choices, default=ParseStatus.NEW)
    error = models.TextField(blank=True)
    # What the parser made of it when that is not events (OPERLOG/USERINFO records, notes, counts).
    parsed = models.JSONField(default=dict, blank=True)
    parsed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-received_at", "-id"]
        verbose_name = _("设备原始报文")
        verbose_name_plural = _("设备原始报文")
        indexes = [
            models.Index(fields=["parse_status", "id"], name="raw_message_status"),  # the worker's queue
            models.Index(fields=["device", "received_at"], name="raw_message_device_time"),
            # Requests refused before their device was registered: few rows, found by serial on its page.
            models.Index(
                fields=["serial", "received_at"],
                condition=Q(device__isnull=True),
                name="raw_message_unregistered",
            ),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.kind} {self.serial} {self.path}"


class EventSource(models.TextChoices):
    ZKTECO = "zkteco", "ZKTeco"
    HIKVISION = "hikvision", "Hikvision"
    NATIVE = "native", "native"
    PHONE = "phone", "phone"
    CORRECTION = "correction", _("补卡 / correction")


class AccessEvent(models.Model):
    """One punch at a gate (刷卡记录) as the device reported it: an immutable raw fact, one ledger leaf."""

    # Time-ordered (UUIDv7): new ids land at the end of the unique index instead of all over it.
    public_id = models.UUIDField(default=time_ordered_uuid, unique=True, editable=False)
    # The hot table of the platform (docs/performance.md): no single-column index where a composite index
    # below starts with the column, and no database-level foreign keys. PostgreSQL checks each foreign
    # key row by row at commit, which cost more than the insert itself. The ingest takes every id it
    # writes from rows it has just read under the ledger's lock (project = the device's project, worker
    # = the employment's worker), none of those rows is ever deleted while events point at it (the ORM
    # PROTECTs them), and an event row itself is evidence whose integrity the ledger checks.
    project = models.ForeignKey(
        "orgs.Project",
        on_delete=models.PROTECT,
        related_name="access_events",
        db_index=False,
        db_constraint=False,
    )
    device = models.ForeignKey(
        Device, on_delete=models.PROTECT, related_name="events", db_index=False, db_constraint=False
    )
    raw_message = models.ForeignKey(
        RawMessage,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="events",
        db_index=False,  # raw messages are kept, never deleted; nothing looks events up by their message
        db_constraint=False,
    )
    device_event_key = models.CharField(max_length=200)
    person_ref = models.CharField(max_length=64)
    person_ref_kind = models.CharField(max_length=20, choices=PersonRefKind.choices)
    # Null: nobody in the project is known by person_ref (flag "unknown_person"), kept for review.
    employment = models.ForeignKey(
        "workers.Employment",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="access_events",
        db_index=False,
        db_constraint=False,
    )
    worker = models.ForeignKey(
        "workers.Worker",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="access_events",
        db_index=False,  # filters by worker go through the employment (the worker is the employment's)
        db_constraint=False,
    )
    occurred_at = models.DateTimeField()
    device_local_time = models.CharField(max_length=40, blank=True)  # as the device wrote it
    direction = models.CharField(max_length=2, blank=True)  # "01" in, "02" out, "" unknown
    method = models.CharField(max_length=3)
    source = models.CharField(max_length=10, choices=EventSource.choices)
    received_at = models.DateTimeField()
    flags = models.JSONField(default=list, blank=True)
    lat = models.DecimalField(max_digits=9, decimal_places=6, null=True, blank=True)
    lng = models.DecimalField(max_digits=9, decimal_places=6, null=True, blank=True)
    ledger_index = models.BigIntegerField(null=True, blank=True, unique=True)

    class Meta:
        ordering = ["occurred_at", "id"]
        verbose_name = _("刷卡记录")
        verbose_name_plural = _("刷卡记录")
        constraints = [
            models.UniqueConstraint(
                fields=["device", "device_event_key"], name="access_event_unique_per_device"
            ),
            models.CheckConstraint(
                name="access_event_direction_code", condition=Q(direction__in=["01", "02", ""])
            ),
        ]
        indexes = [
            models.Index(fields=["project", "occurred_at"], name="access_event_project_time"),
            models.Index(fields=["employment", "occurred_at"], name="access_event_employment_time"),
        ]

    def __str__(self) -> str:
        return f"{self.person_ref} {self.occurred_at:%Y-%m-%d %H:%M:%S} {self.direction}"


class CommandStatus(models.TextChoices):
    QUEUED = "queued", _("待下发")
    SENT = "sent", _("已下发")
    ACKED = "acked", _("已执行")
    FAILED = "failed", _("执行失败")
    SUPERSEDED = "superseded", _("已被取代")


class CommandOrigin(models.TextChoices):
    MANUAL = "manual", _("手工下发")
    ALLOWLIST = "allowlist", _("准入名单同步")


COMMAND_ACTION_LABELS = {
    "add_user": _("添加/更新人员"),
    "delete_user": _("删除人员"),
    "add_person": _("添加/更新人员"),
    "delete_person": _("删除人员"),
    "suspend_person": _("暂停通行（保留人脸）"),
}


class DeviceCommand(models.Model):
    """A command waiting for, sent to or answered by a device: a ZKTeco getrequest line, or a Hikvision ISAPI
    request (method, path, JSON body) fetched by the edge agent through the signed command API."""

    project = models.ForeignKey("orgs.Project", on_delete=models.CASCADE, related_name="+")
    device = models.ForeignKey(Device, on_delete=models.CASCADE, related_name="commands")
    command_id = models.PositiveIntegerField()
    # ZKTeco: the whole "C:<id>:..." line. Hikvision: "<METHOD> <path>" for display; the request is below.
    text = models.TextField()
    method = models.CharField(max_length=8, blank=True)  # Hikvision ISAPI only
    path = models.CharField(max_length=300, blank=True)  # Hikvision ISAPI only
    body = models.JSONField(null=True, blank=True)  # Hikvision ISAPI only
    # What it does to whom, so a newer command for the same person can supersede a queued one.
    action = models.CharField(max_length=20, blank=True)
    person_ref = models.CharField(max_length=64, blank=True)
    employment = models.ForeignKey(
        "workers.Employment", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    origin = models.CharField(max_length=10, choices=CommandOrigin.choices, default=CommandOrigin.MANUAL)
    reason = models.TextField(blank=True)  # why: an allow-list removal names the admission reasons
    status = models.CharField(max_length=10, choices=CommandStatus.choices, default=CommandStatus.QUEUED)
    return_code = models.IntegerField(null=True, blank=True)
    result = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    acked_at = models.DateTimeField(null=True, blank=True)
    # Set when a newer command for the same person replaced this one: a queued one is never sent, a sent
    # one is never sent again (its late answer is still recorded).
    superseded_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["device", "command_id"]
        verbose_name = _("设备命令")
        verbose_name_plural = _("设备命令")
        constraints = [
            models.UniqueConstraint(fields=["device", "command_id"], name="device_command_id_unique"),
        ]
        indexes = [
            models.Index(fields=["device", "status", "command_id"], name="device_command_queue"),
            models.Index(
                fields=["device", "person_ref", "status"],
                condition=~Q(person_ref=""),
                name="device_command_person",
            ),
        ]

    def __str__(self) -> str:
        return self.text[:80]

    @property
    def body_text(self) -> str:
        """The ISAPI request body as the edge agent sends it, indented for reading."""
        return "" if self.body is None else json.dumps(self.body, ensure_ascii=False, indent=2)

    @property
    def action_label(self) -> str:
        """What the command does, in words (person commands; others show their protocol text)."""
        return str(COMMAND_ACTION_LABELS.get(self.action, ""))


class NativeNonce(models.Model):
    """A nonce a native client has signed a request with, kept so the same signed request is never
    accepted twice (the unique constraint, not a lookup, decides)."""

    device = models.ForeignKey(Device, on_delete=models.CASCADE, related_name="native_nonces")
    nonce = models.CharField(max_length=64)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        verbose_name = _("接口请求随机数")
        verbose_name_plural = _("接口请求随机数")
        constraints = [
            models.UniqueConstraint(fields=["device", "nonce"], name="native_nonce_unique_per_device"),
        ]

    def __str__(self) -> str:
        return f"{self.device_id}:{self.nonce}"


from realname.attendance.days import (  # noqa: E402,F401
    AttendanceRules,
    DayQueue,
    DayRecord,
    DayRecordMonth,
    HolidayOverride,
)
from realname.attendance.models_corrections import CorrectionRequest  # noqa: E402,F401
