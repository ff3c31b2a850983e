"""Reads for pay: a month of DayRecords summed up per employment as the calculation takes it (read from the
month rows the database keeps), and what a user may see."""

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
from realname.attendance import day_months
from realname.attendance.days import DayRecord
from realname.orgs.models import Project
from realname.payroll import calc
from realname.payroll.models import ArrearsWarning, PayLine, PayPeriod, PaySheet, WageDeposit


def attendance_query(project_id: int, month: calc.Month) -> tuple[str, dict[str, Any]]:
    """The SQL and parameters that read a project's month of DayRecords summed up per employment: the
    month rows the database keeps as the records are written (attendance.DayRecordMonth, see
    realname/attendance/day_months.py), in :class:`calc.Attendance`'s order. They hold every record of
    the month, also any outside the employment's own span: :func:`calc.fits` tells where single days are
    needed. :func:`attendance_of` reads the rows."""
    postgresql = connection.vendor == "postgresql"
    columns = ", ".join(
        # hundredths of an hour: as hours with two places (PostgreSQL's numeric; SQLite's in attendance_of)
        (f'"{name}" * 0.01' if postgresql else f'"{name}"') if name.endswith("_x100") else f'"{name}"'
        for name in day_months.NAMES
    )
    sql = (
        f"SELECT employment_id, {columns} FROM {day_months.TABLE}"  # noqa: S608 - our own constants
        " WHERE project_id = %(project)s AND month = %(first)s"
    )
    return sql, {"project": project_id, "first": month.first}


_HOURS_COLUMNS = frozenset(n for n, name in enumerate(day_months.NAMES) if name.endswith("_x100"))


def attendance_of(rows: Iterable[Sequence[Any]]) -> dict[int, calc.Attendance]:
    """The summaries in the rows of :func:`attendance_query`, by employment."""
    if connection.vendor != "postgresql":
        summaries = {}
        for row in rows:
            values: list[Any] = [  # hundredths of an hour as hours with two places
                Decimal(v).scaleb(-2) if n in _HOURS_COLUMNS else v for n, v in enumerate(row[1:])
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
