"""The device allow-list sync: ZKTeco USERINFO and Hikvision person commands per enabled gate, identifiers
allocated for the newly allowed, nothing for the never-mapped denied, coalescing, skipped devices, bounded
queries, and the commands going out through the real ZKTeco endpoints."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from realname.attendance import services, setup
from realname.attendance.allowlist import AllowListChange, SyncResult, sync_allowlist
from realname.attendance.models import (
    AccessEvent,
    CommandOrigin,
    CommandStatus,
    Device,
    DeviceCommand,
    DeviceIdentity,
    DeviceKind,
    PersonRefKind,
)
from realname.attendance.protocols import zkteco
from realname.orgs.models import Participant, Project
from realname.testing import World
from realname.workers.models import Employment, Worker

pytestmark = pytest.mark.django_db

SAMPLES = Path(__file__).parent / "samples"


@dataclass
class Gates:
    project: Project
    zk: Device
    hik: Device
    a: Employment
    b: Employment


@pytest.fixture
def gates(world: World) -> Gates:
    zk = services.register_device(project=world.p1, kind=DeviceKind.ZKTECO, serial="ZK001", name="东门")
    hik = services.register_device(project=world.p1, kind=DeviceKind.HIKVISION, serial="HK001", name="西门")
    a = Employment.objects.get(worker=world.worker_a, project=world.p1)
    b = Employment.objects.get(worker=world.worker_b, project=world.p1)
    return Gates(world.p1, zk, hik, a, b)


def sync(gates: Gates, *changes: tuple[Employment, bool], **kwargs: object) -> SyncResult:
    return sync_allowlist(
        project=gates.project,
        changes=[AllowListChange(employment.pk, allowed) for employment, allowed in changes],
        **kwargs,  # type: ignore[arg-type]
    )


def live(device: Device) -> list[DeviceCommand]:
    """The device's commands still to carry out, in order."""
    return list(device.commands.filter(status=CommandStatus.QUEUED).order_by("command_id"))


def ref(employment: Employment, ref_kind: str) -> str:
    return DeviceIdentity.objects.get(employment=employment, ref_kind=ref_kind).ref


# --- allocation and the commands ------------------------------------------------------------------------


def test_allowed_people_get_the_next_numbers_and_an_add_command_on_every_gate(gates: Gates) -> None:
    services.map_person(project=gates.project, ref_kind="pin", ref="41", employment=gates.b)
    services.map_person(project=gates.project, ref_kind="pin", ref="A7", employment=gates.b)  # not numeric
    result = sync(gates, (gates.a, True), (gates.b, True))

    assert result.queued == {"zkteco": 2, "hikvision": 2}
    assert (result.allowed, result.denied, result.allocated, result.total) == (4, 0, 3, 4)
    # A gets the next PIN after the project's highest (41); both get employee numbers 1 and 2.
    assert ref(gates.a, PersonRefKind.PIN) == "42"
    assert {ref(gates.a, "employee_no"), ref(gates.b, "employee_no")} == {"1", "2"}
    identity = DeviceIdentity.objects.get(employment=gates.a, ref_kind="pin")
    assert (identity.device_id, identity.kind) == (None, DeviceKind.ZKTECO)

    zk_lines = [command.text for command in live(gates.zk)]
    rest = "\tPri=0\tPasswd=\tCard=\tGrp=1\tTZ=0000000100000000\tVerify=0"
    assert zk_lines == [
        f"C:1:DATA UPDATE USERINFO PIN=42\tName=张甲{rest}",
        f"C:2:DATA UPDATE USERINFO PIN=41\tName=李乙{rest}",
    ]
    (hik_a, hik_b) = live(gates.hik)
    assert (hik_a.method, hik_a.path) == ("POST", "/ISAPI/AccessControl/UserInfo/Record?format=json")
    assert hik_a.body is not None
    info = hik_a.body["UserInfo"]
    assert (info["employeeNo"], info["name"], info["userType"]) == (
        ref(gates.a, "employee_no"),
        "张甲",
        "normal",
    )
    assert info["Valid"]["endTime"] == "2037-12-31T23:59:59" and info["Valid"]["timeType"] == "local"
    assert {c.origin for c in [hik_a, hik_b]} == {CommandOrigin.ALLOWLIST}
    assert hik_a.employment_id == gates.a.pk and hik_a.action == "add_person"


def test_a_later_punch_with_an_allocated_pin_maps_back_to_the_employment(gates: Gates) -> None:
    sync(gates, (gates.a, True))
    pin = ref(gates.a, "pin")
    body = f"{pin}\t2026-11-20 07:58:00\t0\t15\r\n".encode()
    response = Client().post(
        "/iclock/cdata?SN=ZK001&table=ATTLOG&Stamp=1", data=body, content_type="text/plain"
    )
    assert response.status_code == 200
    assert AccessEvent.objects.get(device=gates.zk).employment_id == gates.a.pk


