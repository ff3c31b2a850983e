"""The command queue on the device pages, for both kinds: what was asked about whom, when it was queued,
sent and answered, the result, and what was superseded."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from realname.accounts.models import User
from realname.attendance import allowlist, services
from realname.attendance.allowlist import AllowListChange, sync_allowlist
from realname.attendance.models import Device, DeviceKind
from realname.attendance.protocols import hikvision_persons
from realname.testing import World
from realname.workers.models import Employment

pytestmark = pytest.mark.django_db


def login(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def page(client: Client, name: str, device: Device, **query: str) -> str:
    response = client.get(reverse(f"attendance:{name}", args=[device.public_id]), query)
    assert response.status_code == 200
    return response.content.decode()


def row(html: str, command_id: int) -> str:
    """The table row of one command (rows start with the command id cell)."""
    return html.split(f"<td>{command_id}</td>", 1)[1].split("</tr>", 1)[0]


@pytest.fixture
def devices(world: World) -> tuple[Device, Device]:
    zk = services.register_device(project=world.p1, kind=DeviceKind.ZKTECO, serial="ZK001", name="东门")
    hik = services.register_device(project=world.p1, kind=DeviceKind.HIKVISION, serial="HK001", name="西门")
    return zk, hik


def _sync(world: World, allowed: bool, *workers: str) -> None:
    employments = Employment.objects.filter(project=world.p1, worker__name__in=workers)
    sync_allowlist(project=world.p1, changes=[AllowListChange(e.pk, allowed) for e in employments])


def test_a_hikvision_terminals_queue_shows_the_requests_and_their_answers(
    world: World, devices: tuple[Device, Device]
) -> None:
    _, hik = devices
    _sync(world, True, "张甲")
    _sync(world, False, "张甲")  # supersedes the add before the agent fetched it
    _sync(world, True, "李乙")
    (claimed_delete, claimed_add) = services.claim_commands(device=hik)
    allowlist.record_isapi_result(
        device=hik,
        command_id=claimed_delete.command_id,
        result=hikvision_persons.read_result(http_status=200, status_code=1, status_string="OK"),
    )
    allowlist.record_isapi_result(
        device=hik,
        command_id=claimed_add.command_id,
        result=hikvision_persons.read_result(
            http_status=400, status_code=6, sub_status_code="badJsonContent"
        ),
    )

    html = page(login(world.alice), "device_commands", hik)
    superseded, deleted, added = row(html, 1), row(html, 2), row(html, 3)
    assert "添加/更新人员" in superseded and "张甲" in superseded and "已被取代" in superseded
    assert "被新命令取代" in superseded and "准入名单同步" in superseded
    assert "删除人员" in deleted and "PUT /ISAPI/AccessControl/UserInfoDetail/Delete?format=json" in deleted
    assert "已执行" in deleted and "HTTP 200 OK" in deleted
    assert "李乙" in added and "执行失败" in added and "badJsonContent" in added
    assert "&quot;employeeNo&quot;" in added and "&quot;timeType&quot;: &quot;local&quot;" in added
    # The status filter works for the new status too.
    only = page(login(world.alice), "device_commands", hik, status="superseded")
    assert "<td>1</td>" in only and "<td>2</td>" not in only


def test_the_device_pages_of_both_kinds_show_the_queue(world: World, devices: tuple[Device, Device]) -> None:
    alice = login(world.alice)
    _sync(world, True, "张甲")
    for device in devices:
        detail = page(alice, "device_detail", device)
        assert "最近的命令" in detail and "张甲" in detail and "待下发" in detail
        assert reverse("attendance:device_commands", args=[device.public_id]) in detail
    hik_detail = page(alice, "device_detail", devices[1])
    assert "/api/v1/attendance/devices/HK001/commands" in hik_detail


def test_the_queue_page_reads_a_fixed_number_of_queries(world: World, devices: tuple[Device, Device]) -> None:
    zk, _ = devices
    alice = login(world.alice)
    _sync(world, True, "张甲")
    with CaptureQueriesContext(connection) as few:
        page(alice, "device_commands", zk)
    _sync(world, True, "李乙")
    _sync(world, False, "张甲", "李乙")
    with CaptureQueriesContext(connection) as many:
        page(alice, "device_commands", zk)
    assert len(many.captured_queries) == len(few.captured_queries)


def test_charlie_cannot_see_a_p1_terminals_queue(world: World, devices: tuple[Device, Device]) -> None:
    _sync(world, True, "张甲")
    charlie = login(world.charlie)
    for device in devices:
        response = charlie.get(reverse("attendance:device_commands", args=[device.public_id]))
        assert response.status_code == 404
