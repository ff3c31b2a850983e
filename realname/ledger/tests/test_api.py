from __future__ import annotations

import base64
from typing import Any

import pytest
from django.test import Client

from realname.accounts.models import User
from realname.accounts.services import create_api_token
from realname.attendance.models import AccessEvent
from realname.ledger import canonical, merkle
from realname.ledger.models import Checkpoint
from realname.ledger.tests.test_services import logged, signing_key  # noqa: F401 - the fixture is autouse
from realname.testing import World

pytestmark = pytest.mark.django_db


def api(user: User) -> Client:
    return Client(headers={"Authorization": f"Bearer {create_api_token(user=user).text}"})


def get(user: User, path: str, **params: Any) -> Any:
    return api(user).get(f"/api/v1/ledger{path}", params)


@pytest.fixture
def events(world: World) -> list[AccessEvent]:
    """Seven events: five of P1's worker A, then two on charlie's P2."""
    return logged(world.p1, 5, worker=world.worker_a) + logged(world.p2, 2, worker=world.worker_c)


def test_the_checkpoint_is_signed_on_demand_and_verifies_with_the_published_key(
    world: World, events: list[AccessEvent]
) -> None:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

    response = get(world.alice, "/checkpoint")
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["tree_size"] == 7
    assert body["root_hash"] == merkle.root(merkle.leaf_hash(canonical.event_bytes(e)) for e in events).hex()
    key = get(world.charlie, "/public-key").json()
    assert key["key_id"] == body["key_id"]
    signed = body["note"].partition("\n\n")[0] + "\n"
    public = Ed25519PublicKey.from_public_bytes(base64.b64decode(key["public_key"]))
    public.verify(base64.b64decode(body["signature"]), signed.encode())  # raises if it does not verify
    assert key["verifier_key"].startswith(f"{key['name']}+{key['key_id']}+")
    # Asked again without growth: the same checkpoint, not a new one.
    assert get(world.alice, "/checkpoint").json()["signature"] == body["signature"]
    assert Checkpoint.objects.count() == 1


def test_an_inclusion_proof_verifies_against_the_root(world: World, events: list[AccessEvent]) -> None:
    for event in events[:5]:
        response = get(world.alice, "/proof/inclusion", event=str(event.public_id))
        assert response.status_code == 200, response.content
        body = response.json()
        data = base64.b64decode(body["canonical_bytes"])
        assert data == canonical.event_bytes(event)
        assert body["leaf_hash"] == merkle.leaf_hash(data).hex()
        assert (body["leaf_index"], body["tree_size"]) == (event.ledger_index, 7)
        proof = [bytes.fromhex(h) for h in body["proof"]]
        assert merkle.verify_inclusion(
            merkle.leaf_hash(data), body["leaf_index"], 7, proof, bytes.fromhex(body["root_hash"])
        )


def test_an_inclusion_proof_at_an_older_size_verifies_against_that_checkpoint(
    world: World, events: list[AccessEvent]
) -> None:
    body = get(world.alice, "/proof/inclusion", event=str(events[1].public_id), size=3).json()
    expected_root = merkle.root(merkle.leaf_hash(canonical.event_bytes(e)) for e in events[:3])
    assert body["tree_size"] == 3 and body["root_hash"] == expected_root.hex()
    proof = [bytes.fromhex(h) for h in body["proof"]]
    assert merkle.verify_inclusion(bytes.fromhex(body["leaf_hash"]), 1, 3, proof, expected_root)


@pytest.mark.parametrize("size", [0, 1, 8])
def test_an_inclusion_proof_needs_a_size_that_holds_the_event(
    world: World, events: list[AccessEvent], size: int
) -> None:
    response = get(world.alice, "/proof/inclusion", event=str(events[1].public_id), size=size)
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["query", "size"]


def test_charlie_gets_404_for_an_event_of_p1(world: World, events: list[AccessEvent]) -> None:
    response = get(world.charlie, "/proof/inclusion", event=str(events[0].public_id))
    assert response.status_code == 404
    # ...exactly like an event that does not exist, and his own events are served.
    assert (
        get(world.charlie, "/proof/inclusion", event="00000000-0000-0000-0000-000000000000").status_code
        == 404
    )
    assert get(world.charlie, "/proof/inclusion", event=str(events[5].public_id)).status_code == 200


def test_wendy_sees_her_own_event_but_bob_not_the_gc_workers(world: World, events: list[AccessEvent]) -> None:
    assert get(world.wendy, "/proof/inclusion", event=str(events[0].public_id)).status_code == 200
    assert get(world.bob, "/proof/inclusion", event=str(events[0].public_id)).status_code == 404


@pytest.mark.parametrize(("first", "second"), [(1, 7), (3, 7), (4, 7), (5, 6), (7, 7), (2, 4)])
def test_a_consistency_proof_verifies_between_the_two_roots(
    world: World, events: list[AccessEvent], first: int, second: int
) -> None:
    response = get(world.charlie, "/proof/consistency", first=first, second=second)
    assert response.status_code == 200, response.content
    body = response.json()
    hashes = [merkle.leaf_hash(canonical.event_bytes(e)) for e in events]
    assert body["first_root"] == merkle.root(hashes[:first]).hex()
    assert body["second_root"] == merkle.root(hashes[:second]).hex()
    proof = [bytes.fromhex(h) for h in body["proof"]]
    assert merkle.verify_consistency(
        first, second, bytes.fromhex(body["first_root"]), bytes.fromhex(body["second_root"]), proof
    )


@pytest.mark.parametrize(("first", "second"), [(0, 3), (4, 3), (1, 8)])
def test_a_consistency_proof_refuses_sizes_the_log_cannot_prove(
    world: World, events: list[AccessEvent], first: int, second: int
) -> None:
    assert get(world.alice, "/proof/consistency", first=first, second=second).status_code == 422


def test_the_ledger_api_needs_authentication(events: list[AccessEvent]) -> None:
    for path in ("/checkpoint", "/public-key", "/proof/consistency?first=1"):
        assert Client().get(f"/api/v1/ledger{path}").status_code == 401
