"""Hikvision ISAPI event push ("HTTP listening" host): the terminal POSTs one event per request, as a JSON
body or as multipart/form-data with a JSON part and an optional ``Picture`` JPEG part (devices.md §2.1).

:func:`parse_event` keeps only authentication passes (major 5 with a pass minor code); heartbeats, alarms,
operations and failed authentications come back as notes. Every request is answered HTTP 200
(:data:`ACK_BODY`) whatever it held, or the terminal resends it.
"""

from __future__ import annotations

import json
from datetime import datetime
from email.message import Message
from typing import Any

from realname.attendance.protocols import (
    METHOD_CARD,
    METHOD_FACE,
    METHOD_FINGERPRINT,
    Batch,
    Direction,
    EventBatch,
    LineError,
    ParsedEvent,
    PersonRefKind,
    ProtocolError,
)

ACK_BODY = '{"statusCode":1,"statusString":"OK"}'

MAJOR_EVENT = 5  # majorEventType 5 = "event": authentication pass/fail records

# Minor codes of major 5 that mean "a person was let through", and the method that did it. Only these
# three are attested (devices.md §2.1, marked [mem] there except 75, which public fixtures use); another
# pass code is reported in ``notes`` and the stored raw body can be replayed once it is added here.
PASS_MINOR_METHODS: dict[int, str] = {
    1: METHOD_CARD,  # 0x01 valid card
    38: METHOD_FINGERPRINT,  # 0x26 fingerprint compare passed
    75: METHOD_FACE,  # 0x4B face authentication passed
}

ATTENDANCE_STATUS_DIRECTION: dict[str, Direction] = {
    "checkIn": "01",
    "breakIn": "01",
    "overtimeIn": "01",
    "checkOut": "02",
    "breakOut": "02",
    "overtimeOut": "02",
}
# Turnstiles: "door No.1 refers to entrance, door No.2 refers to exit" (Hikvision guide, devices.md §2.1).
DOOR_DIRECTION: dict[int, Direction] = {1: "01", 2: "02"}

JSON_PART_NAMES = frozenset({"event_log", "accesscontrollerevent"})


def _malformed(zh: str, en: str) -> ProtocolError:
    return ProtocolError(zh, en, retryable=False)


def _header_params(header: str) -> Message:
    message = Message()
    message["content-type"] = header
    return message


def _split_multipart(content_type: str, body: bytes) -> tuple[bytes, bytes | None]:
    """(the JSON part, the first image part or None). Parts are chosen by their Content-Type and, when a
    device leaves that out, by their name (``event_log`` / ``AccessControllerEvent`` / ``Picture``)."""
    boundary = _header_params(content_type).get_param("boundary")
    if not isinstance(boundary, str) or not boundary:
        raise _malformed("multipart 请求缺少 boundary", "multipart body without a boundary parameter")
    delimiter = b"--" + boundary.encode("latin-1")
    chunks = body.split(delimiter)
    if len(chunks) < 3:
        raise _malformed("multipart 请求没有内容", "multipart body without parts")
    if not chunks[-1].startswith(b"--"):
        # No closing delimiter: the body was cut in transit, and the device sending it again can help.
        raise ProtocolError("multipart 请求不完整", "multipart body is truncated", retryable=True)
    json_part: bytes | None = None
    picture: bytes | None = None
    for chunk in chunks[1:-1]:
        chunk = chunk.removeprefix(b"\r\n").removeprefix(b"\n")
        # The line end before the next delimiter belongs to the delimiter, not to the part's bytes.
        chunk = chunk.removesuffix(b"\r\n") if chunk.endswith(b"\r\n") else chunk.removesuffix(b"\n")
        head, content = _split_head(chunk)
        headers = Message()
        for line in head.decode("latin-1").splitlines():
            key, _, value = line.partition(":")
            if key.strip():
                headers[key.strip()] = value.strip()
        part_type = (headers.get("content-type") or "").split(";")[0].strip().lower()
        name_param = headers.get_param("name", header="content-disposition")
        name = name_param.lower() if isinstance(name_param, str) else ""
        is_json = part_type.endswith("json") or name in JSON_PART_NAMES or content.lstrip()[:1] == b"{"
        if json_part is None and is_json:
            json_part = content
        elif picture is None and (part_type.startswith("image/") or name == "picture"):
            picture = content
    if json_part is None:
        raise _malformed("multipart 请求中没有 JSON 事件", "multipart body without a JSON event part")
    return json_part, picture


def _split_head(chunk: bytes) -> tuple[bytes, bytes]:
    for separator in (b"\r\n\r\n", b"\n\n"):
        head, found, content = chunk.partition(separator)
        if found:
            return head, content
    raise _malformed("multipart 分段缺少头部", "multipart part without a header/body separator")


