"""Organisations: companies, projects with their sections, the companies' roles on projects, and teams."""

from __future__ import annotations

from decimal import Decimal

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from realname.core import dictionaries
from realname.core.models import PublicModel
from realname.core.validators import validate_credit_code, validate_region_code, validate_time_zone

# Participant roles that see the whole project (every participant's workers), not only their own.
PROJECT_WIDE_ROLES = ("009", "008", "007")  # 总承包单位, 建设单位, 监理
GENERAL_CONTRACTOR = "009"


class Company(PublicModel):
    """A legal entity (企业) identified by its 统一社会信用代码."""

    name = models.CharField(_("企业名称"), max_length=200)
    credit_code = models.CharField(
        _("统一社会信用代码"), max_length=18, unique=True, validators=[validate_credit_code]
    )
    registration_type = models.CharField(
        _("登记注册类型"), max_length=3, blank=True, choices=dictionaries.choices("registration_types")
    )
    region_code = models.CharField(
        _("注册地行政区划"), max_length=6, blank=True, validators=[validate_region_code]
    )
    address = models.CharField(_("地址"), max_length=300, blank=True)
    legal_representative = models.CharField(_("法定代表人"), max_length=60, blank=True)
    contact_name = models.CharField(_("联系人"), max_length=60, blank=True)
    contact_phone = models.CharField(_("联系电话"), max_length=30, blank=True)
    registered_by = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="+", verbose_name=_("登记企业")
    )

    class Meta:
        ordering = ["name"]
        verbose_name = _("企业")
        verbose_name_plural = _("企业")

    def __str__(self) -> str:
        return self.name


class Project(PublicModel):
    """A construction project (工程项目) on one site, with its dedicated wage account (工资专户)."""

    code = models.CharField(_("项目编码"), max_length=40, unique=True)
    name = models.CharField(_("项目名称"), max_length=200)
    category = models.CharField(
        _("项目分类"), max_length=2, choices=dictionaries.choices("project_categories")
    )
    status = models.CharField(
        _("项目状态"), max_length=3, choices=dictionaries.choices("project_status"), default="003"
    )
    region_code = models.CharField(_("行政区划代码"), max_length=6, validators=[validate_region_code])
    address = models.CharField(_("项目地址"), max_length=300, blank=True)
    time_zone = models.CharField(
        _("时区"), max_length=50, default="Asia/Shanghai", validators=[validate_time_zone]
    )
    start_date = models.DateField(_("开工日期"), null=True, blank=True)
    end_date = models.DateField(_("竣工日期"), null=True, blank=True)
    # Geofence: a circle (centre + radius) or a polygon of [lat, lng] points (WGS-84).
    fence_lat = models.DecimalField(
        _("围栏中心纬度"),
        max_digits=9,
        decimal_places=6,
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal(-90)), MaxValueValidator(Decimal(90))],
    )
    fence_lng = models.DecimalField(
        _("围栏中心经度"),
        max_digits=9,
        decimal_places=6,
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal(-180)), MaxValueValidator(Decimal(180))],
    )
    fence_radius_m = models.PositiveIntegerField(_("围栏半径（米）"), null=True, blank=True)
    fence_polygon = models.JSONField(_("围栏多边形"), null=True, blank=True)
    wage_bank_code = models.CharField(
        _("专户开户银行"), max_length=3, blank=True, choices=dictionaries.choices("bank_codes")
    )
    wage_bank_branch = models.CharField(_("专户开户网点"), max_length=120, blank=True)
    wage_account_name = models.CharField(_("专户户名"), max_length=200, blank=True)
    wage_account_number = models.CharField(_("专户账号"), max_length=40, blank=True)

    class Meta:
        ordering = ["code"]
        verbose_name = _("项目")
        verbose_name_plural = _("项目")
        constraints = [
            models.CheckConstraint(
                name="project_dates_in_order",
                condition=Q(start_date__isnull=True)
                | Q(end_date__isnull=True)
                | Q(end_date__gte=models.F("start_date")),
            ),
            models.CheckConstraint(
                name="project_fence_circle_complete",
                condition=Q(fence_lat__isnull=True, fence_lng__isnull=True, fence_radius_m__isnull=True)
                | Q(fence_lat__isnull=False, fence_lng__isnull=False, fence_radius_m__isnull=False),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"

    @property
    def region_label(self) -> str:
        return self.region_code


class Section(PublicModel):
    """A contract section (标段) of a large project."""

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="sections")
    code = models.CharField(_("标段编号"), max_length=40)
    name = models.CharField(_("标段名称"), max_length=200)

    class Meta:
        ordering = ["project", "code"]
        verbose_name = _("标段")
        verbose_name_plural = _("标段")
        constraints = [
            models.UniqueConstraint(fields=["project", "code"], name="section_code_unique_per_project")
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


class Participant(PublicModel):
    """A company's role on one project (参建单位), by the national 参建单位类型 code."""

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="participants")
    company = models.ForeignKey(Company, on_delete=models.PROTECT, related_name="participations")
    role = models.CharField(_("参建类型"), max_length=3, choices=dictionaries.choices("participant_types"))
    section = models.ForeignKey(
        Section,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="participants",
        verbose_name=_("标段"),
    )
    entry_date = models.DateField(_("进场日期"), null=True, blank=True)
    exit_date = models.DateField(_("退场日期"), null=True, blank=True)
    manager_name = models.CharField(_("项目负责人"), max_length=60, blank=True)
    manager_phone = models.CharField(_("负责人电话"), max_length=30, blank=True)

    class Meta:
        ordering = ["project", "role", "company__name"]
        verbose_name = _("参建单位")
        verbose_name_plural = _("参建单位")
        constraints = [
            models.UniqueConstraint(fields=["project", "company"], name="participant_one_role_per_company"),
            models.UniqueConstraint(
                fields=["project"], condition=Q(role="009"), name="participant_one_general_contractor"
            ),
            models.CheckConstraint(
                name="participant_dates_in_order",
                condition=Q(entry_date__isnull=True)
                | Q(exit_date__isnull=True)
                | Q(exit_date__gte=models.F("entry_date")),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.company} · {self.get_role_display()}"


class Team(PublicModel):
    """A crew (班组) under a participant, led by a worker (班组长)."""

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="teams")
    participant = models.ForeignKey(Participant, on_delete=models.PROTECT, related_name="teams")
    name = models.CharField(_("班组名称"), max_length=100)
    leader = models.ForeignKey(
        "workers.Worker",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="led_teams",
        verbose_name=_("班组长"),
    )
    section = models.ForeignKey(
        Section, null=True, blank=True, on_delete=models.SET_NULL, verbose_name=_("标段")
    )
    entry_date = models.DateField(_("进场日期"), null=True, blank=True)
    exit_date = models.DateField(_("退场日期"), null=True, blank=True)

    class Meta:
        ordering = ["project", "name"]
        verbose_name = _("班组")
        verbose_name_plural = _("班组")
        constraints = [
            models.UniqueConstraint(fields=["project", "name"], name="team_name_unique_per_project"),
        ]

    def __str__(self) -> str:
        return self.name
