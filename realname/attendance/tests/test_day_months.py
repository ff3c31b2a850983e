"""The month rows (DayRecordMonth) the database keeps as DayRecords are written, changed and deleted: after
every kind of write they are what summing the records up afresh gives."""

from __future__ import annotations

import datetime as dt
import io
import random
from decimal import Decimal
from typing import Any

import pytest
from django.core.management import call_command
from django.db import connection
from django.utils import timezone

from realname.attendance import day_months
from realname.attendance.days import DayRecord, DayRecordMonth
from realname.core import bulk
from realname.core.bulk import streamed_insert
from realname.testing import World
from realname.workers.models import Employment

pytestmark = pytest.mark.django_db

OCT = dt.date(2026, 10, 1)
NOV = dt.date(2026, 11, 1)
DEC = dt.date(2026, 12, 1)


def stored() -> dict[tuple[Any, ...], tuple[Any, ...]]:
    """The month rows as the triggers left them, by (project, employment, month)."""
    return {
        (row[0], row[1], row[2]): tuple(row[3:])
        for row in DayRecordMonth.objects.values_list(*day_months.KEYS, *day_months.NAMES)
    }


def afresh() -> dict[tuple[Any, ...], tuple[Any, ...]]:
    """The month rows summed up from the DayRecords as they are now."""
    with connection.cursor() as cursor:
        cursor.execute(day_months.summed_up(connection))
        rows = cursor.fetchall()
    out = {}
    for row in rows:
        month = row[2] if isinstance(row[2], dt.date) else dt.date.fromisoformat(row[2])
        out[(row[0], row[1], month)] = tuple(int(v) for v in row[3:])
    return out


def assert_kept() -> dict[tuple[Any, ...], tuple[Any, ...]]:
    rows = stored()
    assert rows == afresh()
    return rows


def record(emp: Employment, day: dt.date, **fields: Any) -> DayRecord:
    values: dict[str, Any] = {
        "project_id": emp.project_id,
        "employment": emp,
        "worker_id": emp.worker_id,
        "work_date": day,
        "day_kind": "workday",
        "hours": Decimal("8.00"),
        "overtime_hours": Decimal("0.00"),
        "overtime_kind": "workday",
        "statuses": ["present"],
        "computed_at": timezone.now(),
    }
    values.update(fields)
    return DayRecord(**values)


@pytest.fixture
def emps(world: World) -> tuple[Employment, Employment]:
    return (
        Employment.objects.get(worker=world.worker_a, project=world.p1),
        Employment.objects.get(worker=world.worker_b, project=world.p1),
    )


