"""Persisted daily attendance: rule settings per project and team, holiday overrides as data, DayRecords
recomputed exactly and idempotently from the event table, and the nightly close for absences."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from decimal import Decimal
from io import StringIO
from itertools import count
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from realname.attendance import daycalc, services
from realname.attendance.days import DEFAULT_DAY_RULES, AttendanceRules, DayRecord, HolidayOverride
from realname.attendance.models import AccessEvent, Device, DeviceKind
from realname.attendance.protocols import ParsedEvent
from realname.attendance.rules import Punch, compute_day
from realname.testing import World
from realname.workers.models import Employment

pytestmark = pytest.mark.django_db

TZ = ZoneInfo("Asia/Shanghai")
MONDAY = dt.date(2026, 3, 9)
TUESDAY = dt.date(2026, 3, 10)
SATURDAY = dt.date(2026, 3, 14)
_keys = count()


@dataclass
class Site:
    world: World
    device: Device
    a: Employment  # worker_a, team_a on P1
    b: Employment  # worker_b, team_b on P1


@pytest.fixture
def site(world: World) -> Site:
    device = services.register_device(project=world.p1, kind=DeviceKind.ZKTECO, serial="ZKD1", area="东门")
    a = Employment.objects.get(worker=world.worker_a, project=world.p1)
    b = Employment.objects.get(worker=world.worker_b, project=world.p1)
    return Site(world, device, a, b)


def punch(
    site: Site, employment: Employment | None, day: dt.date, hm: str, direction: str = "01"
) -> AccessEvent:
    """One stored punch at the site's gate, at local time ``hm`` on ``day`` (the raw fact, made directly)."""
    hour, minute = (int(x) for x in hm.split(":"))
    at = dt.datetime.combine(day, dt.time(hour, minute), tzinfo=TZ)
    return AccessEvent.objects.create(
        project=site.world.p1,
        device=site.device,
        device_event_key=f"k{next(_keys)}",
        person_ref="1",
        person_ref_kind="pin",
        employment=employment,
        worker_id=employment.worker_id if employment is not None else None,
        occurred_at=at,
        direction=direction,
        method="003",
        source="zkteco",
        received_at=at,
    )


def record(employment: Employment, day: dt.date) -> DayRecord:
    return DayRecord.objects.get(employment=employment, work_date=day)


def codes(row: DayRecord) -> list[str]:
    return [reason["code"] for reason in row.reasons]


def message(row: DayRecord, code: str) -> str:
    (found,) = [reason["message"] for reason in row.reasons if reason["code"] == code]
    return str(found)


def writes(queries: CaptureQueriesContext) -> list[str]:
    return [
        q["sql"]
        for q in queries.captured_queries
        if q["sql"].lstrip().upper().startswith(("INSERT", "UPDATE"))
    ]


# --- one day, explained ---------------------------------------------------------------------------------


def test_a_normal_day_becomes_a_present_record_that_points_back_to_its_events(site: Site) -> None:
    first = punch(site, site.a, MONDAY, "07:55", "01")
    last = punch(site, site.a, MONDAY, "17:05", "02")

    result = daycalc.recompute_days(employment=site.a, dates=[MONDAY])

    assert result == daycalc.RecomputeResult(created=1)
    row = record(site.a, MONDAY)
    assert row.project_id == site.world.p1.pk
    assert row.worker_id == site.world.worker_a.pk
    assert row.day_kind == "workday"
    assert row.statuses == ["present"]
    assert row.first_in == first.occurred_at
    assert row.last_out == last.occurred_at
    assert row.hours == Decimal("8.17")  # 9 h 10 min on site minus the 12:00–13:00 break
    assert row.overtime_hours == Decimal("0.17")
    assert row.overtime_kind == "workday"
    assert row.areas == ["东门"]
    assert sorted(row.event_ids) == sorted([str(first.public_id), str(last.public_id)])
    assert row.intervals == [
        {
            "start": "2026-03-09T07:55:00+08:00",
            "end": "2026-03-09T17:05:00+08:00",
            "in": str(first.public_id),
            "out": str(last.public_id),
            "auto": False,
        }
    ]
    assert "status.present" in codes(row)
    assert "扣除休息 1 小时" in message(row, "hours.worked")
    assert not row.auto_clock_out and not row.fatigue


