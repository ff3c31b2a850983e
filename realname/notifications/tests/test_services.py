"""Posting notifications: once per (recipient, key) whatever happens, texts without ID numbers, and e-mail /
SMS deliveries after the commit for those who asked — whose failures never lose the inbox row."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from django.core import mail
from django.db import IntegrityError, transaction

from realname.accounts.roles import Perm
from realname.core.models import AuditEntry
from realname.notifications import services, sms
from realname.notifications.models import Delivery, DeliveryStatus, Notification
from realname.notifications.selectors import Audience
from realname.notifications.services import Message, notify, post_messages
from realname.notifications.sms import SmsBackend, SmsError, SmsMessage
from realname.notifications.tests.people import Staff, build_staff
from realname.testing import World, new_id_number

pytestmark = pytest.mark.django_db

LOCMEM_SMS = "realname.notifications.sms.LocmemBackend"


@pytest.fixture
def staff(world: World) -> Staff:
    return build_staff(world)


@pytest.fixture(autouse=True)
def empty_sms_outbox() -> Iterator[None]:
    sms.outbox.clear()
    yield
    sms.outbox.clear()


class BrokenBackend(SmsBackend):
    """An SMS gateway that is down (retryable) — and that echoes the phone number in its error."""

    def send(self, message: SmsMessage) -> str:
        raise SmsError(f"gateway unreachable for {message.phone}", retryable=True)


class RefusingBackend(SmsBackend):
    def send(self, message: SmsMessage) -> str:
        raise SmsError("number blacklisted", retryable=False)


def message(user_id: int, key: str = "k1", **fields: Any) -> Message:
    values: dict[str, Any] = {"kind": "test.thing", "level": "warning", "title": "标题", "dedupe_key": key}
    values.update(fields)
    return Message(recipient_id=user_id, **values)


def device_down(world: World, level: str = "critical", key: str = "dev:1") -> services.NotifyResult:
    return notify(
        kind="attendance.device_silent",
        level=level,
        title="设备离线：东门",
        body="东门闸机 60 分钟没有通讯",
        link="/attendance/devices/",
        project=world.p1,
        dedupe_key=key,
        audience=Audience(Perm.DEVICES_MANAGE, world.p1),
    )


def test_notify_writes_one_row_per_person_in_the_audience(world: World, staff: Staff) -> None:
    result = device_down(world)
    assert result == services.NotifyResult(created=3)
    rows = Notification.objects.order_by("recipient__username")
    assert [n.recipient.username for n in rows] == ["alice", "bob", "pam"]
    assert {(n.kind, n.level, n.title, n.link, n.project_id, n.read_at) for n in rows} == {
        ("attendance.device_silent", "critical", "设备离线：东门", "/attendance/devices/", world.p1.pk, None)
    }


def test_the_same_key_never_reaches_the_same_person_twice(world: World, staff: Staff) -> None:
    device_down(world)
    again = device_down(world)
    assert again == services.NotifyResult(created=0, duplicates=3)
    assert Notification.objects.count() == 3
    assert device_down(world, key="dev:2").created == 3


def test_duplicates_within_one_batch_are_written_once(world: World) -> None:
    result = post_messages([message(world.alice.pk), message(world.alice.pk, title="另一个")])
    assert result.created == 1
    assert Notification.objects.get().title == "标题"


def test_the_database_refuses_a_second_row_with_the_same_key(world: World) -> None:
    post_messages([message(world.alice.pk)])
    first = Notification.objects.get()
    with pytest.raises(IntegrityError), transaction.atomic():
        Notification.objects.create(recipient=world.alice, kind="x", title="t", dedupe_key=first.dedupe_key)


def test_long_digit_runs_never_reach_the_inbox(world: World) -> None:
    number = new_id_number()
    post_messages(
        [message(world.alice.pk, title=f"证件 {number}", body=f"卡号 6222021234567890128 与 {number}")]
    )
    row = Notification.objects.get()
    assert number not in row.title + row.body
    assert "6222021234567890128" not in row.body
    assert number[:6] + "********" in row.body


@pytest.mark.parametrize(
    "bad",
    [
        {"level": "loud"},
        {"kind": ""},
        {"title": "  "},
        {"dedupe_key": ""},
        {"link": "https://evil.example/"},
        {"link": "//evil.example/"},
    ],
)
def test_malformed_messages_are_refused_loudly(world: World, bad: dict[str, Any]) -> None:
    with pytest.raises(ValueError):
        post_messages([message(world.alice.pk, **bad)])
    assert not Notification.objects.exists()


# --- preferences and delivery -------------------------------------------------------------------------------


def opt_in(user: Any, *, email: str = "", phone: str = "", **prefs: Any) -> None:
    user.email, user.phone = email, phone
    user.save(update_fields=["email", "phone"])
    services.set_preferences(user=user, **prefs)


def test_preferences_are_audited(world: World) -> None:
    services.set_preferences(user=world.alice, email_enabled=True)
    services.set_preferences(user=world.alice, email_enabled=True, sms_enabled=True)
    entries = AuditEntry.objects.filter(object_type="notifications.NotificationPreference").order_by("id")
    assert [e.action for e in entries] == ["create", "update"]
    assert entries[1].changes == {"sms_enabled": [False, True]}


def test_an_opted_in_user_gets_an_email_after_the_commit(
    world: World, staff: Staff, django_capture_on_commit_callbacks: Callable[..., Any]
) -> None:
    opt_in(world.alice, email="alice@example.cn", email_enabled=True, email_min_level="warning")
    with django_capture_on_commit_callbacks(execute=True):
        result = device_down(world)
        assert mail.outbox == []  # nothing is sent before the commit
    assert result.deliveries == 1
    (sent,) = mail.outbox
    assert sent.to == ["alice@example.cn"]
    assert sent.subject == "[实名制] 设备离线：东门"
    assert "东门闸机 60 分钟没有通讯" in sent.body
    assert "/attendance/devices/" in sent.body
    delivery = Delivery.objects.get()
    assert (delivery.channel, delivery.status, delivery.attempts) == ("email", "sent", 1)
    assert delivery.sent_at is not None


def test_below_the_chosen_level_no_email_is_sent(
    world: World, django_capture_on_commit_callbacks: Callable[..., Any]
) -> None:
    opt_in(world.alice, email="alice@example.cn", email_enabled=True, email_min_level="critical")
    with django_capture_on_commit_callbacks(execute=True):
        device_down(world, level="warning")
    assert mail.outbox == []
    assert not Delivery.objects.exists()


def test_without_opting_in_or_without_an_address_nothing_is_queued(
    world: World, django_capture_on_commit_callbacks: Callable[..., Any]
) -> None:
    opt_in(world.alice, email="alice@example.cn", email_enabled=False, sms_enabled=False)
    opt_in(world.bob, email="", phone="", email_enabled=True, sms_enabled=True, sms_min_level="info")
    with django_capture_on_commit_callbacks(execute=True):
        device_down(world)
    assert mail.outbox == [] and sms.outbox == []
    # bob asked but has no address: recorded as failed (an administrator can see why), not retried.
    assert sorted(Delivery.objects.values_list("channel", "status", "attempts", "last_error")) == [
        ("email", "failed", 1, "DeliveryError: 用户未设置邮件地址"),
        ("sms", "failed", 1, "DeliveryError: 用户未设置手机号"),
    ]
    assert Notification.objects.filter(recipient=world.bob).exists()


def test_sms_goes_through_the_adapter_and_the_log_masks_the_phone(
    world: World,
    settings: Any,
    caplog: pytest.LogCaptureFixture,
    django_capture_on_commit_callbacks: Callable[..., Any],
) -> None:
    settings.REALNAME_SMS_BACKEND = LOCMEM_SMS
    opt_in(world.bob, phone="13812345678", sms_enabled=True, sms_min_level="critical")
    with (
        caplog.at_level(logging.INFO, logger="realname.notifications.sms"),
        django_capture_on_commit_callbacks(execute=True),
    ):
        device_down(world)
    (text,) = sms.outbox
    assert text.phone == "13812345678"
    assert text.text.startswith("【实名制】设备离线：东门")
    assert (text.kind, text.level) == ("attendance.device_silent", "critical")
    assert "138****5678" in caplog.text
    assert "13812345678" not in caplog.text


def test_the_console_backend_writes_the_message_with_the_phone_masked(
    caplog: pytest.LogCaptureFixture,
) -> None:
    with caplog.at_level(logging.INFO, logger="realname.notifications.sms"):
        sms.ConsoleBackend().send(SmsMessage(phone="+8613812345678", text="你好", kind="k"))
    assert "你好" in caplog.text
    assert "*********5678" in caplog.text
    assert "13812345678" not in caplog.text


def test_a_failing_gateway_keeps_the_notification_and_retries_later(
    world: World,
    settings: Any,
    caplog: pytest.LogCaptureFixture,
    django_capture_on_commit_callbacks: Callable[..., Any],
) -> None:
    settings.REALNAME_SMS_BACKEND = "realname.notifications.tests.test_services.BrokenBackend"
    opt_in(world.bob, phone="13812345678", sms_enabled=True, sms_min_level="info")
    with caplog.at_level(logging.WARNING), django_capture_on_commit_callbacks(execute=True):
        device_down(world)
    assert Notification.objects.filter(recipient=world.bob).count() == 1
    delivery = Delivery.objects.get()
    assert (delivery.status, delivery.attempts) == ("pending", 1)
    assert delivery.last_error == "SmsError: gateway unreachable for 138****5678"
    assert "13812345678" not in caplog.text
    # Not due yet: nothing happens; once due, it is tried again, and after the last attempt it is given up.
    assert services.deliver_due() == services.DeliveryResult()
    for _ in range(services.MAX_ATTEMPTS - 1):
        Delivery.objects.update(next_attempt_at=delivery.created_at)
        services.deliver_due()
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == (DeliveryStatus.FAILED, services.MAX_ATTEMPTS)
    assert Notification.objects.filter(recipient=world.bob).count() == 1


def test_a_refusal_that_retrying_cannot_cure_fails_at_once(
    world: World, settings: Any, django_capture_on_commit_callbacks: Callable[..., Any]
) -> None:
    settings.REALNAME_SMS_BACKEND = "realname.notifications.tests.test_services.RefusingBackend"
    opt_in(world.bob, phone="13812345678", sms_enabled=True, sms_min_level="info")
    with django_capture_on_commit_callbacks(execute=True):
        device_down(world)
    delivery = Delivery.objects.get()
    assert (delivery.status, delivery.attempts) == ("failed", 1)


def test_a_delivery_being_sent_is_not_picked_up_by_a_second_sender(
    world: World, settings: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings.REALNAME_SMS_BACKEND = LOCMEM_SMS
    opt_in(world.bob, phone="13812345678", sms_enabled=True, sms_min_level="info")
    device_down(world)  # on-commit callbacks not run: the delivery stays pending
    real_send = services._send
    second: list[services.DeliveryResult] = []

    def send_while_another_sender_runs(delivery: Delivery, backend: Any) -> Any:
        second.append(services.deliver_due())  # a second worker, at the same moment
        return real_send(delivery, backend)

    monkeypatch.setattr(services, "_send", send_while_another_sender_runs)
    assert services.deliver_due().sent == 1
    assert second == [services.DeliveryResult()]
    assert len(sms.outbox) == 1
