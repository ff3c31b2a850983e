"""The inbox page: own notifications only, unread first, filters, mark one / all read (also through htmx),
another person's notification is a 404, the unread count in the navigation, and the preferences page."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from realname.accounts.models import User
from realname.notifications.models import Notification, NotificationPreference
from realname.notifications.services import Message, post_messages
from realname.testing import World

pytestmark = pytest.mark.django_db

INBOX = "/notifications/"


def as_user(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def post(
    user: User, *, key: str, title: str, kind: str = "attendance.late_streak", **fields: Any
) -> Notification:
    values: dict[str, Any] = {"level": "warning", "dedupe_key": key, "title": title, "kind": kind}
    values.update(fields)
    post_messages([Message(recipient_id=user.pk, **values)])
    return Notification.objects.get(recipient=user, dedupe_key=key)


def titles(response: Any) -> list[str]:
    assert response.status_code == 200
    return [n.title for n in response.context["page_obj"]]


def test_the_inbox_shows_only_ones_own_notifications_unread_first(world: World) -> None:
    old = post(world.bob, key="1", title="旧的未读")
    read = post(world.bob, key="2", title="已读的")
    new = post(world.bob, key="3", title="新的未读")
    post(world.alice, key="1", title="别人的")
    Notification.objects.filter(pk=old.pk).update(created_at=timezone.now() - dt.timedelta(days=2))
    Notification.objects.filter(pk=read.pk).update(read_at=timezone.now())
    response = as_user(world.bob).get(INBOX)
    assert titles(response) == [new.title, old.title, read.title]
    page = response.content.decode()
    assert "别人的" not in page
    assert "2 条未读" in page


def test_the_inbox_filters_by_kind_project_and_unread(world: World) -> None:
    post(world.alice, key="1", title="P1 迟到", project_id=world.p1.pk)
    post(world.alice, key="2", title="P2 设备", kind="attendance.device_silent", project_id=world.p2.pk)
    post(world.alice, key="3", title="已读 P1", project_id=world.p1.pk, level="info")
    Notification.objects.filter(dedupe_key="3").update(read_at=timezone.now())
    client = as_user(world.alice)
    assert titles(client.get(INBOX, {"kind": "attendance.device_silent"})) == ["P2 设备"]
    assert titles(client.get(INBOX, {"project": str(world.p1.public_id)})) == ["P1 迟到", "已读 P1"]
    assert titles(client.get(INBOX, {"project": str(world.p1.public_id), "unread": "on"})) == ["P1 迟到"]
    page = client.get(INBOX).content.decode()
    assert "连续迟到" in page and "设备离线" in page  # the kinds' readable names in the filter and the list


def test_marking_one_read_and_another_persons_is_404(world: World) -> None:
    mine = post(world.bob, key="1", title="我的")
    theirs = post(world.alice, key="1", title="别人的")
    client = as_user(world.bob)
    response = client.post(
        reverse("notifications:read", args=[mine.public_id]), {"next": "/notifications/?unread=on"}
    )
    assert response.status_code == 302 and response["Location"] == "/notifications/?unread=on"
    mine.refresh_from_db()
    assert mine.read_at is not None
    assert client.post(reverse("notifications:read", args=[theirs.public_id])).status_code == 404
    theirs.refresh_from_db()
    assert theirs.read_at is None
    assert client.get(reverse("notifications:read", args=[mine.public_id])).status_code == 405


def test_a_next_address_off_site_is_not_followed(world: World) -> None:
    mine = post(world.bob, key="1", title="我的")
    response = as_user(world.bob).post(
        reverse("notifications:read", args=[mine.public_id]), {"next": "https://evil.example/"}
    )
    assert response["Location"] == INBOX


def test_htmx_marks_read_in_place(world: World) -> None:
    mine = post(world.bob, key="1", title="我的")
    response = as_user(world.bob).post(
        reverse("notifications:read", args=[mine.public_id]), HTTP_HX_REQUEST="true"
    )
    assert response.status_code == 200
    fragment = response.content.decode()
    assert f'id="n-{mine.public_id}"' in fragment and "已读" in fragment
    assert "<html" not in fragment
    # The navigation's count follows (out of band): nothing unread is left, so no badge.
    assert 'id="nav-inbox" hx-swap-oob="true"' in fragment
    assert 'title="未读通知"' not in fragment


def test_mark_all_read_respects_the_filter_and_touches_nobody_else(world: World) -> None:
    post(world.bob, key="1", title="迟到")
    post(world.bob, key="2", title="设备", kind="attendance.device_silent")
    post(world.alice, key="1", title="别人的")
    client = as_user(world.bob)
    response = client.post(reverse("notifications:read_all"), {"kind": "attendance.device_silent"})
    assert response.status_code == 302
    assert set(Notification.objects.filter(read_at__isnull=True).values_list("title", flat=True)) == {
        "迟到",
        "别人的",
    }
    client.post(reverse("notifications:read_all"))
    assert set(Notification.objects.filter(read_at__isnull=True).values_list("title", flat=True)) == {
        "别人的"
    }


def test_the_navigation_shows_the_unread_count(world: World) -> None:
    post(world.bob, key="1", title="一")
    post(world.bob, key="2", title="二")
    page = as_user(world.bob).get(reverse("core:home")).content.decode()
    assert 'class="nav-inbox"' in page
    assert 'title="未读通知">2</span>' in page
    page = as_user(world.alice).get(reverse("core:home")).content.decode()
    assert 'title="未读通知">' not in page


def test_the_inbox_needs_a_login(world: World) -> None:
    assert Client().get(INBOX).status_code == 302


def test_the_inbox_costs_the_same_queries_for_many_notifications(world: World) -> None:
    def count() -> int:
        client = as_user(world.bob)
        with CaptureQueriesContext(connection) as queries:
            assert client.get(INBOX).status_code == 200
        return len(queries)

    post(world.bob, key="0", title="0", project_id=world.p1.pk)
    one = count()
    for n in range(1, 20):
        post(world.bob, key=str(n), title=str(n), project_id=world.p1.pk if n % 2 else world.p2.pk)
    assert count() == one


def test_preferences_are_saved_and_the_phone_is_shown_masked(world: World) -> None:
    world.bob.phone = "13812345678"
    world.bob.save(update_fields=["phone"])
    client = as_user(world.bob)
    page = client.get(reverse("notifications:preferences")).content.decode()
    assert "138****5678" in page and "13812345678" not in page
    response = client.post(
        reverse("notifications:preferences"),
        {"email_enabled": "on", "email_min_level": "info", "sms_min_level": "critical"},
    )
    assert response.status_code == 302
    prefs = NotificationPreference.objects.get(user=world.bob)
    assert (prefs.email_enabled, prefs.email_min_level, prefs.sms_enabled) == (True, "info", False)
    response = client.post(
        reverse("notifications:preferences"), {"email_min_level": "loud", "sms_min_level": "info"}
    )
    assert response.status_code == 200 and response.context["form"].errors
