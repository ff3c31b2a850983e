"""Revealing a full ID or card number: only with the permission, only within scope, always audited."""

from __future__ import annotations

import logging
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from stdnum import luhn

from realname.accounts.models import User
from realname.core.models import AuditAction, AuditEntry
from realname.testing import World
from realname.workers import services
from realname.workers.models import BankAccount

pytestmark = pytest.mark.django_db


def as_user(client: Client, user: User) -> Client:
    client.force_login(user)
    return client


def card_for(world: World, worker_attr: str = "worker_a") -> BankAccount:
    body = "621700" + "112233445566"
    worker = getattr(world, worker_attr)
    return services.set_bank_card(
        worker=worker, card_number=body + luhn.calc_check_digit(body), bank_name="建设银行"
    ).account


def reveals(obj: Any) -> list[AuditEntry]:
    return list(AuditEntry.objects.filter(action=AuditAction.REVEAL, object_id=str(obj.public_id)))


def test_alice_sees_the_full_id_after_asking_and_the_look_is_audited(
    client: Client, world: World, caplog: Any
) -> None:
    number = world.worker_a.id_number()
    url = reverse("workers:worker_reveal_id", args=[world.worker_a.public_id])
    with caplog.at_level(logging.DEBUG):
        response = as_user(client, world.alice).post(url, {"reason": "核对社保"})
    assert response.status_code == 200
    assert number in response.content.decode()
    assert "no-store" in response["Cache-Control"]
    [entry] = reveals(world.worker_a)
    assert (entry.actor, entry.note, entry.changes) == (world.alice, "核对社保", {"field": "id_number"})
    assert entry.ip_address == "127.0.0.1"
    assert number not in caplog.text


def test_with_htmx_only_the_fragment_comes_back(client: Client, world: World) -> None:
    url = reverse("workers:worker_reveal_id", args=[world.worker_a.public_id])
    response = as_user(client, world.alice).post(url, headers={"HX-Request": "true"})
    body = response.content.decode()
    assert body.startswith('<span id="id-number">')
    assert "<html" not in body and world.worker_a.id_number() in body


def test_the_detail_page_offers_the_button_but_not_the_number(client: Client, world: World) -> None:
    page = as_user(client, world.alice).get(reverse("workers:worker_detail", args=[world.worker_a.public_id]))
    text = page.content.decode()
    assert reverse("workers:worker_reveal_id", args=[world.worker_a.public_id]) in text
    assert world.worker_a.id_number() not in text
    assert not reveals(world.worker_a), "showing the page reveals nothing"


def test_a_reveal_is_a_post_only(client: Client, world: World) -> None:
    url = reverse("workers:worker_reveal_id", args=[world.worker_a.public_id])
    assert as_user(client, world.alice).get(url).status_code == 405
    assert not reveals(world.worker_a)


@pytest.mark.parametrize("persona", ["reggie", "wendy"])
def test_readers_without_the_permission_are_refused(client: Client, world: World, persona: str) -> None:
    as_user(client, getattr(world, persona))
    response = client.post(reverse("workers:worker_reveal_id", args=[world.worker_a.public_id]))
    assert response.status_code == 403, "visible to them, but not theirs to reveal"
    assert world.worker_a.id_number() not in response.content.decode()
    assert not reveals(world.worker_a)
    page = client.get(reverse("workers:worker_detail", args=[world.worker_a.public_id])).content.decode()
    assert reverse("workers:worker_reveal_id", args=[world.worker_a.public_id]) not in page


def test_charlie_cannot_reveal_anyone_on_p1(client: Client, world: World) -> None:
    response = as_user(client, world.charlie).post(
        reverse("workers:worker_reveal_id", args=[world.worker_a.public_id])
    )
    assert response.status_code == 404
    assert not reveals(world.worker_a)


def test_a_bank_card_is_revealed_to_a_permitted_user_and_audited(client: Client, world: World) -> None:
    account = card_for(world)
    url = reverse("workers:bank_card_reveal", args=[account.public_id])
    response = as_user(client, world.alice).post(url, headers={"HX-Request": "true"})
    assert response.status_code == 200
    assert account.card_number() in response.content.decode()
    [entry] = reveals(account)
    assert entry.actor == world.alice and entry.changes == {"field": "card_number"}


def test_bob_reveals_cards_of_his_people_only(client: Client, world: World) -> None:
    own, other = card_for(world, "worker_b"), card_for(world, "worker_a")
    as_user(client, world.bob)
    assert client.post(reverse("workers:bank_card_reveal", args=[own.public_id])).status_code == 200
    assert client.post(reverse("workers:bank_card_reveal", args=[other.public_id])).status_code == 404
    assert not reveals(other)


@pytest.mark.parametrize("persona", ["reggie", "wendy"])
def test_a_card_is_not_revealed_without_the_permission(client: Client, world: World, persona: str) -> None:
    account = card_for(world)
    as_user(client, getattr(world, persona))
    response = client.post(reverse("workers:bank_card_reveal", args=[account.public_id]))
    assert response.status_code == 403, "visible to them, but not theirs to reveal"
    assert account.card_number() not in response.content.decode()
    assert not reveals(account)


def test_the_worker_page_shows_only_the_masked_card(client: Client, world: World) -> None:
    account = card_for(world)
    page = as_user(client, world.alice).get(reverse("workers:worker_detail", args=[world.worker_a.public_id]))
    text = page.content.decode()
    assert account.card_number_masked in text and account.card_number() not in text