def test_a_late_arrival_is_recorded_with_the_rule_that_decided_it(site: Site) -> None:
    punch(site, site.a, MONDAY, "08:30", "01")
    punch(site, site.a, MONDAY, "17:00", "02")

    daycalc.recompute_days(employment=site.a, dates=[MONDAY])

    row = record(site.a, MONDAY)
    assert row.statuses == ["late", "half_day"]
    assert "迟到：首次进场 08:30，晚于上班时间 08:00 + 宽限 10 分钟" in message(row, "status.late")
    assert row.reasons[0]["detail"] == {"kind": "workday"}


def test_a_missing_exit_is_a_missing_punch_by_default_and_auto_closed_when_the_project_says_so(
    site: Site,
) -> None:
    punch(site, site.a, MONDAY, "08:00", "01")
    daycalc.recompute_days(employment=site.a, dates=[MONDAY])
    assert record(site.a, MONDAY).statuses == ["missing_punch"]

    daycalc.set_attendance_rules(project=site.world.p1, auto_clock_out="shift_end")
    daycalc.recompute_days(employment=site.a, dates=[MONDAY])

    row = record(site.a, MONDAY)
    assert row.statuses == ["present"]
    assert row.auto_clock_out is True
    assert row.intervals[0]["out"] is None and row.intervals[0]["auto"] is True
    assert row.last_out is None


def test_a_workday_without_punches_is_absent_and_a_saturday_a_rest_day(site: Site) -> None:
    daycalc.recompute_days(employment=site.a, dates=[MONDAY, SATURDAY])

    assert record(site.a, MONDAY).statuses == ["absent"]
    assert record(site.a, SATURDAY).statuses == ["rest_day"]
    assert record(site.a, SATURDAY).day_kind == "weekend"
    assert record(site.a, MONDAY).event_ids == []


# --- idempotent and exact -------------------------------------------------------------------------------


def test_a_new_day_is_stamped_with_the_time_it_was_computed(site: Site) -> None:
    # (new days go in by COPY on PostgreSQL, the time given once for the batch)
    punch(site, site.a, MONDAY, "08:00", "01")
    punch(site, site.b, MONDAY, "08:05", "01")
    start = timezone.now()
    result = daycalc.recompute_project_days(
        project=site.world.p1, dates=[MONDAY], employments=[site.a, site.b]
    )
    assert result.created == 2
    stamps = {record(emp, MONDAY).computed_at for emp in (site.a, site.b)}
    assert len(stamps) == 1 and start <= stamps.pop() <= timezone.now()


def test_recomputing_unchanged_input_writes_nothing(site: Site) -> None:
    punch(site, site.a, MONDAY, "08:00", "01")
    punch(site, site.a, MONDAY, "17:00", "02")
    daycalc.recompute_days(employment=site.a, dates=[MONDAY])
    before = record(site.a, MONDAY).computed_at

    with CaptureQueriesContext(connection) as queries:
        result = daycalc.recompute_days(employment=site.a, dates=[MONDAY])

    assert result == daycalc.RecomputeResult(unchanged=1)
    assert writes(queries) == []
    assert record(site.a, MONDAY).computed_at == before


def test_a_late_event_recomputes_only_the_day_it_falls_in(site: Site) -> None:
    events = [
        punch(site, site.a, MONDAY, "08:00", "01"),
        punch(site, site.a, TUESDAY, "08:00", "01"),
        punch(site, site.a, TUESDAY, "17:00", "02"),
        punch(site, site.b, MONDAY, "08:00", "01"),
    ]
    assert daycalc.recompute_for_events(events) == daycalc.RecomputeResult(created=3)
    assert record(site.a, MONDAY).statuses == ["missing_punch"]
    tuesday = record(site.a, TUESDAY).computed_at
    other = record(site.b, MONDAY).computed_at

    late = punch(
        site, site.a, MONDAY, "17:00", "02"
    )  # Monday's exit, uploaded by an offline gate on Wednesday
    result = daycalc.recompute_for_events([late])

    assert result == daycalc.RecomputeResult(updated=1)
    assert record(site.a, MONDAY).statuses == ["present"]
    assert str(late.public_id) in record(site.a, MONDAY).event_ids
    assert record(site.a, TUESDAY).computed_at == tuesday
    assert record(site.b, MONDAY).computed_at == other


def test_events_of_unknown_persons_recompute_nothing(site: Site) -> None:
    stranger = punch(site, None, MONDAY, "08:00", "01")

    assert daycalc.recompute_for_events([stranger]) == daycalc.RecomputeResult()
    assert not DayRecord.objects.exists()


