"""Tampering through raw SQL, the way someone with database access would, and ledger_verify naming it."""

from __future__ import annotations

import uuid
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection

from realname.attendance.models import AccessEvent
from realname.ledger import selectors, services
from realname.ledger.models import LedgerLeaf
from realname.ledger.tests.test_services import logged, signing_key  # noqa: F401 - the fixture is autouse
from realname.testing import World

pytestmark = pytest.mark.django_db

# Literal table names: the statements read like what an intruder would type (checked below).
EVENTS = "attendance_accessevent"
LEAVES = "ledger_ledgerleaf"
assert (AccessEvent._meta.db_table, LedgerLeaf._meta.db_table) == (EVENTS, LEAVES)


@pytest.fixture
def events(world: World) -> list[AccessEvent]:
    """Six logged events under a signed checkpoint."""
    events = logged(world.p1, 6, worker=world.worker_a)
    services.create_checkpoint()
    return events


def verify() -> tuple[int, str]:
    """(exit status, output) of ``manage.py ledger_verify``."""
    out = StringIO()
    try:
        call_command("ledger_verify", stdout=out)
    except CommandError as exc:
        return exc.returncode, out.getvalue() + str(exc)
    return 0, out.getvalue()


def sql(statement: str, params: list[object]) -> None:
    with connection.cursor() as cursor:
        cursor.execute(statement, params)


def test_an_untouched_ledger_verifies_with_a_summary(events: list[AccessEvent]) -> None:
    status, output = verify()
    assert status == 0, output
    assert "ledger intact: 6 events, 6 leaves, 1 checkpoints checked" in output


def test_it_catches_an_altered_person(events: list[AccessEvent]) -> None:
    sql("UPDATE attendance_accessevent SET person_ref = %s WHERE id = %s", ["999", events[2].pk])
    status, output = verify()
    assert status == 1
    assert f"ALTERED index=2 event={events[2].public_id}" in output
    assert "CHECKPOINT" in output  # and the signed root no longer matches
    assert output.count("ALTERED") == 1


def test_it_catches_an_altered_time(events: list[AccessEvent]) -> None:
    sql(
        "UPDATE attendance_accessevent SET occurred_at = %s WHERE id = %s",
        [events[4].occurred_at.replace(hour=1), events[4].pk],
    )
    status, output = verify()
    assert status == 1
    assert f"ALTERED index=4 event={events[4].public_id}" in output


def test_it_catches_a_deleted_event(events: list[AccessEvent]) -> None:
    victim = events[3]
    sql(
        "DELETE FROM attendance_accessevent WHERE id = %s", [victim.pk]
    )  # the FK is deferred: checked only at commit
    status, output = verify()
    assert status == 1
    assert f"DELETED index=3 event=pk={victim.pk}" in output
    # Hiding it better, by removing its leaf too, leaves a hole in the numbering.
    sql("DELETE FROM ledger_ledgerleaf WHERE event_id = %s", [victim.pk])
    status, output = verify()
    assert status == 1
    assert "DELETED index=3 event=unknown" in output


def test_it_catches_the_last_event_deleted_with_its_leaf(events: list[AccessEvent]) -> None:
    victim = events[-1]
    sql("DELETE FROM ledger_ledgerleaf WHERE event_id = %s", [victim.pk])
    sql("DELETE FROM attendance_accessevent WHERE id = %s", [victim.pk])
    status, output = verify()
    assert status == 1
    assert "DELETED index=5 event=unknown" in output


def test_it_catches_a_leaf_row_pointed_at_another_event(events: list[AccessEvent]) -> None:
    """The leaf table has no foreign key: a leaf re-aimed at an event logged elsewhere is named."""
    sql('UPDATE ledger_ledgerleaf SET event_id = %s WHERE "index" = %s', [events[1].pk, 3])
    status, output = verify()
    assert status == 1
    twice = f"INSERTED index=3 event=pk={events[1].pk}: this leaf names the event already logged at index 1"
    assert twice in output
    # and the event that leaf used to name is no longer in the log
    assert f"INSERTED index=3 event={events[3].public_id}: event is not in the log" in output


