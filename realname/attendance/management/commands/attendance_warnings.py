"""Attendance warnings: streaks of late / early leave / absence, missing exit punches, fatigue, unknown
persons at the gates and silent devices, sent as notifications. Run by the worker's schedule (after the
nightly close) and by hand; running it again notifies nobody twice.

A platform batch job: it acts for no user; who is told what is decided by each recipient's scope."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from realname.attendance.warnings import KINDS, run_warnings
from realname.orgs.models import Project


class Command(BaseCommand):
    help = (
        "Attendance warnings as notifications / 考勤预警：连续迟到早退缺勤、缺卡、疲劳、未登记人员、设备离线"
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--project", help="project code (default: every project)")

    def handle(self, *args: Any, **options: Any) -> None:
        project: Project | None = None
        if options["project"]:
            project = Project.objects.filter(code=options["project"]).first()
            if project is None:
                raise CommandError(f"no project {options['project']!r}")
        summary = run_warnings(project=project)
        found = ", ".join(f"{kind.removeprefix('attendance.')} {summary.found[kind]}" for kind in KINDS)
        self.stdout.write(
            f"{summary.projects} project(s) checked; found: {found}; "
            f"{summary.notified.created} notification(s) created, "
            f"{summary.notified.duplicates} already sent, "
            f"{summary.notified.deliveries} e-mail/SMS queued"
        )