def _load_json(data: bytes) -> dict[str, Any]:
    try:
        value = json.loads(data.decode("utf-8-sig"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise _malformed("事件 JSON 格式错误", f"malformed event JSON: {exc}") from exc
    if not isinstance(value, dict):
        raise _malformed("事件 JSON 不是对象", "the event JSON is not an object")
    return value


def _as_int(value: object) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.strip().lstrip("-").isdigit():
        return int(value)
    return None


def _text(value: object) -> str:
    if value is None or isinstance(value, bool):
        return ""
    return str(value).strip()


# Who passed, in order of preference: the person id we enrol (employeeNoString; employeeNo is the old
# numeric form), then the card number for a card that is not bound to a person on the device.
_PERSON_FIELDS: tuple[tuple[str, PersonRefKind], ...] = (
    ("employeeNoString", "employee_no"),
    ("employeeNo", "employee_no"),
    ("cardNo", "card"),
)


def _person(acs: dict[str, Any]) -> tuple[str, PersonRefKind] | None:
    for key, kind in _PERSON_FIELDS:
        text = _text(acs.get(key))
        if text and text != "0":
            return text, kind
    return None


def _direction(acs: dict[str, Any]) -> Direction:
    status = _text(acs.get("attendanceStatus"))
    if status in ATTENDANCE_STATUS_DIRECTION:
        return ATTENDANCE_STATUS_DIRECTION[status]
    door = _as_int(acs.get("doorNo"))
    return DOOR_DIRECTION.get(door, "") if door is not None else ""


def _event_key(envelope: dict[str, Any], acs: dict[str, Any], person: str, minor: int) -> str:
    """``serialNo`` (increasing per device) when present; else the event ``uuid``; else a key made of the
    time, person and minor code, which is stable across resends of the same event."""
    serial = _as_int(acs.get("serialNo"))
    if serial is not None:
        return str(serial)
    uuid = _text(envelope.get("uuid"))
    if uuid:
        return f"uuid:{uuid}"
    return f"t:{_text(envelope.get('dateTime'))}|{person}|{minor}"


def parse_event(content_type: str, body: bytes) -> EventBatch:
    """One pushed event: ``application/json`` or ``multipart/form-data`` (JSON part + optional picture).

    Returns at most one event. An ignored event (heartbeat, alarm, failed authentication) gives no items
    and a note saying why; a pass that lacks a person or has an unreadable time gives a :class:`LineError`.
    Raises :class:`ProtocolError` when the body cannot be read at all (malformed JSON, XML, no JSON part).
    """
    media_type = content_type.split(";")[0].strip().lower()
    picture: bytes | None = None
    if media_type.startswith("multipart/"):
        json_bytes, picture = _split_multipart(content_type, body)
    elif media_type.endswith("json") or body.lstrip()[:1] == b"{":
        json_bytes = body
    else:
        raise _malformed(
            f"不支持的事件格式 {media_type or '(无)'}，请在设备上选择 JSON",
            f"unsupported event format {media_type or '(none)'}; configure the terminal for JSON",
        )
    envelope = _load_json(json_bytes)
    batch: EventBatch = Batch()
    event_type = _text(envelope.get("eventType"))
    if event_type.lower() == "heartbeat":
        batch.notes.append("heartbeat ignored / 心跳，忽略")
        return batch
    acs = envelope.get("AccessControllerEvent")
    if event_type and event_type != "AccessControllerEvent" and not isinstance(acs, dict):
        batch.notes.append(f"eventType {event_type} is not an access event, ignored / 非门禁事件，忽略")
        return batch
    if not isinstance(acs, dict):
        raise _malformed(
            "事件缺少 AccessControllerEvent 对象", "the event has no AccessControllerEvent object"
        )
    major = _as_int(acs.get("majorEventType"))
    minor = _as_int(acs.get("subEventType"))
    if major != MAJOR_EVENT or minor not in PASS_MINOR_METHODS:
        batch.notes.append(
            f"major {major} minor {minor} is not an authentication pass, ignored / 非认证通过事件，忽略"
        )
        return batch
    person = _person(acs)
    date_text = _text(envelope.get("dateTime")) or _text(acs.get("time"))
    if person is None:
        batch.errors.append(LineError(0, json.dumps(acs, ensure_ascii=False), "a pass without a person"))
        return batch
    local_time: datetime | None = None
    aware_time: datetime | None = None
    if date_text:
        try:
            parsed = datetime.fromisoformat(date_text)
        except ValueError:
            batch.errors.append(LineError(0, date_text, "dateTime is not ISO 8601 / 时间格式错误"))
            return batch
        if parsed.utcoffset() is None:
            local_time = parsed
        else:
            aware_time = parsed
    else:
        batch.notes.append("the event carries no dateTime: use the receive time / 事件无时间，以接收时间为准")
    batch.items.append(
        ParsedEvent(
            device_event_key=_event_key(envelope, acs, person[0], minor),
            person_ref=person[0],
            person_ref_kind=person[1],
            local_time=local_time,
            aware_time=aware_time,
            direction=_direction(acs),
            method=PASS_MINOR_METHODS[minor],
            raw=envelope,
            picture=picture,
            replayed=acs.get("currentEvent") is False,
        )
    )
    return batch
