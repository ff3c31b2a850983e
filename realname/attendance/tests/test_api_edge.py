"""The edge agent's command API for Hikvision terminals: signed like the native batch (stale and replayed
requests refused), claiming marks commands sent, results acknowledge or fail them.

The router is mounted here on a test NinjaAPI at the URL the platform gives it (/api/v1/attendance), so
these tests run whether or not config/api.py has registered it yet."""

from __future__ import annotations

import json
import secrets
import time
from dataclasses import dataclass
from typing import Any

import pytest
from django.test import Client
from django.urls import path
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from ninja import NinjaAPI

from realname.attendance import native, services
from realname.attendance.allowlist import AllowListChange, sync_allowlist
from realname.attendance.api_edge import router
from realname.attendance.models import CommandStatus, Device, DeviceCommand, DeviceKind
from realname.core.api_errors import install_error_handlers
from realname.testing import World
from realname.workers.models import Employment

_api = NinjaAPI(urls_namespace="edge_test", docs_url=None)
install_error_handlers(_api)
_api.add_router("/attendance", router)
urlpatterns = [path("api/v1/", _api.urls)]

pytestmark = [pytest.mark.django_db, pytest.mark.urls(__name__)]


@dataclass
class Edge:
    hik: Device
    zk: Device
    a: Employment
    b: Employment


@pytest.fixture
def edge(world: World) -> Edge:
    hik = services.register_device(project=world.p1, kind=DeviceKind.HIKVISION, serial="HK001", name="西门")
    zk = services.register_device(project=world.p1, kind=DeviceKind.ZKTECO, serial="ZK001", name="东门")
    a = Employment.objects.get(worker=world.worker_a, project=world.p1)
    b = Employment.objects.get(worker=world.worker_b, project=world.p1)
    sync_allowlist(project=world.p1, changes=[AllowListChange(a.pk, True), AllowListChange(b.pk, True)])
    return Edge(hik, zk, a, b)


def signed(
    device: Device, body: bytes = b"", *, timestamp: int | None = None, nonce: str | None = None
) -> dict[str, str]:
    stamp = str(int(time.time()) if timestamp is None else timestamp)
    nonce = nonce or secrets.token_hex(8)
    signature = native.sign(secret=device.secret, timestamp=stamp, nonce=nonce, body=body)
    return {"X-Timestamp": stamp, "X-Nonce": nonce, "X-Signature": signature}


def claim(client: Client, device: Device, **kwargs: Any) -> Any:
    return client.get(
        f"/api/v1/attendance/devices/{device.serial}/commands", headers=signed(device, **kwargs)
    )


def report(client: Client, device: Device, command_id: int, payload: dict[str, Any], **kwargs: Any) -> Any:
    body = json.dumps(payload).encode()
    return client.post(
        f"/api/v1/attendance/devices/{device.serial}/commands/{command_id}/result",
        data=body,
        content_type="application/json",
        headers=signed(device, body, **kwargs),
    )


@pytest.fixture
def client() -> Client:
    return Client(enforce_csrf_checks=True)  # an agent has no CSRF token


def test_claiming_hands_out_the_queued_requests_in_order_and_marks_them_sent(
    edge: Edge, client: Client
) -> None:
    response = claim(client, edge.hik)
    assert response.status_code == 200, response.content
    commands = response.json()["commands"]
    assert [c["id"] for c in commands] == [1, 2]
    first = commands[0]
    assert (first["action"], first["method"], first["path"]) == (
        "add_person",
        "POST",
        "/ISAPI/AccessControl/UserInfo/Record?format=json",
    )
    assert first["body"]["UserInfo"]["employeeNo"] == first["employee_no"]
    assert first["body"]["UserInfo"]["name"] == "张甲"
    assert first["fallback"] == {"method": "PUT", "path": "/ISAPI/AccessControl/UserInfo/Modify?format=json"}
    assert set(edge.hik.commands.values_list("status", flat=True)) == {CommandStatus.SENT}
    assert claim(client, edge.hik).json() == {"commands": []}  # not handed out twice
    edge.hik.refresh_from_db()
    assert edge.hik.last_seen_at is not None


def test_the_limit_bounds_a_claim(edge: Edge, client: Client) -> None:
    response = client.get(
        f"/api/v1/attendance/devices/{edge.hik.serial}/commands?limit=1", headers=signed(edge.hik)
    )
    assert [c["id"] for c in response.json()["commands"]] == [1]


def test_a_success_result_acknowledges_the_command(edge: Edge, client: Client) -> None:
    claim(client, edge.hik)
    answer = {"http_status": 200, "status_code": 1, "status_string": "OK", "sub_status_code": "ok"}
    response = report(client, edge.hik, 1, answer)
    assert response.status_code == 200, response.content
    assert response.json()["status"] == "acked" and response.json()["return_code"] == 1
    command = edge.hik.commands.get(command_id=1)
    assert (command.status, command.return_code, command.result) == (CommandStatus.ACKED, 1, "HTTP 200 OK ok")
    assert command.acked_at is not None


def test_a_device_error_marks_the_command_failed_and_a_second_report_keeps_the_first(
    edge: Edge, client: Client
) -> None:
    claim(client, edge.hik)
    error = {
        "http_status": 400,
        "status_code": 6,
        "status_string": "Invalid Content",
        "sub_status_code": "badJsonContent",
    }
    assert report(client, edge.hik, 2, error).json()["status"] == "failed"
    again = report(client, edge.hik, 2, {"http_status": 200, "status_code": 1})
    assert again.status_code == 200 and again.json()["status"] == "failed"
    command = edge.hik.commands.get(command_id=2)
    assert (command.status, command.return_code) == (CommandStatus.FAILED, 6)
    assert "badJsonContent" in command.result


