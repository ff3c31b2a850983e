"""Who is on site now (应急点名): the latest punch of the window decides, grouped by gate area, unknown
persons listed apart, constant queries, the caller's scope (alice all, bob his own people, charlie nothing
of P1)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from realname.accounts.models import User
from realname.accounts.services import create_api_token
from realname.attendance import services
from realname.attendance.models import Device, DeviceKind
from realname.attendance.onsite import inside_after, list_onsite
from realname.attendance.protocols import ParsedEvent
from realname.attendance.tests.test_ingest import punch
from realname.testing import World, employ, make_worker
from realname.workers.models import Employment

pytestmark = pytest.mark.django_db

CST = dt.timezone(dt.timedelta(hours=8))
NOW = dt.datetime(2026, 3, 2, 12, 0, tzinfo=CST)


def at(hour: int, minute: int = 0, *, day: int = 2) -> dt.datetime:
    return dt.datetime(2026, 3, day, hour, minute, tzinfo=CST)


def tap(pin: str, moment: dt.datetime, direction: Any = "01") -> ParsedEvent:
    return punch(pin, aware=moment, direction=direction)


def ingest(device: Device, *events: ParsedEvent) -> None:
    services.ingest_events(device=device, parsed=list(events), raw_message=None, source="zkteco")


def names(user: User, now: dt.datetime = NOW, *, world: World) -> list[str]:
    muster = list_onsite(project=world.p1, user=user, now=now)
    return [p.event.worker.name for p in muster.people if p.event.worker is not None]


@dataclass
class Site:
    east: Device
    west: Device


@pytest.fixture
def site(world: World) -> Site:
    east = services.register_device(
        project=world.p1, kind=DeviceKind.ZKTECO, serial="ZK-E", name="东门", area="东区"
    )
    west = services.register_device(
        project=world.p1, kind=DeviceKind.ZKTECO, serial="ZK-W", name="西门", area="西区"
    )
    for pin, worker in (("1", world.worker_a), ("2", world.worker_b)):
        employment = Employment.objects.get(worker=worker, project=world.p1)
        services.map_person(project=world.p1, ref_kind="pin", ref=pin, employment=employment)
    return Site(east, west)


# --- the rule -----------------------------------------------------------------------------------------------


def test_unknown_directions_alternate_starting_with_an_entry() -> None:
    assert inside_after([""]) is True
    assert inside_after(["", ""]) is False
    assert inside_after(["01", ""]) is False
    assert inside_after(["02", ""]) is True
    assert inside_after(["01", "01"]) is True
    assert inside_after([]) is False


def test_over_a_morning_only_those_whose_last_punch_is_an_entry_are_inside(world: World, site: Site) -> None:
    ingest(site.east, tap("1", at(7, 50)), tap("2", at(7, 55)), tap("2", at(10, 0), "02"))
    assert names(world.alice, world=world) == ["张甲"]


def test_someone_who_left_and_came_back_is_inside_again(world: World, site: Site) -> None:
    ingest(site.east, tap("1", at(7, 50)), tap("1", at(9, 0), "02"), tap("1", at(11, 0)))
    assert names(world.alice, world=world) == ["张甲"]


def test_people_are_grouped_by_the_area_of_their_last_entry(world: World, site: Site) -> None:
    ingest(site.east, tap("1", at(7, 50)), tap("1", at(9, 0), "02"), tap("2", at(8, 0)))
    ingest(site.west, tap("1", at(10, 0)))
    muster = list_onsite(project=world.p1, user=world.alice, now=NOW)
    assert [(g.area, [p.event.worker.name for p in g.people if p.event.worker]) for g in muster.areas] == [
        ("东区", ["李乙"]),
        ("西区", ["张甲"]),
    ]
    assert muster.total == 2


def test_an_unknown_person_inside_is_listed_separately_and_counted_in_the_area(
    world: World, site: Site
) -> None:
    ingest(
        site.east, tap("1", at(7, 50)), tap("99", at(8, 5)), tap("98", at(8, 6)), tap("98", at(9, 0), "02")
    )
    muster = list_onsite(project=world.p1, user=world.alice, now=NOW)
    assert [p.event.person_ref for p in muster.unknown] == ["99"]
    assert [p.event.person_ref for p in muster.people] == ["1"]
    assert [(g.area, g.count, g.unknown) for g in muster.areas] == [("东区", 2, 1)]
    assert muster.total == 2


def test_punches_older_than_the_window_are_ignored(world: World, site: Site) -> None:
    ingest(site.east, tap("1", at(18, 0, day=1)), tap("2", at(21, 0, day=1)))  # 18 h and 15 h before noon
    assert names(world.alice, world=world) == ["李乙"]


def test_punches_without_a_direction_alternate_within_the_window(world: World, site: Site) -> None:
    ingest(site.east, tap("1", at(7, 50), ""), tap("1", at(11, 30), ""), tap("2", at(8, 0), ""))
    assert names(world.alice, world=world) == ["李乙"]


def test_the_query_count_does_not_grow_with_the_headcount(world: World, site: Site) -> None:
    def count() -> int:
        user = User.objects.get(pk=world.alice.pk)
        with CaptureQueriesContext(connection) as queries:
            muster = list_onsite(project=world.p1, user=user, now=NOW)
            [(p.area, p.event.worker, p.event.employment.team) for p in muster.people if p.event.employment]
        return len(queries)

    ingest(site.east, tap("1", at(7, 0)), tap("77", at(7, 1), ""))
    one = count()
    events = []
    for n in range(19):
        employment = employ(make_worker(), world.gc_p1, team=world.team_a)
        services.map_person(project=world.p1, ref_kind="pin", ref=f"5{n}", employment=employment)
        events.append(tap(f"5{n}", at(8, n), "" if n % 2 else "01"))
    ingest(site.west, *events)
    assert len(list_onsite(project=world.p1, user=world.alice, now=NOW).people) == 20
    assert count() == one


# --- scope --------------------------------------------------------------------------------------------------


def test_bob_sees_only_his_own_people_and_no_unknown_persons(world: World, site: Site) -> None:
    ingest(site.east, tap("1", at(7, 50)), tap("2", at(7, 55)), tap("99", at(8, 0)))
    muster = list_onsite(project=world.p1, user=world.bob, now=NOW)
    assert [p.event.worker.name for p in muster.people if p.event.worker] == ["李乙"]
    assert muster.unknown == ()
    assert sorted(names(world.alice, world=world)) == ["张甲", "李乙"]


def page_url(world: World) -> str:
    return reverse("attendance:onsite", args=[world.p1.public_id])


def live(site: Site) -> None:
    now = timezone.now()
    ingest(site.east, tap("1", now - dt.timedelta(hours=2)), tap("2", now - dt.timedelta(hours=1)))
    ingest(site.west, tap("99", now - dt.timedelta(minutes=30)))


def test_the_page_lists_who_is_inside_in_chinese_with_masked_ids_only(world: World, site: Site) -> None:
    live(site)
    client = Client()
    client.force_login(world.alice)
    response = client.get(page_url(world))
    assert response.status_code == 200
    assert page_url(world) == f"/attendance/projects/{world.p1.public_id}/onsite/"
    html = response.content.decode()
    assert "在场人员" in html and "东区" in html and "未登记人员" in html
    assert "张甲" in html and "李乙" in html
    assert world.worker_a.id_number_masked in html
    assert world.worker_a.id_number() not in html and world.worker_b.id_number() not in html
    assert 'hx-trigger="every 60s"' in html


def test_bob_sees_his_people_on_the_page_and_charlie_gets_404(world: World, site: Site) -> None:
    live(site)
    client = Client()
    client.force_login(world.bob)
    html = client.get(page_url(world)).content.decode()
    assert "李乙" in html and "张甲" not in html
    # unknown persons are shown to the project-wide roles only
    assert "未登记人员（在场）" not in html and " 99</code>" not in html
    client.force_login(world.charlie)
    assert client.get(page_url(world)).status_code == 404


def test_the_page_needs_a_login(world: World) -> None:
    assert Client().get(page_url(world)).status_code == 302


# --- API ----------------------------------------------------------------------------------------------------


def api(user: User) -> Client:
    return Client(headers={"Authorization": f"Bearer {create_api_token(user=user).text}"})


API = "/api/v1/attendance/projects/P1/onsite"


def test_the_api_lists_who_is_inside_by_area_with_unknown_persons_apart(world: World, site: Site) -> None:
    live(site)
    body = api(world.alice).get(API).json()
    assert body["project"] == "P1" and body["total"] == 3
    assert [(a["area"], a["count"], a["unknown"]) for a in body["areas"]] == [("东区", 2, 0), ("西区", 1, 1)]
    assert sorted(p["worker"]["name"] for p in body["people"]) == ["张甲", "李乙"]
    person = next(p for p in body["people"] if p["worker"]["name"] == "张甲")
    assert person["id_number_masked"] == world.worker_a.id_number_masked
    assert person["team"] == "甲钢筋班" and person["device"] == "ZK-E"
    assert person["entered_at"].endswith("+08:00")
    assert [u["person_ref"] for u in body["unknown"]] == ["99"]
    assert world.worker_a.id_number() not in str(body)


def test_bob_gets_his_people_from_the_api_and_charlie_a_404(world: World, site: Site) -> None:
    live(site)
    body = api(world.bob).get(API).json()
    assert [p["worker"]["name"] for p in body["people"]] == ["李乙"] and body["unknown"] == []
    assert api(world.charlie).get(API).status_code == 404
    assert api(world.alice).get("/api/v1/attendance/projects/NOPE/onsite").status_code == 404
