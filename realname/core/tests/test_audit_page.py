"""The audit log page: scoped like everything else, filterable, and read-only."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from realname.accounts.models import User
from realname.core.context import acting_as
from realname.testing import World
from realname.workers import services
from realname.workers.models import Employment

pytestmark = pytest.mark.django_db

URL = "core:audit_list"


def page(client: Client, user: User, **params: str) -> str:
    client.force_login(user)
    response = client.get(reverse(URL), params)
    assert response.status_code == 200
    return response.content.decode()


def test_alice_sees_who_did_what_on_her_project(client: Client, world: World) -> None:
    employment = Employment.objects.get(worker=world.worker_a)
    with acting_as(world.alice, ip_address="10.9.8.7"):
        services.update_employment(employment=employment, trade="020")
    text = page(client, world.alice)
    assert "张甲 @ P1" in text and "李乙 @ P1" in text
    assert "alice" in text and "10.9.8.7" in text


def test_charlie_sees_nothing_of_p1(client: Client, world: World) -> None:
    text = page(client, world.charlie)
    assert "@ P1" not in text and "项目P1" not in text
    assert "王丙 @ P2" in text


@pytest.mark.parametrize("persona", ["reggie", "wendy", "bob"])
def test_users_without_the_audit_permission_are_refused(client: Client, world: World, persona: str) -> None:
    client.force_login(getattr(world, persona))
    assert client.get(reverse(URL)).status_code == 403


def test_the_filters_narrow_by_action_type_actor_and_date(client: Client, world: World) -> None:
    employment = Employment.objects.get(worker=world.worker_a)
    with acting_as(world.alice):
        services.update_employment(employment=employment, trade="030")
    updates = page(client, world.alice, action="update")
    assert "张甲 @ P1" in updates and "李乙 @ P1" not in updates
    assert "李乙 @ P1" in page(client, world.alice, object_type="workers.Employment")
    assert "李乙 @ P1" not in page(client, world.alice, actor="alice")
    today = timezone.localdate()
    assert "张甲 @ P1" in page(client, world.alice, date_from=str(today), date_to=str(today))
    tomorrow = today + dt.timedelta(days=1)
    assert "张甲 @ P1" not in page(client, world.alice, date_from=str(tomorrow))


def test_a_bad_filter_value_is_not_applied(client: Client, world: World) -> None:
    text = page(client, world.alice, date_from="not-a-date")
    assert "张甲 @ P1" in text


def test_the_page_is_read_only(client: Client, world: World) -> None:
    client.force_login(world.admin)
    text = client.get(reverse(URL)).content.decode()
    assert 'method="post"' not in text.split('<main class="content">', 1)[1]
    assert client.post(reverse(URL)).status_code == 405
    assert client.delete(reverse(URL)).status_code == 405


def test_the_log_is_paginated(client: Client, world: World, settings: object) -> None:
    settings.REALNAME_PAGE_SIZE = 2  # type: ignore[attr-defined]
    first = page(client, world.alice)
    assert "第 1 /" in first and "page=2" in first
    assert "第 2 /" in page(client, world.alice, page="2")
