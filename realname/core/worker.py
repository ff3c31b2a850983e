"""The background worker's loop: a few periodic jobs, each run when due, one failure never stopping the rest.

``manage.py worker`` runs :func:`realname.core.jobs.default_jobs` with this scheduler. Deliberately
small — one process, no broker: every job is idempotent and keeps its progress in the database (the day
queue's mark, the ledger's checkpoints, DayRecords, notification keys), so a restart, a second worker or
a job run by hand in between is harmless; the scheduler only decides *when* to call them.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from django.db import close_old_connections, connections

log = logging.getLogger(__name__)


def refresh_connections() -> None:
    """Drop connections the server has closed or that outlived CONN_MAX_AGE (a long-lived process must not
    keep one), except inside a transaction (a job run from a test or from another command's atomic block)."""
    if not any(connection.in_atomic_block for connection in connections.all(initialized_only=True)):
        close_old_connections()


@dataclass
class Job:
    """A named function called every ``every`` seconds; it returns a short summary for the log, or ""."""

    name: str
    every: float
    run: Callable[[], str]
    next_at: float = 0.0  # monotonic seconds; 0 = due at the first tick
    failures: int = field(default=0)


@dataclass(frozen=True)
class Outcome:
    job: str
    ok: bool
    summary: str


class Scheduler:
    """Calls each due job in turn. ``clock`` is injectable so tests can move time without sleeping."""

    def __init__(
        self,
        jobs: Sequence[Job],
        *,
        clock: Callable[[], float] = time.monotonic,
        between_jobs: Callable[[], None] | None = None,
    ) -> None:
        names = [job.name for job in jobs]
        if len(set(names)) != len(names):
            raise ValueError(f"job names must be unique: {names}")
        self.jobs = list(jobs)
        self.clock = clock
        self.between_jobs = between_jobs or refresh_connections

    def run_due(self) -> list[Outcome]:
        """Run every job whose time has come; schedule each one's next run from when it finished."""
        outcomes = []
        for job in self.jobs:
            if self.clock() < job.next_at:
                continue
            outcomes.append(self._run(job))
            job.next_at = self.clock() + job.every
        return outcomes

    def run_all(self) -> list[Outcome]:
        """Run every job once, due or not (``manage.py worker --once``)."""
        return [self._run(job) for job in self.jobs]

    def seconds_to_next(self) -> float:
        return max(0.0, min((job.next_at for job in self.jobs), default=60.0) - self.clock())

    def _run(self, job: Job) -> Outcome:
        self.between_jobs()
        try:
            summary = job.run()
        except Exception:
            job.failures += 1
            log.exception("worker job %s failed (%d failures so far)", job.name, job.failures)
            return Outcome(job.name, False, "failed")
        finally:
            self.between_jobs()
        if summary:
            log.info("worker job %s: %s", job.name, summary)
        return Outcome(job.name, True, summary)
