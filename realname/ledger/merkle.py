"""The Merkle tree of the tamper-evident attendance ledger, as RFC 6962 / RFC 9162 define it.

Plain functions over bytes, no Django (STYLE.md rule 3): every accepted attendance event becomes a leaf,
checkpoints publish (tree size, root), and anyone holding a checkpoint can check an inclusion proof (this
event is in the log) or a consistency proof (the log only grew since an older checkpoint) without trusting
us. Hashing follows RFC 6962 §2.1 exactly so that third-party verifiers (Go's transparency-dev/merkle,
Trillian clients, ...) accept our proofs unchanged.

Vocabulary: a *leaf hash* is ``leaf_hash(canonical event bytes)``; every function below that builds trees
takes leaf hashes, never raw events, because the ledger stores the leaf hash beside each event row and
re-hashing the payload is the job of ``ledger_verify``. Sizes and indices are 0-based leaf counts.

Generators (``inclusion_proof``, ``consistency_proof``) raise ``ValueError`` for requests the RFC does not
define (index outside the tree, a "consistency" proof backwards in time): those are programming errors.
Verifiers (``verify_inclusion``, ``verify_consistency``) never raise on anything a remote party can send —
wrong lengths, wrong types, absurd sizes — they answer ``False``, because their input is untrusted.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

HASH_SIZE = 32
"""SHA-256 output length; every leaf hash, node hash, root and proof element has exactly this length."""

_LEAF_PREFIX = b"\x00"
_NODE_PREFIX = b"\x01"

EMPTY_ROOT = hashlib.sha256(b"").digest()
"""MTH({}) = SHA-256() (RFC 6962 §2.1): the root of the tree with no leaves."""

SubtreeRoot = Callable[[int, int], bytes]
"""``subtree_root(start, end)`` = MTH(D[start:end]). Proof generators only ever ask for ranges that are
nodes of the RFC's recursive split (``start`` a multiple of a power of two >= ``end - start``), so a
storage layer can answer from cached interior nodes instead of re-hashing every leaf."""

BytesLike = bytes | bytearray | memoryview
"""What the verifiers accept for a hash: database drivers hand binary columns back as any of these."""

LeafSource = Sequence[bytes] | SubtreeRoot
"""What the proof generators accept: the leaf hashes themselves, or a ``SubtreeRoot`` callable
(for instance ``MerkleTree(leaves).subtree_root``, which answers in O(log n))."""


def leaf_hash(data: bytes) -> bytes:
    """SHA-256(0x00 || data). The 0x00 prefix (RFC 6962 §2.1) makes a leaf impossible to pass off as an
    interior node, which is what stops second-preimage forgeries of proofs."""
    return hashlib.sha256(_LEAF_PREFIX + data).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    """SHA-256(0x01 || left || right): an interior node, domain-separated from leaves by its prefix."""
    return hashlib.sha256(_NODE_PREFIX + left + right).digest()


def _split(size: int) -> int:
    """The largest power of two strictly smaller than ``size`` (>= 2): RFC 6962's ``k`` with k < n <= 2k."""
    return 1 << ((size - 1).bit_length() - 1)


def _fold(peaks: Sequence[bytes]) -> bytes:
    """Root of a tree whose perfect subtrees ("peaks", largest first) are ``peaks``.

    MTH splits a list of n leaves at the largest power of two below n, so the left part is always the
    largest perfect subtree and the right part recurses on the rest: the root is the peaks folded from the
    right. Callers guarantee ``peaks`` is non-empty."""
    acc = peaks[-1]
    for peak in reversed(peaks[:-1]):
        acc = node_hash(peak, acc)
    return acc


# --- appending: the compact range ---------------------------------------------------------------------


