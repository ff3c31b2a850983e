"""Hikvision ISAPI event push parsing, replaying ``samples/hik_event_push.txt`` (a copy of the shared
sample, SOURCE header kept) and the envelope fields of devices.md §2.1."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from realname.attendance.protocols import ProtocolError
from realname.attendance.protocols.hikvision import ACK_BODY, parse_event

SAMPLE = (Path(__file__).parent / "samples" / "hik_event_push.txt").read_text(encoding="utf-8")
# Bytes that look like a JPEG and hold what a naive splitter trips on: CRLF, "--" and NUL bytes.
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\r\n--\r\n\n\x00\xff\xd9"


def sample_json() -> bytes:
    """Source A: the JSON-only push (the one line after the REQUEST comment)."""
    section = SAMPLE.split("# SOURCE A", 1)[1].split("# SOURCE B", 1)[0]
    (line,) = [line for line in section.splitlines() if line.startswith("{")]
    return line.encode()


def sample_multipart(*, picture: bool = True, crlf: bool = True) -> bytes:
    """Source B: the multipart push, boundary "X", with its elided JPEG replaced by real bytes.
    The sample file is written with LF; on the wire multipart uses CRLF, so both are tried."""
    section = SAMPLE.split("# SOURCE B", 1)[1].split("\n", 1)[1].strip("\n") + "\n"
    if not picture:
        start = section.index("--X\nContent-Type: image/jpeg")
        end = section.index("--X--")
        section = section[:start] + section[end:]
    line_end = b"\r\n" if crlf else b"\n"
    body = section.encode().replace(b"\n", line_end)
    return body.replace(b"<FF D8 FF ... JPEG bytes ...>", JPEG)


def envelope(**acs: Any) -> dict[str, Any]:
    event: dict[str, Any] = {"majorEventType": 5, "subEventType": 75, "employeeNoString": "W000123"}
    event.update(acs)
    return {
        "ipAddress": "192.168.1.64",
        "macAddress": "a4:14:37:00:00:01",
        "dateTime": "2026-03-02T07:55:01+08:00",
        "eventType": "AccessControllerEvent",
        "AccessControllerEvent": event,
    }


def post_json(payload: dict[str, Any]) -> Any:
    return parse_event("application/json; charset=UTF-8", json.dumps(payload).encode())


# --- the samples ----------------------------------------------------------------------------------------


def test_it_reads_the_json_sample() -> None:
    batch = parse_event("application/json", sample_json())
    assert batch.errors == [] and batch.notes == []
    (event,) = batch.items
    assert event.device_event_key == "123"
    assert (event.person_ref, event.person_ref_kind) == ("25", "employee_no")
    assert event.aware_time == dt.datetime(2026, 9, 8, 7, 42, 18, tzinfo=dt.timezone(dt.timedelta(hours=-4)))
    assert event.aware_time.astimezone(dt.UTC) == dt.datetime(2026, 9, 8, 11, 42, 18, tzinfo=dt.UTC)
    assert event.local_time is None
    assert event.direction == "01"  # doorNo 1 is the entrance
    assert event.method == "001"  # minor 75, face authentication passed
    assert event.picture is None and event.replayed is False
    assert event.raw == json.loads(sample_json())


@pytest.mark.parametrize("crlf", [True, False])
def test_it_reads_the_multipart_sample_with_its_picture(crlf: bool) -> None:
    batch = parse_event('multipart/form-data; boundary="X"', sample_multipart(crlf=crlf))
    assert batch.errors == []
    (event,) = batch.items
    assert (event.device_event_key, event.person_ref, event.method) == ("5", "9", "001")
    assert event.picture == JPEG
    # The fixture carries no dateTime: the event still counts, the caller uses the receive time.
    assert event.local_time is None and event.aware_time is None
    assert batch.notes == ["the event carries no dateTime: use the receive time / 事件无时间，以接收时间为准"]
    assert event.direction == ""  # no attendanceStatus, no doorNo: the device's role decides


def test_it_reads_the_multipart_sample_without_a_picture() -> None:
    (event,) = parse_event("multipart/form-data; boundary=X", sample_multipart(picture=False)).items
    assert event.device_event_key == "5" and event.picture is None


def test_parts_are_found_by_name_when_they_carry_no_content_type() -> None:
    data = json.dumps(envelope(serialNo=77)).encode()
    body = (
        b"--b1\r\n"
        b'Content-Disposition: form-data; name="event_log"\r\n\r\n' + data + b"\r\n"
        b"--b1\r\n"
        b'Content-Disposition: form-data; name="Picture"; filename="capture.jpg"\r\n\r\n' + JPEG + b"\r\n"
        b"--b1--\r\n"
    )
    (event,) = parse_event("multipart/form-data; boundary=b1", body).items
    assert event.device_event_key == "77" and event.picture == JPEG and event.person_ref == "W000123"


# --- fields ---------------------------------------------------------------------------------------------


def test_an_offset_of_plus_eight_hours_is_kept() -> None:
    (event,) = post_json(envelope(serialNo=1, attendanceStatus="checkOut")).items
    assert event.aware_time == dt.datetime(2026, 3, 2, 7, 55, 1, tzinfo=dt.timezone(dt.timedelta(hours=8)))
    assert event.direction == "02"


def test_a_z_time_is_utc() -> None:
    payload = envelope(serialNo=2)
    payload["dateTime"] = "2026-03-01T23:55:01Z"
    (event,) = post_json(payload).items
    assert event.aware_time == dt.datetime(2026, 3, 1, 23, 55, 1, tzinfo=dt.UTC)


def test_a_time_without_offset_is_local() -> None:
    payload = envelope(serialNo=3)
    payload["dateTime"] = "2026-03-02T07:55:01"
    (event,) = post_json(payload).items
    assert event.local_time == dt.datetime(2026, 3, 2, 7, 55, 1)  # noqa: DTZ001 - the device's wall clock
    assert event.aware_time is None


def test_an_unreadable_time_is_a_per_event_error() -> None:
    payload = envelope(serialNo=4)
    payload["dateTime"] = "yesterday"
    batch = post_json(payload)
    assert batch.items == [] and batch.errors[0].text == "yesterday"


@pytest.mark.parametrize(
    ("status", "door", "direction"),
    [
        ("checkIn", 2, "01"),  # attendanceStatus wins over the door
        ("breakIn", None, "01"),
        ("overtimeIn", None, "01"),
        ("checkOut", 1, "02"),
        ("breakOut", None, "02"),
        ("overtimeOut", None, "02"),
        ("undefined", 1, "01"),
        ("undefined", 2, "02"),
        (None, "2", "02"),
        ("undefined", 3, ""),
        (None, None, ""),
    ],
)
def test_direction_comes_from_attendance_status_then_door(
    status: str | None, door: Any, direction: str
) -> None:
    fields: dict[str, Any] = {"serialNo": 9}
    if status is not None:
        fields["attendanceStatus"] = status
    if door is not None:
        fields["doorNo"] = door
    (event,) = post_json(envelope(**fields)).items
    assert event.direction == direction


@pytest.mark.parametrize(("minor", "method"), [(75, "001"), (1, "006"), (38, "003")])
def test_the_method_comes_from_the_minor_code(minor: int, method: str) -> None:
    (event,) = post_json(envelope(serialNo=10, subEventType=minor)).items
    assert event.method == method


def test_a_card_without_a_person_is_referred_to_by_card() -> None:
    payload = envelope(serialNo=11, subEventType=1, cardNo="1234567890")
    del payload["AccessControllerEvent"]["employeeNoString"]
    (event,) = post_json(payload).items
    assert (event.person_ref, event.person_ref_kind, event.method) == ("1234567890", "card", "006")


def test_the_old_numeric_employee_no_is_read() -> None:
    payload = envelope(serialNo=12, employeeNo=25)
    del payload["AccessControllerEvent"]["employeeNoString"]
    (event,) = post_json(payload).items
    assert (event.person_ref, event.person_ref_kind) == ("25", "employee_no")


def test_an_offline_event_replayed_later_counts_like_any_other() -> None:
    (live,) = post_json(envelope(serialNo=13, currentEvent=True)).items
    (late,) = post_json(envelope(serialNo=13, currentEvent=False)).items
    assert late.replayed is True and live.replayed is False
    assert (late.device_event_key, late.person_ref, late.aware_time, late.method) == (
        live.device_event_key,
        live.person_ref,
        live.aware_time,
        live.method,
    )


def test_the_same_push_twice_has_the_same_key() -> None:
    body = json.dumps(envelope(serialNo=14)).encode()
    first, second = (parse_event("application/json", body).items[0] for _ in range(2))
    assert first.device_event_key == second.device_event_key == "14"


def test_without_serial_no_the_uuid_or_the_content_is_the_key() -> None:
    with_uuid = envelope()
    with_uuid["uuid"] = "0f9e8d7c"
    assert post_json(with_uuid).items[0].device_event_key == "uuid:0f9e8d7c"
    assert post_json(envelope()).items[0].device_event_key == "t:2026-03-02T07:55:01+08:00|W000123|75"


# --- what is ignored and what is refused ----------------------------------------------------------------


def test_a_heartbeat_is_ignored_with_a_note() -> None:
    batch = post_json(
        {"ipAddress": "192.168.1.64", "eventType": "heartBeat", "dateTime": "2026-03-02T08:00:00+08:00"}
    )
    assert batch.items == [] and batch.errors == []
    assert batch.notes == ["heartbeat ignored / 心跳，忽略"]


@pytest.mark.parametrize(("major", "minor"), [(5, 76), (3, 112), (2, 39), (1, 1)])
def test_events_that_are_not_a_pass_are_ignored_with_a_note(major: int, minor: int) -> None:
    batch = post_json(envelope(serialNo=15, majorEventType=major, subEventType=minor))
    assert batch.items == [] and batch.errors == []
    assert batch.notes[0].startswith(f"major {major} minor {minor} is not an authentication pass")


def test_another_event_type_is_ignored_with_a_note() -> None:
    batch = post_json({"eventType": "videoloss", "dateTime": "2026-03-02T08:00:00+08:00"})
    assert batch.items == [] and "videoloss" in batch.notes[0]


def test_a_pass_without_a_person_is_a_per_event_error() -> None:
    payload = envelope(serialNo=16)
    del payload["AccessControllerEvent"]["employeeNoString"]
    batch = post_json(payload)
    assert batch.items == [] and batch.errors[0].reason == "a pass without a person"


@pytest.mark.parametrize(
    ("content_type", "body"),
    [
        ("application/json", b'{"eventType": "AccessControllerEvent", '),
        ("application/json", b"[1, 2]"),
        ("application/json", b'{"eventType": "AccessControllerEvent"}'),
        ("application/xml", b"<EventNotificationAlert/>"),
        ("multipart/form-data", b"--X\r\n\r\n{}\r\n--X--"),
        ("multipart/form-data; boundary=X", b"--X\r\nContent-Type: image/jpeg\r\n\r\n\xff\xd8\r\n--X--\r\n"),
    ],
)
def test_a_body_that_cannot_be_read_is_refused_for_good(content_type: str, body: bytes) -> None:
    with pytest.raises(ProtocolError) as caught:
        parse_event(content_type, body)
    assert caught.value.retryable is False
    assert caught.value.message_zh and caught.value.message_en


def test_a_truncated_multipart_body_is_worth_a_retry() -> None:
    body = sample_multipart()
    with pytest.raises(ProtocolError) as caught:
        parse_event("multipart/form-data; boundary=X", body[: body.index(b"--X--")])
    assert caught.value.retryable is True


def test_the_acknowledgement_is_the_isapi_ok_status() -> None:
    assert json.loads(ACK_BODY) == {"statusCode": 1, "statusString": "OK"}


# hypothesis takes naive bounds and attaches the generated offset itself.
EARLIEST = dt.datetime(2000, 1, 1)  # noqa: DTZ001 - a naive bound, see above
LATEST = dt.datetime(2099, 1, 1)  # noqa: DTZ001 - a naive bound, see above
offsets = st.integers(min_value=-12 * 60, max_value=14 * 60).map(
    lambda m: dt.timezone(dt.timedelta(minutes=m))
)


@given(
    serial=st.integers(min_value=0, max_value=2**40),
    person=st.text(alphabet="0123456789ABCDEFW", min_size=1, max_size=32).filter(lambda p: p != "0"),
    when=st.datetimes(min_value=EARLIEST, max_value=LATEST, timezones=offsets),
    current=st.booleans(),
)
def test_any_pass_maps_its_serial_person_and_instant(
    serial: int, person: str, when: dt.datetime, current: bool
) -> None:
    when = when.replace(microsecond=0)
    payload = envelope(serialNo=serial, employeeNoString=person, currentEvent=current)
    payload["dateTime"] = when.isoformat()
    (event,) = post_json(payload).items
    assert (event.device_event_key, event.person_ref, event.aware_time) == (str(serial), person, when)
    assert event.aware_time is not None and event.aware_time.utcoffset() == when.utcoffset()
    assert event.replayed is (not current)
