"""Wage-arrears warnings (欠薪预警): the daily check that opens and closes :class:`ArrearsWarning` rows and
tells the people concerned once.

For every project and each of the last two months with attendance (in the project's own time zone; a pay
period is opened for a month that has attendance and none yet):

* **from ``REALNAME_FUNDING_CHECK_DAYS`` days before pay day** (and after it, until covered or paid) — the
  month's expected labour cost (``services.estimate``: attendance × contract rates plus entered inputs)
  against the money recorded as paid into the wage account for that month (:class:`WageDeposit`,
  条例 Art. 24/29): a shortfall warns the general contractor and the owner;
* **after pay day** —
  * every sheet of the period not approved by the general contractor (条例 Art. 31);
  * every worker with attendance in the month and no paid line (no line, or a line on an approved sheet
    not yet paid; a line on an unapproved sheet is covered by that sheet's warning);
  * every line the bank failed and that was not paid by a re-issue;
  * every line whose base pay for the days worked is below the regional minimum wage (calc's warning).

A warning that no longer holds is closed (``resolved_at``), not deleted; the notification for a warning
goes out when it opens (dedupe key = the warning). Regulators read the open warnings through the API.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Collection, Iterable
from dataclasses import dataclass
from decimal import Decimal

from django.conf import settings
from django.db import transaction
from django.db.models import Q, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from realname.accounts.models import Membership, ScopeKind
from realname.accounts.roles import Perm, role_has
from realname.attendance.days import DayRecord
from realname.orgs.models import GENERAL_CONTRACTOR, Participant, Project
from realname.payroll import calc, services
from realname.payroll.models import (
    ArrearsKind,
    ArrearsWarning,
    PayLine,
    PayPeriod,
    PaySheet,
    SheetStatus,
    WageDeposit,
)

logger = logging.getLogger(__name__)

OWNER = "008"  # 建设单位
_APPROVED = (SheetStatus.GC_APPROVED, SheetStatus.SENT, SheetStatus.PAID, SheetStatus.PARTLY_FAILED)


@dataclass(frozen=True)
class Found:
    kind: str
    subject: str
    message: str
    amount: Decimal | None = None
    worker_id: int | None = None
    sheet_id: int | None = None
    participant_id: int | None = None
    team_id: int | None = None


@dataclass
class CheckResult:
    opened: int = 0
    resolved: int = 0
    still_open: int = 0
    periods_opened: int = 0


def paid_states(line_ids: Collection[int]) -> dict[int, str]:
    """Each line's payment state from the bank batches: "paid", "failed", "pending" (absent: not sent)."""
    from realname.bank.selectors import payment_status

    return {line_id: status.state for line_id, status in payment_status(line_ids).items()}


def _local_today(project: Project, now: dt.datetime) -> dt.date:
    from zoneinfo import ZoneInfo

    return now.astimezone(ZoneInfo(project.time_zone)).date()


def _months_to_check(project: Project, today: dt.date) -> list[dt.date]:
    this = today.replace(day=1)
    previous = (this - dt.timedelta(days=1)).replace(day=1)
    return [previous, this]


def _has_attendance(project: Project, month: dt.date) -> bool:
    last = calc.month_dates(month)[-1]
    return DayRecord.objects.filter(
        project=project, work_date__gte=month, work_date__lte=last, hours__gt=0
    ).exists()