class CompactRange:
    """The state of an append-only tree in O(log n) space: the roots of its perfect subtrees.

    A tree of n leaves is, left to right, one perfect subtree per set bit of n, largest first (n = 13 =
    8 + 4 + 1 keeps three hashes). Appending a leaf merges equal-size subtrees exactly like carrying in
    binary addition, so each append costs amortised O(1) hashes and the root is one fold of at most
    log2(n) + 1 hashes. This is all the ledger keeps in the database between appends: ``to_state()`` gives
    a JSON-ready dict of hex strings and ``from_state()`` rebuilds it, refusing anything inconsistent.
    """

    __slots__ = ("_peaks", "_size")

    def __init__(self, leaf_hashes: Iterable[bytes] = ()) -> None:
        self._size = 0
        self._peaks: list[bytes] = []
        self.extend(leaf_hashes)

    @property
    def size(self) -> int:
        """Number of leaves appended so far."""
        return self._size

    @property
    def peaks(self) -> tuple[bytes, ...]:
        """Roots of the perfect subtrees, largest (leftmost) first; one per set bit of ``size``."""
        return tuple(self._peaks)

    def append(self, leaf: bytes) -> None:
        """Add one leaf hash: every trailing 1-bit of the old size is a same-size subtree to merge with."""
        if len(leaf) != HASH_SIZE:
            raise ValueError(f"a leaf hash has {HASH_SIZE} bytes, not {len(leaf)}")
        node = bytes(leaf)
        carry = self._size
        while carry & 1:
            node = node_hash(self._peaks.pop(), node)
            carry >>= 1
        self._peaks.append(node)
        self._size += 1

    def extend(self, leaf_hashes: Iterable[bytes]) -> None:
        """Add leaf hashes in order (a batch of accepted events)."""
        for leaf in leaf_hashes:
            self.append(leaf)

    def root(self) -> bytes:
        """MTH of everything appended so far; ``EMPTY_ROOT`` for no leaves."""
        return _fold(self._peaks) if self._peaks else EMPTY_ROOT

    def copy(self) -> CompactRange:
        """An independent copy (to compute a tentative root without touching the stored state)."""
        clone = CompactRange()
        clone._size = self._size
        clone._peaks = list(self._peaks)
        return clone

    def to_state(self) -> dict[str, Any]:
        """``{"size": n, "peaks": [hex, ...]}``: what a JSONField stores between appends."""
        return {"size": self._size, "peaks": [peak.hex() for peak in self._peaks]}

    @classmethod
    def from_state(cls, state: Mapping[str, Any]) -> CompactRange:
        """Rebuild from ``to_state()`` output. A state whose peak count disagrees with its size, or whose
        hashes are not 32-byte hex, is refused with ``ValueError``: a silently "repaired" state would make
        every later root wrong, which is exactly the tampering the ledger exists to reveal."""
        size = state.get("size")
        peaks = state.get("peaks")
        if not isinstance(size, int) or isinstance(size, bool) or size < 0:
            raise ValueError(f"compact range size must be a non-negative integer, not {size!r}")
        if not isinstance(peaks, list) or not all(isinstance(peak, str) for peak in peaks):
            raise ValueError("compact range peaks must be a list of hex strings")
        if len(peaks) != size.bit_count():
            raise ValueError(f"a tree of {size} leaves has {size.bit_count()} peaks, not {len(peaks)}")
        decoded: list[bytes] = []
        for peak in peaks:
            try:
                raw = bytes.fromhex(peak)
            except ValueError:
                raise ValueError(f"compact range peak is not hex: {peak!r}") from None
            if len(raw) != HASH_SIZE:
                raise ValueError(f"compact range peak has {len(raw)} bytes, not {HASH_SIZE}")
            decoded.append(raw)
        clone = cls()
        clone._size = size
        clone._peaks = decoded
        return clone

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, CompactRange):
            return NotImplemented
        return self._size == other._size and self._peaks == other._peaks

    __hash__ = None  # type: ignore[assignment]  # mutable: equal ranges may stop being equal after append

    def __repr__(self) -> str:
        return f"CompactRange(size={self._size}, root={self.root().hex()})"


