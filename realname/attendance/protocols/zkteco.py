"""ZKTeco PUSH (ADMS / iclock): the device is the HTTP client and posts text bodies (devices.md §1).

Parsing: :func:`parse_query` (every request), :func:`parse_attlog` (punches), :func:`parse_operlog` /
:func:`parse_userinfo` (enrolment data, stored not interpreted), :func:`parse_devicecmd` (command results)
and :func:`parse_commands` (the getrequest body, for tests and for reading back what was queued).
Formatting: :func:`handshake_response`, :func:`format_command`, :func:`ok_response`.

Bodies are read line by line and each line is decoded on its own: UTF-8 first, then GB18030 (a superset of
the GB2312/GBK that Chinese firmware writes). Tab and newline bytes never occur inside a GBK character, so
splitting the bytes first is safe, and one oddly encoded line cannot spoil the others.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal
from urllib.parse import parse_qsl

from realname.attendance.protocols import (
    METHOD_CARD,
    METHOD_FACE,
    METHOD_FINGERPRINT,
    METHOD_OTHER,
    METHOD_PALM,
    METHODS,
    Batch,
    Direction,
    EventBatch,
    LineError,
    ParsedEvent,
    ProtocolError,
)

TIME_FORMAT = "%Y-%m-%d %H:%M:%S"
_TIME_RE = re.compile(r"^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$")

# ATTLOG Status → national direction (devices.md §1.3): 0 check-in, 3 break-in, 4 overtime-in are in;
# 1 check-out, 2 break-out, 5 overtime-out are out; 255 "undefined" and the rest say nothing.
# Many terminals without state keys always send 0: for a single-role gate the device's configured role
# should win over this hint (the ingestion decides; the raw Status stays in ``raw``).
STATUS_DIRECTION: dict[int, Direction] = {0: "01", 3: "01", 4: "01", 1: "02", 2: "02", 5: "02"}

# ATTLOG Verify → national method. Firmware tables disagree (devices.md §1.3); these are the recommended
# defaults there (0 password, 1 fingerprint, 2/4 card, 3 password, 15 face, 25 palm). A device model with
# another table passes its own ``verify_methods``. Password and anything unknown are "other" (011).
DEFAULT_VERIFY_METHODS: dict[int, str] = {
    0: METHOD_OTHER,
    1: METHOD_FINGERPRINT,
    2: METHOD_CARD,
    3: METHOD_OTHER,
    4: METHOD_CARD,
    15: METHOD_FACE,
    25: METHOD_PALM,
}

ATTLOG_FIELD_NAMES = (
    "PIN",
    "Time",
    "Status",
    "Verify",
    "WorkCode",
    "Reserved1",
    "Reserved2",
    "MaskFlag",
    "Temperature",
)
OPLOG_FIELD_NAMES = ("OpType", "OpWho", "OpTime", "Obj1", "Obj2", "Obj3", "Obj4")

# The handshake options block (devices.md §1.2), in the order the public servers send it. The caller
# overrides at least ATTLOGStamp / OPERLOGStamp with the device's stored cursors.
DEFAULT_OPTIONS: dict[str, str | int | None] = {
    "ATTLOGStamp": None,
    "OPERLOGStamp": 9999,
    "ATTPHOTOStamp": None,
    "ErrorDelay": 30,
    "Delay": 10,
    "TransTimes": "00:00;14:05",
    "TransInterval": 1,
    "TransFlag": "TransData AttLog\tOpLog\tAttPhoto\tEnrollUser\tChgUser\tEnrollFP\tChgFP\tUserPic",
    "TimeZone": 8,
    "Realtime": 1,
    "Encrypt": None,
    "ServerVer": "2.4.1",
    "PushProtVer": "2.4.1",
}


# --- decoding ------------------------------------------------------------------------------------------


def _decode_line(raw: bytes) -> str:
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return raw.decode("gb18030")  # may raise: the caller records a line error


def _lines(body: bytes) -> list[tuple[int, str | None, bytes]]:
    """(line number, text or None if undecodable, raw bytes) for every non-blank line; LF or CRLF."""
    if body.startswith(b"\xef\xbb\xbf"):
        body = body[3:]
    out: list[tuple[int, str | None, bytes]] = []
    for number, raw in enumerate(body.split(b"\n"), start=1):
        raw = raw.rstrip(b"\r")
        if not raw.strip():
            continue
        try:
            text: str | None = _decode_line(raw)
        except UnicodeDecodeError:
            text = None
        out.append((number, text, raw))
    return out


def _undecodable(number: int, raw: bytes) -> LineError:
    return LineError(number, raw.decode("latin-1"), "neither UTF-8 nor GBK / 既非 UTF-8 也非 GBK 编码")


# --- request query -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class DeviceQuery:
    """The query parameters of an /iclock/* request. ``sn`` identifies the device (an allow-list check
    is the caller's job); ``stamp`` is the device's upload cursor, not a record id."""

    sn: str
    table: str | None = None
    stamp: str | None = None
    op_stamp: str | None = None
    options_all: bool = False
    pushver: str | None = None
    language: str | None = None
    pin: str | None = None
    info: list[str] = field(default_factory=list)
    params: dict[str, str] = field(default_factory=dict)


def parse_query(query: str | bytes | Mapping[str, str]) -> DeviceQuery:
    """Read SN, table, Stamp/OpStamp, options, pushver, language, PIN and INFO. Key case is ignored
    (firmware differs); a query string may start with "?" and may be the whole request target."""
    if isinstance(query, bytes):
        query = query.decode("latin-1")
    if isinstance(query, str):
        query = query.split("?", 1)[1] if "?" in query else query
        pairs = parse_qsl(query.strip(), keep_blank_values=True)
    else:
        pairs = [(key, query[key]) for key in query]
    params = dict(pairs)
    lower = {key.lower(): value.strip() for key, value in pairs}
    sn = lower.get("sn", "")
    if not sn:
        raise ProtocolError("请求缺少设备序列号 SN", "the request has no SN parameter", retryable=False)
    info = lower.get("info")
    return DeviceQuery(
        sn=sn,
        table=lower.get("table") or None,
        stamp=lower.get("stamp") or None,
        op_stamp=lower.get("opstamp") or None,
        options_all=lower.get("options", "").lower() == "all",
        pushver=lower.get("pushver") or None,
        language=lower.get("language") or None,
        pin=lower.get("pin") or None,
        info=info.split(",") if info else [],
        params=params,
    )


# --- ATTLOG --------------------------------------------------------------------------------------------


def attlog_event_key(pin: str, local_time: datetime, status: str) -> str:
    """The idempotency key of a punch within one device: PIN, wall-clock second and Status.

    The protocol has no record id (devices.md §1.3), and the same punch comes again after a retry, a
    handshake with an old ATTLOGStamp or a DATA QUERY ATTLOG. Verify is left out on purpose: a punch
    re-sent keeps its Verify anyway, and two records of one person in one second with one status (face and
    card read together) are one attendance fact.
    """
    return f"{pin}|{local_time.isoformat(sep=' ', timespec='seconds')}|{status}"  # TIME_FORMAT


def _int_or_none(text: str) -> int | None:
    try:
        return int(text)
    except ValueError:
        return None


def _parse_attlog_line(text: str, verify_methods: Mapping[int, str]) -> ParsedEvent:
    fields = [part.strip() for part in text.split("\t")]
    while fields and not fields[-1]:
        fields.pop()  # a trailing tab
    if len(fields) < 2:
        raise ValueError("fewer than 2 tab-separated fields (PIN, time) / 字段不足")
    pin, time_text = fields[0], fields[1]
    if not pin or any(ch.isspace() for ch in pin):
        raise ValueError(f"bad PIN {pin!r} / 工号无效")
    if not _TIME_RE.match(time_text):
        raise ValueError(f"time {time_text!r} is not YYYY-MM-DD HH:MM:SS / 时间格式错误")
    try:
        # The device writes its own wall clock without an offset; the caller localises it with the
        # device's configured zone, so a naive value is the honest result here.
        # _TIME_RE fixed the shape to TIME_FORMAT's; fromisoformat reads exactly that, 30× faster than
        # strptime, and refuses impossible dates the same way.
        local_time = datetime.fromisoformat(time_text)
    except ValueError as exc:
        raise ValueError(f"time {time_text!r} is not a real date / 日期无效") from exc
    status_number = _int_or_none(fields[2]) if len(fields) > 2 else None
    verify_number = _int_or_none(fields[3]) if len(fields) > 3 else None
    status = "" if status_number is None else str(status_number)
    raw: dict[str, Any] = {
        (ATTLOG_FIELD_NAMES[i] if i < len(ATTLOG_FIELD_NAMES) else f"Field{i}"): value
        for i, value in enumerate(fields)
    }
    return ParsedEvent(
        device_event_key=attlog_event_key(pin, local_time, status),
        person_ref=pin,
        person_ref_kind="pin",
        local_time=local_time,
        aware_time=None,
        direction=STATUS_DIRECTION.get(status_number, "") if status_number is not None else "",
        method=verify_methods.get(verify_number, METHOD_OTHER) if verify_number is not None else METHOD_OTHER,
        raw=raw,
    )


def parse_attlog(body: bytes, *, verify_methods: Mapping[int, str] | None = None) -> EventBatch:
    """Punch lines ``PIN\\tTime\\tStatus\\tVerify[\\tWorkCode\\tReserved…]`` (2 fields at least, any number
    more). A line that cannot be read becomes a :class:`LineError` and the rest of the body still counts.
    Duplicate lines give duplicate events with the same key: the database absorbs them, not this code."""
    table = DEFAULT_VERIFY_METHODS if verify_methods is None else verify_methods
    bad_codes = {code for code in table.values() if code not in METHODS}
    if bad_codes:
        raise ValueError(f"verify_methods maps to non-national codes {sorted(bad_codes)}")
    batch: EventBatch = Batch()
    for number, text, raw in _lines(body):
        if text is None:
            batch.errors.append(_undecodable(number, raw))
            continue
        try:
            batch.items.append(_parse_attlog_line(text, table))
        except ValueError as exc:
            batch.errors.append(LineError(number, text, str(exc)))
    return batch


# --- OPERLOG / USERINFO --------------------------------------------------------------------------------


@dataclass(frozen=True)
class DeviceRecord:
    """One line of an OPERLOG / USERINFO / BIODATA upload: its tag (``OPLOG``, ``USER``, ``FP``,
    ``BIOPHOTO``, ``BIODATA``…) and its fields as the device wrote them. Stored, not interpreted."""

    tag: str
    fields: dict[str, str]
    line_no: int


def _key_values(segments: list[str]) -> dict[str, str]:
    values: dict[str, str] = {}
    for segment in segments:
        if not segment.strip():
            continue
        key, sep, value = segment.partition("=")  # base64 values end in "=": split at the first only
        if not sep or not key.strip():
            raise ValueError(f"{segment!r} is not key=value / 不是 键=值")
        values[key.strip()] = value
    if not values:
        raise ValueError("no key=value fields / 没有字段")
    return values


def _oplog(text: str, number: int) -> DeviceRecord:
    names = OPLOG_FIELD_NAMES
    values = text.split("\t")
    return DeviceRecord(
        "OPLOG",
        {(names[i] if i < len(names) else f"Field{i}"): value.strip() for i, value in enumerate(values)},
        number,
    )


def _parse_record(text: str, number: int, default_tag: str) -> DeviceRecord:
    if text.startswith("OPLOG "):
        return _oplog(text[len("OPLOG ") :], number)
    segments = text.split("\t")
    if default_tag == "OPLOG" and "=" not in segments[0]:
        return _oplog(text, number)  # the untagged positional form of the protocol summary
    head, space, rest = segments[0].partition(" ")
    if space and "=" not in head and head.isupper():
        return DeviceRecord(head, _key_values([rest, *segments[1:]]), number)
    return DeviceRecord(default_tag, _key_values(segments), number)


def _parse_records(body: bytes, default_tag: str) -> Batch[DeviceRecord]:
    batch: Batch[DeviceRecord] = Batch()
    for number, text, raw in _lines(body):
        if text is None:
            batch.errors.append(_undecodable(number, raw))
            continue
        try:
            batch.items.append(_parse_record(text, number, default_tag))
        except ValueError as exc:
            batch.errors.append(LineError(number, text, str(exc)))
    return batch


def parse_operlog(body: bytes) -> Batch[DeviceRecord]:
    """A table=OPERLOG body: ``OPLOG <type>\\t<who>\\t<time>…`` lines and tagged enrolment lines
    (``USER PIN=…\\tName=…``, ``FP …``, ``BIOPHOTO …``, ``BIODATA …``)."""
    return _parse_records(body, default_tag="OPLOG")


def parse_userinfo(body: bytes) -> Batch[DeviceRecord]:
    """A table=USERINFO body: ``PIN=…\\tName=…\\tPri=…`` lines, tagged or not (untagged ones get ``USER``)."""
    return _parse_records(body, default_tag="USER")


# --- handshake and acknowledgements ---------------------------------------------------------------------

OK = "OK"


def ok_response(count: int | None = None) -> str:
    """The acknowledgement of an upload: ``OK: <n>`` with the records accepted, or plain ``OK``. Send it
    only after the transaction has committed: the device advances its upload pointer on it."""
    if count is None:
        return OK
    if count < 0:
        raise ValueError("count must not be negative")
    return f"OK: {count}"


def handshake_response(
    *, sn: str, options: Mapping[str, str | int | None] | None = None, line_end: str = "\n"
) -> str:
    """The answer to ``GET /iclock/cdata?SN=…&options=all``: ``GET OPTION FROM: <SN>`` and one
    ``Key=Value`` line per option, in the given order (None is written ``None``, as devices expect).
    ``options`` is the whole block, :data:`DEFAULT_OPTIONS` when left out; callers usually pass
    ``{**DEFAULT_OPTIONS, "ATTLOGStamp": <stored stamp>, "OPERLOGStamp": …}``."""
    if line_end not in ("\n", "\r\n"):
        raise ValueError("line_end is LF or CRLF")
    lines = [f"GET OPTION FROM: {_clean(sn)}"]
    for key, value in (DEFAULT_OPTIONS if options is None else options).items():
        lines.append(f"{_clean(key)}={_clean('None' if value is None else str(value))}")
    return line_end.join(lines) + line_end


def _clean(text: str) -> str:
    if "\n" in text or "\r" in text:
        raise ValueError(f"{text!r}: a line break would split the protocol line")
    return text


# --- commands (getrequest) and their results (devicecmd) ------------------------------------------------

CommandName = Literal[
    "add_user",
    "delete_user",
    "set_face_photo",
    "query_user",
    "query_attlog",
    "reboot",
    "check",
    "info",
]

NAME_MAX_LENGTH = 24  # the device's limit (devices.md §1.5); the name is for its display only

# Field order as the devices and the protocol summary write them; (keyword, protocol key, default).
_USER_FIELDS: tuple[tuple[str, str, str | None], ...] = (
    ("pin", "PIN", None),
    ("name", "Name", ""),
    ("pri", "Pri", "0"),
    ("passwd", "Passwd", ""),
    ("card", "Card", ""),
    ("grp", "Grp", "1"),
    ("tz", "TZ", "0000000100000000"),
    ("verify", "Verify", "0"),
)
_COMMANDS: dict[str, tuple[str, tuple[tuple[str, str, str | None], ...]]] = {
    "add_user": ("DATA UPDATE USERINFO", _USER_FIELDS),
    "delete_user": ("DATA DELETE USERINFO", (("pin", "PIN", None),)),
    "set_face_photo": (
        "DATA UPDATE BIOPHOTO",
        (
            ("pin", "PIN", None),
            ("type", "Type", "9"),
            ("size", "Size", None),
            ("content", "Content", ""),
            ("url", "URL", ""),
        ),
    ),
    "query_user": ("DATA QUERY USERINFO", (("pin", "PIN", None),)),
    "query_attlog": ("DATA QUERY ATTLOG", (("start_time", "StartTime", None), ("end_time", "EndTime", None))),
    "reboot": ("REBOOT", ()),
    "check": ("CHECK", ()),
    "info": ("INFO", ()),
}


def format_command(command_id: int, command: CommandName, **fields: str | int) -> str:
    """One getrequest command line, e.g. ``C:101:DATA UPDATE USERINFO PIN=1001\\tName=张三\\tPri=0…``
    (no line end; join several with "\\n"). Keywords are the lower-case field names (``pin``, ``name``,
    ``card``…, ``start_time`` / ``end_time`` as datetimes' ``YYYY-MM-DD HH:MM:SS``). Unknown or missing
    fields and values holding a tab or line break are refused with ValueError; a name longer than the
    device shows is cut to 24 characters."""
    if command_id <= 0:
        raise ValueError("command_id must be a positive integer")
    if command not in _COMMANDS:
        raise ValueError(f"unknown command {command!r}")
    action, spec = _COMMANDS[command]
    known = {keyword for keyword, _, _ in spec}
    unknown = set(fields) - known
    if unknown:
        raise ValueError(f"{command} takes no field(s) {sorted(unknown)}")
    parts: list[str] = []
    for keyword, key, default in spec:
        value = fields.get(keyword, default)
        if value is None:
            raise ValueError(f"{command} needs {keyword}")
        text = str(value)
        if keyword == "name":
            text = text[:NAME_MAX_LENGTH]
        if keyword == "pin" and (not text or any(ch.isspace() for ch in text)):
            raise ValueError(f"bad PIN {text!r}")
        if "\t" in text or "\n" in text or "\r" in text:
            raise ValueError(f"{keyword} must not hold a tab or line break")
        parts.append(f"{key}={text}")
    return f"C:{command_id}:{action}" + (" " + "\t".join(parts) if parts else "")


@dataclass(frozen=True)
class DeviceCommand:
    """A getrequest command line read back: ``C:<id>:<action> k=v\\tk=v``."""

    command_id: int
    action: str
    fields: dict[str, str]


_FIELD_START = re.compile(r" (?=[A-Za-z][A-Za-z0-9]*=)")


def parse_command(line: str) -> DeviceCommand:
    """Read one ``C:<id>:…`` line. Fields are tab separated; a line without tabs may separate them by
    spaces (``StartTime=2025-01-01 00:00:00 EndTime=…``, as one public server writes)."""
    match = re.fullmatch(r"C:(\d+):(.+)", line.rstrip("\r\n"))
    if not match:
        raise ValueError(f"{line!r} is not C:<id>:<command>")
    command_id, text = int(match.group(1)), match.group(2)
    words = text.split(" ")
    index = next((i for i, word in enumerate(words) if "=" in word), len(words))
    action = " ".join(words[:index])
    rest = " ".join(words[index:])
    if not rest:
        return DeviceCommand(command_id, action, {})
    segments = rest.split("\t") if "\t" in rest else _FIELD_START.split(rest)
    values: dict[str, str] = {}
    for segment in segments:
        key, _, value = segment.partition("=")
        values[key] = value
    return DeviceCommand(command_id, action, values)


def parse_commands(body: str) -> list[DeviceCommand]:
    """Every command line of a getrequest answer (``OK`` alone means none)."""
    # Split at LF only, as the device does: str.splitlines() would also split inside a name at U+2028.
    lines = (line.rstrip("\r") for line in body.split("\n"))
    return [parse_command(line) for line in lines if line.strip() and line.strip() != OK]


@dataclass(frozen=True)
class CommandResult:
    """The device's report on one command: Return 0 is success, negative values are errors (-1 failed,
    -2 format, -3 parameter, -4 exists, -5 not found, -10 full); some commands answer a positive count."""

    command_id: int
    return_code: int
    cmd: str
    fields: dict[str, str]
    line_no: int

    @property
    def succeeded(self) -> bool:
        return self.return_code >= 0


def parse_devicecmd(body: bytes) -> Batch[CommandResult]:
    """A POST /iclock/devicecmd body: one ``ID=<id>&Return=<code>&CMD=<cmd>`` line per executed command."""
    batch: Batch[CommandResult] = Batch()
    for number, text, raw in _lines(body):
        if text is None:
            batch.errors.append(_undecodable(number, raw))
            continue
        values = dict(parse_qsl(text.strip(), keep_blank_values=True))
        command_id = _int_or_none(values.get("ID", ""))
        return_code = _int_or_none(values.get("Return", ""))
        if command_id is None or return_code is None:
            batch.errors.append(LineError(number, text, "no integer ID and Return / 缺少 ID 或 Return"))
            continue
        batch.items.append(CommandResult(command_id, return_code, values.get("CMD", ""), values, number))
    return batch
