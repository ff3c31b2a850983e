"""Benchmark: gate punches through the ingest service, beside a plain multi-row INSERT of the same rows.

    python -m bench.ingest [--events N] [--workers W] [--runs R] [--jobs J]

Uses its own fresh database (see bench.import_workers: a temporary SQLite file, or realname_bench on the
PostgreSQL server DATABASE_URL names). Builds a project with W workers (default 10,000) mapped by PIN on
one ZKTeco device (rows made with bulk_create: the setup is not what is measured), and N punches (default
100,000: an in and an out a day per worker, over as many days as it takes) written as ZKTeco ATTLOG
bodies of 500 lines each, in time order, and parsed up front.

Measured, each the best of R runs (the tables are emptied between runs, outside the timing):

* **plain** (the baseline) — the same rows (identifiers already resolved, values converted) inserted
  with one multi-row ``INSERT … VALUES`` a batch, one transaction a batch, into a scratch copy of the
  access-event table with the same columns, constraints and indexes;
* **ingest** — every batch through ``attendance.services.ingest_events``, the real path, with day records
  deferred (the production setting for busy gates): identifiers mapped, times, flags, public ids and
  leaf hashes made, then under the ledger's lock the duplicate check, the events written numbered by
  COPY / multi-row INSERT, the ledger leaves and state, one transaction a batch;
* the worker's catch-up of those days, the same ingest with days inline, and every batch re-sent (all
  duplicates);
* **J processes** (default 2, this machine's cores) — the batches shared round-robin over J processes,
  each with its own connection, as J worker processes share a busy gate's uploads.

The HTTP layer (gunicorn, the iclock views, raw-message storage) is not part of this bench.
The last line is one JSON object; value (one process), parallel (J processes) and baseline are events/s,
ratio = one-process ingest rate / plain rate. Targets: ratio ≥ 1/3, and ≥ 20,000 events/s on
PostgreSQL (docs/performance.md).
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import json
import random
import time
from collections.abc import Callable, Iterator
from typing import Any

from bench.import_workers import drop_database, empty_tables, prepare_database, setup_django

TARGET_RATIO = 1 / 3
TARGET_PG_RATE = 20_000
BATCH = 500
SERIAL = "BENCHZK0001"
FIRST_DAY = dt.date(2026, 10, 12)  # a Monday


@contextlib.contextmanager
def _quiet() -> Iterator[None]:
    from realname.core.context import acting_as

    with acting_as(None, via="command"):
        yield


def build_site(workers: int, *, entry_date: dt.date = dt.date(2026, 9, 1)) -> tuple[Any, Any, list[Any]]:
    """A project, its ZKTeco gate and ``workers`` employments mapped project-wide by PIN "1".."W".

    Returns (project, device, employments in PIN order). Rows are made with bulk_create: the ID data is
    placeholder text, never read by the measured code."""
    from realname.attendance import services
    from realname.attendance.models import DeviceIdentity, DeviceKind
    from realname.core import dictionaries, synthetic
    from realname.orgs import services as org_services
    from realname.orgs.models import Participant
    from realname.workers.models import Employment, Worker

    rng = random.Random(3)
    gc = org_services.create_company(
        name="基准总承包建设集团有限公司", credit_code=synthetic.credit_code(rng)
    )
    project = org_services.create_project(
        code="BENCH1", name="基准测试项目", general_contractor=gc, region_code="110105", category="01"
    )
    participant = Participant.objects.get(project=project, role="009")
    teams = [org_services.create_team(participant=participant, name=f"基准{n}班") for n in range(1, 5)]
    device = services.register_device(project=project, kind=DeviceKind.ZKTECO, serial=SERIAL, name="东门")
    trades = list(dictionaries.table("trades"))
    people = Worker.objects.bulk_create(
        [
            Worker(
                name=f"工人{i}",
                id_number_enc="bench",
                id_number_index=f"bench-{i:08d}",
                id_number_masked="110105********000X",
            )
            for i in range(1, workers + 1)
        ],
        batch_size=1000,
    )
    if people and people[0].pk is None:  # backends that do not return keys from a bulk insert
        people = list(Worker.objects.order_by("pk"))
    employments = Employment.objects.bulk_create(
        [
            Employment(
                project=project,
                participant=participant,
                team=teams[i % len(teams)],
                worker=person,
                trade=trades[i % len(trades)],
                entry_date=entry_date,
            )
            for i, person in enumerate(people)
        ],
        batch_size=1000,
    )
    if employments and employments[0].pk is None:
        employments = list(Employment.objects.filter(project=project).order_by("pk"))
    DeviceIdentity.objects.bulk_create(
        [
            DeviceIdentity(project=project, kind=DeviceKind.ZKTECO, ref_kind="pin", ref=str(n), employment=e)
            for n, e in enumerate(employments, start=1)
        ],
        batch_size=1000,
    )
    device.refresh_from_db()
    return project, device, employments


def punch_times(rng: random.Random, day: dt.date) -> tuple[dt.datetime, dt.datetime]:
    """A realistic in (07:20–08:40) and out (16:50–18:40) on ``day``, device wall-clock time."""
    start = dt.datetime.combine(day, dt.time(7, 20))
    clock_in = start + dt.timedelta(seconds=rng.randrange(80 * 60))
    clock_out = start + dt.timedelta(hours=9, minutes=30, seconds=rng.randrange(110 * 60))
    return clock_in, clock_out


def attlog_bodies(workers: int, events: int) -> list[bytes]:
    """``events`` ATTLOG lines (an in and an out per worker and day, days in turn, each day's lines in
    time order) cut into bodies of ``BATCH`` lines — what the gate would upload."""
    rng = random.Random(5)
    lines: list[tuple[dt.datetime, str]] = []
    day = FIRST_DAY
    while len(lines) < events:
        todays: list[tuple[dt.datetime, str]] = []
        for pin in range(1, workers + 1):
            clock_in, clock_out = punch_times(rng, day)
            verify = rng.choice("1115")  # mostly fingerprint, some card
            todays.append((clock_in, f"{pin}\t{clock_in:%Y-%m-%d %H:%M:%S}\t0\t{verify}\t0\t0"))
            todays.append((clock_out, f"{pin}\t{clock_out:%Y-%m-%d %H:%M:%S}\t1\t{verify}\t0\t0"))
        todays.sort()
        lines.extend(todays[: events - len(lines)])
        day += dt.timedelta(days=1)
    return [
        "\n".join(text for _, text in lines[i : i + BATCH]).encode() + b"\n"
        for i in range(0, len(lines), BATCH)
    ]


def _plain_model() -> Any:
    """An unmanaged copy of AccessEvent (same columns, constraints and indexes) on a scratch table."""
    from django.db import models

    from realname.attendance.models import AccessEvent

    attrs: dict[str, Any] = {"__module__": __name__}
    for f in AccessEvent._meta.local_fields:
        if f.primary_key:
            continue
        name, _path, args, kwargs = f.deconstruct()
        if f.is_relation:
            kwargs["related_name"] = "+"
        attrs[name] = type(f)(*args, **kwargs)
    meta = AccessEvent._meta
    attrs["Meta"] = type(
        "Meta",
        (),
        {
            "app_label": "attendance",
            "db_table": "bench_plain_event",
            "managed": False,
            "constraints": [c.clone() for c in meta.constraints],
            "indexes": [i.clone() for i in meta.indexes],
        },
    )
    for item in [*attrs["Meta"].constraints, *attrs["Meta"].indexes]:
        item.name = f"bp_{item.name}"[:30]
    return type("BenchPlainEvent", (models.Model,), attrs)


def _empty_event_tables() -> None:
    from realname.attendance.days import DayQueue, DayRecord
    from realname.attendance.models import AccessEvent, Device
    from realname.attendance.models_corrections import CorrectionRequest
    from realname.ledger.models import Checkpoint, LedgerLeaf, LedgerState

    # Correction requests point at events (empty here; PostgreSQL truncates them together).
    empty_tables(DayRecord, LedgerLeaf, Checkpoint, LedgerState, CorrectionRequest, AccessEvent)
    DayQueue.objects.update(done_size=0)
    Device.objects.update(last_seen_at=None, clock_skew_seconds=None)


def _received(items: list[Any]) -> dt.datetime:
    """When a live gate's upload arrives: a minute after its last punch (so no clock-skew flags)."""
    from zoneinfo import ZoneInfo

    last = max(item.local_time for item in items)
    return (last + dt.timedelta(minutes=1)).replace(tzinfo=ZoneInfo("Asia/Shanghai"))