def root(leaf_hashes: Iterable[bytes]) -> bytes:
    """MTH(D[n]) of RFC 6962 §2.1 for the given leaf hashes, in O(n) time and O(log n) memory.

    Built by appending to a ``CompactRange`` rather than by the RFC's recursion, so a million leaves need
    no deep call stack and no list of intermediate levels; any iterable (a database cursor) will do."""
    return CompactRange(leaf_hashes).root()


# --- a whole tree in memory, for answering many proofs ---------------------------------------------------


class MerkleTree:
    """All leaf hashes plus every complete interior level, so any subtree root costs O(log n) lookups.

    ``levels[k][i]`` is the root of the perfect subtree over leaves [i * 2**k, (i + 1) * 2**k). Building
    it costs n - 1 hashes and about twice the leaves' memory (≈ 130 MB for 10**6 leaves); after that every
    inclusion or consistency proof, for this size or any smaller one, takes O(log² n) hashes. Use it when
    several proofs are needed from the same leaves (``ledger_verify``, tests); for a single proof the
    module functions with a plain sequence do the same work without keeping the levels.
    """

    __slots__ = ("_levels",)

    def __init__(self, leaf_hashes: Iterable[bytes]) -> None:
        level = [bytes(leaf) for leaf in leaf_hashes]
        for leaf in level:
            if len(leaf) != HASH_SIZE:
                raise ValueError(f"a leaf hash has {HASH_SIZE} bytes, not {len(leaf)}")
        self._levels: list[list[bytes]] = [level]
        while len(level) > 1:
            level = [node_hash(level[i], level[i + 1]) for i in range(0, len(level) - 1, 2)]
            self._levels.append(level)

    @property
    def size(self) -> int:
        """Number of leaves."""
        return len(self._levels[0])

    def leaf(self, index: int) -> bytes:
        """The leaf hash at ``index``."""
        return self._levels[0][index]

    def root(self, size: int | None = None) -> bytes:
        """MTH of the first ``size`` leaves (all of them by default): the root at an older checkpoint."""
        size = self.size if size is None else size
        if not 0 <= size <= self.size:
            raise ValueError(f"tree has {self.size} leaves, cannot give the root at size {size}")
        return self.subtree_root(0, size) if size else EMPTY_ROOT

    def subtree_root(self, start: int, end: int) -> bytes:
        """MTH(D[start:end]) for 0 <= start < end <= size, from the stored levels.

        The range splits into perfect blocks following the binary digits of its length, largest first;
        each block aligned to its own size is one stored node. Ranges produced by the RFC's recursion are
        always aligned; any other range falls back to hashing that block's leaves, so the answer is
        correct for every range even where it is not fast."""
        if not 0 <= start < end <= self.size:
            raise ValueError(f"no subtree [{start}, {end}) in a tree of {self.size} leaves")
        peaks: list[bytes] = []
        position, remaining = start, end - start
        while remaining:
            height = remaining.bit_length() - 1
            width = 1 << height
            if position % width == 0:
                peaks.append(self._levels[height][position >> height])
            else:
                peaks.append(root(self._levels[0][position : position + width]))
            position += width
            remaining -= width
        return _fold(peaks)

    def inclusion_proof(self, leaf_index: int, tree_size: int | None = None) -> list[bytes]:
        """``inclusion_proof`` against the tree of ``tree_size`` leaves (all of them by default)."""
        size = self.size if tree_size is None else tree_size
        if size > self.size:
            raise ValueError(f"tree has {self.size} leaves, cannot prove against size {size}")
        return inclusion_proof(leaf_index, size, self.subtree_root)

    def consistency_proof(self, first: int, second: int | None = None) -> list[bytes]:
        """``consistency_proof`` from size ``first`` to ``second`` (all leaves by default)."""
        size = self.size if second is None else second
        if size > self.size:
            raise ValueError(f"tree has {self.size} leaves, cannot prove up to size {size}")
        return consistency_proof(first, size, self.subtree_root)


