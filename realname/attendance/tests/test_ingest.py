"""The ingest service: localising device times, mapping identifiers within the device's project,
directions from single-role gates, clock-skew flags, duplicates absorbed by the database, ledger order."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.test import override_settings
from django.utils import timezone

from realname.attendance import services
from realname.attendance.days import DayRecord
from realname.attendance.models import AccessEvent, Device, DeviceKind, DeviceRole
from realname.attendance.protocols import ParsedEvent
from realname.testing import World
from realname.workers.models import Employment

pytestmark = pytest.mark.django_db

UTC = dt.UTC


def punch(
    pin: str,
    local: dt.datetime | None = None,
    *,
    aware: dt.datetime | None = None,
    direction: Any = "01",
    replayed: bool = False,
    kind: Any = "pin",
) -> ParsedEvent:
    moment = local or aware
    assert moment is not None
    return ParsedEvent(
        device_event_key=f"{pin}|{moment.isoformat()}",
        person_ref=pin,
        person_ref_kind=kind,
        local_time=local,
        aware_time=aware,
        direction=direction,
        method="003",
        raw={},
        replayed=replayed,
    )


def wall(*args: int) -> dt.datetime:
    return dt.datetime(*args)  # noqa: DTZ001 - a device's wall-clock time is naive on purpose


@dataclass
class Gate:
    device: Device
    employment_a: Employment
    employment_b: Employment
    employment_c: Employment


@pytest.fixture
def gate(world: World) -> Gate:
    device = services.register_device(project=world.p1, kind=DeviceKind.ZKTECO, serial="ZK001", name="东门")
    employment_a = Employment.objects.get(worker=world.worker_a, project=world.p1)
    employment_b = Employment.objects.get(worker=world.worker_b, project=world.p1)
    employment_c = Employment.objects.get(worker=world.worker_c, project=world.p2)
    services.map_person(project=world.p1, ref_kind="pin", ref="1", employment=employment_a)
    services.map_person(project=world.p1, ref_kind="pin", ref="2", employment=employment_b)
    return Gate(device, employment_a, employment_b, employment_c)


def ingest(device: Device, events: list[ParsedEvent], **kwargs: Any) -> services.IngestResult:
    return services.ingest_events(device=device, parsed=events, raw_message=None, source="zkteco", **kwargs)


def test_a_new_device_gets_the_projects_zone_and_a_random_secret(world: World) -> None:
    one = services.register_device(project=world.p1, kind=DeviceKind.HIKVISION, serial="H1")
    two = services.register_device(project=world.p1, kind=DeviceKind.HIKVISION, serial="H2")
    assert one.time_zone == "Asia/Shanghai"
    assert len(one.secret) >= 40 and one.secret != two.secret


def test_the_audit_entry_of_a_new_device_does_not_hold_its_secret(world: World) -> None:
    from realname.core.models import AuditEntry

    device = services.register_device(project=world.p1, kind=DeviceKind.HIKVISION, serial="H1")
    entry = AuditEntry.objects.filter(object_type__icontains="device").latest("at")
    assert device.secret not in str(entry.changes)


def test_it_localises_device_wall_clock_times_with_the_device_zone(gate: Gate) -> None:
    ingest(gate.device, [punch("1", wall(2026, 3, 2, 7, 58, 0))])
    event = AccessEvent.objects.get()
    assert event.occurred_at == dt.datetime(2026, 3, 1, 23, 58, tzinfo=UTC)
    assert event.device_local_time == "2026-03-02 07:58:00"


def test_a_device_in_another_zone_is_localised_with_its_own_zone(world: World, gate: Gate) -> None:
    device = services.register_device(
        project=world.p1, kind="zkteco", serial="ZK-URC", time_zone="Asia/Urumqi"
    )
    ingest(device, [punch("1", wall(2026, 3, 2, 7, 58, 0))])
    assert AccessEvent.objects.get().occurred_at == dt.datetime(2026, 3, 2, 1, 58, tzinfo=UTC)


def test_times_with_an_offset_are_kept_as_the_instant_they_name(gate: Gate) -> None:
    at = dt.datetime(2026, 9, 8, 7, 42, 18, tzinfo=dt.timezone(dt.timedelta(hours=-4)))
    ingest(gate.device, [punch("1", aware=at)])
    assert AccessEvent.objects.get().occurred_at == dt.datetime(2026, 9, 8, 11, 42, 18, tzinfo=UTC)


def test_it_maps_identifiers_to_the_employment_and_worker(world: World, gate: Gate) -> None:
    ingest(gate.device, [punch("1", wall(2026, 3, 2, 7, 0, 0)), punch("2", wall(2026, 3, 2, 7, 1, 0))])
    by_pin = {event.person_ref: event for event in AccessEvent.objects.all()}
    assert by_pin["1"].employment == gate.employment_a and by_pin["1"].worker == world.worker_a
    assert by_pin["2"].employment == gate.employment_b and by_pin["2"].worker == world.worker_b
    assert all("unknown_person" not in event.flags for event in by_pin.values())
    assert by_pin["1"].project == world.p1


def test_an_unknown_identifier_is_kept_and_flagged(gate: Gate) -> None:
    result = ingest(gate.device, [punch("999", wall(2026, 3, 2, 7, 0, 0))])
    assert result.accepted == 1
    event = AccessEvent.objects.get()
    assert event.employment is None and event.worker is None
    assert "unknown_person" in event.flags and event.person_ref == "999"


def test_a_device_of_one_project_cannot_reach_the_workers_of_another(world: World, gate: Gate) -> None:
    services.map_person(project=world.p2, ref_kind="pin", ref="77", employment=gate.employment_c)
    ingest(gate.device, [punch("77", wall(2026, 3, 2, 7, 0, 0))])
    event = AccessEvent.objects.get()
    assert event.project == world.p1 and event.worker is None and "unknown_person" in event.flags


def test_a_mapping_to_another_projects_employment_is_refused(world: World, gate: Gate) -> None:
    with pytest.raises(ValidationError):
        services.map_person(project=world.p1, ref_kind="pin", ref="5", employment=gate.employment_c)
    p2_device = services.register_device(project=world.p2, kind="zkteco", serial="ZK-P2")
    with pytest.raises(ValidationError):
        services.map_person(
            project=world.p1, ref_kind="pin", ref="6", employment=gate.employment_a, device=p2_device
        )


def test_one_identifier_means_one_person_in_a_project(world: World, gate: Gate) -> None:
    with pytest.raises(ValidationError):
        services.map_person(project=world.p1, ref_kind="pin", ref="1", employment=gate.employment_b)


def test_the_same_upload_ten_times_makes_one_event(gate: Gate) -> None:
    events = [punch("1", wall(2026, 3, 2, 7, 0, 0)), punch("2", wall(2026, 3, 2, 7, 0, 5))]
    results = [ingest(gate.device, events) for _ in range(10)]
    assert (results[0].accepted, results[0].duplicates) == (2, 0)
    assert all((r.accepted, r.duplicates) == (0, 2) for r in results[1:])
    assert AccessEvent.objects.count() == 2


def test_a_punch_repeated_within_one_body_counts_once(gate: Gate) -> None:
    event = punch("1", wall(2026, 3, 2, 7, 0, 0))
    result = ingest(gate.device, [event, event])
    assert (result.accepted, result.duplicates) == (1, 1)
    assert AccessEvent.objects.count() == 1


def test_the_same_key_on_two_devices_is_two_events(world: World, gate: Gate) -> None:
    other = services.register_device(project=world.p1, kind="zkteco", serial="ZK002")
    event = punch("1", wall(2026, 3, 2, 7, 0, 0))
    ingest(gate.device, [event])
    ingest(other, [event])
    assert AccessEvent.objects.count() == 2


@pytest.mark.parametrize(
    ("role", "reported", "stored"),
    [
        (DeviceRole.ENTRANCE, "02", "01"),
        (DeviceRole.EXIT, "01", "02"),
        (DeviceRole.EXIT, "", "02"),
        (DeviceRole.BOTH, "02", "02"),
        (DeviceRole.BOTH, "", ""),
    ],
)
def test_a_single_role_gate_decides_the_direction(
    world: World, role: str, reported: str, stored: str
) -> None:
    device = services.register_device(project=world.p1, kind="zkteco", serial=f"ZK-{role}", role=role)
    ingest(device, [punch("1", wall(2026, 3, 2, 7, 0, 0), direction=reported)])
    assert AccessEvent.objects.get().direction == stored


@override_settings(REALNAME_CLOCK_SKEW_SECONDS=300)
def test_a_device_clock_off_by_more_than_the_limit_is_flagged(gate: Gate) -> None:
    now = timezone.now().replace(microsecond=0)
    local = now.astimezone(gate.device.zone).replace(tzinfo=None)
    events = [
        punch("1", local - dt.timedelta(seconds=299)),
        punch("2", local + dt.timedelta(minutes=10)),  # a clock running fast
        punch("1", local - dt.timedelta(hours=2), replayed=True),  # cached offline: late, not skewed
    ]
    ingest(gate.device, events, received_at=now)
    flags = [event.flags for event in AccessEvent.objects.order_by("id")]
    assert flags == [[], ["clock_skew"], ["replayed"]]
    gate.device.refresh_from_db()
    assert gate.device.last_seen_at == now
    assert gate.device.clock_skew_seconds == -600


def test_last_seen_never_moves_back(gate: Gate) -> None:
    now = timezone.now()
    ingest(gate.device, [punch("1", wall(2026, 3, 2, 7, 0, 0))], received_at=now)
    ingest(gate.device, [punch("1", wall(2026, 3, 2, 8, 0, 0))], received_at=now - dt.timedelta(days=1))
    gate.device.refresh_from_db()
    assert gate.device.last_seen_at == now


def test_new_events_are_appended_to_the_ledger_in_order(gate: Gate) -> None:
    first = [punch(str(n), wall(2026, 3, 2, 7, 0, n)) for n in range(3)]
    result = ingest(gate.device, first)
    assert [event.ledger_index for event in result.events] == [0, 1, 2]
    again = ingest(gate.device, [*first, punch("1", wall(2026, 3, 2, 9, 0, 0))])
    assert (again.accepted, again.duplicates) == (1, 3)
    stored = AccessEvent.objects.order_by("ledger_index")
    assert [(e.person_ref, e.ledger_index) for e in stored] == [("0", 0), ("1", 1), ("2", 2), ("1", 3)]


# The gate path and the daily records are one flow: a punch that is accepted recomputes its day.
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


def test_the_ingest_writes_every_column_of_the_event_table() -> None:
    from realname.attendance.services import EVENT_COLUMNS

    columns = [f.attname for f in AccessEvent._meta.concrete_fields if not f.primary_key]
    assert sorted(EVENT_COLUMNS) == sorted(columns)
