"""``manage.py worker``: the background jobs (realname/core/jobs.py) on their schedule, until stopped.

    manage.py worker              run forever (SIGTERM / Ctrl-C stop it after the job in hand)
    manage.py worker --once       run every job once and exit (cron, tests, a manual catch-up)
    manage.py worker --only days.close --once

A platform process: it acts for no user, so no scope applies (every project is processed).
"""

from __future__ import annotations

import signal
import time
from types import FrameType
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from realname.core.context import acting_as
from realname.core.jobs import default_jobs
from realname.core.worker import Scheduler


class Command(BaseCommand):
    help = "Run the background jobs / 后台任务：日考勤计算、夜间结算、账本签名检查点、考勤预警"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--once", action="store_true", help="run every job once, then exit")
        parser.add_argument("--only", nargs="+", metavar="JOB", help="run only these jobs")

    def handle(self, *args: Any, **options: Any) -> None:
        jobs = default_jobs()
        if options["only"]:
            known = {job.name for job in jobs}
            unknown = sorted(set(options["only"]) - known)
            if unknown:
                raise CommandError(f"unknown job(s) {unknown}; jobs: {sorted(known)}")
            jobs = [job for job in jobs if job.name in options["only"]]
        scheduler = Scheduler(jobs)
        with acting_as(None, via="command"):
            if options["once"]:
                outcomes = scheduler.run_all()
                for outcome in outcomes:
                    state = "ok" if outcome.ok else "FAILED"
                    self.stdout.write(f"{outcome.job}: {state} {outcome.summary}".rstrip())
                if not all(outcome.ok for outcome in outcomes):
                    raise CommandError("a job failed (see the log)")
                return
            self._loop(scheduler)

    def _loop(self, scheduler: Scheduler) -> None:
        stopping = False

        def stop(signum: int, frame: FrameType | None) -> None:
            nonlocal stopping
            stopping = True

        signal.signal(signal.SIGTERM, stop)
        signal.signal(signal.SIGINT, stop)
        self.stdout.write(f"worker: {', '.join(f'{j.name} every {j.every:g}s' for j in scheduler.jobs)}")
        while not stopping:
            for outcome in scheduler.run_due():
                if outcome.summary or not outcome.ok:
                    state = "ok" if outcome.ok else "FAILED"
                    self.stdout.write(f"{outcome.job}: {state} {outcome.summary}".rstrip())
            # Sleep in short steps so a stop signal is honoured within a second.
            deadline = time.monotonic() + scheduler.seconds_to_next()
            while not stopping and time.monotonic() < deadline:
                time.sleep(min(1.0, max(0.0, deadline - time.monotonic())))
        self.stdout.write("worker: stopped")
