from __future__ import annotations

import base64
import datetime as dt
import itertools
from typing import Any

import pytest
from django.db import transaction

from realname.attendance.models import AccessEvent, Device
from realname.ledger import canonical, merkle, selectors, services, signing
from realname.ledger.models import Checkpoint, LedgerLeaf, LedgerState
from realname.orgs.models import Project
from realname.testing import World
from realname.workers.models import Employment, Worker

pytestmark = pytest.mark.django_db

# A fixed Ed25519 seed for tests only (32 bytes, base64url).
TEST_SIGNING_KEY = "bGVkZ2VyLXRlc3Qtc2lnbmluZy1rZXktMDAwMDAwMDA"
_keys = itertools.count(1)


@pytest.fixture(autouse=True)
def signing_key(settings: Any) -> None:
    settings.REALNAME_LEDGER_SIGNING_KEY = TEST_SIGNING_KEY
    settings.REALNAME_LEDGER_ORIGIN = "test.example"


def device_on(project: Project, serial: str = "") -> Device:
    return Device.objects.create(project=project, kind="zkteco", serial=serial or f"ZK{project.code}")


def make_events(project: Project, count: int, *, worker: Worker | None = None) -> list[AccessEvent]:
    """``count`` saved events on ``project`` (a worker's, or unknown persons'), not yet in the ledger."""
    device = Device.objects.filter(project=project).first() or device_on(project)
    employment = Employment.objects.filter(worker=worker, project=project).first() if worker else None
    start = dt.datetime(2026, 3, 2, 0, 30, tzinfo=dt.UTC)
    events = []
    for _ in range(count):
        n = next(_keys)
        events.append(
            AccessEvent.objects.create(
                project=project,
                device=device,
                device_event_key=f"key-{n}",
                person_ref=str(n),
                person_ref_kind="pin",
                employment=employment,
                worker=worker,
                occurred_at=start + dt.timedelta(minutes=n),
                direction="01",
                method="003",
                source="zkteco",
                received_at=start + dt.timedelta(minutes=n, seconds=2),
            )
        )
    return events


def log(events: list[AccessEvent]) -> list[AccessEvent]:
    with transaction.atomic():
        services.append_events(events)
    return events


def logged(project: Project, count: int, *, worker: Worker | None = None) -> list[AccessEvent]:
    return log(make_events(project, count, worker=worker))


def stored_hashes() -> list[bytes]:
    return [
        bytes.fromhex(h) for h in LedgerLeaf.objects.order_by("index").values_list("leaf_hash", flat=True)
    ]


# --- appending ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("count", [1, 2, 3, 7, 8, 13])
def test_the_state_root_equals_the_root_over_the_events_leaf_hashes(world: World, count: int) -> None:
    events = logged(world.p1, count, worker=world.worker_a)
    expected = merkle.root(merkle.leaf_hash(canonical.event_bytes(e)) for e in events)
    state = LedgerState.objects.get()
    assert state.size == count
    assert state.compact_range().root() == expected
    assert merkle.root(stored_hashes()) == expected


def test_appending_in_several_batches_gives_the_same_tree_as_one_batch(world: World) -> None:
    first = logged(world.p1, 3)
    second = logged(world.p1, 4)
    hashes = [merkle.leaf_hash(canonical.event_bytes(e)) for e in first + second]
    assert LedgerState.objects.get().compact_range().root() == merkle.root(hashes)
    assert stored_hashes() == hashes


def test_it_numbers_the_events_contiguously_in_the_given_order(world: World) -> None:
    events = logged(world.p1, 5)
    assert [e.ledger_index for e in events] == [0, 1, 2, 3, 4]
    from_db = AccessEvent.objects.order_by("ledger_index").values_list("pk", "ledger_index")
    assert list(from_db) == [(e.pk, e.ledger_index) for e in events]
    assert list(LedgerLeaf.objects.order_by("index").values_list("event_id", flat=True)) == [
        e.pk for e in events
    ]


def test_it_reads_relations_in_a_fixed_number_of_queries(
    world: World, django_assert_max_num_queries: Any
) -> None:
    events = [AccessEvent.objects.get(pk=e.pk) for e in make_events(world.p1, 20, worker=world.worker_a)]
    # savepoint, state lock (+ create on first use), project/device/worker, leaves, indices, state, release
    with django_assert_max_num_queries(12), transaction.atomic():
        services.append_events(events)


def test_it_refuses_to_append_outside_a_transaction(world: World) -> None:
    events = make_events(world.p1, 1)
    with pytest.raises(services.LedgerError, match="inside the transaction"):
        _outside_atomic(events)


