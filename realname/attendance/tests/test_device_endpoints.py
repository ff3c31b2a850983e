"""The device endpoints through Django's test client, replaying the sample payloads in ``samples/``:
ZKTeco PUSH (/iclock/cdata, getrequest, devicecmd, with and without .aspx) and Hikvision event push."""

from __future__ import annotations

import datetime as dt
import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.test import Client
from django.utils import timezone

from realname.attendance import services
from realname.attendance.models import (
    AccessEvent,
    CommandStatus,
    Device,
    DeviceCommand,
    DeviceKind,
    DeviceRole,
    ParseStatus,
    RawMessage,
)
from realname.attendance.protocols import hikvision, zkteco
from realname.testing import World
from realname.workers.models import Employment

pytestmark = pytest.mark.django_db

SAMPLES = Path(__file__).parent / "samples"
UTC = dt.UTC
# The ATTLOG line of devices.md §1.3 (6 fields), and 4- and 10-field lines as other firmware writes them.
DOC_LINE = "501\t2026-09-29 18:05:10\t0\t1\t0\t0"
ATTLOG = (
    b"1\t2026-03-02 07:58:00\t0\t15\r\n"
    b"2\t2026-03-02 08:01:02\t0\t2\t0\t0\t0\t1\t36.5\tx\r\n"
    b"1\t2026-03-02 17:31:00\t1\t15\r\n"
)


def sample(name: str) -> str:
    return (SAMPLES / name).read_text(encoding="utf-8")


def hik_json_sample() -> bytes:
    section = sample("hik_event_push.txt").split("# SOURCE A", 1)[1].split("# SOURCE B", 1)[0]
    (line,) = [line for line in section.splitlines() if line.startswith("{")]
    return line.encode()


JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\r\n--\r\n\x00\xff\xd9"


def hik_multipart_sample() -> bytes:
    section = sample("hik_event_push.txt").split("# SOURCE B", 1)[1].split("\n", 1)[1].strip("\n") + "\n"
    body = section.encode().replace(b"\n", b"\r\n")
    return body.replace(b"<FF D8 FF ... JPEG bytes ...>", JPEG)


def template(marker: str) -> str:
    """A ``${Name}`` line of the protocol summary sample that starts with ``marker``."""
    (line,) = [line for line in sample("zkteco_other_tables.txt").splitlines() if line.startswith(marker)]
    return line.replace("\\t", "\t")


def fill(text: str, **values: str) -> str:
    return re.sub(r"\$\{(\w+)\}", lambda m: values[m.group(1)], text)


@dataclass
class Site:
    zk: Device
    hik: Device
    employment_a: Employment
    employment_b: Employment


@pytest.fixture
def site(world: World) -> Site:
    zk = services.register_device(project=world.p1, kind=DeviceKind.ZKTECO, serial="ZK001", name="东门")
    hik = services.register_device(
        project=world.p1, kind=DeviceKind.HIKVISION, serial="HK001", name="西门人脸"
    )
    employment_a = Employment.objects.get(worker=world.worker_a, project=world.p1)
    employment_b = Employment.objects.get(worker=world.worker_b, project=world.p1)
    for ref_kind, ref, employment in (
        ("pin", "1", employment_a),
        ("pin", "2", employment_b),
        ("employee_no", "25", employment_a),
        ("employee_no", "9", employment_b),
    ):
        services.map_person(project=world.p1, ref_kind=ref_kind, ref=ref, employment=employment)
    return Site(zk, hik, employment_a, employment_b)


@pytest.fixture
def device_client() -> Client:
    # Devices cannot do CSRF: the endpoints must work for a client that enforces it like a browser would.
    return Client(enforce_csrf_checks=True)


def post_attlog(client: Client, body: bytes, *, sn: str = "ZK001", suffix: str = "", **extra: Any) -> Any:
    content_type = extra.pop("content_type", "text/plain")
    return client.post(
        f"/iclock/cdata{suffix}?SN={sn}&table=ATTLOG&Stamp=9999",
        data=body,
        content_type=content_type,
        **extra,
    )


# --- ZKTeco handshake and uploads ------------------------------------------------------------------------


EXPECTED_HANDSHAKE = (
    "GET OPTION FROM: ZK001\n"
    "ATTLOGStamp=None\n"
    "OPERLOGStamp=9999\n"
    "ATTPHOTOStamp=None\n"
    "ErrorDelay=30\n"
    "Delay=10\n"
    "TransTimes=00:00;14:05\n"
    "TransInterval=1\n"
    "TransFlag=TransData AttLog\tOpLog\tAttPhoto\tEnrollUser\tChgUser\tEnrollFP\tChgFP\tUserPic\n"
    "TimeZone=8\n"
    "Realtime=1\n"
    "Encrypt=None\n"
    "ServerVer=2.4.1\n"
    "PushProtVer=2.4.1\n"
)


