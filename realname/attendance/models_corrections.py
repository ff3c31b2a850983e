"""Corrections (补卡) as data: a request to add one punch, with its reason and evidence, and its decision.

A correction never edits a punch. Approval adds a new AccessEvent (source ``correction``) through the
ingest service, so it is deduplicated, becomes a ledger leaf and recomputes the day; the request points to
that event. The writes are in :mod:`realname.attendance.corrections`.
"""

from __future__ import annotations

from django.conf import settings
from django.core.validators import FileExtensionValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from realname.core.models import PublicModel

EVIDENCE_TYPES = ("pdf", "jpg", "jpeg", "png")


class CorrectionDirection(models.TextChoices):
    IN = "01", _("入场")
    OUT = "02", _("出场")


class CorrectionStatus(models.TextChoices):
    PENDING = "pending", _("待审批")
    APPROVED = "approved", _("已批准")
    REJECTED = "rejected", _("已驳回")
    CANCELLED = "cancelled", _("已撤销")


# A request that still stands: another one for the same punch would be a duplicate.
OPEN_STATUSES = (CorrectionStatus.PENDING, CorrectionStatus.APPROVED)


class CorrectionRequest(PublicModel):
    """A request to add a missed punch (补卡申请) for a worker, with reason and evidence, and its decision."""

    project = models.ForeignKey("orgs.Project", on_delete=models.PROTECT, related_name="correction_requests")
    employment = models.ForeignKey(
        "workers.Employment", on_delete=models.PROTECT, related_name="correction_requests"
    )
    worker = models.ForeignKey("workers.Worker", on_delete=models.PROTECT, related_name="correction_requests")
    occurred_at = models.DateTimeField(_("补卡时间"))
    direction = models.CharField(_("考勤方向"), max_length=2, choices=CorrectionDirection.choices)
    reason = models.TextField(_("补卡原因"), max_length=500)
    evidence = models.FileField(
        _("证明材料"),
        upload_to="corrections/%Y/%m/",
        blank=True,
        validators=[FileExtensionValidator(list(EVIDENCE_TYPES))],
    )
    status = models.CharField(
        _("状态"), max_length=10, choices=CorrectionStatus.choices, default=CorrectionStatus.PENDING
    )
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("申请人")
    )
    requested_at = models.DateTimeField(_("申请时间"), default=timezone.now)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("处理人"),
    )
    decided_at = models.DateTimeField(_("处理时间"), null=True, blank=True)
    decision_note = models.TextField(_("审批意见"), max_length=500, blank=True)
    # The punch approval added (null until then); the original punches are never touched.
    event = models.OneToOneField(
        "attendance.AccessEvent",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="correction_request",
        verbose_name=_("补卡事件"),
    )

    class Meta:
        ordering = ["-requested_at", "-id"]
        verbose_name = _("补卡申请")
        verbose_name_plural = _("补卡申请")
        constraints = [
            # The database, not a lookup, refuses a second standing request for the same punch.
            models.UniqueConstraint(
                fields=["employment", "occurred_at", "direction"],
                condition=Q(status__in=["pending", "approved"]),
                name="correction_one_open_per_punch",
                violation_error_message=_("该工人在这一时间、这一方向已有待审批或已批准的补卡申请"),
            ),
            models.CheckConstraint(name="correction_direction_code", condition=Q(direction__in=["01", "02"])),
            models.CheckConstraint(
                name="correction_event_iff_approved",
                condition=Q(status="approved", event__isnull=False)
                | (~Q(status="approved") & Q(event__isnull=True)),
            ),
            models.CheckConstraint(
                name="correction_decision_recorded",
                condition=Q(status="pending") | Q(decided_by__isnull=False, decided_at__isnull=False),
            ),
            models.CheckConstraint(
                name="correction_rejection_has_note", condition=~Q(status="rejected") | ~Q(decision_note="")
            ),
        ]
        indexes = [
            models.Index(fields=["project", "status", "requested_at"], name="correction_project_status"),
        ]

    def __str__(self) -> str:
        return f"{self.worker_id} {self.occurred_at:%Y-%m-%d %H:%M} {self.direction} {self.status}"

    @property
    def is_pending(self) -> bool:
        return self.status == CorrectionStatus.PENDING