def test_events_from_the_ingest_service_recompute_their_day(site: Site) -> None:
    services.map_person(project=site.world.p1, ref_kind="pin", ref="1", employment=site.a)
    parsed = [
        ParsedEvent(
            device_event_key=f"1|{hm}",
            person_ref="1",
            person_ref_kind="pin",
            local_time=dt.datetime.combine(MONDAY, dt.time.fromisoformat(hm)),  # noqa: DTZ001 - device wall clock
            aware_time=None,
            direction=direction,  # type: ignore[arg-type]
            method="003",
            raw={},
        )
        for hm, direction in (("07:58", "01"), ("17:02", "02"))
    ]
    ingested = services.ingest_events(device=site.device, parsed=parsed, raw_message=None, source="zkteco")

    daycalc.recompute_for_events(ingested.events)

    row = record(site.a, MONDAY)
    assert row.statuses == ["present"]
    assert sorted(row.event_ids) == sorted(str(e.public_id) for e in ingested.events)


def test_the_number_of_queries_does_not_grow_with_the_number_of_events(site: Site) -> None:
    def queries_for(employment: Employment, day: dt.date, pairs: int) -> int:
        for n in range(pairs):
            punch(site, employment, day, f"{6 + n // 6:02d}:{(n % 6) * 10:02d}", "01")
            punch(site, employment, day, f"{6 + n // 6:02d}:{(n % 6) * 10 + 5:02d}", "02")
        with CaptureQueriesContext(connection) as queries:
            daycalc.recompute_days(employment=employment, dates=[day])
        return len(queries.captured_queries)

    few = queries_for(site.a, MONDAY, 1)
    many = queries_for(site.b, MONDAY, 30)

    assert few == many
    assert many <= 10


# --- rules and calendar as data -------------------------------------------------------------------------


def test_team_rules_win_over_the_projects_which_win_over_the_defaults(site: Site) -> None:
    assert daycalc.rules_for(site.a).shift_start == dt.time(8, 0)
    daycalc.set_attendance_rules(project=site.world.p1, shift_start=dt.time(7, 0))
    daycalc.set_attendance_rules(project=site.world.p1, team=site.world.team_a, shift_start=dt.time(9, 0))
    assert daycalc.rules_for(site.a).shift_start == dt.time(9, 0)
    assert daycalc.rules_for(site.b).shift_start == dt.time(7, 0)

    events = [
        punch(site, site.a, MONDAY, "08:30", "01"),
        punch(site, site.a, MONDAY, "18:00", "02"),
        punch(site, site.b, MONDAY, "08:30", "01"),
        punch(site, site.b, MONDAY, "18:00", "02"),
    ]
    daycalc.recompute_for_events(events)

    assert "late" not in record(site.a, MONDAY).statuses  # team A starts at 09:00
    assert "late" in record(site.b, MONDAY).statuses  # the project starts at 07:00
    assert AttendanceRules.objects.filter(project=site.world.p1).count() == 2


def test_changing_rules_updates_the_row_and_the_audit_log(site: Site) -> None:
    from realname.core.models import AuditEntry

    rules = daycalc.set_attendance_rules(project=site.world.p1, late_grace_min=5)
    again = daycalc.set_attendance_rules(project=site.world.p1, late_grace_min=15, shift_end=dt.time(18, 0))

    assert again.pk == rules.pk
    assert again.to_day_rules().late_grace_min == 15
    entries = AuditEntry.objects.filter(object_type="attendance.AttendanceRules").order_by("id")
    assert [e.action for e in entries] == ["create", "update"]
    assert entries[1].changes["shift_end"] == ["17:00:00", "18:00:00"]


def test_contradictory_rules_and_a_team_of_another_project_are_refused(site: Site) -> None:
    with pytest.raises(ValidationError):
        daycalc.set_attendance_rules(
            project=site.world.p1, half_day_hours=Decimal("6"), full_day_hours=Decimal("5")
        )
    with pytest.raises(ValidationError):
        daycalc.set_attendance_rules(project=site.world.p1, auto_clock_out="sometimes")
    with pytest.raises(ValidationError):
        daycalc.set_attendance_rules(project=site.world.p1, team=site.world.team_c)
    assert not AttendanceRules.objects.exists()