def time_ingest(device: Any, batches: list[list[Any]], *, days: str) -> float:
    """Every batch through the ingest service, one transaction each, with day recompute ``days``
    ("inline" or "deferred": see REALNAME_DAY_RECOMPUTE)."""
    from django.test import override_settings

    from realname.attendance import services

    with override_settings(REALNAME_DAY_RECOMPUTE=days):
        start = time.perf_counter()
        for items in batches:
            services.ingest_events(
                device=device, parsed=items, raw_message=None, source="zkteco", received_at=_received(items)
            )
        return time.perf_counter() - start


def _ingest_share(args: tuple[Any, list[list[Any]]]) -> None:
    """A child process's share of the batches (its own database connection, as each worker has)."""
    from django.db import connections

    connections.close_all()  # the parent's socket stays the parent's
    device, batches = args
    with _quiet():
        time_ingest(device, batches, days="deferred")
    connections.close_all()


def time_ingest_parallel(device: Any, batches: list[list[Any]], jobs: int) -> float:
    """The batches shared out round-robin over ``jobs`` processes, as ``jobs`` worker processes would
    take a busy site's uploads; wall time until the last commits."""
    import multiprocessing

    from django.db import connections

    connections.close_all()
    shares = [(device, batches[n::jobs]) for n in range(jobs)]
    context = multiprocessing.get_context("fork")  # the children inherit the set-up Django
    start = time.perf_counter()
    with context.Pool(jobs) as pool:
        pool.map(_ingest_share, shares, chunksize=1)
    return time.perf_counter() - start


