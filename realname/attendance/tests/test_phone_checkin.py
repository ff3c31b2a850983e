"""Phone check-in: the geofence geometry (circle by great-circle distance, polygon by ray casting) and the
endpoint, which records a worker's own punch on the project's phone device and flags it outside the fence."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from django.test import Client

from realname.accounts.models import User
from realname.accounts.services import create_api_token
from realname.attendance import native
from realname.attendance.models import AccessEvent, Device, DeviceKind
from realname.orgs.models import Project
from realname.testing import World
from realname.workers.models import Employment

pytestmark = pytest.mark.django_db

URL = "/api/v1/attendance/checkin"
SQUARE = [[31.0, 121.0], [31.0, 121.01], [31.01, 121.01], [31.01, 121.0]]
# An L shape: the notch at the top right is outside.
L_SHAPE = [[0, 0], [0, 2], [1, 2], [1, 1], [2, 1], [2, 0]]


def api(user: User) -> Client:
    return Client(headers={"Authorization": f"Bearer {create_api_token(user=user).text}"})


def check_in(user: User, **body: Any) -> Any:
    return api(user).post(URL, {"project": "P1", **body}, content_type="application/json")


# --- geometry --------------------------------------------------------------------------------------------


def test_haversine_gives_great_circle_metres() -> None:
    assert native.haversine_m(31.18, 121.46, 31.18, 121.46) == 0
    assert native.haversine_m(0, 0, 1, 0) == pytest.approx(111_195, rel=1e-4)
    # Shanghai to Beijing, about 1,067 km.
    assert native.haversine_m(31.2304, 121.4737, 39.9042, 116.4074) == pytest.approx(1_067_000, rel=0.01)


def test_point_in_polygon_finds_inside_outside_and_the_notch_of_a_concave_shape() -> None:
    assert native.point_in_polygon(31.005, 121.005, SQUARE)
    assert not native.point_in_polygon(31.02, 121.005, SQUARE)
    assert not native.point_in_polygon(31.005, 120.99, SQUARE)
    assert native.point_in_polygon(0.5, 1.5, L_SHAPE)
    assert native.point_in_polygon(1.5, 0.5, L_SHAPE)
    assert not native.point_in_polygon(1.5, 1.5, L_SHAPE)


def test_outside_fence_for_a_circle_a_polygon_both_and_none() -> None:
    circle = (31.18, 121.46, 400.0)
    assert not native.outside_fence(lat=31.18, lng=121.46, circle=circle)
    assert not native.outside_fence(lat=31.183, lng=121.46, circle=circle)  # about 334 m north
    assert native.outside_fence(lat=31.185, lng=121.46, circle=circle)  # about 556 m north
    assert native.outside_fence(lat=31.02, lng=121.005, polygon=SQUARE)
    assert not native.outside_fence(lat=31.02, lng=121.005, circle=(31.02, 121.005, 10.0), polygon=SQUARE)
    assert not native.outside_fence(lat=0.0, lng=0.0)


def test_a_malformed_polygon_is_no_polygon() -> None:
    assert native.valid_polygon([[1, 2], [3, 4]]) is None
    assert native.valid_polygon([[1, 2], [3, "x"], [5, 6]]) is None
    assert native.valid_polygon({"lat": 1}) is None
    assert native.valid_polygon(SQUARE) == [(31.0, 121.0), (31.0, 121.01), (31.01, 121.01), (31.01, 121.0)]


# --- the endpoint ----------------------------------------------------------------------------------------


def circle_fence(project: Project) -> None:
    Project.objects.filter(pk=project.pk).update(
        fence_lat=Decimal("31.180000"), fence_lng=Decimal("121.460000"), fence_radius_m=400
    )


def polygon_fence(project: Project) -> None:
    Project.objects.filter(pk=project.pk).update(fence_polygon=SQUARE)


def test_wendy_checks_in_inside_the_circle(world: World) -> None:
    circle_fence(world.p1)
    response = check_in(world.wendy, lat=31.1805, lng=121.4601, direction="01")

    assert response.status_code == 201, response.content
    data = response.json()
    assert data["created"] and not data["outside_geofence"]
    event = AccessEvent.objects.get(public_id=data["event"]["id"])
    assert event.source == "phone" and event.method == "011" and event.direction == "01"
    assert event.employment == Employment.objects.get(worker=world.worker_a, project=world.p1)
    assert event.worker == world.worker_a and "outside_geofence" not in event.flags
    assert event.lat == Decimal("31.180500") and event.lng == Decimal("121.460100")
    assert event.ledger_index is not None
    assert event.device.kind == DeviceKind.PHONE and event.device.project == world.p1
    assert data["event"]["time"].endswith("+08:00") and data["event"]["worker"]["name"] == "张甲"


def test_outside_the_circle_it_is_accepted_but_flagged(world: World) -> None:
    circle_fence(world.p1)
    data = check_in(world.wendy, lat=31.19, lng=121.46).json()
    assert data["created"] and data["outside_geofence"]
    assert "outside_geofence" in AccessEvent.objects.get(public_id=data["event"]["id"]).flags
    assert "outside_geofence" in data["event"]["flags"]


def test_inside_and_outside_a_polygon_fence(world: World) -> None:
    polygon_fence(world.p1)
    inside = check_in(world.wendy, lat=31.005, lng=121.005).json()
    outside = check_in(world.wendy, lat=31.005, lng=121.02).json()
    assert not inside["outside_geofence"] and outside["outside_geofence"]
    assert AccessEvent.objects.count() == 2
    assert Device.objects.filter(kind=DeviceKind.PHONE).count() == 1


def test_a_project_without_a_fence_flags_nothing(world: World) -> None:
    data = check_in(world.wendy, lat=0, lng=0).json()
    assert not data["outside_geofence"] and "outside_geofence" not in data["event"]["flags"]


def test_a_retry_with_the_same_client_event_id_is_one_check_in(world: World) -> None:
    first = check_in(world.wendy, lat=31.18, lng=121.46, client_event_id="tap-1")
    again = check_in(world.wendy, lat=31.18, lng=121.46, client_event_id="tap-1")
    assert (first.status_code, again.status_code) == (201, 200)
    assert first.json()["event"]["id"] == again.json()["event"]["id"] and not again.json()["created"]
    assert AccessEvent.objects.count() == 1


def test_position_is_required(world: World) -> None:
    assert check_in(world.wendy, lat=31.18).status_code == 422
    assert check_in(world.wendy, lat=91, lng=121).status_code == 422


def test_only_a_worker_checks_in_and_only_on_a_project_they_are_on(world: World) -> None:
    assert check_in(world.alice, lat=31.18, lng=121.46).status_code == 403
    assert check_in(world.charlie, lat=31.18, lng=121.46).status_code == 403
    assert (
        api(world.wendy)
        .post(URL, {"project": "P2", "lat": 31.18, "lng": 121.46}, content_type="application/json")
        .status_code
        == 404
    )
    assert (
        Client().post(URL, {"project": "P1", "lat": 1, "lng": 1}, content_type="application/json").status_code
        == 401
    )
    assert not AccessEvent.objects.exists()


def test_a_worker_who_has_left_the_project_cannot_check_in_there(world: World) -> None:
    Employment.objects.filter(worker=world.worker_a).update(status="exited", exit_date="2026-10-01")
    assert check_in(world.wendy, lat=31.18, lng=121.46).status_code == 404


def test_the_check_in_service_maps_the_employment_once(world: World) -> None:
    employment = Employment.objects.get(worker=world.worker_a, project=world.p1)
    one = native.check_in_by_phone(employment=employment, lat=Decimal("31.18"), lng=Decimal("121.46"))
    two = native.check_in_by_phone(employment=employment, lat=Decimal("31.18"), lng=Decimal("121.46"))
    assert one.created and two.created and one.event.pk != two.event.pk
    assert employment.device_identities.count() == 1
    assert one.event.flags == [] and two.event.employment == employment