def _subtree_source(leaves: LeafSource, needed: int) -> SubtreeRoot:
    """Normalise what the generators accept into a ``subtree_root(start, end)`` callable.

    For a plain sequence each requested range is hashed from its leaves. The ranges one proof asks for
    are disjoint (each is a sibling on the path or a piece left of the old tree), so a whole proof still
    costs at most ``needed`` leaf reads and fewer than ``needed`` hashes, in O(log n) memory."""
    if callable(leaves):
        return leaves
    if len(leaves) < needed:
        raise ValueError(f"need {needed} leaf hashes, got {len(leaves)}")
    sequence = leaves

    def from_sequence(start: int, end: int) -> bytes:
        return root(sequence[index] for index in range(start, end))

    return from_sequence


# --- inclusion -----------------------------------------------------------------------------------------


def inclusion_proof(leaf_index: int, tree_size: int, leaves: LeafSource) -> list[bytes]:
    """PATH(m, D[n]) of RFC 6962 §2.1.1: the sibling hashes from leaf ``leaf_index`` up to the root of the
    tree of its first ``tree_size`` leaves, nearest the leaf first.

    Walks the RFC's recursion top-down (so no recursion at all) collecting the sibling at each split, then
    reverses, because the RFC lists the deepest sibling first. ``leaves`` is the leaf hashes (at least
    ``tree_size`` of them; extra later ones are ignored, so proofs against older checkpoints work) or a
    ``subtree_root`` callable. Raises ``ValueError`` unless 0 <= leaf_index < tree_size."""
    if not 0 <= leaf_index < tree_size:
        raise ValueError(f"leaf {leaf_index} is not in a tree of {tree_size} leaves")
    subtree_root = _subtree_source(leaves, tree_size)
    siblings: list[bytes] = []
    start, end = 0, tree_size
    while end - start > 1:
        middle = start + _split(end - start)
        if leaf_index < middle:
            siblings.append(subtree_root(middle, end))
            end = middle
        else:
            siblings.append(subtree_root(start, middle))
            start = middle
    siblings.reverse()
    return siblings


def _as_hash(value: object) -> bytes | None:
    """``value`` as 32 bytes, or None when it is anything else: verifiers must not raise on hostile input."""
    if isinstance(value, BytesLike):
        raw = bytes(value)
        if len(raw) == HASH_SIZE:
            return raw
    return None


def _as_hashes(values: object) -> list[bytes] | None:
    """Every element of a proof as 32 bytes, or None if the proof is not a sequence of such hashes."""
    if isinstance(values, str | bytes | bytearray | memoryview) or not isinstance(values, Sequence):
        return None
    hashes = [_as_hash(value) for value in values]
    if any(item is None for item in hashes):
        return None
    return [item for item in hashes if item is not None]


