"""Pay periods, pay sheets (工资支付表) and their lines, the inputs entered for a month, and the workflow log.

A **pay period** is one project's month. ``generate`` builds one **pay sheet** per participant and team from
the month's DayRecords and each worker's contract terms (realname/payroll/calc.py), one **line** per
employment. Inputs entered by people — piece quantities (计件) and typed additions/deductions — belong to
the period and employment, so a regeneration picks them up.

A sheet moves draft → team leader confirmed → workers confirmed → employer (分包) approved → general
contractor (总包) approved → sent to the bank → paid / partly failed. Every step is a :class:`SheetStep`
row (who, when, note). From the employer's approval on, a sheet and its lines are locked: a change is a
new **revision** (a new sheet pointing at the one it replaces, with the reason), and the database refuses
to delete a sheet that has left the draft state, or any of its lines.
"""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from realname.core import dictionaries
from realname.core.models import PublicModel


class PayPeriod(PublicModel):
    """One project's month of pay (计薪周期)."""

    project = models.ForeignKey("orgs.Project", on_delete=models.PROTECT, related_name="pay_periods")
    month = models.DateField(_("计薪月份"), help_text=_("该月的第一天"))
    pay_date = models.DateField(
        _("发薪日"), help_text=_("工资最迟发放日期；遇法定节假日或休息日提前到之前最近的工作日")
    )
    note = models.CharField(_("备注"), max_length=200, blank=True)

    class Meta:
        ordering = ["project", "-month"]
        verbose_name = _("计薪周期")
        verbose_name_plural = _("计薪周期")
        constraints = [
            models.UniqueConstraint(fields=["project", "month"], name="pay_period_one_per_project_month"),
            models.CheckConstraint(condition=Q(month__day=1), name="pay_period_starts_on_the_first"),
            models.CheckConstraint(
                condition=Q(pay_date__gt=models.F("month")), name="pay_period_pays_after_start"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.project.code} {self.month:%Y-%m}"


class SheetStatus(models.TextChoices):
    DRAFT = "draft", _("草稿")
    TEAM_CONFIRMED = "team_confirmed", _("班组长已确认")
    WORKERS_CONFIRMED = "workers_confirmed", _("工人已全部确认")
    EMPLOYER_APPROVED = "employer_approved", _("用工单位已审核")
    GC_APPROVED = "gc_approved", _("总承包单位已审核")
    SENT = "sent", _("已提交银行")
    PAID = "paid", _("已发放")
    PARTLY_FAILED = "partly_failed", _("部分发放失败")
    SUPERSEDED = "superseded", _("已被新版本取代")


# From the employer's approval on, nothing of a sheet changes in place.
LOCKED_STATUSES = frozenset(
    {
        SheetStatus.EMPLOYER_APPROVED,
        SheetStatus.GC_APPROVED,
        SheetStatus.SENT,
        SheetStatus.PAID,
        SheetStatus.PARTLY_FAILED,
        SheetStatus.SUPERSEDED,
    }
)


class PaySheet(PublicModel):
    """One participant's (and team's) pay sheet for a period: the 工资支付表 the workers sign."""

    period = models.ForeignKey(PayPeriod, on_delete=models.PROTECT, related_name="sheets")
    project = models.ForeignKey("orgs.Project", on_delete=models.PROTECT, related_name="pay_sheets")
    participant = models.ForeignKey("orgs.Participant", on_delete=models.PROTECT, related_name="pay_sheets")
    team = models.ForeignKey(
        "orgs.Team", null=True, blank=True, on_delete=models.PROTECT, related_name="pay_sheets"
    )
    # team_id or 0: one key for "which sheet of the period" that treats "no team" as a value.
    team_key = models.PositiveBigIntegerField(default=0, editable=False)
    revision = models.PositiveSmallIntegerField(_("版本"), default=1)
    previous = models.OneToOneField(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="next_revision"
    )
    revision_reason = models.TextField(_("修订原因"), blank=True)
    status = models.CharField(
        _("状态"), max_length=20, choices=SheetStatus.choices, default=SheetStatus.DRAFT
    )
    gross = models.DecimalField(_("应发合计"), default=Decimal("0.00"), max_digits=12, decimal_places=2)
    deductions = models.DecimalField(_("扣款合计"), default=Decimal("0.00"), max_digits=12, decimal_places=2)
    net = models.DecimalField(_("实发合计"), default=Decimal("0.00"), max_digits=12, decimal_places=2)
    line_count = models.PositiveIntegerField(_("人数"), default=0)
    warning_count = models.PositiveIntegerField(_("提醒数"), default=0)
    generated_at = models.DateTimeField(_("生成时间"), null=True, blank=True)
    # What the last regeneration changed: {"added": [...], "removed": [...], "changed": [...], "unchanged": n}
    last_diff = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["period", "participant", "team_key", "-revision"]
        verbose_name = _("工资支付表")
        verbose_name_plural = _("工资支付表")
        constraints = [
            models.UniqueConstraint(
                fields=["period", "participant", "team_key", "revision"], name="pay_sheet_revision_once"
            ),
            models.UniqueConstraint(
                fields=["period", "participant", "team_key"],
                condition=~Q(status="superseded"),
                name="pay_sheet_one_current",
            ),
            models.CheckConstraint(condition=Q(revision__gte=1), name="pay_sheet_revision_positive"),
            models.CheckConstraint(
                condition=Q(net=models.F("gross") - models.F("deductions")), name="pay_sheet_net_adds_up"
            ),
        ]

    def __str__(self) -> str:
        team = f" {self.team.name}" if self.team_id and self.team else ""
        return f"{self.period} {self.participant.company.name}{team} v{self.revision}"

    @property
    def locked(self) -> bool:
        return self.status in LOCKED_STATUSES


class LineStatus(models.TextChoices):
    PENDING = "pending", _("待工人确认")
    CONFIRMED = "confirmed", _("工人已确认")
    DISPUTED = "disputed", _("工人有异议")


class ConfirmVia(models.TextChoices):
    PHONE = "phone", _("工人手机确认")
    PAPER = "paper", _("纸质签字（由管理人员登记）")


class PayLine(PublicModel):
    """One worker's pay on a sheet: the parts it is made of, the totals, and the worker's answer."""

    # No index of its own: the unique (sheet, employment) index starts with the sheet.
    sheet = models.ForeignKey(PaySheet, on_delete=models.PROTECT, related_name="lines", db_index=False)
    employment = models.ForeignKey("workers.Employment", on_delete=models.PROTECT, related_name="pay_lines")
    # The employment's worker, copied for reading. No database key: the employment's key already ties the
    # line to a worker no one can delete (an employment's worker is protected), and each key is checked
    # per row at commit (a month of 10,000 lines spent 0.07 s on this one). The ORM still protects it.
    worker = models.ForeignKey(
        "workers.Worker", on_delete=models.PROTECT, related_name="pay_lines", db_constraint=False
    )
    pay_type = models.CharField(_("计薪方式"), max_length=10, blank=True)
    days = models.DecimalField(_("出勤天数"), max_digits=5, decimal_places=1, default=Decimal("0"))
    hours = models.DecimalField(_("工时"), max_digits=7, decimal_places=2, default=Decimal("0"))
    overtime_hours = models.DecimalField(_("加班工时"), max_digits=7, decimal_places=2, default=Decimal("0"))
    gross = models.DecimalField(_("应发"), default=Decimal("0.00"), max_digits=12, decimal_places=2)
    deductions = models.DecimalField(_("扣款"), default=Decimal("0.00"), max_digits=12, decimal_places=2)
    net = models.DecimalField(_("实发"), default=Decimal("0.00"), max_digits=12, decimal_places=2)
    parts = models.JSONField(default=list, blank=True)  # calc.Part.as_json() each
    warnings = models.JSONField(default=list, blank=True)  # calc.Warning.as_json() each
    inputs_digest = models.CharField(max_length=64, editable=False)
    status = models.CharField(
        _("工人确认"), max_length=10, choices=LineStatus.choices, default=LineStatus.PENDING
    )
    confirmed_at = models.DateTimeField(_("确认时间"), null=True, blank=True)
    confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    confirm_via = models.CharField(_("确认方式"), max_length=10, choices=ConfirmVia.choices, blank=True)
    confirm_note = models.CharField(_("确认说明"), max_length=200, blank=True)
    dispute_part = models.CharField(_("异议项目"), max_length=40, blank=True)
    dispute_reason = models.TextField(_("异议原因"), blank=True)
    disputed_at = models.DateTimeField(_("提出异议时间"), null=True, blank=True)
    dispute_reply = models.TextField(_("异议答复"), blank=True)
    replied_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    replied_at = models.DateTimeField(_("答复时间"), null=True, blank=True)

    class Meta:
        ordering = ["sheet", "worker__name", "id"]
        verbose_name = _("工资明细")
        verbose_name_plural = _("工资明细")
        constraints = [
            models.UniqueConstraint(fields=["sheet", "employment"], name="pay_line_once_per_sheet"),
            models.CheckConstraint(
                condition=Q(net=models.F("gross") - models.F("deductions")), name="pay_line_net_adds_up"
            ),
            models.CheckConstraint(
                condition=~Q(status="confirmed") | Q(confirmed_at__isnull=False),
                name="pay_line_confirmed_when",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.sheet} {self.worker.name}"


class ItemDirection(models.TextChoices):
    ADDITION = "addition", _("增发")
    DEDUCTION = "deduction", _("扣款")


class PayItem(PublicModel):
    """A typed addition or deduction for one employment in one period (借支, 伙食费, 住宿费, 补贴 …)."""

    period = models.ForeignKey(PayPeriod, on_delete=models.PROTECT, related_name="items")
    employment = models.ForeignKey("workers.Employment", on_delete=models.PROTECT, related_name="pay_items")
    direction = models.CharField(_("类别"), max_length=10, choices=ItemDirection.choices)
    kind = models.CharField(_("项目"), max_length=20)
    amount = models.DecimalField(
        _("金额（元）"), max_digits=12, decimal_places=2, validators=[MinValueValidator(Decimal("0.01"))]
    )
    note = models.CharField(_("说明"), max_length=200, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["period", "employment", "created_at"]
        verbose_name = _("增减项")
        verbose_name_plural = _("增减项")
        constraints = [models.CheckConstraint(condition=Q(amount__gt=0), name="pay_item_amount_positive")]

    def __str__(self) -> str:
        return f"{self.get_direction_display()} {self.kind_label()} {self.amount}"

    def kind_label(self) -> str:
        from realname.payroll.calc import ITEM_KINDS

        return gettext(ITEM_KINDS.get(self.direction, {}).get(self.kind, self.kind))


class PieceOvertime(models.TextChoices):
    NONE = "", _("正常工作时间")
    WORKDAY = "workday", _("工作日加班 150%")
    REST_DAY = "rest_day", _("休息日加班 200%")
    HOLIDAY = "holiday", _("法定节假日加班 300%")


class PieceQuantity(PublicModel):
    """A quantity of piece work (计件) a team leader entered for one employment in one period."""

    period = models.ForeignKey(PayPeriod, on_delete=models.PROTECT, related_name="pieces")
    employment = models.ForeignKey("workers.Employment", on_delete=models.PROTECT, related_name="pieces")
    description = models.CharField(_("工作内容"), max_length=100)
    unit = models.CharField(_("计量单位"), max_length=2, choices=dictionaries.choices("units"))
    quantity = models.DecimalField(_("数量"), max_digits=12, decimal_places=3)
    unit_price = models.DecimalField(_("单价（元）"), max_digits=10, decimal_places=2)
    overtime = models.CharField(_("加班"), max_length=10, choices=PieceOvertime.choices, blank=True)
    entered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["period", "employment", "created_at"]
        verbose_name = _("计件数量")
        verbose_name_plural = _("计件数量")
        constraints = [
            models.CheckConstraint(
                condition=Q(quantity__gt=0, unit_price__gt=0), name="piece_quantity_and_price_positive"
            )
        ]

    def __str__(self) -> str:
        return f"{self.description} {self.quantity} × {self.unit_price}"


class Step(models.TextChoices):
    GENERATED = "generated", _("生成")
    REGENERATED = "regenerated", _("重新计算")
    TEAM_CONFIRMED = "team_confirmed", _("班组长确认")
    WORKER_CONFIRMED = "worker_confirmed", _("工人确认")
    WORKER_DISPUTED = "worker_disputed", _("工人提出异议")
    DISPUTE_ANSWERED = "dispute_answered", _("答复异议")
    WORKERS_CONFIRMED = "workers_confirmed", _("工人全部确认")
    REOPENED = "reopened", _("退回草稿")
    EMPLOYER_APPROVED = "employer_approved", _("用工单位审核通过")
    GC_APPROVED = "gc_approved", _("总承包单位审核通过")
    REVISED = "revised", _("修订为新版本")
    SENT = "sent", _("提交银行代发")
    PAID = "paid", _("发放成功")
    PARTLY_FAILED = "partly_failed", _("部分发放失败")


class SheetStep(models.Model):
    """One step of a sheet's workflow: what, who, when, and the note (append-only)."""

    sheet = models.ForeignKey(PaySheet, on_delete=models.PROTECT, related_name="steps")
    line = models.ForeignKey(PayLine, null=True, blank=True, on_delete=models.PROTECT, related_name="steps")
    step = models.CharField(_("步骤"), max_length=20, choices=Step.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    actor_label = models.CharField(_("操作人"), max_length=150)
    at = models.DateTimeField(_("时间"))
    note = models.TextField(_("说明"), blank=True)

    class Meta:
        ordering = ["sheet", "at", "id"]
        verbose_name = _("审批记录")
        verbose_name_plural = _("审批记录")

    def __str__(self) -> str:
        return f"{self.sheet_id} {self.step} {self.actor_label}"


class MinimumWage(PublicModel):
    """A regional minimum wage (最低工资标准) as data: the longest matching region prefix in force wins."""

    region_prefix = models.CharField(_("行政区划代码前缀"), max_length=6)
    effective_from = models.DateField(_("执行日期"))
    monthly = models.DecimalField(_("月最低工资（元）"), max_digits=8, decimal_places=2)
    hourly = models.DecimalField(
        _("小时最低工资（元，非全日制）"), max_digits=8, decimal_places=2, null=True, blank=True
    )
    source = models.CharField(_("依据文件"), max_length=200)

    class Meta:
        ordering = ["region_prefix", "-effective_from"]
        verbose_name = _("最低工资标准")
        verbose_name_plural = _("最低工资标准")
        constraints = [
            models.UniqueConstraint(fields=["region_prefix", "effective_from"], name="minimum_wage_once"),
            models.CheckConstraint(condition=Q(monthly__gt=0), name="minimum_wage_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.region_prefix} {self.effective_from} {self.monthly}"


class WageDeposit(PublicModel):
    """Money recorded as paid into the project's dedicated wage account (农民工工资专用账户), e.g. the
    owner's monthly labour-cost transfer (人工费用拨付, 条例 Art. 24/29)."""

    project = models.ForeignKey("orgs.Project", on_delete=models.PROTECT, related_name="wage_deposits")
    received_on = models.DateField(_("到账日期"))
    for_month = models.DateField(_("所属月份"), help_text=_("这笔钱支付哪个月的工资（该月第一天）"))
    amount = models.DecimalField(_("金额（元）"), max_digits=14, decimal_places=2)
    payer = models.CharField(_("付款单位"), max_length=200)
    reference = models.CharField(_("银行流水号"), max_length=80, blank=True)
    note = models.CharField(_("说明"), max_length=200, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["project", "-received_on"]
        verbose_name = _("专户到账")
        verbose_name_plural = _("专户到账")
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="wage_deposit_positive"),
            models.CheckConstraint(condition=Q(for_month__day=1), name="wage_deposit_month_first"),
        ]

    def __str__(self) -> str:
        return f"{self.project.code} {self.received_on} {self.amount}"


class ArrearsKind(models.TextChoices):
    FUNDING_SHORTFALL = "funding_shortfall", _("专户资金不足")
    UNPAID_WORKER = "unpaid_worker", _("有出勤未发放")
    FAILED_NOT_REISSUED = "failed_not_reissued", _("发放失败未补发")
    SHEET_NOT_APPROVED = "sheet_not_approved", _("发薪日前工资表未审核")
    BELOW_MINIMUM = "below_minimum", _("低于最低工资")


class ArrearsWarning(PublicModel):
    """One wage-arrears warning (欠薪预警): what, where, about whom, since when; closed when it no longer
    holds. The daily check (payroll.arrears) opens and closes them; the notifications go out once."""

    project = models.ForeignKey("orgs.Project", on_delete=models.PROTECT, related_name="arrears_warnings")
    period = models.ForeignKey(PayPeriod, on_delete=models.PROTECT, related_name="arrears_warnings")
    kind = models.CharField(_("预警类型"), max_length=30, choices=ArrearsKind.choices)
    # What the warning is about, as a stable key within the period: "project", "worker:<id>", "sheet:<id>"
    subject = models.CharField(max_length=60)
    worker = models.ForeignKey(
        "workers.Worker", null=True, blank=True, on_delete=models.PROTECT, related_name="arrears_warnings"
    )
    sheet = models.ForeignKey(PaySheet, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    # Whose people it is about (none: the project's, e.g. the wage account's funding) — for who may see it.
    participant = models.ForeignKey(
        "orgs.Participant", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    team = models.ForeignKey("orgs.Team", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    amount = models.DecimalField(_("涉及金额（元）"), max_digits=14, decimal_places=2, null=True, blank=True)
    message = models.CharField(_("说明"), max_length=300)
    opened_at = models.DateTimeField(_("首次发现"))
    resolved_at = models.DateTimeField(_("解除时间"), null=True, blank=True)

    class Meta:
        ordering = ["-opened_at", "id"]
        verbose_name = _("欠薪预警")
        verbose_name_plural = _("欠薪预警")
        constraints = [
            models.UniqueConstraint(
                fields=["period", "kind", "subject"],
                condition=Q(resolved_at__isnull=True),
                name="arrears_warning_one_open",
            )
        ]
        indexes = [models.Index(fields=["project", "resolved_at"], name="arrears_project_open")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.message}"
