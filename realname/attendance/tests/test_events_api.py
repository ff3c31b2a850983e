"""GET /api/v1/attendance/events: the caller's scope (alice all of P1, bob only his company's people, wendy
only herself, charlie nothing of P1), filters, and cursor pages without duplicates or gaps."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import pytest
from django.test import Client

from realname.accounts.models import User
from realname.accounts.services import create_api_token
from realname.attendance import services
from realname.attendance.models import AccessEvent, Device, DeviceKind
from realname.attendance.protocols import ParsedEvent
from realname.testing import World
from realname.workers.models import Employment

pytestmark = pytest.mark.django_db

URL = "/api/v1/attendance/events"
CST = dt.timezone(dt.timedelta(hours=8))


def api(user: User) -> Client:
    return Client(headers={"Authorization": f"Bearer {create_api_token(user=user).text}"})


def punch(ref: str, at: dt.datetime, key: str = "") -> ParsedEvent:
    return ParsedEvent(
        device_event_key=key or f"{ref}|{at.isoformat()}",
        person_ref=ref,
        person_ref_kind="pin",
        local_time=None,
        aware_time=at,
        direction="01",
        method="003",
        raw={},
    )


@dataclass
class Gates:
    zk1: Device
    zk2: Device


@pytest.fixture
def gates(world: World) -> Gates:
    zk1 = services.register_device(project=world.p1, kind=DeviceKind.ZKTECO, serial="ZK-P1")
    zk2 = services.register_device(project=world.p2, kind=DeviceKind.ZKTECO, serial="ZK-P2")
    for project, pin, worker in ((world.p1, "1", world.worker_a), (world.p1, "2", world.worker_b)):
        employment = Employment.objects.get(worker=worker, project=project)
        services.map_person(project=project, ref_kind="pin", ref=pin, employment=employment)
    employment_c = Employment.objects.get(worker=world.worker_c, project=world.p2)
    services.map_person(project=world.p2, ref_kind="pin", ref="1", employment=employment_c)
    day = dt.datetime(2026, 3, 2, 8, 0, tzinfo=CST)
    p1 = [
        punch("1", day),
        punch("2", day + dt.timedelta(minutes=1)),
        punch("99", day + dt.timedelta(minutes=2)),
    ]
    p1.append(punch("1", day + dt.timedelta(hours=9)))
    services.ingest_events(device=zk1, parsed=p1, raw_message=None, source="zkteco")
    services.ingest_events(device=zk2, parsed=[punch("1", day)], raw_message=None, source="zkteco")
    return Gates(zk1, zk2)


def listing(user: User, **query: Any) -> list[dict[str, Any]]:
    response = api(user).get(URL, query)
    assert response.status_code == 200, response.content
    return response.json()["items"]


def refs(items: list[dict[str, Any]]) -> list[tuple[str, str]]:
    return [(item["project"], item["person_ref"]) for item in items]


def test_alice_sees_every_event_of_p1_including_unknown_persons(world: World, gates: Gates) -> None:
    assert refs(listing(world.alice)) == [("P1", "1"), ("P1", "2"), ("P1", "99"), ("P1", "1")]


def test_charlie_sees_nothing_of_p1(world: World, gates: Gates) -> None:
    assert refs(listing(world.charlie)) == [("P2", "1")]
    assert listing(world.charlie, project="P1") == []
    assert listing(world.charlie, device="ZK-P1") == []


def test_bob_sees_only_the_events_of_his_companys_people(world: World, gates: Gates) -> None:
    items = listing(world.bob)
    assert refs(items) == [("P1", "2")]
    assert items[0]["worker"]["id"] == str(world.worker_b.public_id)


def test_wendy_sees_only_her_own_events(world: World, gates: Gates) -> None:
    items = listing(world.wendy)
    assert refs(items) == [("P1", "1"), ("P1", "1")]
    assert {item["worker"]["name"] for item in items} == {"张甲"}


def test_an_item_shows_device_worker_and_time_with_the_projects_offset(world: World, gates: Gates) -> None:
    first, _b, unknown, _last = listing(world.alice)
    event = AccessEvent.objects.get(public_id=first["id"])
    assert first == {
        "id": str(event.public_id),
        "project": "P1",
        "device": "ZK-P1",
        "worker": {"id": str(world.worker_a.public_id), "name": "张甲"},
        "person_ref": "1",
        "person_ref_kind": "pin",
        "time": "2026-03-02T08:00:00+08:00",
        "direction": "01",
        "method": "003",
        "source": "zkteco",
        "flags": event.flags,
        "lat": None,
        "lng": None,
        "ledger_index": event.ledger_index,
    }
    assert event.ledger_index is not None
    assert unknown["worker"] is None and "unknown_person" in unknown["flags"]


def test_the_filters_narrow_by_project_worker_device_and_time(world: World, gates: Gates) -> None:
    assert refs(listing(world.admin, project="P2")) == [("P2", "1")]
    assert refs(listing(world.admin, device="ZK-P1", worker=str(world.worker_b.public_id))) == [("P1", "2")]
    assert len(listing(world.admin, worker=str(world.worker_a.public_id))) == 2
    assert refs(
        listing(world.alice, since="2026-03-02T08:01:00+08:00", until="2026-03-02T09:00:00+08:00")
    ) == [
        ("P1", "2"),
        ("P1", "99"),
    ]
    assert refs(listing(world.alice, since="2026-03-02T09:00:00Z")) == [("P1", "1")]


def test_bad_filters_are_422_and_no_token_is_401(world: World, gates: Gates) -> None:
    client = api(world.alice)
    assert client.get(URL, {"since": "2026-03-02T08:00:00"}).status_code == 422
    assert client.get(URL, {"worker": "nope"}).status_code == 422
    assert client.get(URL, {"cursor": "!!garbage"}).status_code == 422
    assert client.get(URL, {"limit": 501}).status_code == 422
    assert Client().get(URL).status_code == 401


def test_cursor_pages_walk_every_event_once_in_a_stable_order(
    world: World, gates: Gates, django_assert_max_num_queries: Any
) -> None:
    start = dt.datetime(2026, 4, 1, 7, 0, tzinfo=CST)
    # Many events share a time, so the order must fall back on the id without losing any at page edges.
    batch = [punch("1", start + dt.timedelta(minutes=n // 4), key=f"tie-{n}") for n in range(23)]
    services.ingest_events(device=gates.zk1, parsed=batch, raw_message=None, source="zkteco")
    expected = list(
        AccessEvent.objects.filter(project=world.p1)
        .order_by("occurred_at", "id")
        .values_list("public_id", flat=True)
    )
    client = api(world.alice)
    seen: list[str] = []
    cursor = ""
    pages = 0
    while True:
        with django_assert_max_num_queries(8):
            response = client.get(URL, {"limit": 5, **({"cursor": cursor} if cursor else {})})
        data = response.json()
        seen.extend(item["id"] for item in data["items"])
        pages += 1
        cursor = data["next_cursor"]
        if cursor is None:
            break
    assert seen == [str(key) for key in expected] and len(expected) == 27
    assert pages == 6


def test_a_page_that_ends_exactly_at_the_last_event_has_no_next_cursor(world: World, gates: Gates) -> None:
    data = api(world.alice).get(URL, {"limit": 4}).json()
    assert len(data["items"]) == 4 and data["next_cursor"] is None
