"""The inbox API: only one's own notifications, filters, and marking read (another person's id is 404 and
changes nothing)."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from realname.accounts.models import User
from realname.accounts.services import create_api_token
from realname.notifications.models import Notification
from realname.notifications.services import Message, post_messages
from realname.testing import World

pytestmark = pytest.mark.django_db

URL = "/api/v1/notifications"


def api(user: User) -> Client:
    return Client(headers={"Authorization": f"Bearer {create_api_token(user=user).text}"})


def post(user: User, key: str, **fields: Any) -> Notification:
    values: dict[str, Any] = {"kind": "attendance.late_streak", "level": "warning", "title": f"通知{key}"}
    values.update(fields)
    post_messages([Message(recipient_id=user.pk, dedupe_key=key, **values)])
    return Notification.objects.get(recipient=user, dedupe_key=key)


def read(client: Client, body: dict[str, Any]) -> Any:
    return client.post(f"{URL}/read", body, content_type="application/json")


def test_the_list_holds_only_ones_own_notifications(world: World) -> None:
    post(world.bob, "1", project_id=world.p1.pk, body="李乙 连续 3 个工作日迟到")
    post(world.alice, "1")
    response = api(world.bob).get(URL)
    assert response.status_code == 200
    data = response.json()
    assert data["count"] == 1
    (item,) = data["items"]
    assert item["title"] == "通知1"
    assert item["body"] == "李乙 连续 3 个工作日迟到"
    assert item["project"] == {"id": str(world.p1.public_id), "code": "P1", "name": world.p1.name}
    assert item["read_at"] is None
    assert set(item) == {"id", "kind", "level", "title", "body", "link", "project", "created_at", "read_at"}


def test_the_list_filters(world: World) -> None:
    post(world.bob, "1", project_id=world.p1.pk)
    post(world.bob, "2", kind="attendance.device_silent")
    Notification.objects.filter(dedupe_key="2").update(read_at=timezone.now())
    client = api(world.bob)
    assert [i["title"] for i in client.get(URL, {"unread": "true"}).json()["items"]] == ["通知1"]
    assert [i["title"] for i in client.get(URL, {"kind": "attendance.device_silent"}).json()["items"]] == [
        "通知2"
    ]
    assert [i["title"] for i in client.get(URL, {"project": "P1"}).json()["items"]] == ["通知1"]


def test_marking_read_by_id(world: World) -> None:
    one, two = post(world.bob, "1"), post(world.bob, "2")
    response = read(api(world.bob), {"ids": [str(one.public_id)]})
    assert response.status_code == 200 and response.json() == {"marked": 1}
    assert Notification.objects.get(pk=one.pk).read_at is not None
    assert Notification.objects.get(pk=two.pk).read_at is None
    assert read(api(world.bob), {"ids": [str(one.public_id)]}).json() == {"marked": 0}  # already read


def test_another_persons_notification_is_404_and_nothing_changes(world: World) -> None:
    mine, theirs = post(world.bob, "1"), post(world.alice, "1")
    response = read(api(world.bob), {"ids": [str(mine.public_id), str(theirs.public_id)]})
    assert response.status_code == 404
    assert not Notification.objects.filter(read_at__isnull=False).exists()
    assert read(api(world.bob), {"ids": [str(uuid.uuid4())]}).status_code == 404


def test_marking_all_read(world: World) -> None:
    post(world.bob, "1"), post(world.bob, "2"), post(world.alice, "1")
    assert read(api(world.bob), {"all": True}).json() == {"marked": 2}
    assert Notification.objects.get(recipient=world.alice).read_at is None


def test_bad_bodies_are_422(world: World) -> None:
    client = api(world.bob)
    assert read(client, {"ids": ["not-a-uuid"]}).status_code == 422
    assert read(client, {"ids": [], "extra": 1}).status_code == 422


def test_the_api_needs_authentication(world: World) -> None:
    assert Client().get(URL).status_code == 401
