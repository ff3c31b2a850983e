"""The ledger's Merkle tree against published RFC 6962 vectors, the transparency-dev proof probes, and
a literal transcription of the RFC's recursive definitions (slow but obviously right)."""

from __future__ import annotations

import base64
import hashlib
import json
import re
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from realname.ledger.merkle import (
    EMPTY_ROOT,
    HASH_SIZE,
    CompactRange,
    MerkleTree,
    consistency_proof,
    inclusion_proof,
    leaf_hash,
    node_hash,
    root,
    verify_consistency,
    verify_inclusion,
)

VECTORS = Path(__file__).parent / "vectors"


# --- the published data --------------------------------------------------------------------------------


def load_roots() -> tuple[list[bytes], list[bytes]]:
    data = json.loads((VECTORS / "rfc6962_roots.json").read_text())
    inputs = [bytes.fromhex(value) for value in data["leaf_inputs_hex"]]
    roots = [bytes.fromhex(value) for value in data["root_hash_hex_by_tree_size"]]
    return inputs, roots


def load_probes() -> list[tuple[str, dict[str, Any]]]:
    """The probe file is comment lines, then JSON documents each introduced by ``=== FILE: <path>``."""
    text = (VECTORS / "rfc6962_proof_probes.txt").read_text()
    pieces = re.split(r"^=== FILE: (\S+)$", text, flags=re.MULTILINE)
    return [
        (name.removeprefix("testdata/"), json.loads(body))
        for name, body in zip(pieces[1::2], pieces[2::2], strict=True)
    ]


REFERENCE_INPUTS, REFERENCE_ROOTS = load_roots()
REFERENCE_LEAVES = [leaf_hash(data) for data in REFERENCE_INPUTS]
PROBES = load_probes()
INCLUSION_PROBES = [(name, probe) for name, probe in PROBES if name.startswith("inclusion/")]
CONSISTENCY_PROBES = [(name, probe) for name, probe in PROBES if name.startswith("consistency/")]


def b64(value: str) -> bytes:
    return base64.b64decode(value, validate=True)


def b64_list(values: list[str] | None) -> list[bytes]:
    return [b64(value) for value in values or []]


# --- the RFC's definitions, transcribed literally (recursive; fine for small trees) ---------------------


def split(n: int) -> int:
    k = 1
    while k * 2 < n:
        k *= 2
    return k


def rfc_mth(leaves: Sequence[bytes]) -> bytes:
    """RFC 6962 §2.1 MTH over leaf hashes."""
    if not leaves:
        return EMPTY_ROOT
    if len(leaves) == 1:
        return leaves[0]
    k = split(len(leaves))
    return node_hash(rfc_mth(leaves[:k]), rfc_mth(leaves[k:]))


def rfc_path(m: int, leaves: Sequence[bytes]) -> list[bytes]:
    """RFC 6962 §2.1.1 PATH(m, D[n])."""
    if len(leaves) == 1:
        return []
    k = split(len(leaves))
    if m < k:
        return [*rfc_path(m, leaves[:k]), rfc_mth(leaves[k:])]
    return [*rfc_path(m - k, leaves[k:]), rfc_mth(leaves[:k])]


def rfc_subproof(m: int, leaves: Sequence[bytes], b: bool) -> list[bytes]:
    """RFC 6962 §2.1.2 SUBPROOF(m, D[n], b)."""
    if m == len(leaves):
        return [] if b else [rfc_mth(leaves)]
    k = split(len(leaves))
    if m <= k:
        return [*rfc_subproof(m, leaves[:k], b), rfc_mth(leaves[k:])]
    return [*rfc_subproof(m - k, leaves[k:], False), rfc_mth(leaves[:k])]


def path_shape(index: int, size: int) -> list[bool]:
    """For each level of PATH(index, D[size]), top-down: is the sibling on the left?"""
    shape: list[bool] = []
    start, end = 0, size
    while end - start > 1:
        middle = start + split(end - start)
        shape.append(index >= middle)
        start, end = (middle, end) if index >= middle else (start, middle)
    return shape


def make_leaves(n: int, salt: bytes = b"") -> list[bytes]:
    return [leaf_hash(salt + index.to_bytes(4, "big")) for index in range(n)]


