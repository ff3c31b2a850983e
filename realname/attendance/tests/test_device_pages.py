"""The device registry pages: status list, registration and changes, connection settings with the audited
secret reveal, person mappings, the ZKTeco command queue as the device sees it, raw messages and their
replay. alice (general contractor of P1) manages P1's devices; bob (subcontractor B's labour manager, whose
role has DEVICES_MANAGE over B's people only) is refused; charlie gets 404 for everything of P1."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from realname.accounts.models import User
from realname.attendance import services
from realname.attendance.models import (
    AccessEvent,
    CommandStatus,
    Device,
    DeviceCommand,
    DeviceIdentity,
    DeviceKind,
    ParseStatus,
    RawMessage,
)
from realname.attendance.tests.test_ingest import punch
from realname.core.models import AuditAction, AuditEntry
from realname.testing import World
from realname.workers.models import Employment

pytestmark = pytest.mark.django_db


@dataclass
class Site:
    zk: Device
    hik: Device
    native: Device
    employment_a: Employment
    employment_b: Employment
    employment_c: Employment


@pytest.fixture
def site(world: World) -> Site:
    zk = services.register_device(project=world.p1, kind=DeviceKind.ZKTECO, serial="ZK001", name="东门")
    hik = services.register_device(project=world.p1, kind=DeviceKind.HIKVISION, serial="HK001", name="南门")
    native = services.register_device(project=world.p1, kind=DeviceKind.NATIVE, serial="EDGE1", name="边缘")
    employment_a = Employment.objects.get(worker=world.worker_a, project=world.p1)
    employment_b = Employment.objects.get(worker=world.worker_b, project=world.p1)
    employment_c = Employment.objects.get(worker=world.worker_c, project=world.p2)
    services.map_person(project=world.p1, ref_kind="pin", ref="1", employment=employment_a, kind="zkteco")
    return Site(zk, hik, native, employment_a, employment_b, employment_c)


def login(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def url(name: str, obj: Device | None = None) -> str:
    return reverse(f"attendance:{name}", args=[obj.public_id] if obj is not None else [])


def project_url(name: str, world: World) -> str:
    return reverse(f"attendance:{name}", args=[world.p1.public_id])


def text(response: object) -> str:
    return response.content.decode()  # type: ignore[attr-defined]


def row_of(page: str, serial: str) -> str:
    """The table row of a device in the list."""
    return page.split(f"<code>{serial}</code>", 1)[1].split("</tr>", 1)[0]


# --- the status list ----------------------------------------------------------------------------------------


def test_the_project_list_shows_status_events_today_and_pending_commands(world: World, site: Site) -> None:
    now = timezone.now()
    services.touch_device(device=site.zk, now=now)
    services.ingest_events(device=site.zk, parsed=[punch("1", aware=now)], raw_message=None, source="zkteco")
    services.queue_command(device=site.zk, command="reboot")
    Device.objects.filter(pk=site.hik.pk).update(
        last_seen_at=now - dt.timedelta(hours=2), clock_skew_seconds=900
    )

    page = text(login(world.alice).get(project_url("project_devices", world)))

    assert "ZK001" in page and "HK001" in page and "EDGE1" in page
    row = row_of(page, "ZK001")
    assert "在线" in row and "<td>1</td>" in row and "待执行 1" in row
    hik_row = row_of(page, "HK001")
    assert "离线" in hik_row and "时钟偏差" in hik_row
    for device in (site.zk, site.hik, site.native):
        assert device.secret not in page


def test_the_list_costs_the_same_queries_for_more_devices(world: World, site: Site) -> None:
    client = login(world.alice)
    client.get(project_url("project_devices", world))  # warm the session and the user

    def count() -> int:
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(project_url("project_devices", world)).status_code == 200
        return len(ctx.captured_queries)

    few = count()
    for n in range(5):
        services.register_device(project=world.p1, kind="zkteco", serial=f"MORE{n}")
        services.queue_command(device=Device.objects.get(serial=f"MORE{n}"), command="check")
    assert count() == few


def test_the_all_projects_list_shows_only_site_wide_projects(world: World, site: Site) -> None:
    other = services.register_device(project=world.p2, kind="zkteco", serial="ZK-P2")
    alice_page = text(login(world.alice).get(url("device_list")))
    assert "ZK001" in alice_page and other.serial not in alice_page
    charlie_page = text(login(world.charlie).get(url("device_list")))
    assert "ZK-P2" in charlie_page and "ZK001" not in charlie_page
    bob_page = text(login(world.bob).get(url("device_list")))
    assert "ZK001" not in bob_page and "ZK-P2" not in bob_page


def test_a_regulator_reads_the_status_list_but_manages_nothing(world: World, site: Site) -> None:
    reggie = login(world.reggie)
    page = text(reggie.get(project_url("project_devices", world)))
    assert "ZK001" in page
    assert url("device_detail", site.zk) not in page
    assert reggie.get(url("device_detail", site.zk)).status_code == 404
    assert reggie.get(project_url("device_create", world)).status_code == 404


# --- who may manage ----------------------------------------------------------------------------------------


def test_bob_is_refused_although_his_role_has_devices_manage(world: World, site: Site) -> None:
    bob = login(world.bob)
    assert bob.get(project_url("project_devices", world)).status_code == 403
    assert bob.get(project_url("device_create", world)).status_code == 403
    for name in ("device_detail", "device_edit", "device_mappings", "device_commands", "device_raw_messages"):
        assert bob.get(url(name, site.zk)).status_code == 403, name
    assert bob.post(url("device_reveal_secret", site.hik)).status_code == 403
    assert bob.post(url("device_enabled", site.zk), {"enabled": "0"}).status_code == 403
    site.zk.refresh_from_db()
    assert site.zk.enabled
    assert not AuditEntry.objects.filter(action=AuditAction.REVEAL).exists()


def test_charlie_gets_404_for_everything_of_p1(world: World, site: Site) -> None:
    charlie = login(world.charlie)
    assert charlie.get(project_url("project_devices", world)).status_code == 404
    assert charlie.get(project_url("device_create", world)).status_code == 404
    for name in ("device_detail", "device_edit", "device_mappings", "device_commands", "device_raw_messages"):
        assert charlie.get(url(name, site.zk)).status_code == 404, name
    for name in (
        "device_reveal_secret",
        "device_rotate_secret",
        "device_enabled",
        "device_unmap",
        "device_replay",
    ):
        assert charlie.post(url(name, site.hik)).status_code == 404, name


# --- registering and changing ------------------------------------------------------------------------------


def test_alice_registers_a_device_and_it_is_audited(world: World, site: Site) -> None:
    response = login(world.alice).post(
        project_url("device_create", world),
        {
            "kind": "zkteco",
            "serial": " ZK-NEW ",
            "name": "北门",
            "area": "北区",
            "role": "entrance",
            "time_zone": "",
        },
    )
    device = Device.objects.get(serial="ZK-NEW")
    assert response.status_code == 302 and response["Location"] == url("device_detail", device)
    assert (device.project, device.area, device.role, device.time_zone) == (
        world.p1,
        "北区",
        "entrance",
        "Asia/Shanghai",
    )
    entry = AuditEntry.objects.get(action=AuditAction.CREATE, object_id=str(device.public_id))
    assert entry.changes["secret"] == "***" and device.secret not in str(entry.changes)


def test_a_serial_already_registered_is_shown_as_an_error(world: World, site: Site) -> None:
    response = login(world.alice).post(
        project_url("device_create", world), {"kind": "zkteco", "serial": "ZK001", "role": "both"}
    )
    assert response.status_code == 200
    assert response.context["form"].errors["serial"]
    assert Device.objects.filter(serial="ZK001").count() == 1


def test_the_phone_kind_cannot_be_registered_by_hand(world: World, site: Site) -> None:
    response = login(world.alice).post(
        project_url("device_create", world), {"kind": "phone", "serial": "PH1", "role": "both"}
    )
    assert response.status_code == 200 and "kind" in response.context["form"].errors
    assert not Device.objects.filter(serial="PH1").exists()


def test_alice_edits_a_device_and_the_change_is_audited(world: World, site: Site) -> None:
    response = login(world.alice).post(
        url("device_edit", site.zk),
        {
            "serial": "ZK001",
            "name": "东门入口",
            "area": "东区",
            "role": "entrance",
            "time_zone": "Asia/Urumqi",
        },
    )
    assert response.status_code == 302
    site.zk.refresh_from_db()
    assert (site.zk.name, site.zk.area, site.zk.role, site.zk.time_zone) == (
        "东门入口",
        "东区",
        "entrance",
        "Asia/Urumqi",
    )
    entry = AuditEntry.objects.get(action=AuditAction.UPDATE, object_id=str(site.zk.public_id))
    assert entry.changes["name"] == ["东门", "东门入口"]


def test_a_bad_time_zone_is_refused(world: World, site: Site) -> None:
    response = login(world.alice).post(
        url("device_edit", site.zk), {"serial": "ZK001", "role": "both", "time_zone": "Mars/Olympus"}
    )
    assert response.status_code == 200 and response.context["form"].errors["time_zone"]


def test_a_disabled_device_is_refused_at_the_gate_until_enabled_again(world: World, site: Site) -> None:
    alice, gate = login(world.alice), Client()
    alice.post(url("device_enabled", site.zk), {"enabled": "0"})
    assert gate.get("/iclock/getrequest?SN=ZK001").status_code == 403
    assert AuditEntry.objects.filter(action=AuditAction.UPDATE, changes__enabled=[True, False]).exists()
    alice.post(url("device_enabled", site.zk), {"enabled": "1"})
    assert gate.get("/iclock/getrequest?SN=ZK001").content == b"OK"


def test_rotating_the_secret_retires_the_old_hikvision_url(world: World, site: Site) -> None:
    old = site.hik.secret
    response = login(world.alice).post(url("device_rotate_secret", site.hik))
    assert response.status_code == 302
    site.hik.refresh_from_db()
    assert site.hik.secret != old
    gate = Client()
    assert (
        gate.post(f"/devices/hik/{old}/events", data=b"{}", content_type="application/json").status_code
        == 404
    )
    entry = AuditEntry.objects.get(action=AuditAction.UPDATE, object_id=str(site.hik.public_id))
    assert old not in str(entry.changes) and site.hik.secret not in str(entry.changes)


# --- connection settings and secrets -----------------------------------------------------------------------


def test_the_zkteco_detail_says_what_to_enter_on_the_terminal(world: World, site: Site) -> None:
    page = text(login(world.alice).get(url("device_detail", site.zk), HTTP_HOST="testserver:8080"))
    assert "<code>testserver</code>" in page and "<code>8080</code>" in page
    assert "/iclock/cdata" in page and "<code>ZK001</code>" in page


def test_secrets_stay_hidden_until_an_audited_reveal(world: World, site: Site) -> None:
    alice = login(world.alice)
    for device in (site.hik, site.native):
        detail = text(alice.get(url("device_detail", device)))
        assert device.secret not in detail
    hik_page = text(alice.get(url("device_detail", site.hik)))
    assert "/devices/hik/••••••••/events" in hik_page
    assert not AuditEntry.objects.filter(action=AuditAction.REVEAL).exists()

    revealed = alice.post(
        url("device_reveal_secret", site.hik), {"reason": "安装调试"}, HTTP_HX_REQUEST="true"
    )
    assert f"http://testserver/devices/hik/{site.hik.secret}/events" in text(revealed)
    assert revealed["Cache-Control"].startswith("max-age=0")
    key = alice.post(url("device_reveal_secret", site.native))
    assert site.native.secret in text(key)

    entries = AuditEntry.objects.filter(action=AuditAction.REVEAL).order_by("id")
    assert [(e.object_id, e.note, e.actor) for e in entries] == [
        (str(site.hik.public_id), "安装调试", world.alice),
        (str(site.native.public_id), "", world.alice),
    ]
    assert all(site.hik.secret not in str(e.changes) for e in entries)


def test_there_is_nothing_to_reveal_for_a_zkteco_terminal(world: World, site: Site) -> None:
    assert login(world.alice).post(url("device_reveal_secret", site.zk)).status_code == 404
    assert not AuditEntry.objects.filter(action=AuditAction.REVEAL).exists()


def test_a_reveal_needs_a_post(world: World, site: Site) -> None:
    assert login(world.alice).get(url("device_reveal_secret", site.hik)).status_code == 405


# --- person mappings ---------------------------------------------------------------------------------------


def test_alice_maps_and_unmaps_a_person(world: World, site: Site) -> None:
    alice = login(world.alice)
    response = alice.post(
        url("device_mappings", site.zk),
        {
            "ref_kind": "pin",
            "ref": "2",
            "employment": str(site.employment_b.public_id),
            "applies_to": "device",
        },
    )
    assert response.status_code == 302
    identity = DeviceIdentity.objects.get(ref="2")
    assert (identity.employment, identity.device, identity.kind) == (site.employment_b, site.zk, "zkteco")
    page = text(alice.get(url("device_mappings", site.zk)))
    assert world.worker_b.name in page and world.worker_b.id_number_masked in page

    alice.post(url("device_unmap", site.zk), {"ref_kind": "pin", "ref": "2"})
    assert not DeviceIdentity.objects.filter(ref="2").exists()
    assert AuditEntry.objects.filter(
        action=AuditAction.DELETE, object_type="attendance.DeviceIdentity"
    ).exists()


def test_an_identifier_already_mapped_in_the_project_is_an_error(world: World, site: Site) -> None:
    response = login(world.alice).post(
        url("device_mappings", site.zk),
        {"ref_kind": "pin", "ref": "1", "employment": str(site.employment_b.public_id), "applies_to": "kind"},
    )
    assert response.status_code == 200 and response.context["form"].errors
    assert DeviceIdentity.objects.get(ref="1").employment == site.employment_a


def test_the_employment_picker_holds_only_this_projects_people(world: World, site: Site) -> None:
    alice = login(world.alice)
    form = alice.get(url("device_mappings", site.zk)).context["form"]
    assert set(form.fields["employment"].queryset) == {site.employment_a, site.employment_b}
    response = alice.post(
        url("device_mappings", site.zk),
        {"ref_kind": "pin", "ref": "7", "employment": str(site.employment_c.public_id), "applies_to": "kind"},
    )
    assert "employment" in response.context["form"].errors
    assert not DeviceIdentity.objects.filter(ref="7").exists()


def test_an_unknown_person_is_listed_and_mapped_from_the_detail(world: World, site: Site) -> None:
    now = timezone.now()
    for minutes in (30, 20):
        services.ingest_events(
            device=site.zk,
            parsed=[punch("9", aware=now - dt.timedelta(minutes=minutes))],
            raw_message=None,
            source="zkteco",
        )
    alice = login(world.alice)
    detail = text(alice.get(url("device_detail", site.zk)))
    row = detail.split("<code>9</code>", 1)[1].split("</tr>", 1)[0]
    assert "<td>2</td>" in row and "映射到工人" in row
    link = url("device_mappings", site.zk) + "?ref_kind=pin&amp;ref=9"
    assert link in row
    form = alice.get(url("device_mappings", site.zk), {"ref_kind": "pin", "ref": "9"}).context["form"]
    assert form.initial["ref"] == "9"

    alice.post(
        url("device_mappings", site.zk),
        {"ref_kind": "pin", "ref": "9", "employment": str(site.employment_b.public_id), "applies_to": "kind"},
    )
    assert "已映射" in text(alice.get(url("device_detail", site.zk))).split("<code>9</code>", 1)[1]
    result = services.ingest_events(
        device=site.zk, parsed=[punch("9", aware=now)], raw_message=None, source="zkteco"
    )
    assert result.events[0].employment == site.employment_b


# --- the ZKTeco command queue ------------------------------------------------------------------------------


def test_a_queued_user_update_is_served_by_getrequest_and_its_ack_shown(world: World, site: Site) -> None:
    services.map_person(project=world.p1, ref_kind="card", ref="88001", employment=site.employment_a)
    alice, gate = login(world.alice), Client()
    response = alice.post(
        url("device_queue_command", site.zk), {"action": "update", "ref_kind": "pin", "ref": "1"}
    )
    assert response.status_code == 302
    command = DeviceCommand.objects.get(device=site.zk)
    assert AuditEntry.objects.filter(
        action=AuditAction.CREATE, object_type="attendance.DeviceCommand"
    ).exists()

    served = gate.get("/iclock/getrequest?SN=ZK001").content.decode()
    assert served == command.text + "\n"
    assert served.startswith("C:1:DATA UPDATE USERINFO PIN=1\t")
    assert f"Name={world.worker_a.name}" in served and "Card=88001" in served
    page = text(alice.get(url("device_commands", site.zk)))
    assert "已下发" in page

    gate.post("/iclock/devicecmd?SN=ZK001", data=b"ID=1&Return=0&CMD=DATA\n", content_type="text/plain")
    command.refresh_from_db()
    assert command.status == CommandStatus.ACKED
    page = text(alice.get(url("device_commands", site.zk)))
    row = page.split("C:1:DATA UPDATE USERINFO", 1)[1].split("</tr>", 1)[0]
    assert "已执行" in row and "<td>0" in row


def test_a_delete_user_command_and_a_failed_result(world: World, site: Site) -> None:
    alice, gate = login(world.alice), Client()
    alice.post(url("device_queue_command", site.zk), {"action": "delete", "ref": "1"})
    assert gate.get("/iclock/getrequest?SN=ZK001").content.decode() == "C:1:DATA DELETE USERINFO PIN=1\n"
    gate.post("/iclock/devicecmd?SN=ZK001", data=b"ID=1&Return=-5&CMD=DATA\n", content_type="text/plain")
    row = text(alice.get(url("device_commands", site.zk), {"status": "failed"})).split("PIN=1", 1)[1]
    assert "执行失败" in row.split("</tr>", 1)[0] and "-5" in row.split("</tr>", 1)[0]
    listing = row_of(text(alice.get(project_url("project_devices", world))), "ZK001")
    assert "失败 1" in listing


def test_commands_are_only_for_zkteco_terminals(world: World, site: Site) -> None:
    services.map_person(project=world.p1, ref_kind="employee_no", ref="5", employment=site.employment_a)
    login(world.alice).post(url("device_queue_command", site.hik), {"action": "delete", "ref": "5"})
    assert not DeviceCommand.objects.exists()


# --- raw messages and replay -------------------------------------------------------------------------------


ATTLOG = b"1\t2026-03-02 07:58:00\t0\t15\n"


def test_a_refused_upload_is_replayed_after_registration_and_mapping(world: World, site: Site) -> None:
    gate = Client()
    refused = gate.post("/iclock/cdata?SN=ZKNEW&table=ATTLOG&Stamp=1", data=ATTLOG, content_type="text/plain")
    assert refused.status_code == 404
    raw = RawMessage.objects.get(serial="ZKNEW")
    assert raw.parse_status == ParseStatus.FAILED and raw.device is None

    alice = login(world.alice)
    alice.post(project_url("device_create", world), {"kind": "zkteco", "serial": "ZKNEW", "role": "both"})
    device = Device.objects.get(serial="ZKNEW")
    page = text(alice.get(url("device_raw_messages", device), {"status": "failed"}))
    assert "unknown device" in page and f'name="raw" value="{raw.pk}"' in page

    # PIN 1 is mapped for every ZKTeco terminal of P1 (the fixture), so the new gate knows worker A.
    response = alice.post(url("device_replay", device), {"raw": raw.pk})
    assert response.status_code == 302
    raw.refresh_from_db()
    assert raw.parse_status == ParseStatus.PARSED and raw.device == device
    (event,) = AccessEvent.objects.filter(device=device)
    assert event.employment == site.employment_a

    alice.post(url("device_replay", device), {"raw": raw.pk})  # replaying again stores nothing twice
    assert AccessEvent.objects.filter(device=device).count() == 1


def test_a_mapping_then_replay_all_failed(world: World, site: Site) -> None:
    site.zk.enabled = False
    site.zk.save()
    gate = Client()
    body = b"2\t2026-03-02 08:01:00\t0\t15\n"
    assert (
        gate.post("/iclock/cdata?SN=ZK001&table=ATTLOG", data=body, content_type="text/plain").status_code
        == 403
    )
    alice = login(world.alice)
    alice.post(url("device_replay", site.zk), {"all": "1"})
    assert not AccessEvent.objects.exists()  # refused: the device is still disabled

    alice.post(
        url("device_mappings", site.zk),
        {"ref_kind": "pin", "ref": "2", "employment": str(site.employment_b.public_id), "applies_to": "kind"},
    )
    alice.post(url("device_enabled", site.zk), {"enabled": "1"})
    alice.post(url("device_replay", site.zk), {"all": "1"})
    (event,) = AccessEvent.objects.all()
    assert event.employment == site.employment_b
    assert not RawMessage.objects.filter(parse_status=ParseStatus.FAILED).exists()


def test_another_devices_raw_message_cannot_be_replayed_here(world: World, site: Site) -> None:
    other = services.register_device(project=world.p2, kind="zkteco", serial="ZK-P2")
    raw = services.store_raw_message(
        kind="zkteco",
        device=other,
        serial="ZK-P2",
        path="/iclock/cdata",
        query_string="table=ATTLOG",
        content_type="text/plain",
        body=ATTLOG,
        refused="device disabled",
    )
    response = login(world.alice).post(url("device_replay", site.zk), {"raw": raw.pk})
    assert response.status_code == 404
    raw.refresh_from_db()
    assert raw.parse_status == ParseStatus.FAILED


def test_the_corrections_device_cannot_be_enabled_rotated_edited_revealed(world: World, site: Site) -> None:
    from realname.attendance.corrections import correction_device

    device = correction_device(world.p1)
    secret = device.secret
    client = login(world.alice)

    client.post(url("device_enabled", device), {"enabled": "1"})
    client.post(url("device_rotate_secret", device))
    revealed = text(client.post(url("device_reveal_secret", device), {"reason": "看看"}, follow=True))
    client.post(url("device_edit", device), {"serial": "EVIL", "name": "x", "area": "", "role": "both"})

    device.refresh_from_db()
    assert (device.enabled, device.secret, device.serial) == (False, secret, f"BK-{world.p1.code}")
    assert secret not in revealed and "补卡专用设备由系统管理" in revealed
    assert not AuditEntry.objects.filter(action=AuditAction.REVEAL, object_id=str(device.pk)).exists()
