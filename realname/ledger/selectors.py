"""Reads of the ledger: checkpoints, proofs, and the full recomputation behind ``ledger_verify``.

Roots and proofs at any size are computed from the stored leaf hashes (one indexed range scan, then
``merkle.MerkleTree``): O(n) per request, which is fine up to a few million leaves. The scaling plan is
to store the roots of complete 256-leaf tiles (as tlog tiles do) when they fill, so that
``subtree_root`` reads O(log n) rows instead of every leaf; the proof code already asks only for
``subtree_root`` ranges, so only the source changes.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from django.db.models import QuerySet

from realname.accounts.models import User
from realname.accounts.roles import Perm
from realname.accounts.scope import restrict
from realname.ledger import canonical, merkle, signing
from realname.ledger.models import Checkpoint, LedgerLeaf, LedgerState

if TYPE_CHECKING:
    from realname.attendance.models import AccessEvent


def tree_size() -> int:
    """How many leaves the log has now (committed appends only)."""
    size = LedgerState.objects.filter(pk=LedgerState.SINGLETON).values_list("size", flat=True).first()
    return int(size or 0)


def latest_checkpoint() -> Checkpoint | None:
    return Checkpoint.objects.order_by("-tree_size").first()


def checkpoint_body(checkpoint: Checkpoint) -> bytes:
    """The text the checkpoint's signature covers, rebuilt from its stored fields."""
    return signing.checkpoint_body(
        origin=checkpoint.origin,
        tree_size=checkpoint.tree_size,
        root_hash=bytes.fromhex(checkpoint.root_hash),
        timestamp=checkpoint.created_at,
    )


def checkpoint_note(checkpoint: Checkpoint) -> str:
    """The checkpoint as a C2SP signed note (body, blank line, signature line)."""
    return signing.signed_note(
        checkpoint_body(checkpoint),
        base64.b64decode(checkpoint.signature),
        name=checkpoint.origin,
        key_id_bytes=bytes.fromhex(checkpoint.key_id),
    )


def checkpoint_signature_ok(checkpoint: Checkpoint, public: bytes) -> bool:
    """Whether ``checkpoint``'s stored fields are what ``public``'s owner signed."""
    try:
        body = checkpoint_body(checkpoint)
        signature = base64.b64decode(checkpoint.signature, validate=True)
    except (ValueError, binascii.Error):
        return False
    expected_id = signing.key_id(checkpoint.origin, public).hex()
    return checkpoint.key_id == expected_id and signing.verify(body, signature, public)


def leaf_hashes(size: int) -> list[bytes]:
    """The first ``size`` leaf hashes, in index order."""
    rows = LedgerLeaf.objects.filter(index__lt=size).order_by("index").values_list("leaf_hash", flat=True)
    hashes = [bytes.fromhex(row) for row in rows.iterator(chunk_size=10_000)]
    if len(hashes) != size:
        raise LookupError(f"the leaf table holds {len(hashes)} of the first {size} leaves")
    return hashes


@dataclass(frozen=True)
class InclusionProof:
    leaf_index: int
    tree_size: int
    leaf_hash: bytes
    canonical_bytes: bytes
    proof: list[bytes]
    root: bytes


def inclusion_proof(event: AccessEvent, size: int) -> InclusionProof:
    """Proof that ``event`` is leaf ``event.ledger_index`` of the tree of ``size`` leaves.

    Callers check 0 <= ledger_index < size <= tree_size() (the API answers 422 otherwise)."""
    if event.ledger_index is None:
        raise LookupError(f"event {event.public_id} is not in the log")
    leaf = LedgerLeaf.objects.get(index=event.ledger_index, event_id=event.pk)
    tree = merkle.MerkleTree(leaf_hashes(size))
    return InclusionProof(
        leaf_index=leaf.index,
        tree_size=size,
        leaf_hash=bytes.fromhex(leaf.leaf_hash),
        canonical_bytes=canonical.event_bytes(event),
        proof=tree.inclusion_proof(leaf.index, size),
        root=tree.root(size),
    )


@dataclass(frozen=True)
class ConsistencyProof:
    first: int
    second: int
    first_root: bytes
    second_root: bytes
    proof: list[bytes]


def consistency_proof(first: int, second: int) -> ConsistencyProof:
    """Proof that the tree of ``second`` leaves extends the tree of ``first`` (0 < first <= second)."""
    tree = merkle.MerkleTree(leaf_hashes(second))
    return ConsistencyProof(
        first=first,
        second=second,
        first_root=tree.root(first),
        second_root=tree.root(second),
        proof=tree.consistency_proof(first, second),
    )


# --- verification ------------------------------------------------------------------------------------------

ALTERED = "ALTERED"
DELETED = "DELETED"
INSERTED = "INSERTED"
REORDERED = "REORDERED"
CHECKPOINT = "CHECKPOINT"
STATE = "STATE"


@dataclass(frozen=True)
class Finding:
    """One sign of tampering: what kind, at which leaf index, which event, and what was seen."""

    kind: str
    index: int | None
    event: str
    detail: str

    def __str__(self) -> str:
        where = "-" if self.index is None else str(self.index)
        return f"{self.kind} index={where} event={self.event}: {self.detail}"


@dataclass
class Report:
    """What ``verify_ledger`` found; ``ok`` when nothing."""

    leaves: int = 0
    events: int = 0
    checkpoints: int = 0
    root: bytes | None = None  # the root the events give at the state's size (None: cannot be rebuilt)
    findings: list[Finding] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.findings


def _event_rows(events: QuerySet[Any]) -> Iterator[dict[str, Any]]:
    fields = ("pk", "ledger_index", *canonical.VALUE_FIELDS)
    return events.order_by("pk").values(*fields).iterator(chunk_size=5000)


