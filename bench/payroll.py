"""Benchmark: generating a month of pay sheets, beside a plain SQL aggregate over the same DayRecords.

    python -m bench.payroll [--workers N] [--runs R]

Uses its own fresh database (see bench.import_workers). Builds a project with N workers (default 10,000)
in four teams, each with a contract (70 % daily rate, 20 % monthly salary, 10 % hourly), and 30 DayRecords
each for October 2026 (300,000 by default): working days mostly full, some with overtime, a few absent or
half days, one rest day in five worked. One worker in five has a deduction (借支) and one in twenty a piece
quantity. Setup is not measured; on PostgreSQL it ends with ANALYZE.

Then times, each the best of R runs:

* **generate** — ``payroll.services.generate`` for the period with every sheet and line deleted before
  each run, so every line is computed and written (the holiday calendar, employments, contracts, each
  employment's month of DayRecords summed up, inputs, ``calc.compute`` per employment, lines, totals and
  the workflow step);
* **aggregate** — the floor: one GROUP BY employment over the same DayRecords (count of days, sum of hours
  and of overtime hours), fetched whole;
* **regenerate** — ``generate`` again over the stored lines, nothing changed (every input digest matches);
* **months rebuilt** — for reference, what ``generate`` no longer does: summing every employment's month
  up from the DayRecords (``attendance.day_months.rebuild``, the GROUP BY the database's triggers spread
  over the writes of the records; ``bench.day_records`` measures those writes with the triggers on).

``generate`` reads each employment's month from the rows the triggers keep (``attendance.DayRecordMonth``);
the setup's ``bulk_create`` of the records fills them, as any write of DayRecords does.

The last line is one JSON object: value and baseline in seconds, ratio = generate / aggregate.
Target (issue 5): under 10 s on PostgreSQL and within 10× the aggregate.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import random
import time
from decimal import Decimal
from typing import Any

from bench.import_workers import drop_database, empty_tables, prepare_database, setup_django
from bench.ingest import _quiet, build_site

TARGET_SECONDS = 10.0
TARGET_RATIO = 10.0
MONTH = dt.date(2026, 10, 1)
DAYS = 30


def build(workers: int) -> tuple[Any, Any]:
    """The project, its contracts, a month of day records and some inputs; returns (project, period)."""
    from django.utils import timezone

    from realname.attendance.calendar import HolidayCalendar
    from realname.attendance.days import DayRecord
    from realname.payroll.models import PayItem, PayPeriod, PieceQuantity
    from realname.workers.models import Contract

    rng = random.Random(5)
    project, _device, employments = build_site(workers, entry_date=dt.date(2026, 9, 1))
    contracts = []
    for n, e in enumerate(employments):
        roll = n % 10
        terms: dict[str, Any]
        if roll < 7:
            terms = {"pay_type": "daily", "daily_rate": Decimal("350.00")}
        elif roll < 9:
            terms = {"pay_type": "monthly", "monthly_salary": Decimal("7200.00")}
        else:
            terms = {"pay_type": "hourly", "hourly_rate": Decimal("45.00")}
        contracts.append(
            Contract(
                project=project,
                employment=e,
                period_type="0",
                start_date=e.entry_date,
                end_date=dt.date(2027, 8, 31),
                signed_on=e.entry_date,
                **terms,
            )
        )
    Contract.objects.bulk_create(contracts, batch_size=2000)

    calendar = HolidayCalendar()
    now = timezone.now()
    batch: list[DayRecord] = []
    for e in employments:
        for offset in range(DAYS):
            day = MONTH + dt.timedelta(days=offset)
            kind = calendar.kind(day)
            rest = kind in ("weekend", "holiday", "in_lieu_rest")
            roll = rng.random()
            if rest:
                hours = Decimal("8.00") if roll < 0.2 else Decimal("0.00")
                overtime, statuses = hours, ["holiday" if kind == "holiday" else "rest_day"]
                overtime_kind = "holiday" if kind == "holiday" else "rest_day"
            else:
                overtime_kind = "workday"
                if roll < 0.03:
                    hours, overtime, statuses = Decimal("0.00"), Decimal("0.00"), ["absent"]
                elif roll < 0.06:
                    hours, overtime, statuses = Decimal("5.00"), Decimal("0.00"), ["early_leave", "half_day"]
                elif roll < 0.30:
                    hours, overtime, statuses = Decimal("10.00"), Decimal("2.00"), ["present"]
                else:
                    hours, overtime, statuses = Decimal("8.00"), Decimal("0.00"), ["present"]
            batch.append(
                DayRecord(
                    project_id=project.pk,
                    employment_id=e.pk,
                    worker_id=e.worker_id,
                    work_date=day,
                    day_kind=kind,
                    hours=hours,
                    overtime_hours=overtime,
                    overtime_kind=overtime_kind,
                    statuses=statuses,
                    reasons=[],
                    computed_at=now,
                )
            )
            if len(batch) >= 10000:
                DayRecord.objects.bulk_create(batch)
                batch = []
    DayRecord.objects.bulk_create(batch)

    period = PayPeriod.objects.create(project=project, month=MONTH, pay_date=dt.date(2026, 11, 13))
    PayItem.objects.bulk_create(
        [
            PayItem(
                period=period, employment=e, direction="deduction", kind="advance", amount=Decimal("500.00")
            )
            for n, e in enumerate(employments)
            if n % 5 == 0
        ]
    )
    PieceQuantity.objects.bulk_create(
        [
            PieceQuantity(
                period=period,
                employment=e,
                description="砌筑",
                unit="82",
                quantity=Decimal("3.5"),
                unit_price=Decimal("120.00"),
            )
            for n, e in enumerate(employments)
            if n % 20 == 3
        ]
    )
    return project, period


def analyze() -> None:
    from django.db import connection

    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")


def aggregate(project: Any) -> tuple[float, int]:
    from django.db.models import Count, Sum

    from realname.attendance.days import DayRecord

    last = MONTH + dt.timedelta(days=DAYS - 1)
    start = time.perf_counter()
    rows = list(
        DayRecord.objects.filter(project=project, work_date__gte=MONTH, work_date__lte=last)
        .values("employment_id")
        .annotate(days=Count("id"), hours=Sum("hours"), overtime=Sum("overtime_hours"))
        .values_list("employment_id", "days", "hours", "overtime")
        .order_by()
    )
    return time.perf_counter() - start, len(rows)


def rebuild_months() -> tuple[float, int]:
    from django.db import connection, transaction

    from realname.attendance import day_months

    start = time.perf_counter()
    with transaction.atomic():
        rows = day_months.rebuild(connection)
    return time.perf_counter() - start, rows


def empty_sheets() -> None:
    from realname.bank.models import BankBatchLine
    from realname.payroll.models import ArrearsWarning, PayLine, PaySheet, SheetStep

    # Bank lines and warnings point at lines and sheets (none here; PostgreSQL truncates them together).
    empty_tables(SheetStep, BankBatchLine, ArrearsWarning, PayLine, PaySheet)


def generate(period: Any) -> tuple[float, Any]:
    from realname.payroll import services

    start = time.perf_counter()
    result = services.generate(period=period, by=None)
    return time.perf_counter() - start, result


def run(workers: int, runs: int) -> dict[str, Any]:
    kind, cleanup = prepare_database()
    try:
        setup_django()
        from django.core.management import call_command

        from realname.payroll.models import PayLine

        call_command("migrate", verbosity=0)
        with _quiet():
            start = time.perf_counter()
            project, period = build(workers)
            analyze()
            print(
                f"准备：{workers} 名工人，{workers * DAYS} 条日考勤，"
                f"用时 {time.perf_counter() - start:.1f}s / setup"
            )
            agg_times, gen_times, regen_times, rebuild_times = [], [], [], []
            for _ in range(runs):
                took, groups = aggregate(project)
                agg_times.append(took)
                print(f"  aggregate: {took:.2f}s ({groups} groups)", flush=True)
                empty_sheets()
                took, result = generate(period)
                gen_times.append(took)
                print(f"  generate: {took:.2f}s ({result.lines_added} lines)", flush=True)
                took, again = generate(period)
                regen_times.append(took)
                print(
                    f"  regenerate, nothing changed: {took:.2f}s ({again.lines_unchanged} unchanged)",
                    flush=True,
                )
            # Last: a rebuild leaves dead rows behind that the runs above would then read past.
            for _ in range(runs):
                took, months = rebuild_months()
                rebuild_times.append(took)
                print(f"  months rebuilt from the records: {took:.2f}s ({months} rows)", flush=True)
            lines = PayLine.objects.count()
            assert lines == workers, lines
            assert again.lines_changed == 0 and again.lines_unchanged == workers
        value, baseline = min(gen_times), min(agg_times)
        return {
            "metric": f"payroll_generate_{kind}",
            "value": round(value, 3),
            "baseline": round(baseline, 3),
            "ratio": round(value / baseline, 2),
            "regenerate": round(min(regen_times), 3),
            "months_rebuilt": round(min(rebuild_times), 3),
            "workers": workers,
            "day_records": workers * DAYS,
            "target_seconds": TARGET_SECONDS,
            "target_ratio": TARGET_RATIO,
            "database": kind,
        }
    finally:
        drop_database(kind, cleanup)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--workers", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args(argv)
    print(json.dumps(run(args.workers, args.runs), ensure_ascii=False))


if __name__ == "__main__":
    main()
