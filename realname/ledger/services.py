"""Writes to the ledger: appending accepted events, and signing checkpoints.

``append_events`` runs inside the ingesting transaction, so an event and its place in the log commit or
roll back together; the state row's lock (``select_for_update``; SQLite's IMMEDIATE transactions already
serialise writers) makes concurrent appenders take turns, which is what keeps indices contiguous.
"""

from __future__ import annotations

import base64
import datetime as dt
from collections.abc import Sequence
from typing import TYPE_CHECKING

from django.db import transaction
from django.utils import timezone

from realname.core.bulk import streamed_insert
from realname.ledger import canonical, merkle, signing
from realname.ledger.models import Checkpoint, LedgerLeaf, LedgerState

if TYPE_CHECKING:
    from realname.attendance.models import AccessEvent

BATCH = 1000


class LedgerError(Exception):
    """The ledger refuses an operation that would corrupt it (a log cannot shrink or hold an event twice)."""


def locked_state() -> LedgerState:
    """The state row, locked until the end of the caller's transaction (created on first use)."""
    state = LedgerState.objects.select_for_update().filter(pk=LedgerState.SINGLETON).first()
    if state is None:
        # Two first appenders may both get here; the loser's insert does nothing and it waits on the lock.
        LedgerState.objects.bulk_create([LedgerState(pk=LedgerState.SINGLETON)], ignore_conflicts=True)
        state = LedgerState.objects.select_for_update().get(pk=LedgerState.SINGLETON)
    return state


def append_events(events: Sequence[AccessEvent]) -> None:
    """Append saved, not yet logged ``events`` in the given order; sets ``ledger_index`` on each.

    Must run in the caller's transaction (the one that created the events): an event committed without
    its leaf would look inserted to ``ledger_verify``, and a leaf without its event deleted. (The ingest
    service does not come through here: it numbers its events before inserting them, see
    :func:`append_leaves`.)"""
    from realname.attendance.models import AccessEvent

    if not events:
        return
    _require_transaction()
    for event in events:
        if event.pk is None:
            raise LedgerError("an event must be saved before it is appended to the ledger")
        if event.ledger_index is not None:
            raise LedgerError(f"event {event.public_id} is already leaf {event.ledger_index}")
    state = locked_state()
    start = state.size
    hashes = [merkle.leaf_hash(data) for data in canonical.events_bytes(events)]
    for offset, event in enumerate(events):
        event.ledger_index = start + offset
    AccessEvent.objects.bulk_update(events, ["ledger_index"], batch_size=BATCH)
    append_leaves(state, [(event.pk, leaf) for event, leaf in zip(events, hashes, strict=True)])


def _require_transaction() -> None:
    if not transaction.get_connection().in_atomic_block:
        raise LedgerError("the ledger is appended to inside the transaction that saves the events")


def append_leaves(
    state: LedgerState, leaves: Sequence[tuple[int, bytes]], *, now: dt.datetime | None = None
) -> None:
    """Append leaves (event primary key, leaf hash) as indices ``state.size``, ``state.size + 1``, …

    ``state`` must be the row :func:`locked_state` returned in this transaction, and the events must already
    carry those indices in ``ledger_index`` (the ingest service assigns them while it holds the lock, so
    it can insert each event once, complete). Writes the leaf rows with one bulk statement and moves the
    state row."""
    if not leaves:
        return
    _require_transaction()
    moment = now or timezone.now()
    start = state.size
    tree = state.compact_range()
    tree.extend(leaf for _, leaf in leaves)
    # A COPY on PostgreSQL (the leaves are written under the ledger's lock, so every microsecond here
    # holds up the next upload; a multi-row INSERT's 1,500 parameters were adapted one by one).
    with streamed_insert(LedgerLeaf, ("index", "event_id", "leaf_hash")) as write:
        for offset, (event_id, leaf) in enumerate(leaves):
            write((start + offset, event_id, leaf.hex()))
    saved = tree.to_state()
    state.size = saved["size"]
    state.peaks = saved["peaks"]
    state.updated_at = moment
    state.save(update_fields=["size", "peaks", "updated_at"])


@transaction.atomic
def create_checkpoint(*, now: dt.datetime | None = None) -> tuple[Checkpoint, bool]:
    """Sign the log's current (size, root) unless the latest checkpoint already says it.

    Returns the checkpoint and whether it is new. Holding the state lock means no append can slip in
    between reading the root and storing the signature."""
    state = locked_state()
    latest = Checkpoint.objects.order_by("-tree_size").first()
    if latest is not None:
        if latest.tree_size == state.size:
            return latest, False
        if latest.tree_size > state.size:
            raise LedgerError(
                f"the log has {state.size} leaves but checkpoint {latest.pk} signed {latest.tree_size}"
            )
    key = signing.signing_key()
    timestamp = (now or timezone.now()).astimezone(dt.UTC).replace(microsecond=0)
    root = state.compact_range().root()
    body = signing.checkpoint_body(origin=key.name, tree_size=state.size, root_hash=root, timestamp=timestamp)
    checkpoint = Checkpoint.objects.create(
        origin=key.name,
        tree_size=state.size,
        root_hash=root.hex(),
        created_at=timestamp,
        key_id=key.key_id.hex(),
        signature=base64.b64encode(signing.sign(body, key)).decode(),
    )
    return checkpoint, True
