"""Reads for pay: a month of DayRecords as the day groups the calculation takes, and what a user may see."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Collection
from decimal import Decimal
from typing import Any

from django.db import connection
from django.db.models import QuerySet

from realname.accounts.roles import Perm
from realname.accounts.scope import restrict
from realname.attendance.days import DayRecord
from realname.orgs.models import Project
from realname.payroll import calc
from realname.payroll.models import ArrearsWarning, PayLine, PayPeriod, PaySheet, WageDeposit

_HUNDRED = Decimal(100)

# One row per employment × day kind × attendance unit × overtime kind (or none) × missing punch × whether
# the day has regular (non-overtime) hours, with the
# day numbers and the hours added up — calc.group_days on single days gives the same groups (a test holds
# the two together). Only days inside the employment's own span count.
_GROUPS_SQL = """
SELECT d.employment_id, d.day_kind,
       CASE WHEN d.day_kind NOT IN ('workday', 'adjusted_workday') OR d.hours <= 0
                 OR {absent} THEN 0
            WHEN {half_day} THEN 1
            ELSE 2 END AS unit_code,
       CASE WHEN d.overtime_hours > 0 THEN d.overtime_kind ELSE '' END AS ot_kind,
       CASE WHEN d.day_kind IN ('workday', 'adjusted_workday') AND d.hours <= 0
                 AND {missing_punch} THEN 1 ELSE 0 END AS missing,
       CASE WHEN d.hours > d.overtime_hours THEN 1 ELSE 0 END AS regular,
       {days} AS days,
       {hours} AS hours,
       {overtime} AS overtime
  FROM attendance_dayrecord d
  JOIN workers_employment e ON e.id = d.employment_id
 WHERE d.project_id = %s AND d.work_date >= %s AND d.work_date <= %s
   AND d.work_date >= e.entry_date AND (e.exit_date IS NULL OR d.work_date <= e.exit_date)
 GROUP BY 1, 2, 3, 4, 5, 6
