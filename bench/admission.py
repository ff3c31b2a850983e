"""Benchmark: deciding admission for every worker of a project (the full allow-list rebuild), beside a plain
read of the same rows.

    python -m bench.admission [--workers N] [--runs R]

Uses its own fresh database (see bench.import_workers). Builds a project with N workers (default 10,000),
every one with a checked identity and a signed contract, a training plan of three courses (company,
project and team level, the project level one valid 12 months) passed by 95 % of them, the seeded
certificate rules (electricians, scaffolders, welders… need a certificate) with verified certificates for
90 % of those trades, and 1 % of the workers on the project's blacklist. Setup is not measured; on
PostgreSQL it ends with ANALYZE, as autovacuum would on a live database.

Then times, each the best of R runs:

* **decide** — ``admission.selectors.decide_project``: every fact gathered in bulk (employments and
  workers, signed contracts, blacklist, age policy, ``training_facts``, ``certificate_facts``) and the pure
  decision per employment, with every reason;
* **plain read** — the floor: the same rows read with plain ``values_list`` queries and nothing decided
  (employments with their workers, contracts, training records, certificates, blacklist entries);
* **refresh** — ``admission.services.refresh`` (decide, store the statuses, queue the gate commands): the
  first refresh writes every status and an allow-list command per allowed worker on the project's gate,
  and is reported beside a second one that finds nothing changed.

The last line is one JSON object: value and baseline in seconds, ratio = decide / plain read.
Target (issue 4): under 2 s on PostgreSQL and within 5× the plain read.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import random
import time
from typing import Any

from bench.import_workers import drop_database, prepare_database, setup_django
from bench.ingest import _quiet, build_site

TARGET_SECONDS = 2.0
TARGET_RATIO = 5.0
AT = dt.datetime(2026, 11, 20, 9, 0, tzinfo=dt.UTC)


def build(workers: int) -> tuple[Any, list[Any]]:
    """The project and its employments, with everything a decision reads."""
    from realname.admission.models import BlacklistEntry
    from realname.certificates import numbers
    from realname.certificates.models import Certificate, CertificateType, TradeRule, VerificationStatus
    from realname.training.models import Course, PlanCourse, TrainingPlan, TrainingRecord
    from realname.workers.models import Contract, Worker

    rng = random.Random(4)
    project, _device, employments = build_site(workers, entry_date=dt.date(2026, 9, 1))
    checked = dt.datetime(2026, 9, 1, 8, tzinfo=dt.UTC)
    Worker.objects.filter(pk__in=[e.worker_id for e in employments]).update(
        identity_check="card_reader", identity_checked_at=checked, birth_date=dt.date(1985, 5, 5), sex="M"
    )
    Contract.objects.bulk_create(
        [
            Contract(
                project=project,
                employment=e,
                period_type="0",
                start_date=e.entry_date,
                end_date=dt.date(2027, 8, 31),
                pay_type="daily",
                daily_rate="350.00",
                signed_on=e.entry_date,
            )
            for e in employments
        ],
        batch_size=2000,
    )
    plan = TrainingPlan.objects.create(project=project, name="三级安全教育")
    courses = []
    for level, title in (
        ("company", "公司级安全教育"),
        ("project", "项目级安全教育"),
        ("team", "班组级安全教育"),
    ):
        course = Course.objects.create(company=None, title=title, training_type="003001", level=level)
        PlanCourse.objects.create(
            plan=plan,
            course=course,
            validity_months=12 if level == "project" else 0,
            absence_limit_days=30 if level == "project" else 0,
        )
        courses.append(course)
    passed = dt.datetime(2026, 9, 1, 10, tzinfo=dt.UTC)
    records = []
    for e in employments:
        if rng.random() < 0.05:
            continue
        for course in courses:
            records.append(
                TrainingRecord(
                    worker_id=e.worker_id,
                    course=course,
                    project=project if course.level in ("project", "team") else None,
                    score="92.0",
                    attempts=1,
                    passed_at=passed,
                    source="online",
                    expires_at=passed + dt.timedelta(days=365) if course.level == "project" else None,
                )
            )
    TrainingRecord.objects.bulk_create(records, batch_size=2000)
    required_trades = set(TradeRule.objects.values_list("trade", flat=True))
    first_type = {rule.trade: rule.types.first() for rule in TradeRule.objects.prefetch_related("types")}
    certificates = []
    for n, e in enumerate(employments):
        if e.trade in required_trades and rng.random() < 0.9:
            kind: CertificateType | None = first_type.get(e.trade)
            if kind is None:
                continue
            certificates.append(
                Certificate(
                    worker_id=e.worker_id,
                    type=kind,
                    number_enc=numbers.encrypt(f"BENCH{n:08d}"),
                    number_index=numbers.index(f"BENCH{n:08d}"),
                    number_masked=numbers.mask(f"BENCH{n:08d}"),
                    holder_name=f"工人{n + 1}",
                    holder_id_masked="110105********000X",
                    issuing_authority="北京市住房和城乡建设委员会",
                    issue_date=dt.date(2025, 6, 1),
                    expires_on=dt.date(2027, 6, 1),
                    verification_status=VerificationStatus.VERIFIED,
                    verified_at=checked,
                )
            )
    Certificate.objects.bulk_create(certificates, batch_size=2000)
    BlacklistEntry.objects.bulk_create(
        [
            BlacklistEntry(
                worker_id=e.worker_id,
                level="project",
                project=project,
                reason="违章作业",
                starts_on=dt.date(2026, 10, 1),
            )
            for e in employments
            if rng.random() < 0.01
        ]
    )
    return project, employments


def analyze() -> None:
    """Refresh the planner's statistics after the bulk setup, as autovacuum does on a live database (a
    table filled a moment ago has none, and the planner would guess row counts of a few hundred)."""
    from django.db import connection

    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")


def plain_read(project: Any) -> tuple[float, int]:
    """The same rows a decision reads, fetched with plain queries, nothing decided."""
    from realname.admission.models import BlacklistEntry
    from realname.certificates.models import Certificate
    from realname.training.models import TrainingRecord
    from realname.workers.models import Contract, Employment

    start = time.perf_counter()
    rows = list(
        Employment.objects.filter(project=project).values_list(
            "pk",
            "worker_id",
            "trade",
            "entry_date",
            "exit_date",
            "participant__company_id",
            "worker__birth_date",
            "worker__sex",
            "worker__identity_checked_at",
        )
    )
    workers = Employment.objects.filter(project=project).values("worker_id")
    rows += list(
        Contract.objects.filter(project=project, signed_on__isnull=False).values_list(
            "employment_id", "start_date", "end_date"
        )
    )
    rows += list(
        TrainingRecord.objects.filter(worker__in=workers).values_list(
            "worker_id", "course_id", "project_id", "passed_at", "expires_at", "retake_marked_at"
        )
    )
    rows += list(
        Certificate.objects.filter(worker__in=workers).values_list(
            "worker_id", "type_id", "number_masked", "expires_on", "next_review_on", "verification_status"
        )
    )
    rows += list(
        BlacklistEntry.objects.filter(worker__in=workers, removed_at__isnull=True).values_list(
            "worker_id", "level", "reason", "starts_on", "ends_on"
        )
    )
    return time.perf_counter() - start, len(rows)


def decide(project: Any) -> tuple[float, list[Any]]:
    from realname.admission.selectors import decide_project

    start = time.perf_counter()
    decided = decide_project(project, AT)
    return time.perf_counter() - start, decided


def run(workers: int, runs: int) -> dict[str, Any]:
    kind, cleanup = prepare_database()
    try:
        setup_django()
        from django.core.management import call_command

        from realname.admission import services
        from realname.admission.models import AdmissionStatus
        from realname.attendance.models import DeviceCommand

        call_command("migrate", verbosity=0)
        with _quiet():
            start = time.perf_counter()
            project, employments = build(workers)
            analyze()
            print(f"准备：{workers} 名工人，用时 {time.perf_counter() - start:.1f}s / setup", flush=True)
            read_times, decide_times = [], []
            rows = 0
            decided: list[Any] = []
            for _ in range(runs):
                took, rows = plain_read(project)
                read_times.append(took)
                print(f"  plain read: {took:.2f}s ({rows} rows)", flush=True)
                took, decided = decide(project)
                decide_times.append(took)
                print(f"  decide: {took:.2f}s ({len(decided)} decisions)", flush=True)
            allowed = sum(1 for d in decided if d.decision.allowed)
            assert len(decided) == workers, len(decided)
            codes: dict[str, int] = {}
            for d in decided:
                for code in d.decision.codes:
                    codes[str(code)] = codes.get(str(code), 0) + 1
            start = time.perf_counter()
            first = services.refresh(project, at=AT)
            first_refresh = time.perf_counter() - start
            start = time.perf_counter()
            second = services.refresh(project, at=AT)
            second_refresh = time.perf_counter() - start
            assert first.created == workers and second.updated == 0, (first, second)
            assert AdmissionStatus.objects.filter(project=project, allowed=True).count() == allowed
            commands = DeviceCommand.objects.filter(project=project).count()
    finally:
        drop_database(kind, cleanup)
    value, baseline = min(decide_times), min(read_times)
    ratio = value / baseline
    print(f"数据库 / database: {kind}；各取 {runs} 次中最快的一次 / best of {runs}")
    print(f"直接读取同样的数据 / plain read: {baseline:.3f}s，{rows} 行")
    print(f"判定全部 {workers} 人 / decide everyone: {value:.3f}s；准入 {allowed} 人；不准入原因 {codes}")
    print(
        f"首次刷新（写入全部状态、下发 {commands} 条闸机命令）/ first refresh: {first_refresh:.2f}s；"
        f"无变化的再次刷新 / unchanged refresh: {second_refresh:.2f}s"
    )
    met = value < TARGET_SECONDS and ratio <= TARGET_RATIO
    verdict = ("达标" if met else "未达标") if kind == "postgresql" else "本库不评判 / n/a"
    print(
        f"判定用时为直接读取的 {ratio:.2f} 倍；目标 < {TARGET_SECONDS}s 且 ≤ {TARGET_RATIO}×"
        f"（PostgreSQL），{verdict}"
    )
    return {
        "bench": "admission",
        "database": kind,
        "workers": workers,
        "value": round(value, 3),
        "unit": "s",
        "baseline": round(baseline, 3),
        "ratio": round(ratio, 3),
        "first_refresh": round(first_refresh, 3),
        "unchanged_refresh": round(second_refresh, 3),
        "target": TARGET_SECONDS,
        "target_ratio": TARGET_RATIO,
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--workers", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args(argv)
    print(json.dumps(run(args.workers, args.runs), ensure_ascii=False))


if __name__ == "__main__":
    main()
