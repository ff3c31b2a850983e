"""Reads for pay: a month of DayRecords summed up per employment as the calculation takes it, and what a
user may see."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Collection, Iterable, Sequence
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

# One row per employment: its month of DayRecords as a calc.Attendance — bit masks of the days (bit n is
# the month's (n+1)-th day; a day is in a mask once, so SUM adds bits as OR would) and the hours, each
# column one aggregate with its own FILTER, in calc.Attendance's order. calc.summarise on the same single
# days gives the same summary (a test holds the two together).
_WORKING = "d.day_kind IN ('workday', 'adjusted_workday')"
_COLUMNS: tuple[tuple[str, str, str], ...] = (
    # (mask or hours, of what, filter)
    ("mask", "", ""),
    ("mask", "", "d.hours > 0"),
    ("mask", "", f"{_WORKING} AND d.hours > 0 AND NOT {{absent}} AND NOT {{half_day}}"),
    ("mask", "", f"{_WORKING} AND d.hours > 0 AND NOT {{absent}} AND {{half_day}}"),
    ("mask", "", f"{_WORKING} AND d.hours <= 0 AND {{missing_punch}}"),
    ("mask", "", f"{_WORKING} AND d.hours > d.overtime_hours"),
    ("hours", "d.hours - d.overtime_hours", f"{_WORKING} AND d.hours > d.overtime_hours"),
    ("hours", "d.hours", ""),
    ("hours", "d.overtime_hours", ""),
    *(
        column
        for kind in ("workday", "rest_day", "holiday")
        for column in (
            ("mask", "", f"d.overtime_hours > 0 AND d.overtime_kind = '{kind}'"),
            ("hours", "d.overtime_hours", f"d.overtime_hours > 0 AND d.overtime_kind = '{kind}'"),
        )
    ),
)
_HOURS_COLUMNS = frozenset(n for n, (what, _, _) in enumerate(_COLUMNS) if what == "hours")
_VENDOR = {
    "postgresql": {
        # date − date is a whole number of days; jsonb's ? operator: the array holds that string
        "mask": "SUM(1 << (d.work_date - %(first)s))",
        "hours": "SUM({})",
        "absent": "d.statuses ? 'absent'",
        "half_day": "d.statuses ? 'half_day'",
        "missing_punch": "d.statuses ? 'missing_punch'",
    },
    # SQLite keeps decimals as numbers with float affinity: add them up as whole hundredths.
    "sqlite": {
        "mask": "SUM(1 << CAST(julianday(d.work_date) - julianday(%(first)s) AS INTEGER))",
        "hours": "SUM(CAST(ROUND(({}) * 100) AS INTEGER))",
        "absent": """(d.statuses LIKE '%%"absent"%%')""",
        "half_day": """(d.statuses LIKE '%%"half_day"%%')""",
        "missing_punch": """(d.statuses LIKE '%%"missing_punch"%%')""",
    },
}


def _summary_sql(vendor: str) -> str:
    words = _VENDOR[vendor]
    columns = []
    for what, of, where in _COLUMNS:
        aggregate = words["mask"] if what == "mask" else words["hours"].format(of)
        if where:
            aggregate = f"COALESCE({aggregate} FILTER (WHERE {where.format(**words)}), 0)"
        columns.append(aggregate)
    return (
        f"SELECT d.employment_id, {', '.join(columns)} FROM attendance_dayrecord d"  # noqa: S608 - constants
        " WHERE d.project_id = %(project)s AND d.work_date >= %(first)s AND d.work_date <= %(last)s"
        " GROUP BY d.employment_id"
    )


def attendance_query(project_id: int, month: calc.Month) -> tuple[str, dict[str, Any]]:
    """The SQL and parameters that sum up a project's DayRecords of ``month`` per employment (every record of
    the month, also any outside the employment's own span: :func:`calc.fits` tells where single days are
    needed); :func:`attendance_of` reads its rows."""
    vendor = connection.vendor if connection.vendor in _VENDOR else "postgresql"
    return _summary_sql(vendor), {"project": project_id, "first": month.first, "last": month.last}


def attendance_of(rows: Iterable[Sequence[Any]]) -> dict[int, calc.Attendance]:
    """The summaries in the rows of :func:`attendance_query`, by employment."""
    if connection.vendor == "sqlite":
        summaries = {}
        for row in rows:
            values: list[Any] = [  # masks stay whole numbers; hundredths of an hour become Decimal hours
                Decimal(v) / _HUNDRED if n in _HOURS_COLUMNS else v for n, v in enumerate(row[1:])
            ]
            summaries[row[0]] = calc.Attendance(*values)
        return summaries
    return {row[0]: calc.Attendance(*row[1:]) for row in rows}


def single_days(employment_ids: Collection[int], first: dt.date, last: dt.date) -> dict[int, list[calc.Day]]:
    """The DayRecords of these employments from ``first`` to ``last``, one :class:`calc.Day` each."""
    days: dict[int, list[calc.Day]] = defaultdict(list)
    if not employment_ids:
        return days
    for employment_id, work_date, day_kind, hours, overtime, ot_kind, statuses in (
        DayRecord.objects.filter(
            employment_id__in=list(employment_ids), work_date__gte=first, work_date__lte=last
        )
        .order_by("employment_id", "work_date")
        .values_list(
            "employment_id", "work_date", "day_kind", "hours", "overtime_hours", "overtime_kind", "statuses"
        )
    ):
        days[employment_id].append(
            calc.Day(
                work_date=work_date,
                day_kind=day_kind,  # type: ignore[arg-type]  # a DayKind by the field's choices
                hours=hours,
                overtime_hours=overtime,
                overtime_kind=ot_kind or "workday",  # type: ignore[arg-type]
                statuses=tuple(statuses or ()),
            )
        )
    return days


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