def _outside_atomic(events: list[AccessEvent]) -> None:
    connection = transaction.get_connection()
    saved = connection.in_atomic_block
    connection.in_atomic_block = False  # the test itself runs in a transaction; pretend it does not
    try:
        services.append_events(events)
    finally:
        connection.in_atomic_block = saved


def test_it_refuses_an_event_twice(world: World) -> None:
    events = logged(world.p1, 1)
    with pytest.raises(services.LedgerError, match="already leaf 0"), transaction.atomic():
        services.append_events(events)


# --- checkpoints -------------------------------------------------------------------------------------------


def test_a_checkpoint_signs_the_current_size_and_root(world: World) -> None:
    events = logged(world.p1, 5)
    checkpoint, created = services.create_checkpoint()
    assert created
    assert checkpoint.tree_size == 5
    assert (
        checkpoint.root_hash == merkle.root(merkle.leaf_hash(canonical.event_bytes(e)) for e in events).hex()
    )
    assert checkpoint.origin == "realname/test.example"
    assert checkpoint.created_at.microsecond == 0


def test_the_checkpoint_signature_verifies_with_the_public_key(world: World) -> None:
    logged(world.p1, 3)
    checkpoint, _ = services.create_checkpoint()
    public = signing.signing_key().public
    body = selectors.checkpoint_body(checkpoint)
    assert (
        body
        == (
            f"realname/test.example\n3\n{base64.b64encode(bytes.fromhex(checkpoint.root_hash)).decode()}\n"
            f"{checkpoint.created_at.astimezone(dt.UTC):%Y-%m-%dT%H:%M:%SZ}\n"
        ).encode()
    )
    assert signing.verify(body, base64.b64decode(checkpoint.signature), public)
    assert selectors.checkpoint_signature_ok(checkpoint, public)


@pytest.mark.parametrize(
    "change",
    [
        {"tree_size": 4},
        {"root_hash": "00" * 32},
        {"origin": "realname/elsewhere"},
        {"key_id": "00000000"},
    ],
)
def test_the_signature_fails_when_the_checkpoint_is_altered(world: World, change: dict[str, Any]) -> None:
    logged(world.p1, 3)
    checkpoint, _ = services.create_checkpoint()
    for name, value in change.items():
        setattr(checkpoint, name, value)
    assert not selectors.checkpoint_signature_ok(checkpoint, signing.signing_key().public)


def test_the_signature_fails_when_the_time_is_altered(world: World) -> None:
    logged(world.p1, 3)
    checkpoint, _ = services.create_checkpoint()
    checkpoint.created_at += dt.timedelta(seconds=1)
    assert not selectors.checkpoint_signature_ok(checkpoint, signing.signing_key().public)


def test_the_signed_note_carries_the_key_id_and_signature(world: World) -> None:
    logged(world.p1, 2)
    checkpoint, _ = services.create_checkpoint()
    note = selectors.checkpoint_note(checkpoint)
    body, _, signature_line = note.partition("\n\n")
    assert body + "\n" == selectors.checkpoint_body(checkpoint).decode()
    dash, name, blob = signature_line.strip().split(" ")
    assert (dash, name) == ("\u2014", "realname/test.example")
    raw = base64.b64decode(blob)
    assert raw[:4].hex() == checkpoint.key_id and raw[4:] == base64.b64decode(checkpoint.signature)


def test_no_new_checkpoint_while_the_log_has_not_grown(world: World) -> None:
    logged(world.p1, 2)
    first, created = services.create_checkpoint()
    again, created_again = services.create_checkpoint()
    assert created and not created_again and again.pk == first.pk
    logged(world.p1, 1)
    grown, created_grown = services.create_checkpoint()
    assert created_grown and grown.tree_size == 3
    assert Checkpoint.objects.count() == 2


def test_the_checkpoint_command_signs_once(world: World) -> None:
    from io import StringIO

    from django.core.management import call_command

    logged(world.p1, 2)
    out = StringIO()
    call_command("ledger_checkpoint", stdout=out)
    call_command("ledger_checkpoint", stdout=out)
    assert Checkpoint.objects.count() == 1
    assert "size=2" in out.getvalue()


def test_the_empty_log_can_be_checkpointed(db: None) -> None:
    checkpoint, created = services.create_checkpoint()
    assert created and checkpoint.tree_size == 0 and checkpoint.root_hash == merkle.EMPTY_ROOT.hex()
