"""Nightly close of attendance days: every employment on site gets a DayRecord (absent, rest day or
holiday when nobody punched). Run by the worker's schedule and by hand; running it again changes nothing.

A platform batch job: it acts for no user, so there is no scope to restrict (every project is closed)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from realname.attendance import daycalc
from realname.orgs.models import Project


class Command(BaseCommand):
    help = "Close attendance days (absences, rest days) / 日考勤结算：为无打卡人员生成缺勤或休息记录"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--project", help="project code (default: every project)")
        parser.add_argument(
            "--date", help="work day YYYY-MM-DD (default: yesterday in each project's time zone)"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        code: str | None = options["project"]
        day: dt.date | None = None
        if options["date"]:
            try:
                day = dt.date.fromisoformat(options["date"])
            except ValueError:
                raise CommandError(f"--date must be YYYY-MM-DD, got {options['date']!r}") from None
        projects = Project.objects.all()
        if code:
            projects = projects.filter(code=code)
            if not projects.exists():
                raise CommandError(f"no project {code!r}")
        calendar = daycalc.holiday_calendar()
        for project in projects:
            work_date = day or daycalc.yesterday_in(project)
            closed = daycalc.close_day(project=project, work_date=work_date, calendar=calendar)
            self.stdout.write(
                f"{closed.project} {closed.work_date.isoformat()}: {closed.on_site} on site, "
                f"{closed.already} already recorded, {closed.result.created} created, "
                f"{closed.result.updated} updated"
            )