def flip(value: bytes, position: int, mask: int = 0x01) -> bytes:
    return value[:position] + bytes([value[position] ^ mask]) + value[position + 1 :]


salts = st.binary(max_size=8)


# --- hashing and roots ---------------------------------------------------------------------------------


def test_the_empty_root_is_sha256_of_nothing() -> None:
    assert EMPTY_ROOT.hex() == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
    assert root([]) == EMPTY_ROOT
    assert CompactRange().root() == EMPTY_ROOT
    assert MerkleTree([]).root() == EMPTY_ROOT


def test_leaves_and_nodes_are_hashed_with_different_prefixes() -> None:
    assert leaf_hash(b"abc") == hashlib.sha256(b"\x00abc").digest()
    assert node_hash(b"L" * 32, b"R" * 32) == hashlib.sha256(b"\x01" + b"L" * 32 + b"R" * 32).digest()
    assert leaf_hash(b"L" * 32 + b"R" * 32) != node_hash(b"L" * 32, b"R" * 32)


def test_the_vector_files_cover_sizes_zero_to_eight_and_all_196_probes() -> None:
    assert len(REFERENCE_INPUTS) == 8
    assert len(REFERENCE_ROOTS) == 9
    assert len(INCLUSION_PROBES) == 98
    assert len(CONSISTENCY_PROBES) == 98
    assert len({name for name, _ in PROBES}) == len(PROBES)


@pytest.mark.parametrize("size", range(9))
def test_the_root_of_the_first_leaves_equals_the_published_root(size: int) -> None:
    expected = REFERENCE_ROOTS[size]
    leaves = REFERENCE_LEAVES[:size]
    assert root(leaves) == expected
    assert CompactRange(leaves).root() == expected
    assert MerkleTree(REFERENCE_LEAVES).root(size) == expected
    assert rfc_mth(leaves) == expected


# --- the transparency-dev probes -----------------------------------------------------------------------


@pytest.mark.parametrize(("name", "probe"), INCLUSION_PROBES, ids=[name for name, _ in INCLUSION_PROBES])
def test_each_inclusion_probe_is_accepted_or_rejected_as_published(name: str, probe: dict[str, Any]) -> None:
    verdict = verify_inclusion(
        b64(probe["leafHash"]),
        probe["leafIdx"],
        probe["treeSize"],
        b64_list(probe["proof"]),
        b64(probe["root"]),
    )
    assert verdict is (not probe["wantErr"]), probe["desc"]


@pytest.mark.parametrize(("name", "probe"), CONSISTENCY_PROBES, ids=[name for name, _ in CONSISTENCY_PROBES])
def test_each_consistency_probe_is_accepted_or_rejected_as_published(
    name: str, probe: dict[str, Any]
) -> None:
    verdict = verify_consistency(
        probe["size1"], probe["size2"], b64(probe["root1"]), b64(probe["root2"]), b64_list(probe["proof"])
    )
    assert verdict is (not probe["wantErr"]), probe["desc"]


HAPPY_PATHS = [
    (name, probe)
    for name, probe in PROBES
    if re.fullmatch(r"(inclusion|consistency)/\d+/happy-path\.json", name)
]


@pytest.mark.parametrize(("name", "probe"), HAPPY_PATHS, ids=[name for name, _ in HAPPY_PATHS])
def test_our_generator_produces_exactly_the_published_happy_path_proof(
    name: str, probe: dict[str, Any]
) -> None:
    if name.startswith("inclusion/"):
        assert REFERENCE_ROOTS[probe["treeSize"]] == b64(probe["root"])
        generated = inclusion_proof(probe["leafIdx"], probe["treeSize"], REFERENCE_LEAVES)
    else:
        assert REFERENCE_ROOTS[probe["size2"]] == b64(probe["root2"])
        generated = consistency_proof(probe["size1"], probe["size2"], REFERENCE_LEAVES)
    assert generated == b64_list(probe["proof"])


# --- generation matches the RFC, in every small tree ---------------------------------------------------


def test_every_proof_in_every_tree_up_to_40_leaves_is_the_rfcs_and_verifies() -> None:
    leaves = make_leaves(40)
    tree = MerkleTree(leaves)
    for size in range(1, 41):
        tree_root = rfc_mth(leaves[:size])
        assert tree.root(size) == tree_root
        for index in range(size):
            proof = tree.inclusion_proof(index, size)
            assert proof == rfc_path(index, leaves[:size])
            assert verify_inclusion(leaves[index], index, size, proof, tree_root)
        for first in range(1, size + 1):
            proof = tree.consistency_proof(first, size)
            assert proof == rfc_subproof(first, leaves[:size], True)
            assert verify_consistency(first, size, tree.root(first), tree_root, proof)