"""
_VENDOR = {
    "postgresql": {
        # jsonb's ? operator: the array holds that string (no cast of the document to text)
        "absent": "d.statuses ? 'absent'",
        "half_day": "d.statuses ? 'half_day'",
        "missing_punch": "d.statuses ? 'missing_punch'",
        "days": "string_agg(extract(day from d.work_date)::int::text, ',')",
        "hours": "SUM(d.hours)",
        "overtime": "SUM(d.overtime_hours)",
    },
    # SQLite keeps decimals as numbers with float affinity: add them up as whole hundredths.
    "sqlite": {
        "absent": """d.statuses LIKE '%%"absent"%%'""",
        "half_day": """d.statuses LIKE '%%"half_day"%%'""",
        "missing_punch": """d.statuses LIKE '%%"missing_punch"%%'""",
        "days": "group_concat(strftime('%%d', d.work_date), ',')",
        "hours": "SUM(CAST(ROUND(d.hours * 100) AS INTEGER))",
        "overtime": "SUM(CAST(ROUND(d.overtime_hours * 100) AS INTEGER))",
    },
}
_UNITS = (Decimal("0"), Decimal("0.5"), Decimal("1"))


def day_groups(
    project_id: int, first: dt.date, last: dt.date, *, single_days: Collection[int] = ()
) -> tuple[dict[int, list[calc.DayGroup]], dict[int, tuple[Any, ...]]]:
    """The month's DayRecords of a project as day groups per employment, and per employment a key of
    exactly what the groups say (for the inputs digest). Employments in ``single_days`` (their terms
    change within the month) get one group per day, so each day is paid under its own terms."""
    vendor = connection.vendor if connection.vendor in _VENDOR else "postgresql"
    sql = _GROUPS_SQL.format(**_VENDOR[vendor])
    groups: dict[int, list[calc.DayGroup]] = defaultdict(list)
    keys: dict[int, list[tuple[Any, ...]]] = defaultdict(list)
    whole = vendor == "sqlite"
    with connection.cursor() as cursor:
        cursor.execute(sql, [project_id, first, last])
        rows = cursor.fetchall()
    # Day numbers → dates, once per month (a month of 10,000 workers names 300,000 days).
    date_of = {
        n: first + dt.timedelta(days=n - 1)
        for n in range(1, 32)
        if (first + dt.timedelta(days=n - 1)).month == first.month
    }
    for employment_id, day_kind, unit_code, ot_kind, missing, regular, days, hours, overtime in rows:
        if employment_id in single_days:
            continue
        if whole:
            hours, overtime = Decimal(hours) / _HUNDRED, Decimal(overtime) / _HUNDRED
        numbers = sorted(map(int, days.split(",")))
        groups[employment_id].append(
            calc.DayGroup(
                tuple(map(date_of.__getitem__, numbers)),
                day_kind,
                _UNITS[unit_code],
                hours,
                overtime,
                ot_kind or "workday",
                missing == 1,
            )
        )
        keys[employment_id].append(
            (day_kind, unit_code, ot_kind, missing, regular, tuple(numbers), str(hours), str(overtime))
        )
    if single_days:
        for row in DayRecord.objects.filter(
            employment_id__in=list(single_days), work_date__gte=first, work_date__lte=last
        ).values_list(
            "employment_id", "work_date", "day_kind", "hours", "overtime_hours", "overtime_kind", "statuses"
        ):
            employment_id, work_date, day_kind, hours, overtime, ot_kind, statuses = row
            day = calc.Day(
                work_date=work_date,
                day_kind=day_kind,  # type: ignore[arg-type]  # a DayKind by the field's choices
                hours=hours,
                overtime_hours=overtime,
                overtime_kind=ot_kind or "workday",  # type: ignore[arg-type]
                statuses=tuple(statuses or ()),
            )
            groups[employment_id].append(calc.DayGroup.of(day))
            keys[employment_id].append(
                (work_date.day, day_kind, str(hours), str(overtime), ot_kind, tuple(statuses))
            )
    return groups, {k: tuple(sorted(v)) for k, v in keys.items()}


# --- what a user may see -----------------------------------------------------------------------------------


def visible_periods(user: Any) -> QuerySet[PayPeriod]:
    return restrict(PayPeriod.objects.select_related("project"), user, Perm.PAYROLL_VIEW)


def visible_sheets(user: Any) -> QuerySet[PaySheet]:
    return restrict(
        PaySheet.objects.select_related("period", "project", "participant__company", "team"),
        user,
        Perm.PAYROLL_VIEW,
    )


def own_lines(user: Any) -> QuerySet[PayLine]:
    """A worker's own pay lines (the phone pages), newest month first. Drafts (figures may still change)
    and superseded revisions are left out: a worker sees a line once the team leader has confirmed it."""
    if user is None or not getattr(user, "is_authenticated", False):
        return PayLine.objects.none()
    return (
        restrict(PayLine.objects.filter(worker__user=user), user, Perm.PAYROLL_CONFIRM)
        .exclude(sheet__status__in=["draft", "superseded"])
        .select_related("sheet__period__project", "sheet__participant__company", "sheet__team", "employment")
        .order_by("-sheet__period__month", "-sheet__revision")
    )


def visible_warnings(user: Any) -> QuerySet[ArrearsWarning]:
    """Wage-arrears warnings the user may see: all of a project's for the general contractor, the owner, the
    supervisor and the region's regulator; a subcontractor only those about its own people; a team leader
    only their team's (realname.accounts.scope, family ``payroll.ArrearsWarning``)."""
    return restrict(ArrearsWarning.objects.all(), user, Perm.PAYROLL_VIEW).select_related(
        "project", "period", "worker"
    )


def visible_deposits(user: Any) -> QuerySet[WageDeposit]:
    projects = restrict(Project.objects.all(), user, Perm.PAYROLL_VIEW)
    return WageDeposit.objects.filter(project__in=projects).select_related("project")