def time_drain() -> float:
    """The worker's catch-up after a deferred ingest: every pending event's days recomputed."""
    from realname.core import jobs

    start = time.perf_counter()
    while jobs.recompute_pending_days():
        pass
    return time.perf_counter() - start


def time_plain(table: str, columns: list[str], rows: list[list[tuple[Any, ...]]]) -> float:
    """Each batch as one multi-row ``INSERT … VALUES (…), (…), …`` through the driver, one transaction a
    batch, values already converted for the database: the INSERT alone, nothing of Django's ORM."""
    from django.db import connection, transaction

    quote = connection.ops.quote_name
    names = ", ".join(quote(c) for c in columns)
    one = "(" + ", ".join(["%s"] * len(columns)) + ")"
    start = time.perf_counter()
    for batch in rows:
        sql = f"INSERT INTO {quote(table)} ({names}) VALUES " + ", ".join([one] * len(batch))  # noqa: S608
        params = [value for row in batch for value in row]
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(sql, params)
    return time.perf_counter() - start


def plain_rows(device: Any, batches: list[list[Any]]) -> tuple[list[str], list[list[tuple[Any, ...]]]]:
    """The same punches as column values ready for the driver (identifiers resolved, times localised,
    public ids and ledger numbers assigned — all done by the ingest service inside its timing; here
    beforehand, so the baseline is the INSERT alone)."""
    import uuid
    from zoneinfo import ZoneInfo

    from django.db import connection

    from realname.attendance.models import AccessEvent, DeviceIdentity
    from realname.core.bulk import converter

    mapping = dict(
        DeviceIdentity.objects.filter(project_id=device.project_id).values_list("ref", "employment_id")
    )
    workers = dict(
        DeviceIdentity.objects.filter(project_id=device.project_id).values_list(
            "ref", "employment__worker_id"
        )
    )
    fields = [f for f in AccessEvent._meta.concrete_fields if not f.primary_key]
    converters = [converter(f, connection) for f in fields]
    zone = ZoneInfo(device.time_zone or "Asia/Shanghai")
    out = []
    index = 0
    for items in batches:
        received = _received(items)
        batch = []
        for e in items:
            row = {
                "public_id": uuid.uuid4(),
                "project_id": device.project_id,
                "device_id": device.pk,
                "raw_message_id": None,
                "device_event_key": e.device_event_key,
                "person_ref": e.person_ref,
                "person_ref_kind": e.person_ref_kind,
                "employment_id": mapping.get(e.person_ref),
                "worker_id": workers.get(e.person_ref),
                "occurred_at": e.local_time.replace(tzinfo=zone).astimezone(dt.UTC),
                "device_local_time": e.local_time.strftime("%Y-%m-%d %H:%M:%S"),
                "direction": e.direction,
                "method": e.method,
                "source": "zkteco",
                "received_at": received,
                "flags": [],
                "lat": None,
                "lng": None,
                "ledger_index": index,
            }
            index += 1
            batch.append(
                tuple(
                    row[f.attname] if convert is None or row[f.attname] is None else convert(row[f.attname])
                    for f, convert in zip(fields, converters, strict=True)
                )
            )
        out.append(batch)
    return [f.column for f in fields], out