@pytest.mark.parametrize("suffix", ["", ".aspx"])
def test_the_handshake_answers_the_options_block(site: Site, device_client: Client, suffix: str) -> None:
    # The request line of the handshake sample, with our device's serial number.
    request_line = sample("zkteco_handshake_and_heartbeat.txt").split("# REQUEST: GET ", 1)[1].split("\n")[0]
    path = request_line.replace("SN=XXX", "SN=ZK001").replace("/iclock/cdata", f"/iclock/cdata{suffix}")
    response = device_client.get(path)
    assert response.status_code == 200
    assert response.content.decode() == EXPECTED_HANDSHAKE
    site.zk.refresh_from_db()
    assert site.zk.last_seen_at is not None


def test_the_handshake_returns_the_stored_upload_cursor(site: Site, device_client: Client) -> None:
    post_attlog(device_client, ATTLOG)
    response = device_client.get("/iclock/cdata?SN=ZK001&options=all")
    assert "ATTLOGStamp=9999\n" in response.content.decode()


@pytest.mark.parametrize("suffix", ["", ".aspx"])
def test_an_attlog_upload_becomes_events_of_the_right_workers(
    world: World, site: Site, device_client: Client, suffix: str
) -> None:
    response = post_attlog(device_client, ATTLOG, suffix=suffix)
    assert response.status_code == 200 and response.content.decode() == "OK: 3"
    events = list(AccessEvent.objects.order_by("occurred_at"))
    assert [(e.worker, e.occurred_at, e.direction, e.method) for e in events] == [
        (world.worker_a, dt.datetime(2026, 3, 1, 23, 58, tzinfo=UTC), "01", "001"),
        (world.worker_b, dt.datetime(2026, 3, 2, 0, 1, 2, tzinfo=UTC), "01", "006"),
        (world.worker_a, dt.datetime(2026, 3, 2, 9, 31, tzinfo=UTC), "02", "001"),
    ]
    assert all(e.project == world.p1 and e.device == site.zk and e.source == "zkteco" for e in events)
    raw = RawMessage.objects.get()
    assert bytes(raw.body) == ATTLOG and raw.parse_status == ParseStatus.PARSED
    assert {e.raw_message_id for e in events} == {raw.pk}


def test_the_documented_attlog_line_is_read_even_when_the_content_type_claims_a_form(
    site: Site, device_client: Client
) -> None:
    body = (DOC_LINE + "\n").encode()
    response = post_attlog(device_client, body, content_type="application/x-www-form-urlencoded")
    assert response.content.decode() == "OK: 1"
    event = AccessEvent.objects.get()
    assert event.person_ref == "501" and "unknown_person" in event.flags and event.worker is None
    assert event.occurred_at == dt.datetime(2026, 9, 29, 10, 5, 10, tzinfo=UTC)
    assert event.device_local_time == "2026-09-29 18:05:10"
    assert bytes(RawMessage.objects.get().body) == body


def test_the_same_upload_ten_times_is_one_set_of_events_and_ok_each_time(
    site: Site, device_client: Client
) -> None:
    answers = [post_attlog(device_client, ATTLOG) for _ in range(10)]
    assert [(a.status_code, a.content.decode()) for a in answers] == [(200, "OK: 3")] * 10
    assert AccessEvent.objects.count() == 3
    assert RawMessage.objects.count() == 10  # every request body is kept as evidence


def test_events_get_ledger_positions_in_upload_order(site: Site, device_client: Client) -> None:
    post_attlog(device_client, ATTLOG)
    post_attlog(device_client, ATTLOG)
    stored = list(AccessEvent.objects.order_by("ledger_index"))
    assert [e.ledger_index for e in stored] == [0, 1, 2]
    assert [e.device_local_time for e in stored] == [
        "2026-03-02 07:58:00",
        "2026-03-02 08:01:02",
        "2026-03-02 17:31:00",
    ]


def test_a_gbk_encoded_line_does_not_spoil_the_upload(site: Site, device_client: Client) -> None:
    body = "1\t2026-03-02 07:58:00\t0\t1\t张三\n".encode("gbk")
    assert post_attlog(device_client, body).content.decode() == "OK: 1"
    assert AccessEvent.objects.get().worker is not None


