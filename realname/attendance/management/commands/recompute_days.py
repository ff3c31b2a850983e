"""``manage.py recompute_days --project CODE --from YYYY-MM-DD [--to YYYY-MM-DD] [--jobs N]``: recompute a
project's DayRecords for a range of days (after a rule change or a late holiday override), in parallel on
PostgreSQL. Idempotent: days whose result is unchanged are not written; run it again after a failure.

A platform batch job: it acts for no user, so no scope applies."""

from __future__ import annotations

import datetime as dt
import time
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from realname.attendance.backfill import default_jobs, recompute_project
from realname.core.context import acting_as
from realname.orgs.models import Project

MAX_DAYS = 400


def _date(text: str, flag: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise CommandError(f"{flag} must be YYYY-MM-DD, got {text!r}") from None


class Command(BaseCommand):
    help = "Recompute a project's day records for a range of days / 重新计算项目日考勤"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--project", required=True, help="project code")
        parser.add_argument("--from", dest="start", required=True, help="first work day YYYY-MM-DD")
        parser.add_argument("--to", dest="end", help="last work day (default: yesterday)")
        parser.add_argument("--jobs", type=int, default=default_jobs(), help="processes (PostgreSQL)")

    def handle(self, *args: Any, **options: Any) -> None:
        project = Project.objects.filter(code=options["project"]).first()
        if project is None:
            raise CommandError(f"no project {options['project']!r}")
        start = _date(options["start"], "--from")
        end = _date(options["end"], "--to") if options["end"] else timezone.localdate() - dt.timedelta(days=1)
        if end < start:
            raise CommandError("--to is before --from")
        if (end - start).days >= MAX_DAYS:
            raise CommandError(f"at most {MAX_DAYS} days at a time")
        if options["jobs"] < 1:
            raise CommandError("--jobs must be at least 1")
        days = [start + dt.timedelta(days=n) for n in range((end - start).days + 1)]
        began = time.monotonic()
        with acting_as(None, via="command"):
            result = recompute_project(project=project, dates=days, jobs=options["jobs"])
        self.stdout.write(
            f"{project.code} {start.isoformat()}…{end.isoformat()}: {result.created} created, "
            f"{result.updated} updated, {result.unchanged} unchanged in {time.monotonic() - began:.1f}s"
        )