def test_a_result_for_a_command_never_handed_out_or_unknown_is_refused(edge: Edge, client: Client) -> None:
    assert report(client, edge.hik, 1, {"http_status": 200}).status_code == 409
    assert edge.hik.commands.get(command_id=1).status == CommandStatus.QUEUED
    assert report(client, edge.hik, 99, {"http_status": 200}).status_code == 404


def test_a_bad_result_body_is_a_422(edge: Edge, client: Client) -> None:
    claim(client, edge.hik)
    response = report(client, edge.hik, 1, {"http_status": 42, "extra": 1})
    assert response.status_code == 422
    locs = {tuple(item["loc"]) for item in response.json()["detail"]}
    assert ("body", "http_status") in locs and ("body", "extra") in locs


def test_the_signature_is_required(edge: Edge, client: Client) -> None:
    response = client.get(f"/api/v1/attendance/devices/{edge.hik.serial}/commands")
    assert response.status_code == 401 and response.json()["reason"] == "missing_headers"
    assert set(edge.hik.commands.values_list("status", flat=True)) == {CommandStatus.QUEUED}


def test_a_signature_with_another_devices_key_is_refused(edge: Edge, client: Client) -> None:
    headers = signed(edge.zk)  # ZK001's key used for HK001
    response = client.get(f"/api/v1/attendance/devices/{edge.hik.serial}/commands", headers=headers)
    assert response.status_code == 401 and response.json()["reason"] == "bad_signature"


def test_a_tampered_result_body_is_refused(edge: Edge, client: Client) -> None:
    claim(client, edge.hik)
    headers = signed(edge.hik, json.dumps({"http_status": 500}).encode())
    response = client.post(
        f"/api/v1/attendance/devices/{edge.hik.serial}/commands/1/result",
        data=json.dumps({"http_status": 200, "status_code": 1}),
        content_type="application/json",
        headers=headers,
    )
    assert response.status_code == 401 and response.json()["reason"] == "bad_signature"
    assert edge.hik.commands.get(command_id=1).status == CommandStatus.SENT


def test_a_stale_timestamp_is_refused(edge: Edge, client: Client) -> None:
    stale = int(time.time()) - native.SIGNATURE_WINDOW_SECONDS - 60
    response = claim(client, edge.hik, timestamp=stale)
    assert response.status_code == 401 and response.json()["reason"] == "stale_timestamp"
    assert not edge.hik.commands.filter(status=CommandStatus.SENT).exists()


def test_a_replayed_request_is_refused(edge: Edge, client: Client) -> None:
    headers = signed(edge.hik, nonce="same-nonce")
    url = f"/api/v1/attendance/devices/{edge.hik.serial}/commands"
    assert client.get(url, headers=headers).status_code == 200
    replay = client.get(url, headers=headers)
    assert replay.status_code == 401 and replay.json()["reason"] == "nonce_reused"


def test_unknown_and_disabled_devices_are_refused(edge: Edge, client: Client) -> None:
    response = client.get("/api/v1/attendance/devices/NOPE/commands", headers=signed(edge.hik))
    assert response.status_code == 401 and response.json()["reason"] == "unknown_device"
    Device.objects.filter(pk=edge.hik.pk).update(enabled=False)
    response = claim(client, edge.hik)
    assert response.status_code == 401 and response.json()["reason"] == "device_disabled"


def test_a_zkteco_device_takes_its_commands_through_getrequest_not_here(edge: Edge, client: Client) -> None:
    response = claim(client, edge.zk)
    assert response.status_code == 409
    assert not DeviceCommand.objects.filter(device=edge.zk, status=CommandStatus.SENT).exists()


def test_a_superseded_command_is_not_handed_out(world: World, edge: Edge, client: Client) -> None:
    sync_allowlist(project=world.p1, changes=[AllowListChange(edge.a.pk, False)])
    commands = claim(client, edge.hik).json()["commands"]
    assert [(c["id"], c["action"]) for c in commands] == [(2, "add_person"), (3, "delete_person")]
    assert commands[1]["body"]["UserInfoDetail"]["EmployeeNoList"] == [
        {"employeeNo": commands[1]["employee_no"]}
    ]
    assert edge.hik.commands.get(command_id=1).status == CommandStatus.SUPERSEDED


JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=12), inner, max_size=4),
    max_leaves=8,
)
RESULT_BODIES = st.one_of(
    st.binary(max_size=200),
    st.dictionaries(
        st.sampled_from(["http_status", "status_code", "status_string", "sub_status_code", "error_msg", "x"]),
        JSON_VALUES,
        max_size=5,
    ).map(lambda d: json.dumps(d).encode()),
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(body=RESULT_BODIES)
def test_a_signed_junk_result_is_never_a_server_error(edge: Edge, body: bytes) -> None:
    services.claim_commands(device=edge.hik)  # command 1 is sent until a valid body answers it
    client = Client()
    response = client.post(
        f"/api/v1/attendance/devices/{edge.hik.serial}/commands/1/result",
        data=body,
        content_type="application/json",
        headers=signed(edge.hik, body),
    )
    assert response.status_code in (200, 409, 422), (response.status_code, body)
