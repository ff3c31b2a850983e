"""Special-operation certificates (持证上岗): the types of the three regimes with their validity and review
rules as data, the editable trade → certificate mapping, and the certificates workers hold."""

from __future__ import annotations

from django.conf import settings
from django.core.validators import FileExtensionValidator, MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from realname.certificates import numbers
from realname.core import dictionaries
from realname.core.models import PublicModel


class Regime(models.TextChoices):
    """Who issues the certificate, under which rules (regulations.md §4)."""

    HOUSING = "housing", _("住建")  # 建筑施工特种作业操作资格证书 (建质〔2008〕75号)
    EMERGENCY = "emergency", _("应急管理")  # 特种作业操作证 (安监总局令第30号)
    MARKET = "market", _("市场监管")  # 特种设备作业人员证


class CertificateType(PublicModel):
    """A kind of certificate one authority issues (e.g. 住建 建筑电工), with its validity and review rules."""

    regime = models.CharField(_("发证体系"), max_length=10, choices=Regime.choices)
    code = models.CharField(_("代码"), max_length=30, unique=True)
    name = models.CharField(_("名称"), max_length=80)
    category = models.CharField(_("作业类别"), max_length=60)
    sub_item = models.CharField(_("操作项目"), max_length=60, blank=True)
    validity_months = models.PositiveSmallIntegerField(
        _("有效期（月）"), validators=[MinValueValidator(1), MaxValueValidator(600)]
    )
    renewal_window_days = models.PositiveSmallIntegerField(
        _("延期申请期（到期前天数）"),
        default=0,
        validators=[MaxValueValidator(3660)],
        help_text=_("到期前多少天内可办理延期复核；0 表示到期前均可办理"),
    )
    review_interval_months = models.PositiveSmallIntegerField(
        _("复审周期（月）"),
        null=True,
        blank=True,
        validators=[MinValueValidator(1), MaxValueValidator(600)],
        help_text=_("不需定期复审的留空"),
    )
    review_window_days = models.PositiveSmallIntegerField(
        _("复审申请期（复审日前天数）"),
        default=0,
        validators=[MaxValueValidator(3660)],
        help_text=_("复审日前多少天内可办理复审；0 表示不限"),
    )
    active = models.BooleanField(_("启用"), default=True, help_text=_("停用后不能再登记该类证书"))
    note = models.CharField(_("说明"), max_length=300, blank=True)

    class Meta:
        ordering = ["regime", "category", "code"]
        verbose_name = _("证书类型")
        verbose_name_plural = _("证书类型")

    def __str__(self) -> str:
        return f"{self.name}（{self.get_regime_display()}）"


class TradeRule(PublicModel):
    """A trade that needs a certificate: any one of ``types`` satisfies it. Platform-wide (no project) or a
    project's own rule; a project's rules for a trade replace the platform's rules for that trade."""

    project = models.ForeignKey(
        "orgs.Project",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="certificate_rules",
        verbose_name=_("项目"),
        help_text=_("留空为全平台规则"),
    )
    trade = models.CharField(_("工种"), max_length=4, choices=dictionaries.choices("trades"))
    label = models.CharField(_("要求名称"), max_length=120, blank=True, help_text=_("留空时按证书类型生成"))
    types = models.ManyToManyField(CertificateType, related_name="rules", verbose_name=_("可满足的证书类型"))

    class Meta:
        ordering = ["trade", "project", "id"]
        verbose_name = _("工种持证要求")
        verbose_name_plural = _("工种持证要求")
        indexes = [models.Index(fields=["trade", "project"], name="cert_rule_trade_project")]

    def __str__(self) -> str:
        return self.label or self.get_trade_display()


class VerificationStatus(models.TextChoices):
    UNVERIFIED = "unverified", _("未核验")
    VERIFIED = "verified", _("已核验")
    REJECTED = "rejected", _("核验不符")