def test_a_holiday_override_changes_the_day_kind_and_recomputes_stored_days(site: Site) -> None:
    punch(site, site.a, MONDAY, "08:00", "01")
    punch(site, site.a, MONDAY, "17:00", "02")
    daycalc.recompute_days(employment=site.a, dates=[MONDAY])
    assert record(site.a, MONDAY).statuses == ["present"]

    daycalc.set_holiday_override(date=MONDAY, kind="holiday", name="测试假日")

    assert HolidayOverride.objects.get(date=MONDAY).name == "测试假日"
    assert daycalc.holiday_calendar().name(MONDAY) == "测试假日"
    row = record(site.a, MONDAY)
    assert row.day_kind == "holiday"
    assert row.statuses == ["holiday"]
    assert row.overtime_kind == "holiday"
    assert row.overtime_hours == row.hours == Decimal("8.00")


def test_an_adjusted_workday_override_turns_a_saturday_into_a_workday(site: Site) -> None:
    daycalc.set_holiday_override(date=SATURDAY, kind="adjusted_workday", name="调休上班")

    daycalc.close_day(project=site.world.p1, work_date=SATURDAY)

    assert record(site.a, SATURDAY).day_kind == "adjusted_workday"
    assert record(site.a, SATURDAY).statuses == ["absent"]


def test_a_night_shift_belongs_to_the_day_it_started(site: Site) -> None:
    daycalc.set_attendance_rules(
        project=site.world.p1,
        team=site.world.team_a,
        work_day_start=dt.time(12, 0),
        shift_start=dt.time(20, 0),
        shift_end=dt.time(6, 0),
        break_start=None,
        break_end=None,
        max_day_hours=Decimal("12"),
    )
    events = [punch(site, site.a, MONDAY, "19:55", "01"), punch(site, site.a, TUESDAY, "06:05", "02")]

    daycalc.recompute_for_events(events)

    assert list(DayRecord.objects.values_list("work_date", flat=True)) == [MONDAY]
    row = record(site.a, MONDAY)
    assert row.statuses == ["present"]
    assert row.hours == Decimal("10.17")
    assert row.last_out == events[1].occurred_at


# --- the nightly close ----------------------------------------------------------------------------------


def test_closing_a_workday_records_absences_and_leaves_existing_days_alone(site: Site) -> None:
    punch(site, site.a, MONDAY, "08:00", "01")
    punch(site, site.a, MONDAY, "17:00", "02")
    daycalc.recompute_days(employment=site.a, dates=[MONDAY])
    present_at = record(site.a, MONDAY).computed_at

    closed = daycalc.close_day(project=site.world.p1, work_date=MONDAY)

    assert (closed.on_site, closed.already, closed.result.created) == (2, 1, 1)
    assert record(site.b, MONDAY).statuses == ["absent"]
    assert "status.absent" in codes(record(site.b, MONDAY))
    assert record(site.a, MONDAY).computed_at == present_at
    assert not DayRecord.objects.filter(project=site.world.p2).exists()


def test_closing_also_computes_a_day_whose_events_were_not_computed_yet(site: Site) -> None:
    punch(site, site.b, MONDAY, "08:00", "01")
    punch(site, site.b, MONDAY, "17:00", "02")

    daycalc.close_day(project=site.world.p1, work_date=MONDAY)

    assert record(site.b, MONDAY).statuses == ["present"]


def test_nobody_is_closed_before_their_entry_date(site: Site) -> None:
    closed = daycalc.close_day(project=site.world.p1, work_date=dt.date(2026, 2, 27))

    assert closed.on_site == 0
    assert not DayRecord.objects.exists()


def test_the_close_days_command_records_absences_and_rest_days_and_is_idempotent(site: Site) -> None:
    out = StringIO()
    call_command("close_days", "--project", "P1", "--date", MONDAY.isoformat(), stdout=out)
    call_command("close_days", "--project", "P1", "--date", SATURDAY.isoformat(), stdout=out)
    assert "P1 2026-03-09: 2 on site, 0 already recorded, 2 created" in out.getvalue()
    assert {r.statuses[0] for r in DayRecord.objects.filter(work_date=MONDAY)} == {"absent"}
    assert {r.statuses[0] for r in DayRecord.objects.filter(work_date=SATURDAY)} == {"rest_day"}
    stamps = dict(DayRecord.objects.values_list("pk", "computed_at"))

    again = StringIO()
    call_command("close_days", "--project", "P1", "--date", MONDAY.isoformat(), stdout=again)
    call_command("close_days", "--project", "P1", "--date", SATURDAY.isoformat(), stdout=again)

    assert "2 already recorded, 0 created, 0 updated" in again.getvalue()
    assert dict(DayRecord.objects.values_list("pk", "computed_at")) == stamps