def test_existing_identities_are_used_the_devices_own_first(gates: Gates) -> None:
    services.map_person(project=gates.project, ref_kind="pin", ref="1001", employment=gates.a, kind="zkteco")
    services.map_person(project=gates.project, ref_kind="card", ref="8800", employment=gates.a)
    services.map_person(project=gates.project, ref_kind="employee_no", ref="W1", employment=gates.a)
    services.map_person(
        project=gates.project, ref_kind="employee_no", ref="H-9", employment=gates.a, device=gates.hik
    )
    result = sync(gates, (gates.a, True))
    assert result.allocated == 0
    (zk,) = live(gates.zk)
    assert zkteco.parse_command(zk.text).fields | {} == {
        "PIN": "1001",
        "Name": "张甲",
        "Pri": "0",
        "Passwd": "",
        "Card": "8800",
        "Grp": "1",
        "TZ": "0000000100000000",
        "Verify": "0",
    }
    (hik,) = live(gates.hik)
    assert hik.person_ref == "H-9" and hik.body is not None
    assert hik.body["UserInfo"]["employeeNo"] == "H-9"


def test_one_allocation_serves_every_gate_of_the_kind(gates: Gates) -> None:
    second = services.register_device(project=gates.project, kind=DeviceKind.ZKTECO, serial="ZK002")
    sync(gates, (gates.a, True))
    assert DeviceIdentity.objects.filter(employment=gates.a, ref_kind="pin").count() == 1
    pin = ref(gates.a, "pin")
    assert [c.person_ref for c in live(gates.zk)] == [pin] == [c.person_ref for c in live(second)]


def test_a_denied_person_never_mapped_needs_no_command(gates: Gates) -> None:
    result = sync(gates, (gates.a, False))
    assert (result.total, result.not_mapped, result.allocated) == (0, 2, 0)
    assert not DeviceCommand.objects.exists() and not DeviceIdentity.objects.exists()


def test_a_denied_mapped_person_is_deleted_through_each_protocol(gates: Gates) -> None:
    sync(gates, (gates.a, True))
    DeviceCommand.objects.update(status=CommandStatus.ACKED)
    result = sync(gates, (gates.a, False))
    assert (result.queued, result.denied) == ({"zkteco": 1, "hikvision": 1}, 2)
    (zk,) = live(gates.zk)
    assert zk.text == f"C:2:DATA DELETE USERINFO PIN={ref(gates.a, 'pin')}"
    (hik,) = live(gates.hik)
    assert (hik.method, hik.path, hik.action) == (
        "PUT",
        "/ISAPI/AccessControl/UserInfoDetail/Delete?format=json",
        "delete_person",
    )
    assert hik.body == {
        "UserInfoDetail": {
            "mode": "byEmployeeNo",
            "EmployeeNoList": [{"employeeNo": ref(gates.a, "employee_no")}],
        }
    }


def test_the_validity_ends_when_the_decision_lapses_in_the_devices_zone(gates: Gates) -> None:
    gates.hik.time_zone = "Asia/Urumqi"
    gates.hik.save(update_fields=["time_zone"])
    now = dt.datetime(2026, 11, 26, 3, 0, tzinfo=dt.UTC)
    until = dt.datetime(
        2027, 1, 1, tzinfo=ZoneInfo("Asia/Shanghai")
    )  # the certificate's expiry, Beijing time
    sync_allowlist(project=gates.project, changes=[AllowListChange(gates.a.pk, True, until)], now=now)
    (hik,) = live(gates.hik)
    assert hik.body is not None
    assert hik.body["UserInfo"]["Valid"] == {
        "enable": True,
        "beginTime": "2026-11-26T00:00:00",
        "endTime": "2026-12-31T22:00:00",
        "timeType": "local",
    }


def test_an_allowed_decision_that_has_already_lapsed_is_a_denial(gates: Gates) -> None:
    sync(gates, (gates.a, True))
    DeviceCommand.objects.update(status=CommandStatus.ACKED)
    now = timezone.now()
    result = sync_allowlist(
        project=gates.project,
        changes=[AllowListChange(gates.a.pk, True, now - dt.timedelta(minutes=1))],
        now=now,
    )
    assert (result.allowed, result.denied) == (0, 2)


def test_the_last_change_of_an_employment_in_one_list_wins(gates: Gates) -> None:
    sync(gates, (gates.a, True))
    DeviceCommand.objects.update(status=CommandStatus.ACKED)
    result = sync(gates, (gates.a, True), (gates.a, False))
    assert (result.allowed, result.denied) == (0, 2)