def test_the_triggers_are_installed() -> None:
    """After every migration (on SQLite, one that alters the DayRecord table drops them: it must install
    them again)."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "SELECT tgname FROM pg_trigger WHERE tgrelid = %s::regclass AND NOT tgisinternal",
                [day_months.SOURCE],
            )
        else:
            cursor.execute(
                "SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name = %s", [day_months.SOURCE]
            )
        names = sorted(row[0] for row in cursor.fetchall() if row[0].startswith("attendance_day_month_"))
    expected = list(day_months.TRIGGERS)
    if connection.vendor == "postgresql":
        expected.append(day_months.EMPTIED)
    assert names == sorted(expected)


def test_a_month_row_holds_its_days_as_masks_and_hundredths_of_hours(emps: tuple[Employment, ...]) -> None:
    a, _b = emps
    record(a, OCT).save()  # 1 Oct: a full day
    record(
        a,
        OCT + dt.timedelta(days=2),
        hours=Decimal("10.25"),
        overtime_hours=Decimal("2.25"),
        statuses=["late", "half_day"],
    ).save()
    record(
        a,
        OCT + dt.timedelta(days=30),
        day_kind="weekend",
        hours=Decimal("4.50"),
        overtime_hours=Decimal("4.50"),
        overtime_kind="rest_day",
        statuses=["rest_day"],
    ).save()
    row = DayRecordMonth.objects.get(employment=a, month=OCT)
    assert row.recorded == 1 | 1 << 2 | 1 << 30
    assert row.worked == row.recorded
    assert (row.full, row.half, row.missing) == (1, 1 << 2, 0)
    assert row.regular == 1 | 1 << 2  # the rest day's hours are all overtime
    assert row.regular_hours_x100 == 800 + 800
    assert row.hours_x100 == 800 + 1025 + 450
    assert row.overtime_hours_x100 == 225 + 450
    assert (row.workday_overtime, row.workday_overtime_hours_x100) == (1 << 2, 225)
    assert (row.rest_day_overtime, row.rest_day_overtime_hours_x100) == (1 << 30, 450)
    assert (row.holiday_overtime, row.holiday_overtime_hours_x100) == (0, 0)
    assert row.project_id == a.project_id
    assert_kept()


def test_the_month_rows_follow_every_kind_of_write(emps: tuple[Employment, ...]) -> None:
    a, b = emps
    rng = random.Random(3)
    shapes: list[dict[str, Any]] = [
        {},
        {"hours": Decimal("10.00"), "overtime_hours": Decimal("2.00")},
        {"hours": Decimal("5.00"), "statuses": ["early_leave", "half_day"]},
        {"hours": Decimal("0.00"), "statuses": ["absent"]},
        {"hours": Decimal("0.00"), "statuses": ["missing_punch"]},
        {"day_kind": "adjusted_workday", "hours": Decimal("7.75"), "statuses": ["late", "missing_punch"]},
        {
            "day_kind": "holiday",
            "hours": Decimal("8.00"),
            "overtime_hours": Decimal("8.00"),
            "overtime_kind": "holiday",
            "statuses": ["holiday"],
        },
        {
            "day_kind": "weekend",
            "hours": Decimal("3.33"),
            "overtime_hours": Decimal("3.33"),
            "overtime_kind": "rest_day",
            "statuses": ["rest_day"],
        },
    ]

    # Written one by one (the ORM), in bulk (multi-row INSERT) and streamed (COPY on PostgreSQL).
    record(a, OCT, **shapes[1]).save()
    DayRecord.objects.bulk_create(
        [record(a, OCT + dt.timedelta(days=n), **rng.choice(shapes)) for n in range(1, 20)]
        + [record(a, NOV + dt.timedelta(days=n), **rng.choice(shapes)) for n in range(5)]
    )
    names = ["project_id", "employment_id", "worker_id", "work_date", "day_kind", "hours", "overtime_hours"]
    names += ["overtime_kind", "statuses", "computed_at", "intervals", "areas", "reasons", "event_ids"]
    names += ["auto_clock_out", "fatigue"]
    with streamed_insert(
        DayRecord, names, json_text=("statuses", "intervals", "areas", "reasons", "event_ids")
    ) as write:
        for n in range(31):
            r = record(b, OCT + dt.timedelta(days=n), **rng.choice(shapes))
            write(
                [r.project_id, r.employment_id, r.worker_id, r.work_date, r.day_kind, r.hours]
                + [r.overtime_hours, r.overtime_kind, f'["{r.statuses[0]}"]', r.computed_at]
                + ["[]", "[]", "[]", "[]", False, False]
            )
    rows = assert_kept()
    assert len(rows) == 3  # a's October and November, b's October
    assert rows[(a.project_id, b.pk, OCT)][0] == (1 << 31) - 1

    # Changed: one record, a query's worth, in bulk, and a change that moves nothing (no new row version
    # needed, but the row must stay right).
    one = DayRecord.objects.get(employment=a, work_date=OCT)
    one.statuses = ["half_day"]
    one.hours = Decimal("4.00")
    one.overtime_hours = Decimal("0.00")
    one.save()
    assert_kept()
    DayRecord.objects.filter(employment=b, work_date__lt=OCT + dt.timedelta(days=10)).update(
        hours=Decimal("9.10"), overtime_hours=Decimal("1.10"), overtime_kind="workday", day_kind="workday"
    )
    assert_kept()
    some = list(DayRecord.objects.filter(employment=a, work_date__lt=NOV))
    for r in some:
        r.__dict__.update(rng.choice(shapes))
    DayRecord.objects.bulk_update(some, ["day_kind", "hours", "overtime_hours", "overtime_kind", "statuses"])
    assert_kept()
    before = stored()
    DayRecord.objects.filter(employment=a).update(computed_at=timezone.now())
    assert stored() == before
    # The day computation's upsert (INSERT … ON CONFLICT DO UPDATE), small and large (on PostgreSQL the
    # large one goes through COPY into a scratch table): some rows new, some changed.
    for count in (4, bulk._COPY_UPSERT_FROM + 10):
        rows = []
        for n in range(count):
            emp, day = (
                (a, DEC + dt.timedelta(days=n % 28)) if n < 28 else (b, OCT + dt.timedelta(days=n % 31))
            )
            r = record(emp, day, **rng.choice(shapes))
            row = {
                f.attname: getattr(r, f.attname) for f in DayRecord._meta.concrete_fields if not f.primary_key
            }
            rows.append(row)
        unique = {(row["employment_id"], row["work_date"]): row for row in rows}
        bulk.upsert_rows(
            DayRecord,
            list(unique.values()),
            timezone.now(),
            unique_fields=["employment_id", "work_date"],
            update_fields=["day_kind", "hours", "overtime_hours", "overtime_kind", "statuses"],
        )
        assert_kept()
    # A record moved to another month and to another employment (never done, but kept right).
    moved = DayRecord.objects.get(employment=a, work_date=NOV)
    moved.work_date = NOV + dt.timedelta(days=20)
    moved.save()
    DayRecord.objects.filter(employment=a, work_date=OCT + dt.timedelta(days=3)).update(
        employment=b, work_date=NOV + dt.timedelta(days=3)
    )
    rows = assert_kept()
    assert (a.project_id, b.pk, NOV) in rows

    # Deleted: one, some, and the last of a month (its row goes).
    DayRecord.objects.filter(employment=b, work_date=OCT).delete()
    assert_kept()
    DayRecord.objects.filter(
        employment=a, work_date__gte=OCT + dt.timedelta(days=10), work_date__lt=NOV
    ).delete()
    assert_kept()
    DayRecord.objects.filter(employment=a, work_date__gte=NOV).delete()
    rows = assert_kept()
    assert (a.project_id, a.pk, NOV) not in rows
    assert (a.project_id, a.pk, OCT) in rows
    DayRecord.objects.all().delete()
    assert stored() == {}


@pytest.mark.skipif(connection.vendor != "postgresql", reason="TRUNCATE is PostgreSQL's")
def test_emptying_the_records_empties_the_months(emps: tuple[Employment, ...]) -> None:
    a, _b = emps
    record(a, OCT).save()
    assert DayRecordMonth.objects.exists()
    with connection.cursor() as cursor:
        cursor.execute("TRUNCATE attendance_dayrecord")
    assert not DayRecordMonth.objects.exists()
    # Both tables in one statement, as Django's flush between transactional tests does.
    record(a, OCT).save()
    with connection.cursor() as cursor:
        cursor.execute("TRUNCATE attendance_dayrecord, attendance_dayrecordmonth")
    assert not DayRecordMonth.objects.exists()
    record(a, OCT).save()
    assert_kept()


def test_rebuild_sums_every_month_up_again(emps: tuple[Employment, ...]) -> None:
    a, b = emps
    DayRecord.objects.bulk_create([record(e, OCT + dt.timedelta(days=n)) for e in (a, b) for n in range(5)])
    kept = assert_kept()
    # A month row gone wrong (say, a restore with the triggers off) and a stray one.
    DayRecordMonth.objects.filter(employment=a).update(hours_x100=1, recorded=0)
    DayRecordMonth.objects.create(project_id=a.project_id, employment=a, month=NOV, recorded=1)
    assert stored() != kept
    out = io.StringIO()
    call_command("rebuild_day_record_months", stdout=out)
    assert stored() == kept
    assert "2 month row(s) rebuilt" in out.getvalue()