def _is_size(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


def verify_inclusion(
    leaf_hash: BytesLike, leaf_index: int, tree_size: int, proof: Sequence[BytesLike], root: BytesLike
) -> bool:
    """True iff ``proof`` shows that ``leaf_hash`` is leaf ``leaf_index`` of the tree of ``tree_size``
    leaves whose root is ``root``; the algorithm of RFC 9162 §2.1.3.2, step by step.

    Every malformed input (index outside the tree, a hash or proof element that is not 32 bytes, a proof
    that is too long or too short) is simply False: the caller is checking someone else's claim."""
    leaf = _as_hash(leaf_hash)
    expected = _as_hash(root)
    path = _as_hashes(proof)
    if leaf is None or expected is None or path is None:
        return False
    if not (_is_size(leaf_index) and _is_size(tree_size)) or leaf_index >= tree_size:
        return False  # step 1
    fn, sn = leaf_index, tree_size - 1  # step 2
    node = leaf  # step 3
    for sibling in path:  # step 4
        if sn == 0:
            return False  # the proof is longer than the path to the root
        if fn & 1 or fn == sn:
            node = node_hash(sibling, node)
            if not fn & 1:
                # fn == sn with fn even: fn is the last node of its level and has no right sibling here;
                # climb until it becomes a right child (or reaches the left edge).
                while fn and not fn & 1:
                    fn >>= 1
                    sn >>= 1
        else:
            node = node_hash(node, sibling)
        fn >>= 1
        sn >>= 1
    return sn == 0 and node == expected  # step 5: too short a proof leaves sn > 0


# --- consistency ---------------------------------------------------------------------------------------


def consistency_proof(first: int, second: int, leaves: LeafSource) -> list[bytes]:
    """PROOF(m, D[n]) = SUBPROOF(m, D[n], true) of RFC 6962 §2.1.2: the hashes that let someone holding
    the root at size ``first`` check that the tree at size ``second`` only appended to it.

    Walks SUBPROOF's recursion top-down collecting one hash per level, then reverses (the RFC emits the
    deepest first). ``first == second`` gives the empty proof (RFC: SUBPROOF(m, D[m], true) = {}).
    ``first == 0`` raises ``ValueError``: every tree extends the empty one, so there is nothing to prove,
    and RFC 9162 §2.1.4.2 only defines verification for 0 < first; ``verify_consistency`` likewise refuses
    it. ``first > second`` raises ``ValueError`` (a log cannot shrink)."""
    if not 0 < first <= second:
        raise ValueError(
            f"no consistency proof from size {first} to size {second} (need 0 < first <= second)"
        )
    if first == second:
        return []
    subtree_root = _subtree_source(leaves, second)
    proof: list[bytes] = []
    start, end = 0, second
    whole_old_tree_known = True  # SUBPROOF's ``b``: is the current subtree's root the verifier's old root?
    while first != end:
        middle = start + _split(end - start)
        if first <= middle:
            proof.append(subtree_root(middle, end))
            end = middle
        else:
            proof.append(subtree_root(start, middle))
            start = middle
            whole_old_tree_known = False
    if not whole_old_tree_known:
        proof.append(subtree_root(start, end))  # SUBPROOF(m, D[m], false) = {MTH(D[m])}
    proof.reverse()
    return proof


def verify_consistency(
    first: int, second: int, first_root: BytesLike, second_root: BytesLike, proof: Sequence[BytesLike]
) -> bool:
    """True iff ``proof`` shows that the tree of ``second`` leaves with root ``second_root`` extends the
    tree of ``first`` leaves with root ``first_root``; the algorithm of RFC 9162 §2.1.4.2.

    Outside that algorithm's domain (0 < first < second): equal sizes are consistent exactly when the
    proof is empty and the roots are the same bytes; ``first == 0`` is False (nothing can be proven
    about the empty tree, so a claim to have proven it is refused, as the transparency-dev probes expect);
    ``first > second`` is False. Malformed input is False, never an exception."""
    if not (_is_size(first) and _is_size(second)) or first == 0 or first > second:
        return False
    if first == second:
        # Identical checkpoints need no hashing; compare whatever bytes were published, as-is.
        return (
            _as_hashes(proof) == []
            and isinstance(first_root, BytesLike)
            and isinstance(second_root, BytesLike)
            and bytes(first_root) == bytes(second_root)
        )
    old_root = _as_hash(first_root)
    new_root = _as_hash(second_root)
    path = _as_hashes(proof)
    if old_root is None or new_root is None or not path:
        return False  # step 1: an empty proof proves nothing when the sizes differ
    if first & (first - 1) == 0:
        path.insert(0, old_root)  # step 2: the old tree is a single perfect subtree the verifier holds
    fn, sn = first - 1, second - 1  # step 3
    while fn & 1:  # step 4
        fn >>= 1
        sn >>= 1
    old_node = new_node = path[0]  # step 5
    for node in path[1:]:  # step 6
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            old_node = node_hash(node, old_node)
            new_node = node_hash(node, new_node)
            if not fn & 1:
                while fn and not fn & 1:
                    fn >>= 1
                    sn >>= 1
        else:
            new_node = node_hash(new_node, node)
        fn >>= 1
        sn >>= 1
    return sn == 0 and old_node == old_root and new_node == new_root  # step 7
