"""Benchmark: importing a 10,000-row worker spreadsheet, beside openpyxl merely reading the same file.

    python -m bench.import_workers [--rows N]

Uses its own fresh database: a temporary SQLite file, or — when DATABASE_URL points at PostgreSQL — a
database named realname_bench (or $REALNAME_BENCH_DB) created (and dropped afterwards) on that server.
Builds a project with a general contractor, three subcontractors and their teams, writes the import
template filled with synthetic but valid people, times the bare read (the floor: openpyxl read-only
iterating every value) and the real import (workers.importer.import_workers), each the best of three
runs (the first two imports are rolled back), and prints both rates. The last line is one JSON object.
Target: the import takes no more than 3× the bare read (docs/performance.md).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import random
import sys
import tempfile
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

TARGET_RATIO = 3
RUNS = 3
BENCH_DB = os.environ.get("REALNAME_BENCH_DB", "realname_bench")  # two benches at once need two
# Fixed keys for the benchmark's throw-away data only (the same kind tests use); real keys always win.
_BENCH_DATA_KEYS = "b1:YmVuY2gtZGF0YS1rZXktYmVuY2gtZGF0YS1rZXktMDA"
_BENCH_INDEX_KEY = "YmVuY2gtaW5kZXgta2V5LWJlbmNoLWluZGV4LWstMDA"


def _pg_admin(url: str) -> Any:
    import psycopg

    parts = urlsplit(url)
    admin = urlunsplit(parts._replace(path="/postgres"))
    return psycopg.connect(admin, autocommit=True)


def prepare_database() -> tuple[str, str]:
    """Point DATABASE_URL at a fresh database; returns (kind, what to clean up)."""
    url = os.environ.get("DATABASE_URL", "")
    if url.startswith(("postgres://", "postgresql://")):
        with _pg_admin(url) as conn:
            conn.execute(f"DROP DATABASE IF EXISTS {BENCH_DB} WITH (FORCE)")
            conn.execute(f"CREATE DATABASE {BENCH_DB}")
        os.environ["DATABASE_URL"] = urlunsplit(urlsplit(url)._replace(path=f"/{BENCH_DB}"))
        return "postgresql", url
    handle, path = tempfile.mkstemp(prefix="realname-bench-", suffix=".sqlite3")
    os.close(handle)
    os.environ["DATABASE_URL"] = f"sqlite:///{path}"
    return "sqlite", path


def drop_database(kind: str, cleanup: str) -> None:
    from django.db import connections

    connections.close_all()
    if kind == "postgresql":
        with _pg_admin(cleanup) as conn:
            conn.execute(f"DROP DATABASE IF EXISTS {BENCH_DB} WITH (FORCE)")
    else:
        for suffix in ("", "-wal", "-shm"):
            Path(cleanup + suffix).unlink(missing_ok=True)


def empty_tables(*models: Any) -> None:
    """Empty these models' tables before a timed run: ``TRUNCATE`` on PostgreSQL, ``DELETE`` on SQLite.

    A ``DELETE`` on PostgreSQL leaves every row behind as a dead tuple until a vacuum, and each index entry
    with it: the next run's inserts then check the dead copies of exactly the keys they insert in the
    unique indexes, and autovacuum starts on the table in the middle of the run. A live table never holds
    dead copies of the rows being written (punches are never deleted; day records are updated in place),
    so every run starts from an empty table, as the first one does."""
    from django.db import connection

    tables = ", ".join(connection.ops.quote_name(model._meta.db_table) for model in models)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(f"TRUNCATE {tables}")
        else:
            for model in models:
                cursor.execute(f"DELETE FROM {connection.ops.quote_name(model._meta.db_table)}")  # noqa: S608


def setup_django() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    if not (os.environ.get("REALNAME_DATA_KEYS") and os.environ.get("REALNAME_INDEX_KEY")):
        os.environ["REALNAME_TESTING"] = "1"
        os.environ["REALNAME_DATA_KEYS"] = _BENCH_DATA_KEYS
        os.environ["REALNAME_INDEX_KEY"] = _BENCH_INDEX_KEY
    import django

    django.setup()


def build_project() -> tuple[Any, list[tuple[Any, list[str]]]]:
    """A project with its general contractor and three subcontractors, two teams each."""
    from realname.core import synthetic
    from realname.orgs import services
    from realname.orgs.models import Participant

    rng = random.Random(7)

    def company(name: str) -> Any:
        return services.create_company(name=name, credit_code=synthetic.credit_code(rng))

    gc = company("基准总承包建设集团有限公司")
    project = services.create_project(
        code="BENCH1", name="基准测试项目", general_contractor=gc, region_code="110105", category="01"
    )
    participants = [Participant.objects.get(project=project, role="009")]
    for i, role in enumerate(("006", "001", "006"), start=1):
        participants.append(
            services.add_participant(project=project, company=company(f"基准分包{i}有限公司"), role=role)
        )
    structure = []
    for number, p in enumerate(participants, start=1):
        teams = [services.create_team(participant=p, name=f"第{number}单位{kind}班").name for kind in "甲乙"]
        structure.append((p, teams))
    return project, structure


def write_file(path: Path, project: Any, structure: list[tuple[Any, list[str]]], rows: int) -> None:
    """The project's import template with ``rows`` synthetic people, every column filled."""
    from realname.core import dictionaries, synthetic
    from realname.workers.excel import DATA_SHEET, HEADERS, build_template

    rng = random.Random(11)
    wb = build_template(project)
    ws = wb[DATA_SHEET]
    tables = {
        name: list(dictionaries.table(name).values())
        for name in ("ethnicities", "education", "marital_status")
    }
    trades = list(dictionaries.table("trades").values())
    today = dt.date(2026, 11, 25)
    seen: set[str] = set()
    for i in range(rows):
        sex = rng.choice("MF")
        while True:
            birth = synthetic.birth_date_for_age(rng, age_min=18, age_max=60, today=today)
            number = synthetic.id_number(rng, birth_date=birth, sex=sex)
            if number not in seen:
                seen.add(number)
                break
        participant, teams = structure[i % len(structure)]
        bank_code, bank_name, card = synthetic.bank_card(rng)
        valid_from = dt.date(2020 + rng.randrange(6), rng.randrange(1, 13), rng.randrange(1, 29))
        row = {
            "姓名": synthetic.person_name(rng, sex),
            "证件类型": "居民身份证",
            "身份证号": number,
            "手机号": synthetic.mobile(rng),
            "民族": rng.choice(tables["ethnicities"]),
            "工种": rng.choice(trades),
            "人员类型": "建筑工人" if i % 10 else "管理人员",
            "参建单位": participant.company.name if i % 2 else participant.company.credit_code,
            "班组": rng.choice(teams),
            "进场日期": dt.date(2026, rng.randrange(1, 12), rng.randrange(1, 29)),
            "银行卡号": card,
            "开户银行": bank_name,
            "银行类别": bank_code,
            "住址": f"某省某市某县某镇{rng.randrange(1, 300)}号",
            "签发机关": "某县公安局",
            "证件有效期起": valid_from,
            "证件有效期止": "长期" if birth.year < 1980 else valid_from.replace(year=valid_from.year + 20),
            "文化程度": rng.choice(tables["education"]),
            "政治面貌": "群众",
            "婚姻状况": rng.choice(tables["marital_status"]),
            "紧急联系人": synthetic.person_name(rng, "F"),
            "紧急联系电话": synthetic.mobile(rng),
        }
        ws.append([row[h] for h in HEADERS])
    wb.save(path)