def findings(period: PayPeriod, today: dt.date) -> list[Found]:
    """What is wrong with ``period`` on ``today`` (the project's local date)."""
    found: list[Found] = []
    month_label = f"{period.month:%Y-%m}"
    sheets = list(
        PaySheet.objects.filter(period=period)
        .exclude(status=SheetStatus.SUPERSEDED)
        .select_related("participant__company", "team")
    )
    all_paid = bool(sheets) and all(s.status == SheetStatus.PAID for s in sheets)
    # The funding from REALNAME_FUNDING_CHECK_DAYS before pay day on — and after it, until the money is
    # there or every sheet is paid (a gap does not close because the day passed).
    if (period.pay_date - today).days <= settings.REALNAME_FUNDING_CHECK_DAYS and not all_paid:
        expected = services.estimate(period)
        deposited = WageDeposit.objects.filter(project=period.project, for_month=period.month).aggregate(
            total=Sum("amount")
        )["total"] or Decimal("0.00")
        if expected > deposited:
            found.append(
                Found(
                    kind=ArrearsKind.FUNDING_SHORTFALL,
                    subject="project",
                    amount=expected - deposited,
                    message=_(
                        "%(month)s 预计人工费 %(expected)s 元，专户已到账 %(deposited)s 元，缺口 %(gap)s 元"
                    )
                    % {
                        "month": month_label,
                        "expected": expected,
                        "deposited": deposited,
                        "gap": expected - deposited,
                    },
                )
            )
    if today <= period.pay_date:
        return found

    for sheet in sheets:
        if sheet.status not in _APPROVED:
            found.append(
                Found(
                    kind=ArrearsKind.SHEET_NOT_APPROVED,
                    subject=f"sheet:{sheet.pk}",
                    sheet_id=sheet.pk,
                    participant_id=sheet.participant_id,
                    team_id=sheet.team_id,
                    amount=sheet.net,
                    message=_(
                        "%(company)s %(team)s 的 %(month)s 工资表到发薪日 %(day)s 仍未审核（%(status)s）"
                    )
                    % {
                        "company": sheet.participant.company.name,
                        "team": sheet.team.name if sheet.team else "",
                        "month": month_label,
                        "day": period.pay_date,
                        "status": sheet.get_status_display(),
                    },
                )
            )
    lines = list(
        PayLine.objects.filter(sheet__in=sheets)
        .select_related("worker", "sheet")
        .only("pk", "employment_id", "worker_id", "worker__name", "net", "warnings", "sheet__participant_id")
    )
    states = paid_states([line.pk for line in lines]) if lines else {}
    by_employment = {line.employment_id: line for line in lines}
    last = calc.month_dates(period.month)[-1]
    worked = (
        DayRecord.objects.filter(
            project=period.project, work_date__gte=period.month, work_date__lte=last, hours__gt=0
        )
        .values_list(
            "employment_id",
            "worker_id",
            "employment__participant_id",
            "employment__team_id",
            "employment__worker__name",
        )
        .distinct()
    )
    for employment_id, worker_id, participant_id, team_id, name in worked:
        line = by_employment.get(employment_id)
        state = states.get(line.pk, "not_sent") if line is not None else "none"
        if state in ("paid", "failed"):
            continue  # paid; failed lines are their own warning below
        if line is not None and line.net <= 0:
            continue  # nothing to pay (deductions ate it: the line carries its own warning)
        if line is not None and line.sheet.status not in _APPROVED:
            continue  # the unapproved sheet is the warning (one per sheet, not one per worker)
        found.append(
            Found(
                kind=ArrearsKind.UNPAID_WORKER,
                subject=f"employment:{employment_id}",
                worker_id=worker_id,
                participant_id=participant_id,
                team_id=team_id,
                amount=line.net if line is not None else None,
                message=(
                    _("%(name)s %(month)s 有出勤，尚无工资表")
                    if line is None
                    else _("%(name)s %(month)s 工资未发放")
                )
                % {"name": name, "month": month_label},
            )
        )
    for line in lines:
        if states.get(line.pk) == "failed":
            found.append(
                Found(
                    kind=ArrearsKind.FAILED_NOT_REISSUED,
                    subject=f"line:{line.pk}",
                    worker_id=line.worker_id,
                    sheet_id=line.sheet_id,
                    participant_id=line.sheet.participant_id,
                    team_id=line.sheet.team_id,
                    amount=line.net,
                    message=_("%(name)s %(month)s 工资银行发放失败，尚未补发")
                    % {"name": line.worker.name, "month": month_label},
                )
            )
        if any(w.get("code") == "below_minimum" for w in line.warnings):
            text = next(
                calc.render(w["code"], w.get("params", {}))
                for w in line.warnings
                if w.get("code") == "below_minimum"
            )
            found.append(
                Found(
                    kind=ArrearsKind.BELOW_MINIMUM,
                    subject=f"line:{line.pk}",
                    worker_id=line.worker_id,
                    sheet_id=line.sheet_id,
                    participant_id=line.sheet.participant_id,
                    team_id=line.sheet.team_id,
                    amount=line.net,
                    message=f"{line.worker.name}：{text}",
                )
            )
    return found


