"""Workers (one person for life), their bank cards, employments (进场/退场) and labour contracts."""

from __future__ import annotations

from django.conf import settings
from django.core.validators import FileExtensionValidator, MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from realname.core import crypto, dictionaries
from realname.core.models import PublicModel

ID_CONTEXT = "workers.Worker.id_number"
CARD_CONTEXT = "workers.BankAccount.card_number"


class Sex(models.TextChoices):
    MALE = "M", _("男")
    FEMALE = "F", _("女")


class IdentityCheck(models.TextChoices):
    """How a person was checked to be the holder of the ID they registered with (实名核验)."""

    CARD_READER = "card_reader", _("身份证读卡器读取")
    ORIGINAL = "original", _("核对证件原件")
    FACE_MATCH = "face_match", _("人证比对")


class Worker(PublicModel):
    """A person, identified once and for life by their ID document; the same row on every project.

    The ID number is stored only as AES-256-GCM ciphertext plus an HMAC blind index for exact search, and a
    masked form for display (so lists never need the key).
    """

    name = models.CharField(_("姓名"), max_length=60, db_index=True)
    id_type = models.CharField(
        _("证件类型"), max_length=2, choices=dictionaries.choices("id_types"), default="01"
    )
    id_number_enc = models.TextField(editable=False)
    id_number_index = models.CharField(max_length=64, editable=False)
    id_number_masked = models.CharField(_("证件号码"), max_length=40, editable=False)
    birth_date = models.DateField(_("出生日期"), null=True, blank=True)
    sex = models.CharField(_("性别"), max_length=1, choices=Sex.choices, blank=True)
    ethnicity = models.CharField(
        _("民族"), max_length=2, blank=True, choices=dictionaries.choices("ethnicities")
    )
    address = models.CharField(_("住址"), max_length=300, blank=True)
    issuing_authority = models.CharField(_("签发机关"), max_length=100, blank=True)
    id_valid_from = models.DateField(_("证件有效期起"), null=True, blank=True)
    id_valid_until = models.DateField(_("证件有效期止"), null=True, blank=True, help_text=_("长期有效留空"))
    phone = models.CharField(_("手机号"), max_length=11, blank=True)
    education = models.CharField(
        _("文化程度"), max_length=2, blank=True, choices=dictionaries.choices("education")
    )
    politics = models.CharField(
        _("政治面貌"), max_length=2, blank=True, choices=dictionaries.choices("politics")
    )
    marital_status = models.CharField(
        _("婚姻状况"), max_length=2, blank=True, choices=dictionaries.choices("marital_status")
    )
    emergency_contact_name = models.CharField(_("紧急联系人"), max_length=60, blank=True)
    emergency_contact_phone = models.CharField(_("紧急联系电话"), max_length=30, blank=True)
    photo = models.FileField(
        _("照片"),
        upload_to="workers/photos/%Y/%m/",
        blank=True,
        validators=[FileExtensionValidator(["jpg", "jpeg", "png"])],
    )
    id_warnings = models.JSONField(_("证件提示"), default=list, blank=True)
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="worker"
    )
    registered_by_company = models.ForeignKey(
        "orgs.Company",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("登记企业"),
    )
    # 实名核验: until someone checks the person against the document, admission refuses them.
    identity_check = models.CharField(
        _("身份核验方式"), max_length=12, choices=IdentityCheck.choices, blank=True
    )
    identity_checked_at = models.DateTimeField(_("身份核验时间"), null=True, blank=True)
    identity_checked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["name", "id"]
        verbose_name = _("工人")
        verbose_name_plural = _("工人")
        constraints = [
            models.UniqueConstraint(fields=["id_number_index"], name="worker_one_record_per_person"),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.id_number_masked})"

    @property
    def identity_verified(self) -> bool:
        return self.identity_checked_at is not None

    def id_number(self) -> str:
        """The plaintext ID number. Request paths call services.reveal_id_number instead (audited)."""
        return crypto.decrypt(self.id_number_enc, context=ID_CONTEXT)


