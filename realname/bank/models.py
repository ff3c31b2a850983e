"""Bank file layouts (代发文件格式): how one bank wants a wage batch written and how it writes its return
file (回盘文件), held as data because no national format exists (regulations.md §2; docs/bank.md)."""

from __future__ import annotations

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
