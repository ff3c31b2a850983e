"""Pure parsers and formatters for the gate devices' own protocols (STYLE rule 9).

No Django, no database: the ingestion views and services call these functions with the raw request
(body bytes, content type, query string) and store what comes back. Facts about the protocols are in
``shared/protocols/devices.md``; the tests replay the sample payloads in ``tests/samples/``.

Every parser returns a :class:`Batch`: what it understood (``items``), the lines it could not read
(``errors``, with line numbers, so one bad line never costs the rest of an upload) and ``notes`` on what it
ignored on purpose (heartbeats, failed authentications). Only a request that cannot be read at all raises
:class:`ProtocolError`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Generic, Literal, TypeVar

PersonRefKind = Literal["pin", "employee_no", "card"]
# National attendance direction (考勤方向): 01 入场, 02 出场; "" when the device does not say.
Direction = Literal["01", "02", ""]
DIRECTIONS: frozenset[str] = frozenset({"01", "02", ""})
# National attendance method (通行方式 attendType), regulations.md §3.4.
METHOD_FACE = "001"
METHOD_IRIS = "002"
METHOD_FINGERPRINT = "003"
METHOD_PALM = "004"
METHOD_ID_CARD = "005"
METHOD_CARD = "006"
METHOD_QR = "010"
METHOD_OTHER = "011"
METHODS: frozenset[str] = frozenset({f"{n:03d}" for n in range(1, 12)})

T = TypeVar("T")


class ProtocolError(Exception):
    """A request from a device that cannot be read at all.

    ``retryable`` says whether the device sending the same request again can help (a truncated body can
    arrive whole next time; malformed JSON stays malformed). A view stores the raw body first either way;
    on a non-retryable error it should still acknowledge, so the device does not resend the same bad bytes
    forever, and the stored body is replayed once the parser is fixed.
    """

    def __init__(self, message_zh: str, message_en: str, *, retryable: bool) -> None:
        super().__init__(f"{message_zh} / {message_en}")
        self.message_zh = message_zh
        self.message_en = message_en
        self.retryable = retryable


@dataclass(frozen=True)
class LineError:
    """One part of a body that could not be read; ``line_no`` counts from 1 (0: the body as a whole)."""

    line_no: int
    text: str
    reason: str


@dataclass(frozen=True)
class ParsedEvent:
    """One attendance punch as a device reported it, mapped to national codes but not yet to a worker.

    ``device_event_key`` is unique per device for one real punch and identical for every re-send of it:
    the database's unique constraint on (device, device_event_key) is what absorbs duplicates.
    Exactly one of ``local_time`` (naive wall-clock time, to be localised with the device's time zone)
    and ``aware_time`` (the payload carried an offset) is set; both are None only when the payload had no
    time at all, and then the receive time is the best there is.
    """

    device_event_key: str
    person_ref: str
    person_ref_kind: PersonRefKind
    local_time: datetime | None
    aware_time: datetime | None
    direction: Direction
    method: str
    raw: dict[str, Any]
    picture: bytes | None = None
    # The device cached this event while offline and uploads it late (Hikvision currentEvent=false).
    # It counts like any other; the flag only lets the caller mark it late.
    replayed: bool = False

    def __post_init__(self) -> None:
        if not self.device_event_key or not self.person_ref:
            raise ValueError("device_event_key and person_ref must not be empty")
        if self.direction not in DIRECTIONS:
            raise ValueError(f"direction {self.direction!r} is not 01, 02 or empty")
        if self.method not in METHODS:
            raise ValueError(f"method {self.method!r} is not a national code 001-011")
        if self.local_time is not None and self.local_time.tzinfo is not None:
            raise ValueError("local_time must be naive (the device's wall clock)")
        if self.aware_time is not None and self.aware_time.utcoffset() is None:
            raise ValueError("aware_time must carry an offset")
        if self.local_time is not None and self.aware_time is not None:
            raise ValueError("set local_time or aware_time, not both")


@dataclass(frozen=True)
class Batch(Generic[T]):
    """What one request body yielded: the items read, the lines that failed, and what was ignored why."""

    items: list[T] = field(default_factory=list)
    errors: list[LineError] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


EventBatch = Batch[ParsedEvent]
