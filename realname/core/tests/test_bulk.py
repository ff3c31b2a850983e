"""The fast bulk writes (core/bulk.py) against the ORM's own: same stored values, on both databases — the
upsert both below and above the size where PostgreSQL switches to COPY and a scratch table."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from realname.attendance.days import HolidayOverride
from realname.core import bulk

pytestmark = pytest.mark.django_db

START = dt.date(2030, 1, 1)


def _rows(count: int, name: str) -> list[dict[str, object]]:
    return [
        {
            "date": START + dt.timedelta(days=n),
            "kind": "holiday" if n % 2 else "workday",
            "name": f"{name}{n}",
        }
        for n in range(count)
    ]


@pytest.mark.parametrize("count", [3, bulk._COPY_UPSERT_FROM + 100])
def test_an_upsert_inserts_new_rows_and_updates_existing_ones(count: int) -> None:
    now = timezone.now()
    bulk.upsert_rows(HolidayOverride, _rows(count, "旧"), now, unique_fields=["date"], update_fields=["name"])
    changed = _rows(count + 2, "新")

    bulk.upsert_rows(HolidayOverride, changed, now, unique_fields=["date"], update_fields=["name"])

    stored = {o.date: (o.kind, o.name) for o in HolidayOverride.objects.all()}
    assert stored == {r["date"]: (r["kind"], r["name"]) for r in changed}
    assert {o.created_at for o in HolidayOverride.objects.all()} == {now}  # auto_now_add stamped once


def test_inserted_rows_come_back_with_their_keys_in_order() -> None:
    rows = _rows(5, "假")

    ids = bulk.insert_returning_ids(HolidayOverride, rows, timezone.now())

    assert [HolidayOverride.objects.get(pk=pk).name for pk in ids] == [r["name"] for r in rows]


_TRICKY = ["", "a", "a,b", "{x}", '"quoted"', "back\\slash", "NULL", "null", " spaced ", "中文，逗号", '\\"']


@pytest.mark.skipif(connection.vendor != "postgresql", reason="text_array is a PostgreSQL text[] literal")
@given(st.lists(st.text(alphabet=st.characters(blacklist_characters="\x00")) | st.sampled_from(_TRICKY)))
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_text_array_is_read_back_by_postgresql_as_the_same_strings(values: list[str]) -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT %s::text[]", [bulk.text_array(values)])
        assert cursor.fetchone()[0] == values


def test_read_in_order_gives_each_querys_rows_as_values_list_would() -> None:
    bulk.insert_rows(HolidayOverride, _rows(5, "节"), timezone.now())
    later = HolidayOverride.objects.filter(date__gte=START + dt.timedelta(days=3)).order_by("date")
    table = connection.ops.quote_name(HolidayOverride._meta.db_table)
    with bulk.read_in_order(
        later.values_list("date", "name"),
        (f"SELECT COUNT(*) FROM {table} WHERE name LIKE %s", ["节%"]),  # noqa: S608 - the model's own table
        HolidayOverride.objects.order_by("-date").values_list("kind", flat=True),
    ) as results:
        dates = next(results)
        (count,) = next(results)
        kinds = next(results)
    # dates come back as dates on both databases (Django's converters applied), in each query's order
    assert [tuple(r) for r in dates] == [(START + dt.timedelta(days=n), f"节{n}") for n in (3, 4)]
    assert count[0] == 5
    assert [r[0] for r in kinds] == ["workday", "holiday", "workday", "holiday", "workday"]
    # the connection is free for other queries afterwards
    assert HolidayOverride.objects.count() == 5


def test_paused_gc_resumes_the_collector_as_it_was() -> None:
    import gc

    assert gc.isenabled()
    with pytest.raises(RuntimeError), bulk.paused_gc():
        assert not gc.isenabled()
        raise RuntimeError
    assert gc.isenabled()
    gc.disable()
    try:
        with bulk.paused_gc():
            assert not gc.isenabled()
        assert not gc.isenabled()  # it was off before: it stays off
    finally:
        gc.enable()


def test_a_streamed_insert_takes_the_columns_every_row_shares_once() -> None:
    """``same``: values given once for every row (a time stamp, keys, a decimal, a boolean, JSON text, a
    null) are stored as if each row had carried them."""
    from decimal import Decimal

    from realname.attendance.days import DayRecord

    at = timezone.now().replace(microsecond=123456)
    same = {
        "project_id": 7,
        "worker_id": 9,
        "day_kind": "workday",
        "hours": Decimal("7.25"),
        "overtime_hours": Decimal("0.00"),
        "overtime_kind": "workday",
        "statuses": '["late", "half_day"]',
        "intervals": "[]",
        "areas": "[]",
        "reasons": "[]",
        "event_ids": "[]",
        "auto_clock_out": True,
        "fatigue": False,
        "first_in": None,
        "computed_at": at,
    }
    json_text = ("statuses", "intervals", "areas", "reasons", "event_ids")
    with bulk.streamed_insert(
        DayRecord, ["employment_id", "work_date"], json_text=json_text, same=same
    ) as write:
        for n in range(3):
            write([100 + n, START + dt.timedelta(days=n)])
    stored = list(
        DayRecord.objects.order_by("employment_id").values_list(
            "employment_id",
            "work_date",
            "project_id",
            "worker_id",
            "hours",
            "statuses",
            "auto_clock_out",
            "fatigue",
            "first_in",
            "computed_at",
        )
    )
    assert stored == [
        (
            100 + n,
            START + dt.timedelta(days=n),
            7,
            9,
            Decimal("7.25"),
            ["late", "half_day"],
            True,
            False,
            None,
            at,
        )
        for n in range(3)
    ]

    with (
        pytest.raises(ValueError, match="every row and once"),
        bulk.streamed_insert(DayRecord, ["employment_id", "work_date", "hours"], same=same),
    ):
        pass
