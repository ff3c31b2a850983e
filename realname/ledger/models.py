"""The tamper-evident ledger: an RFC 6962 Merkle log over accepted attendance events.

Three tables. ``LedgerLeaf`` pins each event to its position and leaf hash; ``LedgerState`` holds the
compact range (O(log n) hashes) that appending needs, updated in the appender's transaction; and
``Checkpoint`` publishes signed (size, root) pairs. The event rows stay the source of truth:
``ledger_verify`` recomputes every leaf hash from them and compares with both the leaf table and the
signed roots, which nobody without the signing key can forge.
"""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from realname.ledger import merkle


class LedgerState(models.Model):
    """The log's running state: its size and the peaks of its compact range (one row per installation)."""

    SINGLETON = 1

    id = models.PositiveSmallIntegerField(primary_key=True, default=SINGLETON)
    size = models.BigIntegerField(_("叶子数"), default=0)
    peaks = models.JSONField(_("紧凑范围"), default=list)
    updated_at = models.DateTimeField(_("更新时间"), default=timezone.now)

    class Meta:
        verbose_name = _("账本状态")
        verbose_name_plural = _("账本状态")
        constraints = [
            models.CheckConstraint(condition=Q(id=1), name="ledger_state_single_row"),
            models.CheckConstraint(condition=Q(size__gte=0), name="ledger_state_size_non_negative"),
        ]

    def __str__(self) -> str:
        return f"ledger of {self.size} leaves"

    def compact_range(self) -> merkle.CompactRange:
        return merkle.CompactRange.from_state({"size": self.size, "peaks": self.peaks})


class LedgerLeaf(models.Model):
    """One event's place in the log: its 0-based index and the leaf hash of its canonical bytes.

    The leaf table is the log's own record of which event sits where, kept apart from the event rows so
    that ``ledger_verify`` can say which event was altered, moved or removed. It is written once per
    ingested event, so it is kept lean: the index is the primary key (append-only), and ``event`` has no
    database index or constraint (verification matches ids itself; the ORM still PROTECTs the event)."""

    index = models.BigIntegerField(_("序号"), primary_key=True)
    event = models.ForeignKey(
        "attendance.AccessEvent",
        on_delete=models.PROTECT,
        related_name="ledger_leaves",
        verbose_name=_("考勤事件"),
        db_index=False,
        db_constraint=False,
    )
    leaf_hash = models.CharField(_("叶子哈希"), max_length=64)  # hex of 32 bytes

    class Meta:
        verbose_name = _("账本叶子")
        verbose_name_plural = _("账本叶子")
        constraints = [
            models.CheckConstraint(condition=Q(index__gte=0), name="ledger_leaf_index_non_negative")
        ]

    def __str__(self) -> str:
        return f"leaf {self.index}"


class Checkpoint(models.Model):
    """A signed statement "the log had ``tree_size`` leaves with root ``root_hash`` at ``created_at``"."""

    origin = models.CharField(_("日志标识"), max_length=200)
    tree_size = models.BigIntegerField(_("叶子数"))
    root_hash = models.CharField(_("根哈希"), max_length=64)  # hex of 32 bytes
    created_at = models.DateTimeField(_("签发时间"))  # whole seconds: the signed text carries no fraction
    key_id = models.CharField(_("密钥标识"), max_length=8)  # hex of the signed-note key id (4 bytes)
    signature = models.CharField(_("签名"), max_length=100)  # base64 of the 64-byte Ed25519 signature

    class Meta:
        verbose_name = _("签名检查点")
        verbose_name_plural = _("签名检查点")
        constraints = [
            models.UniqueConstraint(fields=["tree_size"], name="ledger_checkpoint_unique_size"),
            models.CheckConstraint(condition=Q(tree_size__gte=0), name="ledger_checkpoint_size_non_negative"),
        ]

    def __str__(self) -> str:
        return f"checkpoint {self.tree_size} {self.root_hash[:12]}"
