"""The gate path and the daily records are one flow: a punch that is accepted recomputes its day."""

from __future__ import annotations

from decimal import Decimal

import pytest

from realname.attendance.days import DayRecord
from realname.attendance.tests.test_ingest import Gate, gate, ingest, punch, wall  # noqa: F401 - fixture
from realname.testing import World

pytestmark = pytest.mark.django_db


def test_ingested_punches_become_a_day_record_and_a_late_exit_updates_it(world: World, gate: Gate) -> None:
    ingest(gate.device, [punch("1", wall(2026, 11, 24, 7, 55), direction="01")])
    day = DayRecord.objects.get(employment=gate.employment_a)
    assert str(day.work_date) == "2026-11-24"
    assert "missing_punch" in day.statuses and day.hours == Decimal("0")

    # the exit arrives later (an offline gate uploading its backlog): the same day is recomputed
    ingest(gate.device, [punch("1", wall(2026, 11, 24, 17, 5), direction="02")])
    day.refresh_from_db()
    assert day.statuses == ["present"]
    assert day.hours == Decimal("8.17")  # 07:55–17:05 less the 12:00–13:00 break
    assert DayRecord.objects.filter(employment=gate.employment_a).count() == 1

    # the same upload again is absorbed as a duplicate and changes nothing
    computed = day.computed_at
    ingest(gate.device, [punch("1", wall(2026, 11, 24, 17, 5), direction="02")])
    day.refresh_from_db()
    assert day.computed_at == computed