class BankAccount(PublicModel):
    """A worker's own wage card (工资卡): one current card per worker, older ones kept for the record."""

    worker = models.ForeignKey(Worker, on_delete=models.CASCADE, related_name="bank_accounts")
    bank_code = models.CharField(
        _("银行类别"), max_length=3, blank=True, choices=dictionaries.choices("bank_codes")
    )
    bank_name = models.CharField(_("开户银行"), max_length=120)
    card_number_enc = models.TextField(editable=False)
    card_number_index = models.CharField(max_length=64, editable=False, db_index=True)
    card_number_masked = models.CharField(_("银行卡号"), max_length=40, editable=False)
    is_current = models.BooleanField(_("当前使用"), default=True)
    warnings = models.JSONField(default=list, blank=True)

    class Meta:
        ordering = ["worker", "-is_current", "-created_at"]
        verbose_name = _("工资卡")
        verbose_name_plural = _("工资卡")
        constraints = [
            models.UniqueConstraint(
                fields=["worker"], condition=Q(is_current=True), name="bank_account_one_current"
            ),
            models.UniqueConstraint(
                fields=["worker", "card_number_index"], name="bank_account_card_once_per_worker"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.bank_name} {self.card_number_masked}"

    def card_number(self) -> str:
        return crypto.decrypt(self.card_number_enc, context=CARD_CONTEXT)


class EmploymentStatus(models.TextChoices):
    ACTIVE = "active", _("在场")
    EXITED = "exited", _("已退场")


class Employment(PublicModel):
    """A worker's time on one project with one participant and team, from entry (进场) to exit (退场)."""

    project = models.ForeignKey("orgs.Project", on_delete=models.PROTECT, related_name="employments")
    participant = models.ForeignKey("orgs.Participant", on_delete=models.PROTECT, related_name="employments")
    team = models.ForeignKey(
        "orgs.Team", null=True, blank=True, on_delete=models.PROTECT, related_name="employments"
    )
    worker = models.ForeignKey(Worker, on_delete=models.PROTECT, related_name="employments")
    trade = models.CharField(_("工种"), max_length=4, choices=dictionaries.choices("trades"))
    role = models.CharField(
        _("人员类型"), max_length=2, choices=dictionaries.choices("worker_roles"), default="20"
    )
    entry_date = models.DateField(_("进场日期"))
    exit_date = models.DateField(_("退场日期"), null=True, blank=True)
    status = models.CharField(
        _("状态"), max_length=10, choices=EmploymentStatus.choices, default=EmploymentStatus.ACTIVE
    )

    class Meta:
        ordering = ["project", "-entry_date", "id"]
        verbose_name = _("进退场记录")
        verbose_name_plural = _("进退场记录")
        constraints = [
            models.UniqueConstraint(
                fields=["worker", "project"],
                condition=Q(status="active"),
                name="employment_one_active_per_project",
            ),
            models.CheckConstraint(
                name="employment_dates_in_order",
                condition=Q(exit_date__isnull=True) | Q(exit_date__gte=models.F("entry_date")),
            ),
            models.CheckConstraint(
                name="employment_exit_matches_status",
                condition=Q(status="active", exit_date__isnull=True)
                | Q(status="exited", exit_date__isnull=False),
            ),
        ]
        indexes = [models.Index(fields=["project", "status"], name="employment_project_status")]

    def __str__(self) -> str:
        return f"{self.worker.name} @ {self.project.code}"


class PayType(models.TextChoices):
    DAILY = "daily", _("计日")
    MONTHLY = "monthly", _("计月")
    HOURLY = "hourly", _("计时")
    PIECE = "piece", _("计件")


class Contract(PublicModel):
    """The labour contract or written employment agreement (劳动合同/用工书面协议) with its pay terms."""

    project = models.ForeignKey("orgs.Project", on_delete=models.PROTECT, related_name="contracts")
    employment = models.ForeignKey(Employment, on_delete=models.PROTECT, related_name="contracts")
    code = models.CharField(_("合同编号"), max_length=60, blank=True)
    period_type = models.CharField(
        _("合同期限类型"), max_length=1, choices=dictionaries.choices("contract_period_types"), default="0"
    )
    start_date = models.DateField(_("合同开始日期"))
    end_date = models.DateField(_("合同结束日期"), null=True, blank=True)
    pay_type = models.CharField(_("计薪方式"), max_length=10, choices=PayType.choices)
    daily_rate = models.DecimalField(
        _("日工资（元）"), max_digits=10, decimal_places=2, null=True, blank=True
    )
    monthly_salary = models.DecimalField(
        _("月工资（元）"), max_digits=10, decimal_places=2, null=True, blank=True
    )
    hourly_rate = models.DecimalField(
        _("小时工资（元）"), max_digits=10, decimal_places=2, null=True, blank=True
    )
    piece_unit = models.CharField(
        _("计量单位"), max_length=2, blank=True, choices=dictionaries.choices("units")
    )
    piece_unit_price = models.DecimalField(
        _("单价（元）"), max_digits=10, decimal_places=2, null=True, blank=True
    )
    pay_day = models.PositiveSmallIntegerField(
        _("发薪日"), validators=[MinValueValidator(1), MaxValueValidator(31)], default=15
    )
    signed_on = models.DateField(_("签订日期"), null=True, blank=True)
    signed_file = models.FileField(
        _("合同扫描件"),
        upload_to="contracts/%Y/%m/",
        blank=True,
        validators=[FileExtensionValidator(["pdf", "jpg", "jpeg", "png"])],
    )

    class Meta:
        ordering = ["project", "-start_date"]
        verbose_name = _("劳动合同")
        verbose_name_plural = _("劳动合同")
        constraints = [
            models.CheckConstraint(
                name="contract_dates_in_order",
                condition=Q(end_date__isnull=True) | Q(end_date__gte=models.F("start_date")),
            ),
            models.CheckConstraint(
                name="contract_fixed_term_has_end",
                condition=~Q(period_type="0") | Q(end_date__isnull=False),
            ),
            models.CheckConstraint(
                name="contract_pay_terms_complete",
                condition=Q(pay_type="daily", daily_rate__gt=0)
                | Q(pay_type="monthly", monthly_salary__gt=0)
                | Q(pay_type="hourly", hourly_rate__gt=0)
                | (Q(pay_type="piece", piece_unit_price__gt=0) & ~Q(piece_unit="")),
            ),
            models.CheckConstraint(
                name="contract_pay_day_in_month", condition=Q(pay_day__gte=1, pay_day__lte=31)
            ),
        ]

    def __str__(self) -> str:
        return self.code or f"{self.employment} {self.start_date}"
