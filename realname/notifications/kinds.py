"""The catalogue of notification kinds: code → what the inbox calls it. A kind not listed here still works
(the inbox shows its code); list it so people can filter by a readable name."""

from __future__ import annotations

from typing import TYPE_CHECKING, Final

from django.utils.translation import gettext_lazy as _

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

KIND_LABELS: Final[dict[str, StrOrPromise]] = {
    "attendance.late_streak": _("连续迟到"),
    "attendance.early_leave_streak": _("连续早退"),
    "attendance.absent_streak": _("连续缺勤"),
    "attendance.missing_exit": _("缺少出场打卡"),
    "attendance.fatigue_hours": _("疲劳作业（超时）"),
    "attendance.no_rest": _("疲劳作业（连续无休）"),
    "attendance.unknown_person": _("未登记人员刷卡"),
    "attendance.device_silent": _("设备离线"),
    "certificates.expiring": _("证书即将到期"),
    "certificates.review_due": _("证书即将复审"),
    "certificates.expired": _("证书已过期"),
    "training.expiring": _("培训即将过期"),
    "admission.denied_at_gate": _("不准入人员刷卡"),
    "admission.changed": _("准入状态变化"),
    "payroll.confirm": _("工资待确认"),
    "payroll.disputed": _("工资异议"),
    "payroll.arrears.funding_shortfall": _("欠薪预警：专户资金不足"),
    "payroll.arrears.sheet_not_approved": _("欠薪预警：工资表未审核"),
    "payroll.arrears.unpaid_worker": _("欠薪预警：有出勤未发放"),
    "payroll.arrears.failed_not_reissued": _("欠薪预警：发放失败未补发"),
    "payroll.arrears.below_minimum": _("欠薪预警：低于最低工资"),
}


def label(kind: str) -> StrOrPromise:
    return KIND_LABELS.get(kind, kind)