def _recipients(project: Project, participant_id: int | None) -> set[int]:
    """Users with pay rights on the project in the general contractor's and the owner's companies, and in
    the employer's company for a warning about its people."""
    companies = set(
        Participant.objects.filter(project=project, role__in=[GENERAL_CONTRACTOR, OWNER]).values_list(
            "company_id", flat=True
        )
    )
    if participant_id is not None:
        companies |= set(Participant.objects.filter(pk=participant_id).values_list("company_id", flat=True))
    users: set[int] = set()
    for m in Membership.objects.filter(company_id__in=companies, user__is_active=True).prefetch_related(
        "projects"
    ):
        if not role_has(m.role, Perm.PAYROLL_VIEW) or m.role in ("worker", "team_leader"):
            continue
        if m.scope_kind == ScopeKind.PROJECTS and project.pk not in {p.pk for p in m.projects.all()}:
            continue
        users.add(m.user_id)
    return users


def _notify(warning: ArrearsWarning, participant_id: int | None) -> None:
    from realname.notifications.services import Message, post_messages

    post_messages(
        Message(
            recipient_id=user_id,
            kind=f"payroll.arrears.{warning.kind}",
            level="critical" if warning.kind != ArrearsKind.BELOW_MINIMUM else "warning",
            title=_("欠薪预警：%(kind)s") % {"kind": warning.get_kind_display()},
            body=warning.message,
            link=f"/payroll/warnings/?project={warning.project.code}",
            project_id=warning.project_id,
            dedupe_key=f"payroll.arrears:{warning.public_id}",
        )
        for user_id in sorted(_recipients(warning.project, participant_id))
    )


@transaction.atomic
def check_period(period: PayPeriod, *, today: dt.date, now: dt.datetime | None = None) -> CheckResult:
    """Open the warnings that hold for ``period`` on ``today`` and close those that no longer do."""
    now = now or timezone.now()
    result = CheckResult()
    current = {(f.kind, f.subject): f for f in findings(period, today)}
    open_rows = {
        (w.kind, w.subject): w
        for w in ArrearsWarning.objects.select_for_update().filter(period=period, resolved_at__isnull=True)
    }
    for key, row in open_rows.items():
        if key not in current:
            row.resolved_at = now
            row.save(update_fields=["resolved_at", "updated_at"])
            result.resolved += 1
        else:
            f = current[key]
            if row.amount != f.amount or row.message != f.message[:300]:
                row.amount, row.message = f.amount, f.message[:300]
                row.save(update_fields=["amount", "message", "updated_at"])
            result.still_open += 1
    for key, f in current.items():
        if key in open_rows:
            continue
        warning = ArrearsWarning.objects.create(
            project=period.project,
            period=period,
            kind=f.kind,
            subject=f.subject,
            worker_id=f.worker_id,
            sheet_id=f.sheet_id,
            participant_id=f.participant_id,
            team_id=f.team_id,
            amount=f.amount,
            message=f.message[:300],
            opened_at=now,
        )
        _notify(warning, f.participant_id)
        result.opened += 1
    return result


def check_all(*, now: dt.datetime | None = None, projects: Iterable[Project] | None = None) -> CheckResult:
    """The periodic check over every project (the ``payroll.arrears`` job): the current and the previous
    month, and any older period with an open warning or a sheet still at the bank. One project's failure is
    logged and does not stop the others."""
    now = now or timezone.now()
    total = CheckResult()
    for project in projects if projects is not None else Project.objects.all():
        try:
            _check_project(project, now, total)
        except Exception:
            logger.exception("arrears check failed for project %s", project.code)
    return total


def _check_project(project: Project, now: dt.datetime, total: CheckResult) -> None:
    today = _local_today(project, now)
    periods: dict[dt.date, PayPeriod] = {}
    for month in _months_to_check(project, today):
        period = PayPeriod.objects.filter(project=project, month=month).first()
        if period is None:
            if not _has_attendance(project, month):
                continue
            period = services.open_period(project=project, month=month, by=None)
            total.periods_opened += 1
        periods[month] = period
    older = (
        PayPeriod.objects.filter(project=project)
        .exclude(month__in=list(periods))
        .filter(
            Q(arrears_warnings__resolved_at__isnull=True, arrears_warnings__isnull=False)
            | Q(sheets__status__in=[SheetStatus.SENT, SheetStatus.PARTLY_FAILED])
        )
    )
    for period in older.distinct():
        periods[period.month] = period
    for month in sorted(periods):
        step = check_period(periods[month], today=today, now=now)
        total.opened += step.opened
        total.resolved += step.resolved
        total.still_open += step.still_open