def test_an_employment_of_another_project_is_ignored(world: World, gates: Gates) -> None:
    other = Employment.objects.get(worker=world.worker_c, project=world.p2)
    assert sync(gates, (other, True)).total == 0
    assert not DeviceIdentity.objects.exists()


# --- which devices ----------------------------------------------------------------------------------------


def test_disabled_devices_other_kinds_and_the_correction_device_are_skipped(
    world: World, gates: Gates
) -> None:
    setup.set_enabled(device=gates.hik, enabled=False)
    services.register_device(project=gates.project, kind=DeviceKind.NATIVE, serial="EDGE1")
    # Even a correction serial registered as a gate kind is never told anything.
    Device.objects.create(project=gates.project, kind=DeviceKind.ZKTECO, serial=f"BK-{gates.project.code}")
    services.register_device(project=world.p2, kind=DeviceKind.ZKTECO, serial="ZK-P2")
    result = sync(gates, (gates.a, True))
    assert result.queued == {"zkteco": 1}
    assert list(DeviceCommand.objects.values_list("device__serial", flat=True)) == ["ZK001"]


def test_a_project_without_gates_queues_nothing(world: World) -> None:
    employment = Employment.objects.get(worker=world.worker_c, project=world.p2)
    result = sync_allowlist(project=world.p2, changes=[AllowListChange(employment.pk, True)])
    assert result.total == 0 and not DeviceIdentity.objects.exists()


# --- coalescing -----------------------------------------------------------------------------------------


def test_a_flip_flop_leaves_one_command_and_keeps_the_history(gates: Gates) -> None:
    sync(gates, (gates.a, True))
    sync(gates, (gates.a, False))
    result = sync(gates, (gates.a, True))
    assert result.superseded == 2  # the queued deletion on each gate
    for device in (gates.zk, gates.hik):
        statuses = list(device.commands.order_by("command_id").values_list("action", "status"))
        add = "add_user" if device.kind == DeviceKind.ZKTECO else "add_person"
        delete = "delete_user" if device.kind == DeviceKind.ZKTECO else "delete_person"
        assert statuses == [
            (add, CommandStatus.SUPERSEDED),
            (delete, CommandStatus.SUPERSEDED),
            (add, CommandStatus.QUEUED),
        ]
        assert all(
            c.superseded_at is not None for c in device.commands.filter(status=CommandStatus.SUPERSEDED)
        )


def test_another_persons_command_and_a_manual_reboot_are_not_superseded(gates: Gates) -> None:
    sync(gates, (gates.b, True))
    services.queue_command(device=gates.zk, command="reboot")
    sync(gates, (gates.a, True))
    assert not DeviceCommand.objects.filter(status=CommandStatus.SUPERSEDED).exists()


def test_a_manually_queued_user_command_is_superseded_too(gates: Gates) -> None:
    services.map_person(project=gates.project, ref_kind="pin", ref="5", employment=gates.a)
    manual = setup.queue_user_delete(device=gates.zk, pin="5")
    assert (manual.action, manual.person_ref) == ("delete_user", "5")
    sync(gates, (gates.a, True))
    manual.refresh_from_db()
    assert manual.status == CommandStatus.SUPERSEDED


def test_a_sent_unanswered_command_is_not_sent_again_once_superseded(gates: Gates) -> None:
    sync(gates, (gates.a, True))
    now = timezone.now()
    (sent,) = services.claim_commands(device=gates.zk, now=now)
    sync(gates, (gates.a, False), now=now)
    later = now + dt.timedelta(hours=1)
    claimed = services.claim_commands(device=gates.zk, now=later)
    assert [c.action for c in claimed] == ["delete_user"]
    assert services.claim_commands(device=gates.zk, now=later + dt.timedelta(hours=1)) == [
        DeviceCommand.objects.get(device=gates.zk, action="delete_user")
    ]  # the unanswered deletion itself is still resent
    sent.refresh_from_db()
    assert sent.status == CommandStatus.SENT and sent.superseded_at is not None
    # Its late answer is still recorded.
    services.record_command_results(device=gates.zk, results=[zkteco.CommandResult(1, 0, "DATA", {}, 1)])
    sent.refresh_from_db()
    assert sent.status == CommandStatus.ACKED


# --- through the real ZKTeco endpoints ------------------------------------------------------------------


def _sample_result_line(command_id: int) -> bytes:
    (line,) = [
        line
        for line in (SAMPLES / "zkteco_getrequest_devicecmd.txt").read_text(encoding="utf-8").splitlines()
        if line.startswith("ID=")
    ]
    return line.replace("ID=1&", f"ID={command_id}&").encode()