def test_an_exit_gate_makes_every_punch_an_exit(world: World, device_client: Client) -> None:
    services.register_device(project=world.p1, kind="zkteco", serial="ZK-OUT", role=DeviceRole.EXIT)
    post_attlog(device_client, b"1\t2026-03-02 07:58:00\t0\t1\n", sn="ZK-OUT")
    assert AccessEvent.objects.get().direction == "02"


def test_current_punches_from_a_skewed_clock_are_flagged(site: Site, device_client: Client) -> None:
    local_now = timezone.now().astimezone(site.zk.zone)
    fast = (local_now + dt.timedelta(minutes=30)).strftime("%Y-%m-%d %H:%M:%S")
    on_time = local_now.strftime("%Y-%m-%d %H:%M:%S")
    post_attlog(device_client, f"1\t{on_time}\t0\t1\n2\t{fast}\t0\t1\n".encode())
    flags = {e.person_ref: e.flags for e in AccessEvent.objects.all()}
    assert flags == {"1": [], "2": ["clock_skew"]}


def test_a_device_of_another_project_cannot_create_events_for_this_projects_workers(
    world: World, site: Site, device_client: Client
) -> None:
    services.register_device(project=world.p2, kind="zkteco", serial="ZK-P2")
    post_attlog(device_client, b"1\t2026-03-02 07:58:00\t0\t1\n", sn="ZK-P2")
    event = AccessEvent.objects.get()
    assert event.project == world.p2 and event.worker is None and "unknown_person" in event.flags
    assert not AccessEvent.objects.filter(project=world.p1).exists()


def test_an_unknown_serial_is_refused_logged_and_its_body_kept(
    site: Site, device_client: Client, caplog: pytest.LogCaptureFixture
) -> None:
    response = post_attlog(device_client, ATTLOG, sn="ROGUE9")
    assert response.status_code == 404 and not response.content.decode().startswith("OK")
    assert AccessEvent.objects.count() == 0
    raw = RawMessage.objects.get()
    assert raw.device is None and raw.serial == "ROGUE9" and raw.parse_status == ParseStatus.FAILED
    assert bytes(raw.body) == ATTLOG
    assert "ROGUE9" in caplog.text
    assert device_client.get("/iclock/getrequest?SN=ROGUE9").status_code == 404
    assert device_client.get("/iclock/cdata?SN=ROGUE9&options=all").status_code == 404


def test_a_message_from_a_device_registered_later_is_ingested_by_replay(
    world: World, device_client: Client
) -> None:
    post_attlog(device_client, ATTLOG, sn="LATE01")
    services.register_device(project=world.p1, kind="zkteco", serial="LATE01")
    call_command("replay_raw", "--failed", stdout=open("/dev/null", "w"))  # noqa: SIM115, PTH123
    assert AccessEvent.objects.filter(device__serial="LATE01").count() == 3
    assert RawMessage.objects.get().parse_status == ParseStatus.PARSED


def test_a_disabled_device_is_refused(site: Site, device_client: Client) -> None:
    Device.objects.filter(pk=site.zk.pk).update(enabled=False)
    response = post_attlog(device_client, ATTLOG)
    assert response.status_code == 403
    assert AccessEvent.objects.count() == 0
    assert device_client.get("/iclock/getrequest?SN=ZK001").status_code == 403
    assert device_client.get("/iclock/cdata?SN=ZK001&options=all").status_code == 403


def test_a_request_without_a_serial_is_refused(device_client: Client, db: None) -> None:
    assert device_client.get("/iclock/cdata?options=all").status_code == 400


def test_a_hikvision_serial_cannot_use_the_zkteco_endpoints(site: Site, device_client: Client) -> None:
    assert post_attlog(device_client, ATTLOG, sn="HK001").status_code == 404