def bare_read(path: Path) -> tuple[float, int]:
    """The floor: openpyxl read-only, iterating every value of the data sheet."""
    from openpyxl import load_workbook

    from realname.workers.excel import DATA_SHEET

    start = time.perf_counter()
    wb = load_workbook(path, read_only=True, data_only=True)
    count = 0
    for row in wb[DATA_SHEET].iter_rows(values_only=True):
        for _value in row:
            pass
        count += 1
    wb.close()
    return time.perf_counter() - start, count - 1


def run(rows: int) -> dict[str, Any]:
    kind, cleanup = prepare_database()
    try:
        setup_django()
        from django.core.management import call_command
        from django.db import transaction

        from realname.core.context import acting_as
        from realname.workers.importer import import_workers
        from realname.workers.models import Employment, Worker

        call_command("migrate", verbosity=0)
        with acting_as(None, via="command"), tempfile.TemporaryDirectory() as tmp:
            project, structure = build_project()
            path = Path(tmp) / "workers.xlsx"
            start = time.perf_counter()
            write_file(path, project, structure, rows)
            took = time.perf_counter() - start
            print(f"生成 {rows} 行导入文件（{path.stat().st_size / 1e6:.1f} MB）用时 {took:.1f}s")
            read_times = [bare_read(path)[0] for _ in range(RUNS)]
            # The same import RUNS times: all but the last rolled back, so each starts from the same state.
            import_times = []
            for run_number in range(RUNS):
                start = time.perf_counter()
                with transaction.atomic():
                    report = import_workers(project=project, source=path, user=None)
                    if run_number < RUNS - 1:
                        transaction.set_rollback(True)
                import_times.append(time.perf_counter() - start)
                if not report.imported or report.workers_created != rows:
                    print(report.as_text()[:3000], file=sys.stderr)
                    raise SystemExit("导入未成功，基准无效 / the import failed, no figure")
            assert (
                Worker.objects.count() == rows and Employment.objects.filter(project=project).count() == rows
            )
            start = time.perf_counter()
            again = import_workers(project=project, source=path, user=None)
            again_time = time.perf_counter() - start
            assert again.ok and not again.changed
    finally:
        drop_database(kind, cleanup)
    read_time, import_time = min(read_times), min(import_times)
    ratio = import_time / read_time
    print(f"数据库 / database: {kind}；各取 {RUNS} 次中最快的一次 / best of {RUNS}")
    runs = " ".join(f"{t:.2f}" for t in read_times)
    print(f"openpyxl 只读遍历 / bare read: {read_time:.2f}s = {rows / read_time:,.0f} 行/s  ({runs})")
    runs = " ".join(f"{t:.2f}" for t in import_times)
    print(f"导入（校验+写入） / import: {import_time:.2f}s = {rows / import_time:,.0f} 行/s  ({runs})")
    print(f"重复导入同一文件（无变化） / idempotent re-import: {again_time:.2f}s")
    verdict = "达标" if ratio <= TARGET_RATIO else "未达标"
    print(f"导入用时是裸读取的 {ratio:.2f} 倍（目标 ≤ {TARGET_RATIO} 倍，{verdict}）")
    return {
        "bench": "import_workers",
        "database": kind,
        "value": round(rows / import_time, 1),
        "unit": "rows/s",
        "baseline": round(rows / read_time, 1),
        "ratio": round(ratio, 3),
        "target": TARGET_RATIO,
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rows", type=int, default=10_000)
    args = parser.parse_args(argv)
    result = run(args.rows)
    print(json.dumps(result, ensure_ascii=False))


if __name__ == "__main__":
    main()