def best(label: str, runs: int, measure: Callable[[], float], reset: Callable[[], None]) -> list[float]:
    times = []
    for _ in range(runs):
        reset()
        times.append(measure())
        print(f"  {label}: {times[-1]:.2f}s", flush=True)
    return times


def run(events: int, workers: int, runs: int, jobs: int = 2) -> dict[str, Any]:
    kind, cleanup = prepare_database()
    try:
        setup_django()
        from django.core.management import call_command
        from django.db import connection

        from realname.attendance.days import DayRecord
        from realname.attendance.models import AccessEvent
        from realname.attendance.protocols import zkteco
        from realname.ledger import selectors as ledger

        call_command("migrate", verbosity=0)
        with _quiet():
            start = time.perf_counter()
            project, device, _ = build_site(workers)
            bodies = attlog_bodies(workers, events)
            batches: list[list[Any]] = []
            for body in bodies:
                parsed = zkteco.parse_attlog(body)
                assert not parsed.errors, parsed.errors[:3]
                batches.append(parsed.items)
            columns, rows = plain_rows(device, batches)
            plain = _plain_model()
            with connection.schema_editor() as editor:
                editor.create_model(plain)
            took = time.perf_counter() - start
            days = len({item.local_time.date() for items in batches for item in items})
            print(
                f"准备：{workers} 名工人（按 PIN 映射）、1 台中控考勤机、{events} 条打卡（{days} 天，"
                f"{len(batches)} 批 × {BATCH}）用时 {took:.1f}s / setup"
            )

            def reset_plain() -> None:
                empty_tables(plain)

            plain_times = best(
                "plain INSERT", runs, lambda: time_plain(plain._meta.db_table, columns, rows), reset_plain
            )
            inline_times = best(
                "ingest, days inline",
                runs,
                lambda: time_ingest(device, batches, days="inline"),
                _empty_event_tables,
            )
            inline_days = DayRecord.objects.count()
            ingest_times: list[float] = []
            drain_times: list[float] = []
            for _ in range(runs):
                _empty_event_tables()
                ingest_times.append(time_ingest(device, batches, days="deferred"))
                print(f"  ingest, days deferred: {ingest_times[-1]:.2f}s", flush=True)
                drain_times.append(time_drain())
                print(f"  worker drain (days of those events): {drain_times[-1]:.2f}s", flush=True)
            day_rows = DayRecord.objects.count()
            assert day_rows == inline_days, (day_rows, inline_days)
            stored = AccessEvent.objects.count()
            day_rows = DayRecord.objects.count()
            assert stored == events, (stored, events)
            assert AccessEvent.objects.filter(ledger_index__isnull=True).count() == 0
            assert ledger.tree_size() == events
            verdict = ledger.verify_ledger()
            assert verdict.ok, [str(f) for f in verdict.findings[:5]]
            # Every batch again: a gate re-sending what it already sent (all duplicates).
            start = time.perf_counter()
            time_ingest(device, batches, days="deferred")
            resend = time.perf_counter() - start
            assert AccessEvent.objects.count() == events
            parallel_times: list[float] = []
            for _ in range(runs if jobs > 1 else 0):
                _empty_event_tables()
                parallel_times.append(time_ingest_parallel(device, batches, jobs))
                print(f"  ingest, days deferred, {jobs} processes: {parallel_times[-1]:.2f}s", flush=True)
                assert AccessEvent.objects.count() == events
                assert ledger.tree_size() == events
            if parallel_times:
                verdict = ledger.verify_ledger()
                assert verdict.ok, [str(f) for f in verdict.findings[:5]]
            del project
    finally:
        drop_database(kind, cleanup)
    plain_time, inline_time = min(plain_times), min(inline_times)
    ingest_time, drain_time = min(ingest_times), min(drain_times)
    rate, plain_rate, inline_rate = events / ingest_time, events / plain_time, events / inline_time
    ratio = rate / plain_rate
    print(f"数据库 / database: {kind}；各取 {runs} 次中最快的一次 / best of {runs}")
    print(f"普通多行 INSERT / plain multi-row INSERT: {plain_time:.2f}s = {plain_rate:,.0f} 条/s")
    print(
        f"接入（去重+账本，日考勤由 worker 随后计算）/ ingest (dedupe + ledger; days deferred): "
        f"{ingest_time:.2f}s = {rate:,.0f} 条/s ({ratio:.3f} of plain)"
    )
    print(
        f"worker 追算这些打卡的日考勤 / worker drain of those days: {drain_time:.2f}s = "
        f"{events / drain_time:,.0f} 条/s；生成日考勤 {day_rows} 条 / DayRecords"
    )
    print(
        f"接入（同一事务内重算日考勤）/ ingest with days inline: {inline_time:.2f}s = "
        f"{inline_rate:,.0f} 条/s "
        f"({inline_rate / plain_rate:.3f} of plain)"
    )
    print(
        f"全部重发（均为重复）/ every batch re-sent (all duplicates): {resend:.2f}s"
        f" = {events / resend:,.0f} 条/s"
    )
    best_rate = rate
    if parallel_times:
        parallel_rate = events / min(parallel_times)
        best_rate = max(rate, parallel_rate)
        print(
            f"{jobs} 个进程并行接入（同一台设备的批次轮流分给各进程）/ ingest by {jobs} processes: "
            f"{min(parallel_times):.2f}s = {parallel_rate:,.0f} 条/s"
        )
    print("账本校验通过 / ledger_verify clean; HTTP (gunicorn) not measured here")
    ok = ratio >= TARGET_RATIO and (kind != "postgresql" or best_rate >= TARGET_PG_RATE)
    pg_note = f"，且 ≥ {TARGET_PG_RATE:,} 条/s（PostgreSQL）" if kind == "postgresql" else ""
    print(f"接入速率为普通 INSERT 的 {ratio:.3f}（目标 ≥ 1/3{pg_note}，{'达标' if ok else '未达标'}）")
    return {
        "bench": "ingest",
        "database": kind,
        "value": round(rate, 1),
        "unit": "events/s",
        "baseline": round(plain_rate, 1),
        "ratio": round(ratio, 3),
        "target": round(TARGET_RATIO, 3),
        "parallel": round(events / min(parallel_times), 1) if parallel_times else None,
        "jobs": jobs,
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--events", type=int, default=100_000)
    parser.add_argument("--workers", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--jobs", type=int, default=2, help="processes for the parallel run (1: none)")
    args = parser.parse_args(argv)
    result = run(args.events, args.workers, args.runs, args.jobs)
    print(json.dumps(result, ensure_ascii=False))


if __name__ == "__main__":
    main()
