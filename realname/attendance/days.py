"""Daily attendance as data: the rule settings of a project (or one of its teams), the holiday calendar's
overrides, and the DayRecord derived for each worker and work day.

DayRecords are derived rows: :mod:`realname.attendance.daycalc` computes them with the pure
:func:`realname.attendance.rules.compute_day` and they point back to the events they came from
(``event_ids``). They are never edited by hand; a correction is a new event and a recomputation.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import TYPE_CHECKING

from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from realname.attendance.rules import DayRules
from realname.core.models import PublicModel

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

# The platform's defaults (a project without its own rules gets these): 08:00–17:00 with an unpaid
# 12:00–13:00 lunch break, 10 minutes' grace, full day 8 h, half day 4 h, work day from 04:00.
DEFAULT_DAY_RULES = DayRules(break_start=dt.time(12, 0), break_end=dt.time(13, 0))


class DayKindChoice(models.TextChoices):
    WORKDAY = "workday", _("工作日 / workday")
    WEEKEND = "weekend", _("周末休息日 / weekend")
    HOLIDAY = "holiday", _("法定节假日 / statutory holiday")
    IN_LIEU_REST = "in_lieu_rest", _("调休休息日 / in-lieu rest day")
    ADJUSTED_WORKDAY = "adjusted_workday", _("调休上班日 / adjusted workday")


class OvertimeKindChoice(models.TextChoices):
    WORKDAY = "workday", _("工作日加班 150% / workday")
    REST_DAY = "rest_day", _("休息日加班 200% / rest day")
    HOLIDAY = "holiday", _("法定节假日加班 300% / holiday")


def _hours_field(label: StrOrPromise, default: str) -> models.DecimalField:
    return models.DecimalField(
        label,
        max_digits=4,
        decimal_places=2,
        default=Decimal(default),
        validators=[MinValueValidator(Decimal("0.01")), MaxValueValidator(Decimal(24))],
    )


class AttendanceRules(PublicModel):
    """The attendance rules (考勤规则) of a project, or of one of its teams (which then win)."""

    project = models.ForeignKey("orgs.Project", on_delete=models.CASCADE, related_name="attendance_rules")
    team = models.ForeignKey(
        "orgs.Team", null=True, blank=True, on_delete=models.CASCADE, related_name="attendance_rules"
    )
    # A punch before this local time belongs to the previous work day (night shifts crossing midnight).
    work_day_start = models.TimeField(_("工作日起始时间"), default=DEFAULT_DAY_RULES.work_day_start)
    shift_start = models.TimeField(_("上班时间"), default=DEFAULT_DAY_RULES.shift_start)
    shift_end = models.TimeField(_("下班时间"), default=DEFAULT_DAY_RULES.shift_end)
    break_start = models.TimeField(
        _("休息开始"), null=True, blank=True, default=DEFAULT_DAY_RULES.break_start
    )
    break_end = models.TimeField(_("休息结束"), null=True, blank=True, default=DEFAULT_DAY_RULES.break_end)
    late_grace_min = models.PositiveSmallIntegerField(
        _("迟到宽限（分钟）"), default=DEFAULT_DAY_RULES.late_grace_min, validators=[MaxValueValidator(240)]
    )
    early_grace_min = models.PositiveSmallIntegerField(
        _("早退宽限（分钟）"), default=DEFAULT_DAY_RULES.early_grace_min, validators=[MaxValueValidator(240)]
    )
    full_day_hours = _hours_field(_("全天标准工时"), "8")
    half_day_hours = _hours_field(_("半天标准工时"), "4")
    debounce_min = models.PositiveSmallIntegerField(
        _("防重窗口（分钟）"), default=DEFAULT_DAY_RULES.debounce_min, validators=[MaxValueValidator(120)]
    )
    # "none" | "shift_end" | "hours:<n>" (see rules.DayRules.auto_clock_out).
    auto_clock_out = models.CharField(
        _("自动出场规则"),
        max_length=20,
        default=DEFAULT_DAY_RULES.auto_clock_out,
        help_text=_("none 不自动出场；shift_end 按下班时间；hours:<n> 进场后 n 小时"),
    )
    max_day_hours = _hours_field(_("每日工时上限（疲劳）"), "11")

    class Meta:
        ordering = ["project", "team"]
        verbose_name = _("考勤规则")
        verbose_name_plural = _("考勤规则")
        constraints = [
            models.UniqueConstraint(
                fields=["project"], condition=Q(team__isnull=True), name="attendance_rules_one_per_project"
            ),
            models.UniqueConstraint(
                fields=["team"], condition=Q(team__isnull=False), name="attendance_rules_one_per_team"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.project_id}/{self.team_id or '-'}"

    def to_day_rules(self) -> DayRules:
        """These settings as the pure rules' DayRules (raises ValueError when they contradict each other)."""
        return DayRules(
            work_day_start=self.work_day_start,
            shift_start=self.shift_start,
            shift_end=self.shift_end,
            break_start=self.break_start,
            break_end=self.break_end,
            late_grace_min=self.late_grace_min,
            early_grace_min=self.early_grace_min,
            full_day_hours=Decimal(self.full_day_hours),
            half_day_hours=Decimal(self.half_day_hours),
            debounce_min=self.debounce_min,
            auto_clock_out=self.auto_clock_out,
            max_day_hours=Decimal(self.max_day_hours),
        )

    def clean(self) -> None:
        team = self.team if self.team_id is not None else None
        if team is not None and self.project_id is not None and team.project_id != self.project_id:
            raise ValidationError({"team": _("班组不属于该项目 / the team is on another project")})
        try:
            self.to_day_rules()
        except (ValueError, TypeError) as exc:
            raise ValidationError(str(exc)) from None