def _copy_event(source: AccessEvent, *, ledger_index: int | None) -> uuid.UUID:
    """INSERT … SELECT of a copy of ``source`` with a new public id, key and the given ledger index."""
    new_id = uuid.uuid4()
    fields = [f for f in AccessEvent._meta.concrete_fields if not f.primary_key]
    columns = ", ".join(connection.ops.quote_name(f.column) for f in fields)
    overrides = {
        "public_id": AccessEvent._meta.get_field("public_id").get_db_prep_value(new_id, connection),
        "device_event_key": "forged-key",
        "ledger_index": ledger_index,
    }
    select = ", ".join("%s" if f.name in overrides else connection.ops.quote_name(f.column) for f in fields)
    params = [overrides[f.name] for f in fields if f.name in overrides]
    statement = f"INSERT INTO {EVENTS} ({columns}) SELECT {select} FROM {EVENTS} WHERE id = %s"  # noqa: S608 - identifiers from the model's meta; values are parameters
    sql(statement, [*params, source.pk])
    return new_id


@pytest.mark.parametrize("fake_index", [6, 1000, None])
def test_it_catches_an_inserted_event(events: list[AccessEvent], fake_index: int | None) -> None:
    forged = _copy_event(events[0], ledger_index=fake_index)
    status, output = verify()
    assert status == 1
    where = "-" if fake_index is None else fake_index
    assert f"INSERTED index={where} event={forged}" in output


def test_it_catches_two_events_swapped(events: list[AccessEvent]) -> None:
    first, second = events[1], events[4]
    sql("UPDATE attendance_accessevent SET ledger_index = %s WHERE id = %s", [-1, first.pk])
    sql("UPDATE attendance_accessevent SET ledger_index = %s WHERE id = %s", [1, second.pk])
    sql("UPDATE attendance_accessevent SET ledger_index = %s WHERE id = %s", [4, first.pk])
    status, output = verify()
    assert status == 1
    assert f"REORDERED index=1 event={first.public_id}: logged at index 1 but claims index 4" in output
    assert f"REORDERED index=4 event={second.public_id}: logged at index 4 but claims index 1" in output
    assert "CHECKPOINT" in output


def test_it_catches_a_rewritten_leaf_table_through_the_signed_root(events: list[AccessEvent]) -> None:
    """Rewrite an event and its leaf hash consistently: only the signature-protected root can tell."""
    sql("UPDATE attendance_accessevent SET person_ref = %s WHERE id = %s", ["999", events[0].pk])
    events[0].refresh_from_db()
    from realname.ledger import canonical, merkle

    new_hash = merkle.leaf_hash(canonical.event_bytes(events[0])).hex()
    sql("UPDATE ledger_ledgerleaf SET leaf_hash = %s WHERE event_id = %s", [new_hash, events[0].pk])
    status, output = verify()
    assert status == 1
    assert "ALTERED" not in output
    assert "CHECKPOINT" in output and "another root at signed size 6" in output


def test_it_catches_a_forged_checkpoint_signature(events: list[AccessEvent]) -> None:
    sql("UPDATE ledger_checkpoint SET root_hash = %s", ["00" * 32])
    report = selectors.verify_ledger()
    kinds = [f.kind for f in report.findings]
    assert kinds == ["CHECKPOINT", "CHECKPOINT"]  # a bad signature, and a root the events do not give
    assert "signature does not verify" in str(report.findings[0]) + str(report.findings[1])


def test_events_ingested_from_a_device_verify_and_a_later_edit_is_caught(world: World) -> None:
    """The real path: the attendance ingest service appends in its own transaction."""
    import datetime as dt

    from realname.attendance import services as attendance
    from realname.attendance.protocols import ParsedEvent

    device = attendance.register_device(project=world.p1, kind="zkteco", serial="ZKLEDGER")
    punches = [
        ParsedEvent(
            device_event_key=f"{pin}|2026-03-02T07:0{pin}:00",
            person_ref=pin,
            person_ref_kind="pin",
            local_time=dt.datetime(2026, 3, 2, 7, int(pin), 0),  # noqa: DTZ001 - a device's wall clock
            aware_time=None,
            direction="01",
            method="003",
            raw={},
            replayed=False,
        )
        for pin in ("1", "2", "3")
    ]
    result = attendance.ingest_events(device=device, parsed=punches, raw_message=None, source="zkteco")
    services.create_checkpoint()
    assert verify()[0] == 0
    sql("UPDATE attendance_accessevent SET direction = %s WHERE id = %s", ["02", result.events[1].pk])
    status, output = verify()
    assert status == 1 and f"ALTERED index=1 event={result.events[1].public_id}" in output