def verify_ledger() -> Report:
    """Recompute every event's leaf hash and every signed root from the event table, and report each
    difference with the leaf table, the state row and the checkpoints.

    Rows are matched by ids, never by joins: an event deleted by raw SQL (PROTECT guards only the ORM)
    leaves a leaf whose ``event_id`` matches nothing, and that absence is the finding. Memory is O(n) —
    a dict entry per event; past tens of millions of events this becomes a merge of two index-ordered
    streams."""
    from realname.attendance.models import AccessEvent

    report = Report()
    findings = report.findings
    leaf_rows = LedgerLeaf.objects.order_by("index").values_list("index", "event_id", "leaf_hash")
    leaves: dict[int, tuple[int, str]] = {}
    index_of_event: dict[int, int] = {}
    twice: list[tuple[int, int]] = []  # (index, event id) of leaves naming an event an earlier leaf names
    for index, event_id, stored in leaf_rows.iterator(chunk_size=10_000):
        leaves[index] = (event_id, stored)
        if event_id in index_of_event:
            twice.append((index, event_id))
        else:
            index_of_event[event_id] = index
    report.leaves = len(leaves)
    for index, event_id in twice:
        findings.append(
            Finding(
                INSERTED,
                index,
                f"pk={event_id}",
                f"this leaf names the event already logged at index {index_of_event[event_id]}",
            )
        )

    # Every event: its recomputed hash, matched with the leaf that names it.
    seen: set[int] = set()
    hash_at: dict[int, bytes] = {}  # ledger_index claimed by an event -> that event's recomputed hash
    for row in _event_rows(AccessEvent.objects.all()):
        report.events += 1
        pk, claimed, public_id = row["pk"], row["ledger_index"], str(row["public_id"])
        seen.add(pk)
        recomputed = merkle.leaf_hash(canonical.bytes_from_values(row))
        if claimed is not None:
            hash_at[claimed] = recomputed
        logged = index_of_event.get(pk)
        if logged is None:
            where = "no ledger index" if claimed is None else f"claims index {claimed}"
            findings.append(Finding(INSERTED, claimed, public_id, f"event is not in the log ({where})"))
            continue
        if recomputed.hex() != leaves[logged][1]:
            findings.append(
                Finding(ALTERED, logged, public_id, "its canonical bytes no longer hash to the logged leaf")
            )
        if claimed != logged:
            findings.append(
                Finding(REORDERED, logged, public_id, f"logged at index {logged} but claims index {claimed}")
            )

    # Every position the log has ever had: a leaf row, and an event behind it.
    state = LedgerState.objects.filter(pk=LedgerState.SINGLETON).first()
    checkpoints = list(Checkpoint.objects.order_by("tree_size"))
    size = max([state.size if state else 0, max(leaves, default=-1) + 1] + [c.tree_size for c in checkpoints])
    for index in range(size):
        if index not in leaves:
            event = "unknown"
            findings.append(Finding(DELETED, index, event, "the leaf row is gone (and its event with it)"))
        elif leaves[index][0] not in seen:
            event_id, stored = leaves[index]
            findings.append(
                Finding(DELETED, index, f"pk={event_id}", f"the event row is gone (leaf hash {stored})")
            )

    # The roots the event table implies, against the state row and every signed checkpoint.
    signed_sizes = {c.tree_size for c in checkpoints}
    state_size = state.size if state else 0
    tree = merkle.CompactRange()
    roots: dict[int, bytes] = {0: merkle.EMPTY_ROOT}
    for index in range(size):
        leaf = hash_at.get(index)
        if leaf is None and index in leaves:
            leaf = bytes.fromhex(
                leaves[index][1]
            )  # the event is gone (already reported): use what was logged
        if leaf is None:
            break  # a missing leaf (already reported): no root can be rebuilt past it
        tree.append(leaf)
        if tree.size in signed_sizes or tree.size == state_size:
            roots[tree.size] = tree.root()
    report.root = roots.get(state_size)
    if state is not None:
        try:
            stored_root = state.compact_range().root()
        except ValueError as exc:
            findings.append(Finding(STATE, None, "-", f"the state row is malformed: {exc}"))
        else:
            if roots.get(state.size) != stored_root:
                findings.append(
                    Finding(
                        STATE, None, "-", f"the state's root at size {state.size} differs from the events'"
                    )
                )
    public = signing.signing_key().public if checkpoints else b""
    for checkpoint in checkpoints:
        report.checkpoints += 1
        label = f"checkpoint {checkpoint.pk}"
        if not checkpoint_signature_ok(checkpoint, public):
            findings.append(Finding(CHECKPOINT, None, label, "its signature does not verify"))
        root = roots.get(checkpoint.tree_size)
        if root is None:
            findings.append(
                Finding(
                    CHECKPOINT, None, label, f"the log cannot rebuild its root at size {checkpoint.tree_size}"
                )
            )
        elif root.hex() != checkpoint.root_hash:
            findings.append(
                Finding(
                    CHECKPOINT,
                    None,
                    label,
                    f"the events give another root at signed size {checkpoint.tree_size}",
                )
            )
    findings.sort(key=lambda f: (f.index is None, f.index or 0, f.kind))
    return report


# --- scope -------------------------------------------------------------------------------------------------


def visible_events(user: User | Any) -> QuerySet[AccessEvent]:
    """The events ``user`` may see, through the one scoping mechanism."""
    from realname.attendance.models import AccessEvent

    return restrict(
        AccessEvent.objects.select_related("project", "device", "worker"), user, Perm.WORKERS_VIEW
    )