class HolidayOverride(models.Model):
    """One date whose kind the State Council's yearly notice (or a local decree) fixes, over the library's."""

    date = models.DateField(_("日期"), unique=True)
    kind = models.CharField(_("日期类型"), max_length=20, choices=DayKindChoice.choices)
    name = models.CharField(_("名称"), max_length=100, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["date"]
        verbose_name = _("节假日调整")
        verbose_name_plural = _("节假日调整")

    def __str__(self) -> str:
        return f"{self.date.isoformat()} {self.kind} {self.name}".strip()


class DayRecord(models.Model):
    """One worker's attendance on one work day (日考勤), derived from their punches, with the reasons."""

    # The project and worker repeat the employment's (denormalised for the pages' filters). None of the
    # three is a database foreign key, like the event table's (docs/performance.md, "Hot tables without
    # foreign keys"): PostgreSQL checks each key row by row at commit, and for a month of days the three
    # checks cost about two fifths of storing the row. Every writer takes the employment's row lock
    # (SELECT … FOR UPDATE) before it writes its days, so the employment exists when they are stored; a
    # DayRecord is derived data, recomputed from the punches; and the ORM still cascades deletes.
    # No single-column index where the composite ones start with the column (project × date, the unique
    # employment × date), and none on the worker.
    project = models.ForeignKey(
        "orgs.Project",
        on_delete=models.CASCADE,
        related_name="day_records",
        db_constraint=False,
        db_index=False,
    )
    employment = models.ForeignKey(
        "workers.Employment",
        on_delete=models.CASCADE,
        related_name="day_records",
        db_constraint=False,
        db_index=False,  # the unique (employment, work date) constraint starts with it
    )
    worker = models.ForeignKey(
        "workers.Worker",
        on_delete=models.CASCADE,
        related_name="day_records",
        db_constraint=False,
        db_index=False,  # filters by worker go through the employment (scope's path), as for events
    )
    work_date = models.DateField(_("工作日"))
    day_kind = models.CharField(_("日期类型"), max_length=20, choices=DayKindChoice.choices)
    first_in = models.DateTimeField(_("首次进场"), null=True, blank=True)
    last_out = models.DateTimeField(_("最后出场"), null=True, blank=True)
    # [{"start", "end" (ISO-8601, project zone), "in", "out" (event public ids, out null if auto), "auto"}]
    intervals = models.JSONField(default=list, blank=True)
    hours = models.DecimalField(_("工时"), max_digits=5, decimal_places=2, default=Decimal("0.00"))
    overtime_hours = models.DecimalField(
        _("加班工时"), max_digits=5, decimal_places=2, default=Decimal("0.00")
    )
    overtime_kind = models.CharField(_("加班类型"), max_length=10, choices=OvertimeKindChoice.choices)
    areas = models.JSONField(default=list, blank=True)
    statuses = models.JSONField(default=list, blank=True)  # rules.Status values, in STATUS_ORDER
    reasons = models.JSONField(default=list, blank=True)  # [{"code", "message", "detail"}]
    auto_clock_out = models.BooleanField(_("自动出场"), default=False)
    fatigue = models.BooleanField(_("疲劳"), default=False)
    event_ids = models.JSONField(default=list, blank=True)  # AccessEvent public ids it was computed from
    computed_at = models.DateTimeField(_("计算时间"))

    class Meta:
        ordering = ["work_date", "employment"]
        verbose_name = _("日考勤")
        verbose_name_plural = _("日考勤")
        constraints = [
            models.UniqueConstraint(
                fields=["employment", "work_date"], name="day_record_one_per_employment_day"
            ),
        ]
        indexes = [models.Index(fields=["project", "work_date"], name="day_record_project_date")]

    def __str__(self) -> str:
        return f"{self.employment_id} {self.work_date.isoformat()} {','.join(self.statuses)}"


def _mask(label: StrOrPromise) -> models.BigIntegerField:
    return models.BigIntegerField(label, default=0)


class DayRecordMonth(models.Model):
    """One employment's DayRecords of one calendar month, summed up (考勤月汇总): bit masks of the days and
    the hours, as :class:`realname.payroll.calc.Attendance` holds them (bit ``n`` is the month's
    ``(n+1)``-th day; hours in whole hundredths). Written only by the database's triggers as DayRecords are
    written, changed and deleted (realname/attendance/day_months.py); pay reads a month from here."""

    # Keys repeating the DayRecords' (none a database key, like theirs); a row goes with its last record.
    project = models.ForeignKey(
        "orgs.Project", on_delete=models.DO_NOTHING, related_name="+", db_constraint=False, db_index=False
    )
    employment = models.ForeignKey(
        "workers.Employment",
        on_delete=models.DO_NOTHING,
        related_name="+",
        db_constraint=False,
        db_index=False,
    )
    month = models.DateField(_("月份"))  # the first of the month
    recorded = _mask(_("有记录的日期"))
    worked = _mask(_("有工时的日期"))
    full = _mask(_("计全天的工作日"))
    half = _mask(_("计半天的工作日"))
    missing = _mask(_("缺卡无工时的工作日"))
    regular = _mask(_("有正常工时的工作日"))
    regular_hours_x100 = models.BigIntegerField(_("正常工时（百分之一小时）"), default=0)
    hours_x100 = models.BigIntegerField(_("工时（百分之一小时）"), default=0)
    overtime_hours_x100 = models.BigIntegerField(_("加班工时（百分之一小时）"), default=0)
    workday_overtime = _mask(_("工作日加班的日期"))
    workday_overtime_hours_x100 = models.BigIntegerField(_("工作日加班工时（百分之一小时）"), default=0)
    rest_day_overtime = _mask(_("休息日加班的日期"))
    rest_day_overtime_hours_x100 = models.BigIntegerField(_("休息日加班工时（百分之一小时）"), default=0)
    holiday_overtime = _mask(_("法定节假日加班的日期"))
    holiday_overtime_hours_x100 = models.BigIntegerField(_("法定节假日加班工时（百分之一小时）"), default=0)

    class Meta:
        verbose_name = _("考勤月汇总")
        verbose_name_plural = _("考勤月汇总")
        constraints = [
            # The triggers' ON CONFLICT target; a pay period reads (project, month).
            models.UniqueConstraint(fields=["project", "month", "employment"], name="day_record_month_key"),
        ]

    def __str__(self) -> str:
        return f"{self.employment_id} {self.month:%Y-%m}"


class DayQueue(models.Model):
    """How far day recomputation has caught up with the ledger (one row per installation).

    Every accepted event is a ledger leaf, and leaves are numbered in commit order (appenders hold the
    ledger's lock until they commit), so "the events with ``ledger_index >= done_size`` may have changed
    a day that is not recomputed yet" is an exact, gap-free queue that costs the ingest nothing. In
    ``inline`` mode the ingest recomputes its own days and moves the mark; in ``deferred`` mode
    ``manage.py worker`` (or ``recompute_pending``) drains it in large batches after the commit.
    """

    SINGLETON = 1

    id = models.PositiveSmallIntegerField(primary_key=True, default=SINGLETON)
    done_size = models.BigIntegerField(_("已计算到的账本叶子数"), default=0)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    class Meta:
        verbose_name = _("日考勤计算进度")
        verbose_name_plural = _("日考勤计算进度")
        constraints = [
            models.CheckConstraint(condition=Q(id=1), name="day_queue_single_row"),
            models.CheckConstraint(condition=Q(done_size__gte=0), name="day_queue_size_non_negative"),
        ]

    def __str__(self) -> str:
        return f"days recomputed through leaf {self.done_size}"
