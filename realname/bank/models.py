"""Bank file layouts (代发文件格式): how one bank wants a wage batch written and how it writes its return
file (回盘文件), held as data because no national format exists (regulations.md §2; docs/bank.md); and the
batches (代发批次) paid from a project's wage account, line by line, with the bank's answers.

Nothing of a batch is ever deleted: PROTECT everywhere, and database triggers (db_triggers.py)."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from realname.bank import layouts
from realname.core import dictionaries
from realname.core.models import PublicModel


class Encoding(models.TextChoices):
    UTF8 = "utf-8", "UTF-8"
    UTF8_BOM = "utf-8-sig", _("UTF-8（带 BOM，Excel 可直接打开）")
    GBK = "gbk", "GBK"
    GB18030 = "gb18030", "GB18030"


class Delimiter(models.TextChoices):
    COMMA = ",", _("逗号 ,")
    SEMICOLON = ";", _("分号 ;")
    TAB = "\t", _("制表符")
    PIPE = "|", _("竖线 |")


def _default_paid_values() -> list[str]:
    return ["成功"]


def _default_failed_values() -> list[str]:
    return ["失败"]


class BankFileLayout(PublicModel):
    """One bank's 代发 file layout: the columns of the batch file we send and the columns and status values
    of the return file it sends back."""

    name = models.CharField(_("名称"), max_length=80, unique=True)
    bank_code = models.CharField(
        _("银行类别"),
        max_length=3,
        blank=True,
        choices=dictionaries.choices("bank_codes"),
        help_text=_("留空为通用格式（任何银行）"),
    )
    is_default = models.BooleanField(
        _("默认格式"), default=False, help_text=_("该银行类别（或通用格式）的默认格式，每类只能有一个")
    )
    export_columns = models.JSONField(
        _("导出列"),
        default=list,
        help_text=_(
            '按顺序列出，每项形如 {"field": "name", "title": "收款人姓名"}。field 可选：seq 序号、'
            "reference 业务参考号、name 收款人姓名、card_number 收款账号、bank_code 银行类别代码、"
            "bank_name 收款银行、amount 金额、currency 币种、memo 用途、constant 固定值"
            '（另给 "value"）。必须包含 reference、name、card_number、amount。'
        ),
    )
    encoding = models.CharField(_("CSV 编码"), max_length=10, choices=Encoding.choices, default=Encoding.GBK)
    delimiter = models.CharField(_("CSV 分隔符"), max_length=1, choices=Delimiter.choices, default=",")
    xlsx_summary = models.BooleanField(
        _("Excel 表头汇总"),
        default=True,
        help_text=_("Excel 文件在列名之前写付款账户、笔数和总金额；银行要求纯明细表时取消"),
    )
    return_columns = models.JSONField(
        _("回盘列映射"),
        default=dict,
        help_text=_(
            '回盘字段 → 列名（或从 1 起的列号），形如 {"reference": "业务参考号", "amount": "金额", '
            '"status": "处理状态"}。字段可选：reference、name、card_number、amount、status、reason；'
            "reference、amount、status 必填。"
        ),
    )
    return_paid_values = models.JSONField(
        _("成功状态值"), default=_default_paid_values, help_text=_('如 ["成功", "S", "0000"]，不区分大小写')
    )
    return_failed_values = models.JSONField(
        _("失败状态值"), default=_default_failed_values, blank=True, help_text=_('如 ["失败", "F"]')
    )
    return_other_status_failed = models.BooleanField(
        _("其他状态均视为失败"),
        default=False,
        help_text=_("不勾选时，既非成功也非失败的状态值会使整个回盘文件被拒绝（以免把未知状态当作失败）"),
    )
    return_header_rows = models.PositiveSmallIntegerField(
        _("回盘表头行数"),
        default=1,
        validators=[MaxValueValidator(layouts.MAX_EDGE_ROWS)],
        help_text=_("明细之前的行数；按列名查找时，列名在其中最后一行"),
    )
    return_footer_rows = models.PositiveSmallIntegerField(
        _("回盘表尾行数"),
        default=0,
        validators=[MaxValueValidator(layouts.MAX_EDGE_ROWS)],
        help_text=_("明细之后不属于明细的行数（如合计行），末尾空行不计"),
    )
    note = models.CharField(_("说明"), max_length=300, blank=True)

    class Meta:
        ordering = ["bank_code", "-is_default", "name"]
        verbose_name = _("代发文件格式")
        verbose_name_plural = _("代发文件格式")
        constraints = [
            models.UniqueConstraint(
                fields=["bank_code"],
                condition=Q(is_default=True),
                name="bank_layout_one_default_per_bank",
                violation_error_message=_("该银行类别已有默认格式"),
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        super().clean()
        try:
            layouts.spec_of(self)
        except layouts.LayoutError as exc:
            raise ValidationError(exc.by_field) from None

    def spec(self) -> layouts.LayoutSpec:
        return layouts.spec_of(self)


# --- batches ------------------------------------------------------------------------------------------------


class BatchKind(models.TextChoices):
    NORMAL = "normal", _("正常代发")
    REISSUE = "reissue", _("失败补发")


class BatchStatus(models.TextChoices):
    PREPARED = "prepared", _("已生成")
    EXPORTED = "exported", _("已导出文件")
    SENT = "sent", _("已提交银行")
    SETTLED = "settled", _("已全部发放")
    PARTLY_FAILED = "partly_failed", _("部分失败")
    CANCELLED = "cancelled", _("已作废")


class BatchLineStatus(models.TextChoices):
    PENDING = "pending", _("待银行处理")
    PAID = "paid", _("已到账")
    FAILED = "failed", _("失败")
    CANCELLED = "cancelled", _("已作废")


# A pay line has at most one attempt that is still open or has paid it.
LIVE_LINE_STATUSES = (BatchLineStatus.PENDING, BatchLineStatus.PAID)


class BankBatch(PublicModel):
    """One 代发 batch (代发批次): payments from a project's dedicated wage account (农民工工资专用账户) to the
    workers' own cards, as one file for the bank, with the bank's answer for each line."""

    project = models.ForeignKey("orgs.Project", on_delete=models.PROTECT, related_name="bank_batches")
    reference = models.CharField(_("批次号"), max_length=35, unique=True)
    layout = models.ForeignKey(BankFileLayout, on_delete=models.PROTECT, related_name="batches")
    kind = models.CharField(_("类型"), max_length=10, choices=BatchKind.choices, default=BatchKind.NORMAL)
    parent = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="reissues",
        verbose_name=_("原批次"),
    )
    status = models.CharField(
        _("状态"), max_length=20, choices=BatchStatus.choices, default=BatchStatus.PREPARED
    )
    month = models.DateField(_("工资月份"))
    execution_date = models.DateField(_("期望发放日期"))
    total = models.DecimalField(_("总金额"), max_digits=14, decimal_places=2)
    count = models.PositiveIntegerField(_("笔数"))
    # The wage account as it was when the batch was made (the project's fields may change later).
    payer_name = models.CharField(_("专户户名"), max_length=200)
    payer_account = models.CharField(_("专户账号"), max_length=40)
    payer_bank_code = models.CharField(_("专户开户银行类别"), max_length=3)
    payer_branch = models.CharField(_("专户开户网点"), max_length=120, blank=True)
    note = models.TextField(_("说明"), blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    exported_at = models.DateTimeField(_("首次导出时间"), null=True, blank=True)
    sent_at = models.DateTimeField(_("提交银行时间"), null=True, blank=True)
    sent_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    settled_at = models.DateTimeField(_("结清时间"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("代发批次")
        verbose_name_plural = _("代发批次")
        constraints = [
            models.CheckConstraint(condition=Q(total__gt=0, count__gt=0), name="bank_batch_not_empty"),
            models.CheckConstraint(
                condition=Q(kind="normal", parent__isnull=True) | Q(kind="reissue", parent__isnull=False),
                name="bank_batch_reissue_has_parent",
            ),
        ]

    def __str__(self) -> str:
        return self.reference


class BankBatchLine(PublicModel):
    """One payment of a batch: one worker's net pay from one pay line, to the worker's own card."""

    batch = models.ForeignKey(BankBatch, on_delete=models.PROTECT, related_name="lines")
    seq = models.PositiveIntegerField(_("序号"))
    pay_line = models.ForeignKey("payroll.PayLine", on_delete=models.PROTECT, related_name="bank_lines")
    worker = models.ForeignKey("workers.Worker", on_delete=models.PROTECT, related_name="bank_lines")
    bank_account = models.ForeignKey(
        "workers.BankAccount", on_delete=models.PROTECT, related_name="bank_lines", verbose_name=_("工资卡")
    )
    name = models.CharField(_("收款人"), max_length=140)
    card_number_masked = models.CharField(_("收款账号"), max_length=40)
    bank_name = models.CharField(_("收款银行"), max_length=140)
    bank_code = models.CharField(_("银行类别"), max_length=3, blank=True)
    amount = models.DecimalField(_("金额"), max_digits=12, decimal_places=2)
    memo = models.CharField(_("用途"), max_length=140, blank=True)
    reference = models.CharField(_("业务参考号"), max_length=35, unique=True)
    status = models.CharField(
        _("状态"), max_length=10, choices=BatchLineStatus.choices, default=BatchLineStatus.PENDING
    )
    bank_reason = models.CharField(_("银行说明"), max_length=300, blank=True)
    returned_at = models.DateTimeField(_("回盘时间"), null=True, blank=True)
    # What a return file said that differs from this line ({"row", "field", "expected", "given", "message",
    # "file"}), cards masked: shown for review, never applied.
    flags = models.JSONField(_("核对提示"), default=list, blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    resolution_note = models.CharField(_("人工核对说明"), max_length=300, blank=True)
    reissued_by = models.OneToOneField(
        "self",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="reissue_of",
        verbose_name=_("补发明细"),
    )

    class Meta:
        ordering = ["batch", "seq"]
        verbose_name = _("代发明细")
        verbose_name_plural = _("代发明细")
        constraints = [
            models.UniqueConstraint(fields=["batch", "seq"], name="bank_line_seq_once"),
            models.UniqueConstraint(
                fields=["pay_line"],
                condition=Q(status__in=["pending", "paid"]),
                name="bank_line_one_live_attempt",
                violation_error_message=_("该工资明细已在另一个代发批次中"),
            ),
            models.CheckConstraint(condition=Q(amount__gt=0), name="bank_line_amount_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.reference} {self.name} {self.amount}"


class BankReturnFile(PublicModel):
    """One return file (回盘文件) uploaded for a batch, with what it said in summary (the file itself is not
    kept: it may hold full card numbers)."""

    batch = models.ForeignKey(BankBatch, on_delete=models.PROTECT, related_name="returns")
    filename = models.CharField(_("文件名"), max_length=200)
    sha256 = models.CharField(max_length=64)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    paid = models.PositiveIntegerField(_("成功"), default=0)
    failed = models.PositiveIntegerField(_("失败"), default=0)
    flagged = models.PositiveIntegerField(_("待核对"), default=0)
    missing = models.PositiveIntegerField(_("无回盘"), default=0)
    # Rows whose reference is not in the batch, and other notes: {"unknown": [...], "notes": [...]}
    details = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["batch", "-created_at"]
        verbose_name = _("回盘文件")
        verbose_name_plural = _("回盘文件")

    def __str__(self) -> str:
        return f"{self.batch.reference} {self.filename}"