class Certificate(PublicModel):
    """A certificate a worker holds, as printed on it, and whether someone checked it against the issuer's
    register. The holder's ID number is compared with the worker's (through the blind index) and kept only
    masked. The certificate number may itself be an ID number (应急管理 操作证), so it is kept encrypted,
    found by its blind index and shown masked (``realname.certificates.numbers``); the plaintext only through
    the audited ``services.reveal_number``."""

    worker = models.ForeignKey(
        "workers.Worker", on_delete=models.CASCADE, related_name="certificates", verbose_name=_("工人")
    )
    type = models.ForeignKey(
        CertificateType, on_delete=models.PROTECT, related_name="certificates", verbose_name=_("证书类型")
    )
    number_enc = models.TextField(editable=False)
    number_index = models.CharField(max_length=64, editable=False)
    number_masked = models.CharField(_("证书编号"), max_length=60, editable=False)
    holder_name = models.CharField(_("持证人姓名"), max_length=60)
    holder_id_masked = models.CharField(_("持证人证件号码"), max_length=40, editable=False)
    issuing_authority = models.CharField(_("发证机关"), max_length=120)
    issue_date = models.DateField(_("发证日期"))
    expires_on = models.DateField(_("有效期至"))
    next_review_on = models.DateField(_("下次复审日期"), null=True, blank=True)
    last_reviewed_on = models.DateField(_("最近复审日期"), null=True, blank=True)
    verification_status = models.CharField(
        _("核验状态"),
        max_length=12,
        choices=VerificationStatus.choices,
        default=VerificationStatus.UNVERIFIED,
    )
    verified_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("核验人"),
    )
    verified_at = models.DateTimeField(_("核验时间"), null=True, blank=True)
    verification_note = models.CharField(_("核验说明"), max_length=300, blank=True)

    class Meta:
        ordering = ["worker", "type", "-expires_on", "id"]
        verbose_name = _("特种作业证书")
        verbose_name_plural = _("特种作业证书")
        constraints = [
            models.UniqueConstraint(
                fields=["type", "number_index"],
                name="certificate_number_index_unique_per_type",
                violation_error_message=_("该证书类型下已登记相同编号的证书"),
            ),
            models.CheckConstraint(
                name="certificate_dates_in_order",
                condition=Q(expires_on__gte=models.F("issue_date")),
                violation_error_message=_("有效期至不能早于发证日期"),
            ),
        ]
        indexes = [
            models.Index(fields=["worker", "type"], name="certificate_worker_type"),
            models.Index(fields=["expires_on"], name="certificate_expires_on"),
            models.Index(fields=["next_review_on"], name="certificate_next_review_on"),
        ]

    def __str__(self) -> str:
        return f"{self.type.name} {self.number_masked}"

    def full_number(self) -> str:
        """The plaintext number. Request paths call services.reveal_number instead (audited)."""
        return numbers.decrypt(self.number_enc)


class CertificateScan(PublicModel):
    """A scan or photo of a certificate (front, back, the review stamp page), served only through a view
    that checks the reader's scope."""

    certificate = models.ForeignKey(Certificate, on_delete=models.CASCADE, related_name="scans")
    file = models.FileField(
        _("扫描件"),
        upload_to="certificates/%Y/%m/",
        validators=[FileExtensionValidator(["pdf", "jpg", "jpeg", "png"])],
    )
    caption = models.CharField(_("说明"), max_length=60, blank=True, help_text=_("如：正面、背面、复审页"))

    class Meta:
        ordering = ["certificate", "created_at", "id"]
        verbose_name = _("证书扫描件")
        verbose_name_plural = _("证书扫描件")

    def __str__(self) -> str:
        return self.caption or str(self.public_id)


class RenewalKind(models.TextChoices):
    REVIEW = "review", _("复审")
    RENEWAL = "renewal", _("延期复核")


class CertificateReview(PublicModel):
    """A 复审 (moves the next review date) or a 延期复核 (extends the validity) recorded on a certificate."""

    certificate = models.ForeignKey(Certificate, on_delete=models.CASCADE, related_name="reviews")
    kind = models.CharField(_("类型"), max_length=10, choices=RenewalKind.choices)
    reviewed_on = models.DateField(_("复审日期"))
    previous_date = models.DateField(_("原日期"), null=True, blank=True)  # old next review / old expiry
    new_date = models.DateField(_("新日期"), null=True, blank=True)  # new next review / new expiry
    note = models.CharField(_("说明"), max_length=300, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["certificate", "-reviewed_on", "-id"]
        verbose_name = _("复审记录")
        verbose_name_plural = _("复审记录")

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.reviewed_on}"
