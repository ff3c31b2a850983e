"""The parallel back-fill (attendance/backfill.py and ``manage.py recompute_days``): shards in forked
processes on PostgreSQL write exactly what one process writes; elsewhere it runs the shards in turn."""

from __future__ import annotations

import datetime as dt
from io import StringIO
from typing import Any

import pytest
from django.core.management import CommandError, call_command

from realname.attendance import backfill, daycalc
from realname.attendance.days import DayRecord
from realname.attendance.tests.test_days import MONDAY, Site, punch
from realname.attendance.tests.test_days import site as site  # noqa: PLC0414 - the fixture, re-exported
from realname.workers.models import Employment

pytestmark = pytest.mark.django_db(transaction=True)

DAYS = [MONDAY + dt.timedelta(days=n) for n in range(3)]


def _snapshot() -> list[tuple[Any, ...]]:
    fields = [f for f in daycalc.COMPUTED_FIELDS if f != "project_id"]
    return sorted(
        (r.employment_id, r.work_date, *(str(getattr(r, f)) for f in fields)) for r in DayRecord.objects.all()
    )


def _punches(site: Site) -> None:
    for day in DAYS:
        punch(site, site.a, day, "07:55", "01")
        punch(site, site.a, day, "17:10", "02")
        punch(site, site.b, day, "08:40", "01")  # late, and no exit


def test_a_sharded_backfill_writes_what_one_process_writes(site: Site) -> None:
    for employment in (site.a, site.b):
        Employment.objects.filter(pk=employment.pk).update(entry_date=MONDAY - dt.timedelta(days=10))
    _punches(site)
    daycalc.recompute_project_days(project=site.world.p1, dates=DAYS)
    expected = _snapshot()
    DayRecord.objects.all().delete()

    result = backfill.recompute_project(project=site.world.p1, dates=DAYS, jobs=2, shard_size=1)

    assert _snapshot() == expected
    assert result.created == len(expected) > 0
    again = backfill.recompute_project(project=site.world.p1, dates=DAYS, jobs=2, shard_size=1)
    assert again.written == 0 and again.unchanged == len(expected)


def test_the_command_recomputes_a_range_and_says_what_it_did(site: Site) -> None:
    _punches(site)
    out = StringIO()

    call_command(
        "recompute_days", "--project", "P1", "--from", DAYS[0].isoformat(), "--to", DAYS[-1].isoformat(),
        "--jobs", "2", stdout=out,
    )  # fmt: skip

    assert f"P1 {DAYS[0].isoformat()}…{DAYS[-1].isoformat()}:" in out.getvalue()
    assert DayRecord.objects.filter(employment=site.a, work_date__in=DAYS).count() == 3


def test_the_command_refuses_a_backwards_range_and_an_unknown_project(site: Site) -> None:
    with pytest.raises(CommandError, match="before"):
        call_command("recompute_days", "--project", "P1", "--from", "2026-03-10", "--to", "2026-03-01")
    with pytest.raises(CommandError, match="no project"):
        call_command("recompute_days", "--project", "NOPE", "--from", "2026-03-10")