def test_a_parse_failure_keeps_the_raw_message_and_replay_ingests_it_after_a_fix(
    site: Site, device_client: Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    body = b"1\t2026-03-02T07:58:00\t0\t1\n2\t2026-03-02 08:00:00\t0\t1\n"  # firmware writing ISO "T"
    response = post_attlog(device_client, body)
    assert response.content.decode() == "OK: 1"  # the readable line counts; the device need not resend
    raw = RawMessage.objects.get()
    assert raw.parse_status == ParseStatus.FAILED and "line 1" in raw.error
    assert AccessEvent.objects.count() == 1

    original = zkteco.parse_attlog

    def fixed(data: bytes, **kwargs: Any) -> Any:  # the parser after the fix reads the "T" form too
        return original(re.sub(rb"(\d{4}-\d{2}-\d{2})T", rb"\1 ", data), **kwargs)

    monkeypatch.setattr(zkteco, "parse_attlog", fixed)
    out = open("/dev/null", "w")  # noqa: SIM115, PTH123
    call_command("replay_raw", "--id", str(raw.pk), stdout=out)
    raw.refresh_from_db()
    assert raw.parse_status == ParseStatus.PARSED and raw.error == ""
    assert AccessEvent.objects.count() == 2
    call_command("replay_raw", "--failed", stdout=out)  # nothing is failing any more
    call_command("replay_raw", "--id", str(raw.pk), stdout=out)  # idempotent
    assert AccessEvent.objects.count() == 2


def test_operlog_and_userinfo_are_stored_and_read_without_events(site: Site, device_client: Client) -> None:
    userinfo = fill(template("PIN="), Pin="1", Name="张甲", Pri="0", Passwd="", CardNo="123", Grp="1")
    response = device_client.post(
        "/iclock/cdata?SN=ZK001&table=USERINFO&Stamp=1", data=userinfo.encode(), content_type="text/plain"
    )
    assert response.content.decode() == "OK"
    operlog = "OPLOG " + fill(
        template("${OpType}").split("   ")[0].strip(),
        OpType="4",
        OpWho="0",
        OpTime="2026-03-02 07:00:00",
        OpObj1="1",
        OpObj2="0",
        OpObj3="0",
        OpObj4="0",
    )
    response = device_client.post(
        "/iclock/cdata.aspx?SN=ZK001&table=OPERLOG&Stamp=77", data=operlog.encode(), content_type="text/plain"
    )
    assert response.content.decode() == "OK"
    assert AccessEvent.objects.count() == 0
    user_raw, op_raw = RawMessage.objects.order_by("id")
    assert user_raw.parsed["records"][0]["fields"]["Name"] == "张甲"
    assert (
        op_raw.parsed["records"][0]["tag"] == "OPLOG"
        and op_raw.parsed["records"][0]["fields"]["OpType"] == "4"
    )
    assert {user_raw.parse_status, op_raw.parse_status} == {ParseStatus.PARSED}
    site.zk.refresh_from_db()
    assert site.zk.operlog_stamp == "77"


# --- ZKTeco commands -------------------------------------------------------------------------------------


def test_getrequest_serves_a_queued_command_once_and_devicecmd_acks_it(
    site: Site, device_client: Client
) -> None:
    command = services.queue_command(device=site.zk, command="add_user", pin="1", name="张甲", card="123")
    assert device_client.get("/iclock/getrequest?SN=ZK001").content.decode() == command.text + "\n"
    (served,) = zkteco.parse_commands(command.text)
    assert (served.command_id, served.action, served.fields["PIN"]) == (1, "DATA UPDATE USERINFO", "1")
    assert device_client.get("/iclock/getrequest.aspx?SN=ZK001").content.decode() == "OK"
    command.refresh_from_db()
    assert command.status == CommandStatus.SENT and command.sent_at is not None

    # The result line of the devicecmd sample, for command 1.
    result_line = [
        line for line in sample("zkteco_getrequest_devicecmd.txt").splitlines() if line.startswith("ID=")
    ]
    response = device_client.post(
        "/iclock/devicecmd?SN=ZK001", data="\n".join(result_line).encode(), content_type="text/plain"
    )
    assert response.content.decode() == "OK"
    command.refresh_from_db()
    assert command.status == CommandStatus.ACKED and command.return_code == 0 and command.acked_at is not None


def test_a_command_the_device_reports_failed_is_marked_failed(site: Site, device_client: Client) -> None:
    services.queue_command(device=site.zk, command="delete_user", pin="9")
    second = services.queue_command(device=site.zk, command="reboot")
    assert second.command_id == 2
    device_client.get("/iclock/getrequest?SN=ZK001")
    device_client.post(
        "/iclock/devicecmd.aspx?SN=ZK001",
        data=b"ID=1&Return=-5&CMD=DATA\nID=2&Return=0&CMD=REBOOT\n",
        content_type="text/plain",
    )
    statuses = dict(DeviceCommand.objects.values_list("command_id", "status"))
    assert statuses == {1: CommandStatus.FAILED, 2: CommandStatus.ACKED}


def test_an_unanswered_command_is_sent_again_later(site: Site) -> None:
    services.queue_command(device=site.zk, command="check")
    now = timezone.now()
    assert len(services.claim_commands(device=site.zk, now=now)) == 1
    assert services.claim_commands(device=site.zk, now=now + dt.timedelta(seconds=30)) == []
    assert len(services.claim_commands(device=site.zk, now=now + dt.timedelta(hours=1))) == 1


def test_another_devices_commands_are_not_served(world: World, site: Site, device_client: Client) -> None:
    other = services.register_device(project=world.p2, kind="zkteco", serial="ZK-P2")
    services.queue_command(device=other, command="reboot")
    assert device_client.get("/iclock/getrequest?SN=ZK001").content.decode() == "OK"


# --- Hikvision ------------------------------------------------------------------------------------------


def hik_url(device: Device) -> str:
    return f"/devices/hik/{device.secret}/events"


def test_a_hikvision_json_push_becomes_an_event(world: World, site: Site, device_client: Client) -> None:
    response = device_client.post(hik_url(site.hik), data=hik_json_sample(), content_type="application/json")
    assert response.status_code == 200 and response.content.decode() == hikvision.ACK_BODY
    event = AccessEvent.objects.get()
    assert event.worker == world.worker_a and event.device == site.hik and event.source == "hikvision"
    assert event.occurred_at == dt.datetime(2026, 9, 8, 11, 42, 18, tzinfo=UTC)
    assert (event.direction, event.method, event.device_event_key) == ("01", "001", "123")
    raw = RawMessage.objects.get()
    assert site.hik.secret not in raw.path and raw.serial == "HK001"


def test_a_hikvision_multipart_push_keeps_its_picture_in_the_raw_message(
    world: World, site: Site, device_client: Client
) -> None:
    body = hik_multipart_sample()
    for _ in range(3):
        response = device_client.post(
            hik_url(site.hik), data=body, content_type='multipart/form-data; boundary="X"'
        )
        assert response.status_code == 200 and response.content.decode() == hikvision.ACK_BODY
    event = AccessEvent.objects.get()
    assert event.worker == world.worker_b and "no_device_time" in event.flags
    assert JPEG in bytes(RawMessage.objects.first().body)  # type: ignore[union-attr]


def test_a_malformed_hikvision_push_is_acknowledged_and_kept_failed(
    site: Site, device_client: Client
) -> None:
    response = device_client.post(hik_url(site.hik), data=b"{not json", content_type="application/json")
    assert response.status_code == 200
    assert RawMessage.objects.get().parse_status == ParseStatus.FAILED
    assert AccessEvent.objects.count() == 0


def test_a_truncated_hikvision_push_is_asked_for_again(site: Site, device_client: Client) -> None:
    body = hik_multipart_sample().split(b"--X--")[0]
    response = device_client.post(
        hik_url(site.hik), data=body, content_type="multipart/form-data; boundary=X"
    )
    assert response.status_code == 503
    assert RawMessage.objects.get().parse_status == ParseStatus.FAILED


def test_a_hikvision_heartbeat_is_acknowledged_without_an_event(site: Site, device_client: Client) -> None:
    body = json.dumps({"eventType": "heartBeat", "dateTime": "2026-03-02T07:55:01+08:00"}).encode()
    response = device_client.post(hik_url(site.hik), data=body, content_type="application/json")
    assert response.status_code == 200 and AccessEvent.objects.count() == 0
    assert RawMessage.objects.get().parse_status == ParseStatus.PARSED


def test_an_unknown_hikvision_secret_is_refused_and_logged(site: Site, device_client: Client) -> None:
    response = device_client.post(
        "/devices/hik/wrong-secret/events", data=hik_json_sample(), content_type="application/json"
    )
    assert response.status_code == 404
    raw = RawMessage.objects.get()
    assert raw.device is None and raw.parse_status == ParseStatus.FAILED and "wrong-secret" not in raw.path
    assert AccessEvent.objects.count() == 0


def test_a_zkteco_secret_does_not_open_the_hikvision_endpoint(site: Site, device_client: Client) -> None:
    response = device_client.post(hik_url(site.zk), data=hik_json_sample(), content_type="application/json")
    assert response.status_code == 404


def test_a_disabled_hikvision_terminal_is_refused(site: Site, device_client: Client) -> None:
    Device.objects.filter(pk=site.hik.pk).update(enabled=False)
    response = device_client.post(hik_url(site.hik), data=hik_json_sample(), content_type="application/json")
    assert response.status_code == 403 and AccessEvent.objects.count() == 0


def test_the_device_endpoints_open_nothing_else(device_client: Client, db: None) -> None:
    assert device_client.get("/devices/hik/x/events").status_code == 405
    assert device_client.put("/iclock/cdata?SN=ZK001").status_code == 405
    assert device_client.post("/iclock/getrequest?SN=ZK001").status_code == 405
