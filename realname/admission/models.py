"""Admission: who may enter a project (see rules.py for the decision, services.py for keeping it current)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from realname.core import dictionaries
from realname.core.models import PublicModel


class Recheck(models.Model):
    """A worker whose admission must be decided again: something a decision depends on changed (a course
    passed, a certificate added or verified, a blacklist entry, an employment's exit). Written in the same
    transaction as the change, so a crash between the change and the recheck loses nothing; taken off by
    the refresh that decides again (after commit, and by the worker's ``admission.refresh`` job)."""

    worker_id = models.BigIntegerField(db_index=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("待重新判定")
        verbose_name_plural = _("待重新判定")

    def __str__(self) -> str:
        return f"worker {self.worker_id}"


class BlacklistLevel(models.TextChoices):
    PLATFORM = "platform", _("平台")
    COMPANY = "company", _("企业")
    PROJECT = "project", _("项目")


class BlacklistEntry(PublicModel):
    """A worker barred from entering — everywhere (platform), on every project of a company, or on one
    project — for a period, with a reason. Never deleted: taking someone off records who, when and why."""

    worker = models.ForeignKey("workers.Worker", on_delete=models.PROTECT, related_name="blacklist_entries")
    level = models.CharField(_("范围"), max_length=10, choices=BlacklistLevel.choices)
    company = models.ForeignKey(
        "orgs.Company",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("企业"),
    )
    project = models.ForeignKey(
        "orgs.Project",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("项目"),
    )
    reason = models.TextField(_("原因"))
    starts_on = models.DateField(_("开始日期"))
    ends_on = models.DateField(_("结束日期"), null=True, blank=True, help_text=_("留空表示直到解除"))
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    removed_at = models.DateTimeField(_("解除时间"), null=True, blank=True)
    removed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    removal_reason = models.TextField(_("解除原因"), blank=True)

    class Meta:
        ordering = ["-starts_on", "-id"]
        verbose_name = _("黑名单")
        verbose_name_plural = _("黑名单")
        constraints = [
            models.CheckConstraint(
                name="blacklist_level_matches_target",
                condition=Q(level="platform", company__isnull=True, project__isnull=True)
                | Q(level="company", company__isnull=False, project__isnull=True)
                | Q(level="project", company__isnull=True, project__isnull=False),
            ),
            models.CheckConstraint(
                name="blacklist_dates_in_order",
                condition=Q(ends_on__isnull=True) | Q(ends_on__gte=models.F("starts_on")),
            ),
            models.CheckConstraint(
                name="blacklist_removal_has_reason",
                condition=Q(removed_at__isnull=True) | ~Q(removal_reason=""),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.worker} ({self.get_level_display()})"

    @property
    def is_removed(self) -> bool:
        return self.removed_at is not None


class RiskClass(models.TextChoices):
    NORMAL = "normal", _("一般作业")
    HIGH = "high", _("高危作业（井下、高空、高温、特别繁重体力劳动等）")


class TradeRiskClass(models.Model):
    """Which trades count as high-risk work for the age policy (editable data; unlisted trades are normal)."""

    trade = models.CharField(_("工种"), max_length=4, choices=dictionaries.choices("trades"), unique=True)
    risk_class = models.CharField(_("风险类别"), max_length=10, choices=RiskClass.choices)

    class Meta:
        ordering = ["trade"]
        verbose_name = _("工种风险类别")
        verbose_name_plural = _("工种风险类别")

    def __str__(self) -> str:
        return f"{self.trade} {self.risk_class}"


class AgePolicy(PublicModel):
    """One line of an age policy: for a sex (or both) and a risk class (or all), the youngest and oldest
    full-year age admitted, both inclusive. A policy is the set of lines with the same target: a project
    (its own lines replace every other), a region code prefix (the longest prefix of the project's region
    code wins, e.g. "31" for Shanghai), or national (neither)."""

    name = models.CharField(_("名称"), max_length=100)
    project = models.ForeignKey(
        "orgs.Project",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
        verbose_name=_("项目"),
    )
    region_prefix = models.CharField(
        _("地区代码前缀"), max_length=6, blank=True, help_text=_("如 31 为上海；与项目二选一，都留空为全国")
    )
    sex = models.CharField(_("性别"), max_length=1, blank=True, choices=[("M", _("男")), ("F", _("女"))])
    risk_class = models.CharField(_("风险类别"), max_length=10, blank=True, choices=RiskClass.choices)
    min_age = models.PositiveSmallIntegerField(_("最低年龄（周岁，含）"), null=True, blank=True)
    max_age = models.PositiveSmallIntegerField(_("最高年龄（周岁，含）"), null=True, blank=True)
    source = models.CharField(_("依据"), max_length=200, blank=True)

    class Meta:
        ordering = ["project", "region_prefix", "sex", "risk_class"]
        verbose_name = _("年龄准入规则")
        verbose_name_plural = _("年龄准入规则")
        constraints = [
            models.CheckConstraint(
                name="age_policy_one_target",
                condition=Q(project__isnull=True) | Q(region_prefix=""),
            ),
            models.CheckConstraint(
                name="age_policy_bounds_in_order",
                condition=Q(min_age__isnull=True)
                | Q(max_age__isnull=True)
                | Q(max_age__gte=models.F("min_age")),
            ),
        ]

    def __str__(self) -> str:
        return self.name


class AdmissionStatus(models.Model):
    """The decision in force for an employment: what the roster badge shows, what the gate records with a
    punch, and what the devices' allow-lists were last told. Kept current by services.refresh_*."""

    employment = models.OneToOneField(
        "workers.Employment", primary_key=True, on_delete=models.CASCADE, related_name="admission"
    )
    project = models.ForeignKey("orgs.Project", on_delete=models.CASCADE, related_name="+")
    worker = models.ForeignKey("workers.Worker", on_delete=models.CASCADE, related_name="+")
    allowed = models.BooleanField(_("准入"))
    reasons = models.JSONField(default=list)  # [{"code": …, "params": {…}}], rules.Reason.as_json
    decided_at = models.DateTimeField(_("判定时间"))
    changes_at = models.DateTimeField(null=True, blank=True, db_index=True)
    changed_at = models.DateTimeField(_("状态变化时间"))

    class Meta:
        verbose_name = _("准入状态")
        verbose_name_plural = _("准入状态")
        indexes = [models.Index(fields=["project", "allowed"], name="admission_project_allowed")]

    def __str__(self) -> str:
        return f"{self.employment_id}: {'allowed' if self.allowed else 'denied'}"


class AdmissionSweep(models.Model):
    """The local day on which a project's decisions were last all made again (the midnight sweep)."""

    project = models.OneToOneField(
        "orgs.Project", primary_key=True, on_delete=models.CASCADE, related_name="+"
    )
    swept_on = models.DateField()
    swept_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"{self.project_id} {self.swept_on}"