def test_getrequest_carries_the_deletion_after_a_denied_change_and_devicecmd_acks_it(gates: Gates) -> None:
    device = Client(enforce_csrf_checks=True)
    sync(gates, (gates.a, True))
    pin = ref(gates.a, "pin")
    served = zkteco.parse_commands(device.get("/iclock/getrequest?SN=ZK001").content.decode())
    assert [(c.command_id, c.action, c.fields["PIN"]) for c in served] == [(1, "DATA UPDATE USERINFO", pin)]
    device.post("/iclock/devicecmd?SN=ZK001", data=_sample_result_line(1), content_type="text/plain")

    sync(gates, (gates.a, False))
    served = zkteco.parse_commands(device.get("/iclock/getrequest?SN=ZK001").content.decode())
    assert [(c.command_id, c.action, c.fields) for c in served] == [(2, "DATA DELETE USERINFO", {"PIN": pin})]
    assert device.get("/iclock/getrequest?SN=ZK001").content.decode() == "OK"
    response = device.post(
        "/iclock/devicecmd?SN=ZK001", data=_sample_result_line(2), content_type="text/plain"
    )
    assert response.content.decode() == "OK"
    statuses = list(gates.zk.commands.order_by("command_id").values_list("status", "return_code"))
    assert statuses == [(CommandStatus.ACKED, 0), (CommandStatus.ACKED, 0)]


def test_a_flip_flop_before_the_device_polls_serves_only_the_last_command(gates: Gates) -> None:
    sync(gates, (gates.a, True))
    sync(gates, (gates.a, False))
    body = Client().get("/iclock/getrequest?SN=ZK001").content.decode()
    assert [c.action for c in zkteco.parse_commands(body)] == ["DATA DELETE USERINFO"]


# --- bulk -------------------------------------------------------------------------------------------------


def _crowd(world: World, count: int, start: int = 0) -> list[Employment]:
    """``count`` employments on P1 made with bulk_create (the ID data is placeholder text, never read)."""
    participant = Participant.objects.get(project=world.p1, role="009")
    trade = Employment.objects.filter(project=world.p1).values_list("trade", flat=True).first() or ""
    people = Worker.objects.bulk_create(
        [
            Worker(
                name=f"工人{i}",
                id_number_enc="test",
                id_number_index=f"allow-{i:08d}",
                id_number_masked="110105********000X",
            )
            for i in range(start, start + count)
        ],
        batch_size=1000,
    )
    if people and people[0].pk is None:
        people = list(Worker.objects.filter(id_number_index__startswith="allow-").order_by("pk"))[start:]
    employments = Employment.objects.bulk_create(
        [
            Employment(
                project=world.p1,
                participant=participant,
                team=world.team_a,
                worker=person,
                trade=trade,
                entry_date=dt.date(2026, 9, 1),
            )
            for person in people
        ],
        batch_size=1000,
    )
    if employments and employments[0].pk is None:
        employments = list(Employment.objects.filter(worker__in=people).order_by("pk"))
    return employments


def _queries(gates: Gates, employments: list[Employment], allowed: bool) -> tuple[int, SyncResult]:
    changes = [AllowListChange(e.pk, allowed) for e in employments]
    with CaptureQueriesContext(connection) as captured:
        result = sync_allowlist(project=gates.project, changes=changes)
    return len(captured.captured_queries), result


def test_a_large_change_list_takes_a_bounded_number_of_queries(world: World, gates: Gates) -> None:
    crowd = _crowd(world, 10_000)
    small, _ = _queries(gates, crowd[:10], allowed=True)
    large, result = _queries(gates, crowd, allowed=True)
    assert result.queued == {"zkteco": 10_000, "hikvision": 10_000}
    assert result.allocated == 2 * 10_000 - 2 * 10  # the first ten were allocated by the small sync
    assert large <= 60, large  # chunks of 500: grows with len / 500, never per employment
    assert small <= 12, small
    assert DeviceCommand.objects.filter(status=CommandStatus.QUEUED).count() == 20_000
    assert DeviceCommand.objects.filter(status=CommandStatus.SUPERSEDED).count() == 20
    # The flip of everyone: supersedes every queued add, queues every deletion.
    flip, flipped = _queries(gates, crowd, allowed=False)
    assert flipped.superseded == 20_000 and flipped.denied == 20_000
    assert flip <= 120, flip
    zk_ids = list(gates.zk.commands.order_by("command_id").values_list("command_id", flat=True))
    assert zk_ids == list(range(1, 20_011))
    first = gates.zk.commands.get(command_id=20_010)
    assert json.dumps(first.text).count("DATA DELETE USERINFO") == 1