def test_the_close_days_command_closes_every_project_by_default(site: Site) -> None:
    out = StringIO()
    call_command("close_days", "--date", MONDAY.isoformat(), stdout=out)

    assert "P1 2026-03-09" in out.getvalue() and "P2 2026-03-09" in out.getvalue()
    assert DayRecord.objects.filter(project=site.world.p2, work_date=MONDAY).count() == 1


def test_the_close_days_command_refuses_a_bad_date_or_project(site: Site) -> None:
    from django.core.management.base import CommandError

    with pytest.raises(CommandError):
        call_command("close_days", "--date", "9.3.2026")
    with pytest.raises(CommandError):
        call_command("close_days", "--project", "NOPE")


def test_yesterday_is_taken_in_the_projects_time_zone(site: Site) -> None:
    # 2026-03-09 17:00 UTC is already 01:00 on the 10th in Shanghai.
    now = dt.datetime(2026, 3, 9, 17, 0, tzinfo=dt.UTC)

    assert daycalc.yesterday_in(site.world.p1, now=now) == MONDAY


def test_no_record_is_made_outside_the_employment_and_a_stale_one_goes(site: Site) -> None:
    site.a.entry_date = TUESDAY
    site.a.save(update_fields=["entry_date"])
    daycalc.recompute_project_days(project=site.world.p1, dates=[MONDAY, TUESDAY], employments=[site.a])
    assert list(DayRecord.objects.filter(employment=site.a).values_list("work_date", flat=True)) == [TUESDAY]

    site.a.entry_date = TUESDAY + dt.timedelta(days=1)  # the entry date is corrected: not on site these days
    site.a.save(update_fields=["entry_date"])
    daycalc.recompute_project_days(project=site.world.p1, dates=[MONDAY, TUESDAY], employments=[site.a])

    assert not DayRecord.objects.filter(employment=site.a).exists()


def test_a_punch_outside_the_employment_still_gets_its_day(site: Site) -> None:
    site.a.entry_date = TUESDAY
    site.a.save(update_fields=["entry_date"])
    punch(site, site.a, MONDAY, "08:00", "01")

    daycalc.recompute_project_days(project=site.world.p1, dates=[MONDAY], employments=[site.a])

    assert record(site.a, MONDAY).statuses == ["missing_punch"]


@pytest.mark.parametrize("as_text", [False, True])
def test_a_new_row_sent_by_copy_holds_the_values_the_fields_hold(site: Site, as_text: bool) -> None:
    # PostgreSQL writes new days by COPY with the JSON columns as text (daycalc._new_row), and there the
    # date, instants and hours as text too; whatever a gate calls its area, that text must read back as
    # the values an upsert would have stored.
    area = '北门 "A"\\\n\t'
    punches = [
        Punch(
            at=dt.datetime.combine(MONDAY, dt.time(7, 58), tzinfo=TZ),
            direction="01",
            source_id="e1",
            area=area,
        ),
        Punch(at=dt.datetime.combine(MONDAY, dt.time(7, 59), tzinfo=TZ), direction="01", source_id="e2"),
        Punch(at=dt.datetime.combine(MONDAY, dt.time(12, 30), tzinfo=TZ), direction="", source_id='e"3'),
    ]
    result = compute_day(MONDAY, punches, DEFAULT_DAY_RULES, TZ, "workday")
    values = daycalc._payload(result, site.a)

    row = dict(
        zip(
            daycalc._NEW_FIELDS,
            daycalc._new_row(site.a, MONDAY, result, as_text=as_text),
            strict=True,
        )
    )

    read: dict[str, Any] = {"work_date": dt.date.fromisoformat}
    if as_text:
        read |= {"first_in": dt.datetime.fromisoformat, "last_out": dt.datetime.fromisoformat}
        read |= {"hours": Decimal, "overtime_hours": Decimal}
    read |= dict.fromkeys(daycalc._JSON_COLUMNS, json.loads)

    def back(name: str) -> Any:
        sent = row[name]
        return read[name](sent) if as_text and name in read and sent is not None else sent

    assert (row["employment_id"], back("work_date")) == (site.a.pk, MONDAY)
    assert values["areas"] == [area] and 'e"3' in values["event_ids"]
    assert values["first_in"] is not None and values["last_out"] is not None
    for name, value in values.items():
        sent = row[name]
        if name in daycalc._JSON_COLUMNS:
            assert json.loads(sent) == value
        else:
            assert back(name) == value and type(back(name)) is type(value), name