def test_a_plain_list_and_a_subtree_root_callable_give_the_same_proofs() -> None:
    leaves = make_leaves(37)
    tree = MerkleTree(leaves)
    for index in range(37):
        assert inclusion_proof(index, 37, leaves) == inclusion_proof(index, 37, tree.subtree_root)
    for first in range(1, 38):
        assert consistency_proof(first, 37, leaves) == consistency_proof(first, 37, tree.subtree_root)


def test_proofs_against_an_older_checkpoint_ignore_the_leaves_appended_since() -> None:
    leaves = make_leaves(20)
    assert inclusion_proof(3, 11, leaves) == rfc_path(3, leaves[:11])
    assert consistency_proof(5, 11, leaves) == rfc_subproof(5, leaves[:11], True)


def test_any_subtree_root_is_the_mth_of_that_slice_even_when_unaligned() -> None:
    leaves = make_leaves(23)
    tree = MerkleTree(leaves)
    for start in range(23):
        for end in range(start + 1, 24):
            assert tree.subtree_root(start, end) == rfc_mth(leaves[start:end])


def test_a_proof_asks_for_one_subtree_root_per_level_even_in_a_huge_tree() -> None:
    """Generation walks the tree top-down and never touches more than the path: a trillion-leaf tree
    needs 40 subtree roots, no recursion and no leaves in memory."""
    calls: list[tuple[int, int]] = []

    def subtree_root(start: int, end: int) -> bytes:
        calls.append((start, end))
        return leaf_hash(f"{start}-{end}".encode())

    size = 10**12
    proof = inclusion_proof(size // 3, size, subtree_root)
    assert len(proof) == len(calls) == (size - 1).bit_length()
    calls.clear()
    proof = consistency_proof(size // 3, size, subtree_root)
    assert len(proof) == len(calls) <= 2 * (size - 1).bit_length()


# --- edge cases of generation --------------------------------------------------------------------------


@pytest.mark.parametrize(("index", "size"), [(0, 0), (1, 1), (5, 5), (-1, 3)])
def test_an_inclusion_proof_for_a_leaf_outside_the_tree_is_refused(index: int, size: int) -> None:
    with pytest.raises(ValueError, match="not in a tree"):
        inclusion_proof(index, size, make_leaves(6))


def test_an_inclusion_proof_needs_at_least_tree_size_leaves() -> None:
    with pytest.raises(ValueError, match="need 6 leaf hashes"):
        inclusion_proof(0, 6, make_leaves(5))


def test_a_single_leaf_tree_proves_inclusion_with_an_empty_path() -> None:
    (only,) = make_leaves(1)
    assert inclusion_proof(0, 1, [only]) == []
    assert verify_inclusion(only, 0, 1, [], only)


@pytest.mark.parametrize(("first", "second"), [(0, 0), (0, 5), (6, 5), (-1, 5)])
def test_a_consistency_proof_from_the_empty_tree_or_backwards_is_refused(first: int, second: int) -> None:
    with pytest.raises(ValueError, match="no consistency proof"):
        consistency_proof(first, second, make_leaves(6))


def test_a_tree_is_consistent_with_itself_by_an_empty_proof() -> None:
    leaves = make_leaves(6)
    assert consistency_proof(6, 6, leaves) == []
    assert verify_consistency(6, 6, root(leaves), root(leaves), [])
    assert not verify_consistency(6, 6, root(leaves), root(leaves), [root(leaves)])
    assert not verify_consistency(6, 6, root(leaves), root(leaves[:5]), [])


def test_the_empty_tree_is_never_proven_consistent_with_anything() -> None:
    leaves = make_leaves(6)
    assert not verify_consistency(0, 0, EMPTY_ROOT, EMPTY_ROOT, [])
    assert not verify_consistency(0, 6, EMPTY_ROOT, root(leaves), [])


# --- verifiers never raise -----------------------------------------------------------------------------

HASH = leaf_hash(b"x")
MALFORMED_PROOFS: list[Any] = [
    None,
    "not a proof",
    HASH,
    [HASH[:31]],
    [HASH + b"\x00"],
    [b""],
    [None],
    [HASH.hex()],
    [42],
    iter([HASH]),
]


@pytest.mark.parametrize("proof", MALFORMED_PROOFS, ids=repr)
def test_a_malformed_proof_is_rejected_without_an_exception(proof: Any) -> None:
    leaves = make_leaves(4)
    assert verify_inclusion(leaves[0], 0, 4, proof, root(leaves)) is False
    assert verify_consistency(3, 4, root(leaves[:3]), root(leaves), proof) is False
    assert verify_consistency(4, 4, root(leaves), root(leaves), proof) is False


@pytest.mark.parametrize(
    ("index", "size"),
    [(-1, 4), (0, -1), (4, 4), (2**64 - 1, 4), (True, 4), (0, 4.0), ("0", 4), (None, 4)],
    ids=repr,
)
def test_an_absurd_index_or_size_is_rejected_without_an_exception(index: Any, size: Any) -> None:
    leaves = make_leaves(4)
    proof = inclusion_proof(0, 4, leaves)
    assert verify_inclusion(leaves[0], index, size, proof, root(leaves)) is False
    assert verify_consistency(index, size, root(leaves[:3]), root(leaves), proof) is False


@pytest.mark.parametrize("bad", [b"", HASH[:16], HASH * 2, None, HASH.hex(), 7], ids=repr)
def test_a_leaf_or_root_of_the_wrong_shape_is_rejected_without_an_exception(bad: Any) -> None:
    leaves = make_leaves(4)
    proof = inclusion_proof(1, 4, leaves)
    assert verify_inclusion(bad, 1, 4, proof, root(leaves)) is False
    assert verify_inclusion(leaves[1], 1, 4, proof, bad) is False
    proof = consistency_proof(3, 4, leaves)
    assert verify_consistency(3, 4, bad, root(leaves), proof) is False
    assert verify_consistency(3, 4, root(leaves[:3]), bad, proof) is False


def test_binary_columns_as_memoryview_or_bytearray_are_accepted() -> None:
    leaves = make_leaves(5)
    proof = [memoryview(node) for node in inclusion_proof(2, 5, leaves)]
    assert verify_inclusion(bytearray(leaves[2]), 2, 5, proof, memoryview(root(leaves)))


# --- properties ----------------------------------------------------------------------------------------


@settings(deadline=None, max_examples=60)
@given(size=st.integers(min_value=1, max_value=300), salt=salts)
def test_every_inclusion_proof_of_a_random_tree_verifies_against_its_root(size: int, salt: bytes) -> None:
    leaves = make_leaves(size, salt)
    tree = MerkleTree(leaves)
    tree_root = root(leaves)
    assert tree_root == tree.root() == rfc_mth(leaves)
    for index in range(size):
        proof = tree.inclusion_proof(index)
        assert len(proof) == len(path_shape(index, size))
        assert verify_inclusion(leaves[index], index, size, proof, tree_root)


@settings(deadline=None, max_examples=60)
@given(data=st.data(), size=st.integers(min_value=1, max_value=300), salt=salts)
def test_an_inclusion_proof_fails_once_anything_in_it_is_changed(
    data: st.DataObject, size: int, salt: bytes
) -> None:
    leaves = make_leaves(size, salt)
    tree = MerkleTree(leaves)
    tree_root = tree.root()
    index = data.draw(st.integers(min_value=0, max_value=size - 1), label="index")
    proof = tree.inclusion_proof(index)
    assert proof == rfc_path(index, leaves)
    leaf = leaves[index]

    for position, node in enumerate(proof):
        for byte in range(HASH_SIZE):
            forged = [*proof[:position], flip(node, byte), *proof[position + 1 :]]
            assert not verify_inclusion(leaf, index, size, forged, tree_root)
    for byte in range(HASH_SIZE):
        assert not verify_inclusion(flip(leaf, byte), index, size, proof, tree_root)
        assert not verify_inclusion(leaf, index, size, proof, flip(tree_root, byte, 0x80))
    if proof:
        assert not verify_inclusion(leaf, index, size, proof[:-1], tree_root)
    assert not verify_inclusion(leaf, index, size, [*proof, HASH], tree_root)
    assert not verify_inclusion(leaf, index, size, [HASH, *proof], tree_root)

    for other in range(size):
        if other != index:
            assert not verify_inclusion(leaf, other, size, proof, tree_root)


@settings(deadline=None, max_examples=60)
@given(data=st.data(), size=st.integers(min_value=1, max_value=300), salt=salts)
def test_an_inclusion_proof_holds_for_another_size_only_if_the_path_has_the_same_shape(
    data: st.DataObject, size: int, salt: bytes
) -> None:
    """The tree size is vouched for by the signed checkpoint, not by the proof: PATH(0, D[3]) and
    PATH(0, D[4]) combine the same way, so a proof checked against the right root passes for either size.
    Every size whose path differs in length or left/right order must fail."""
    leaves = make_leaves(size, salt)
    tree = MerkleTree(leaves)
    index = data.draw(st.integers(min_value=0, max_value=size - 1), label="index")
    proof = tree.inclusion_proof(index)
    for other_size in range(index + 1, 2 * size + 2):
        same_shape = path_shape(index, other_size) == path_shape(index, size)
        assert verify_inclusion(leaves[index], index, other_size, proof, tree.root()) is same_shape


def test_a_proof_longer_than_the_path_fails_even_against_the_root_it_would_hash_to() -> None:
    """RFC 9162 stops as soon as the path has reached the root (sn == 0); hashing on would let anyone
    extend a genuine proof to "prove" inclusion under a root of their own making."""
    leaves = make_leaves(5)
    proof = inclusion_proof(4, 5, leaves)
    forged_root = node_hash(HASH, root(leaves))
    assert not verify_inclusion(leaves[4], 4, 5, [*proof, HASH], forged_root)
    old = root(leaves[:3])
    proof = consistency_proof(3, 5, leaves)
    assert not verify_consistency(3, 5, node_hash(HASH, old), node_hash(HASH, root(leaves)), [*proof, HASH])


def test_a_wrong_size_with_the_same_path_shape_does_verify_which_is_why_checkpoints_sign_the_size() -> None:
    leaves = make_leaves(3)
    proof = inclusion_proof(0, 3, leaves)
    assert verify_inclusion(leaves[0], 0, 4, proof, root(leaves))
    assert not verify_inclusion(leaves[0], 0, 5, proof, root(leaves))


@settings(deadline=None, max_examples=40)
@given(size=st.integers(min_value=1, max_value=300), salt=salts)
def test_every_older_size_of_a_random_tree_is_proven_consistent_with_it(size: int, salt: bytes) -> None:
    leaves = make_leaves(size, salt)
    tree = MerkleTree(leaves)
    new_root = tree.root()
    for first in range(1, size + 1):
        old_root = tree.root(first)
        proof = tree.consistency_proof(first)
        assert verify_consistency(first, size, old_root, new_root, proof)
        assert not verify_consistency(first, size, flip(old_root, first % HASH_SIZE), new_root, proof)
        assert not verify_consistency(first, size, old_root, flip(new_root, size % HASH_SIZE), proof)
        if first < size:
            assert not verify_consistency(first, size, new_root, old_root, proof)


@settings(deadline=None, max_examples=60)
@given(data=st.data(), size=st.integers(min_value=2, max_value=300), salt=salts)
def test_a_consistency_proof_fails_once_anything_in_it_is_changed(
    data: st.DataObject, size: int, salt: bytes
) -> None:
    leaves = make_leaves(size, salt)
    tree = MerkleTree(leaves)
    second = data.draw(st.integers(min_value=2, max_value=size), label="second")
    first = data.draw(st.integers(min_value=1, max_value=second - 1), label="first")
    old_root, new_root = tree.root(first), tree.root(second)
    proof = tree.consistency_proof(first, second)
    assert proof == rfc_subproof(first, leaves[:second], True)
    assert verify_consistency(first, second, old_root, new_root, proof)

    for position, node in enumerate(proof):
        for byte in range(HASH_SIZE):
            forged = [*proof[:position], flip(node, byte), *proof[position + 1 :]]
            assert not verify_consistency(first, second, old_root, new_root, forged)
    for byte in range(HASH_SIZE):
        assert not verify_consistency(first, second, flip(old_root, byte), new_root, proof)
        assert not verify_consistency(first, second, old_root, flip(new_root, byte), proof)
    assert not verify_consistency(first, second, old_root, new_root, proof[:-1])
    assert not verify_consistency(first, second, old_root, new_root, [*proof, HASH])
    assert not verify_consistency(first, second, old_root, new_root, [HASH, *proof])
    # A tampered history: the same sizes, but one old leaf replaced.
    victim = data.draw(st.integers(min_value=0, max_value=first - 1), label="victim")
    tampered = MerkleTree([*leaves[:victim], HASH, *leaves[victim + 1 :]])
    assert not verify_consistency(
        first, second, old_root, tampered.root(second), tampered.consistency_proof(first, second)
    )


@settings(deadline=None, max_examples=60)
@given(size=st.integers(min_value=0, max_value=300), salt=salts, data=st.data())
def test_a_compact_range_has_the_trees_root_at_every_size_and_survives_being_stored(
    size: int, salt: bytes, data: st.DataObject
) -> None:
    leaves = make_leaves(size, salt)
    tree = MerkleTree(leaves)
    compact = CompactRange()
    assert compact.root() == EMPTY_ROOT
    for count, leaf in enumerate(leaves, start=1):
        compact.append(leaf)
        assert compact.size == count
        assert len(compact.peaks) == count.bit_count()
        assert compact.root() == tree.root(count)
        stored = json.loads(json.dumps(compact.to_state()))
        restored = CompactRange.from_state(stored)
        assert restored == compact
        assert restored.root() == compact.root()

    # Batches of any size, and a restored range that keeps growing, reach the same state.
    cut = data.draw(st.integers(min_value=0, max_value=size), label="cut")
    resumed = CompactRange.from_state(CompactRange(leaves[:cut]).to_state())
    resumed.extend(leaves[cut:])
    assert resumed == compact
    assert root(leaves) == compact.root()


def test_a_copied_compact_range_grows_independently() -> None:
    leaves = make_leaves(5)
    compact = CompactRange(leaves[:4])
    tentative = compact.copy()
    tentative.append(leaves[4])
    assert compact.root() == root(leaves[:4])
    assert tentative.root() == root(leaves)


def test_a_million_leaves_fold_and_prove_without_recursion() -> None:
    size = 10**6
    leaves = [index.to_bytes(HASH_SIZE, "big") for index in range(size)]  # any 32 bytes will do as leaves
    compact = CompactRange(leaves)
    assert len(compact.to_state()["peaks"]) == size.bit_count()
    proof = inclusion_proof(size - 1, size, leaves)  # the last leaf's siblings cover every other leaf
    assert verify_inclusion(leaves[-1], size - 1, size, proof, compact.root())


# --- stored state that is not what to_state wrote ------------------------------------------------------

GOOD_PEAK = HASH.hex()
BAD_STATES: list[Callable[[], dict[str, Any]]] = [
    lambda: {"size": 3, "peaks": [GOOD_PEAK]},
    lambda: {"size": 1, "peaks": [GOOD_PEAK, GOOD_PEAK]},
    lambda: {"size": 0, "peaks": [GOOD_PEAK]},
    lambda: {"size": -1, "peaks": []},
    lambda: {"size": True, "peaks": [GOOD_PEAK]},
    lambda: {"size": "1", "peaks": [GOOD_PEAK]},
    lambda: {"size": 1, "peaks": [GOOD_PEAK[:-2]]},
    lambda: {"size": 1, "peaks": ["zz" * 32]},
    lambda: {"size": 1, "peaks": [HASH]},
    lambda: {"size": 1, "peaks": GOOD_PEAK},
    lambda: {"peaks": []},
    lambda: {"size": 0},
]


@pytest.mark.parametrize("state", BAD_STATES, ids=lambda make: repr(make()))
def test_a_stored_compact_range_that_does_not_add_up_is_refused(state: Callable[[], dict[str, Any]]) -> None:
    with pytest.raises(ValueError, match="compact range|peaks"):
        CompactRange.from_state(state())


def test_a_leaf_hash_of_the_wrong_length_cannot_be_appended() -> None:
    with pytest.raises(ValueError, match="32 bytes"):
        CompactRange().append(b"short")
    with pytest.raises(ValueError, match="32 bytes"):
        MerkleTree([b"short"])
