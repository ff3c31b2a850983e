"""Benchmark: recomputing a month of DayRecords, beside a plain SQL aggregate over the same punches.

    python -m bench.day_records [--workers N] [--days D] [--runs R]

Uses its own fresh database (see bench.import_workers). Builds a project with N workers (default 10,000)
on one ZKTeco gate and D days (default 30) of two punches a day each (600,000 events by default),
inserted with bulk_create (setup, not measured). Then times, each the best of R runs:

* **recompute** — ``attendance.backfill.recompute_project`` (what ``manage.py recompute_days`` runs) over
  the D dates for every employment on site: shards of 500 employments handed out to ``--jobs`` processes
  (default 2, this machine's cores) as they come free, each shard ``daycalc.recompute_project_days`` in its
  own transaction (rules, holiday calendar, employment locks, events read, ``compute_day`` per worker and
  day, new rows streamed into a COPY while the next days are computed), with the DayRecords emptied
  before each run (``TRUNCATE``: see ``bench.import_workers.empty_tables``), so every day is written;
* **one process** — the same in one process and one transaction (``recompute_project_days`` itself, the
  path the rules page takes), for comparison;
* **aggregate** — the floor: one GROUP BY (employment, local date) with min/max/count of the same events,
  fetched whole.

It also times a second recompute over the stored rows (nothing changes, nothing is written).
The last line is one JSON object: value and baseline in seconds, ratio = recompute / aggregate.
Target: the month's recompute under 20 s on PostgreSQL (docs/performance.md).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import time
from typing import Any
from zoneinfo import ZoneInfo

from bench.import_workers import drop_database, empty_tables, prepare_database, setup_django
from bench.ingest import FIRST_DAY, _quiet, build_site, punch_times

TARGET_SECONDS = 20
INSERT_BATCH = 5000


def insert_events(project: Any, device: Any, employments: list[Any], days: int) -> int:
    """Two punches (in, out) per employment and day, straight into the event table."""
    import random

    from realname.attendance.models import AccessEvent

    rng = random.Random(9)
    zone = ZoneInfo(project.time_zone)
    received = dt.datetime.now(dt.UTC)
    pending: list[AccessEvent] = []
    count = 0
    for offset in range(days):
        day = FIRST_DAY + dt.timedelta(days=offset)
        for n, employment in enumerate(employments, start=1):
            for local, direction in zip(punch_times(rng, day), ("01", "02"), strict=True):
                pending.append(
                    AccessEvent(
                        project_id=project.pk,
                        device_id=device.pk,
                        device_event_key=f"{n}|{local:%Y-%m-%d %H:%M:%S}|{direction}",
                        person_ref=str(n),
                        person_ref_kind="pin",
                        employment_id=employment.pk,
                        worker_id=employment.worker_id,
                        occurred_at=local.replace(tzinfo=zone),
                        device_local_time=f"{local:%Y-%m-%d %H:%M:%S}",
                        direction=direction,
                        method="003",
                        source="zkteco",
                        received_at=received,
                        flags=[],
                    )
                )
            if len(pending) >= INSERT_BATCH:
                AccessEvent.objects.bulk_create(pending, batch_size=1000)
                count += len(pending)
                pending = []
    AccessEvent.objects.bulk_create(pending, batch_size=1000)
    return count + len(pending)


def aggregate(project: Any, dates: list[dt.date]) -> tuple[float, int]:
    """One GROUP BY (employment, local date): first and last punch and the count, every row fetched."""
    from django.db.models import Count, Max, Min
    from django.db.models.functions import TruncDate

    from realname.attendance.models import AccessEvent

    zone = ZoneInfo(project.time_zone)
    lo = dt.datetime.combine(dates[0], dt.time(0), tzinfo=zone)
    hi = dt.datetime.combine(dates[-1] + dt.timedelta(days=1), dt.time(0), tzinfo=zone)
    start = time.perf_counter()
    rows = list(
        AccessEvent.objects.filter(project=project, occurred_at__gte=lo, occurred_at__lt=hi)
        .annotate(day=TruncDate("occurred_at", tzinfo=zone))
        .order_by()
        .values("employment_id", "day")
        .annotate(first=Min("occurred_at"), last=Max("occurred_at"), n=Count("id"))
        .values_list("employment_id", "day", "first", "last", "n")
    )
    return time.perf_counter() - start, len(rows)


def recompute(project: Any, dates: list[dt.date], jobs: int) -> tuple[float, Any]:
    from realname.attendance import backfill, daycalc

    start = time.perf_counter()
    if jobs > 1:
        result = backfill.recompute_project(project=project, dates=dates, jobs=jobs)
    else:
        result = daycalc.recompute_project_days(project=project, dates=dates)
    return time.perf_counter() - start, result


def run(workers: int, days: int, runs: int, jobs: int) -> dict[str, Any]:
    kind, cleanup = prepare_database()
    try:
        setup_django()
        from django.core.management import call_command

        from realname.attendance.days import DayRecord

        call_command("migrate", verbosity=0)
        with _quiet():
            start = time.perf_counter()
            project, device, employments = build_site(workers)
            events = insert_events(project, device, employments, days)
            print(
                f"准备：{workers} 名工人 × {days} 天，每天两次打卡，共 {events} 条事件，"
                f"用时 {time.perf_counter() - start:.1f}s / setup",
                flush=True,
            )
            dates = [FIRST_DAY + dt.timedelta(days=offset) for offset in range(days)]
            agg_times, groups = [], 0
            for _ in range(runs):
                took, groups = aggregate(project, dates)
                agg_times.append(took)
                print(f"  aggregate: {took:.2f}s ({groups} groups)", flush=True)
            times, serial_times = [], []
            result = None
            for _ in range(runs):
                empty_tables(DayRecord)
                took, serial = recompute(project, dates, 1)
                serial_times.append(took)
                print(f"  recompute, one process: {took:.2f}s ({serial})", flush=True)
                empty_tables(DayRecord)
                took, result = recompute(project, dates, jobs)
                times.append(took)
                print(f"  recompute, {jobs} processes: {took:.2f}s ({result})", flush=True)
            assert result is not None and result.created == workers * days, result
            assert DayRecord.objects.count() == workers * days
            again, unchanged = recompute(project, dates, jobs)
            assert unchanged.written == 0, unchanged
    finally:
        drop_database(kind, cleanup)
    value, baseline, one = min(times), min(agg_times), min(serial_times)
    ratio = value / baseline
    print(f"数据库 / database: {kind}；各取 {runs} 次中最快的一次 / best of {runs}")
    print(f"SQL 聚合（按用工、日期取最早/最晚）/ plain GROUP BY: {baseline:.2f}s，{groups} 组")
    print(
        f"重算一个月日考勤（{jobs} 个进程）/ back-fill, {jobs} processes: {value:.2f}s，{workers * days} 条"
    )
    print(f"单进程单事务 / one process, one transaction: {one:.2f}s")
    print(f"再次重算（无变化，不写入）/ recompute again, nothing changed: {again:.2f}s")
    verdict = ("达标" if value < TARGET_SECONDS else "未达标") if kind == "postgresql" else "本库不评判 / n/a"
    print(f"重算用时为聚合的 {ratio:.1f} 倍；目标 < {TARGET_SECONDS}s（PostgreSQL），{verdict}")
    return {
        "bench": "day_records",
        "database": kind,
        "value": round(value, 3),
        "unit": "s",
        "baseline": round(baseline, 3),
        "ratio": round(ratio, 3),
        "target": TARGET_SECONDS,
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--workers", type=int, default=10_000)
    parser.add_argument("--days", type=int, default=30)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--jobs", type=int, default=2)
    args = parser.parse_args(argv)
    result = run(args.workers, args.days, args.runs, args.jobs)
    print(json.dumps(result, ensure_ascii=False))


if __name__ == "__main__":
    main()
