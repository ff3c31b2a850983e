from __future__ import annotations

import datetime as dt
import hashlib
import uuid
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from realname.ledger import canonical, merkle

EVENT = {
    "public_id": uuid.UUID("0c4e4a8e-2f8a-4e63-9a53-7d3f0b8f1c2d"),
    "project_code": "DEMO-1",
    "device_serial": "DEMOZK0001",
    "device_event_key": "1|2026-03-02 08:31:05|0",
    "person_ref": "1",
    "worker_public_id": uuid.UUID("5b1d6a52-8a3e-4b37-8f6c-3a9e7a0e4d10"),
    "occurred_at": dt.datetime(2026, 3, 2, 8, 31, 5, 999_000, tzinfo=ZoneInfo("Asia/Shanghai")),
    "direction": "01",
    "method": "003",
    "source": "zkteco",
}

# The published layout: keys sorted, no spaces, UTC with "Z" and whole seconds. Changing it would change
# every leaf hash ever logged, so this test must only ever change together with a new log format.
GOLDEN = (
    b'{"at":"2026-03-02T00:31:05Z","device":"DEMOZK0001","dir":"01","id":"0c4e4a8e-2f8a-4e63-9a53-7d3f0b8f1c2d",'
    b'"key":"1|2026-03-02 08:31:05|0","method":"003","person":"1","project":"DEMO-1","source":"zkteco",'
    b'"worker":"5b1d6a52-8a3e-4b37-8f6c-3a9e7a0e4d10"}'
)


def test_it_writes_the_documented_canonical_bytes() -> None:
    assert canonical.canonical_bytes(**EVENT) == GOLDEN


def test_the_leaf_hash_of_the_golden_event_is_sha256_of_zero_and_the_bytes() -> None:
    expected = "d354183e48d03159d17b17e2b5901be11f641348b5931843882931a121ac194e"
    assert hashlib.sha256(b"\x00" + GOLDEN).hexdigest() == expected
    assert merkle.leaf_hash(canonical.canonical_bytes(**EVENT)).hex() == expected


def test_an_unknown_person_has_a_null_worker() -> None:
    data = canonical.canonical_bytes(**{**EVENT, "worker_public_id": None})
    assert b'"worker":null' in data


def test_text_is_utf8_not_escaped() -> None:
    data = canonical.canonical_bytes(**{**EVENT, "person_ref": "张三"})
    assert '"person":"张三"'.encode() in data


def test_it_refuses_a_naive_time() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        canonical.canonical_bytes(**{**EVENT, "occurred_at": dt.datetime(2026, 3, 2, 8, 31, 5)})  # noqa: DTZ001


def test_the_same_instant_in_any_zone_gives_the_same_bytes() -> None:
    utc = EVENT["occurred_at"].astimezone(dt.UTC)  # type: ignore[attr-defined]
    assert canonical.canonical_bytes(**{**EVENT, "occurred_at": utc}) == GOLDEN


_TEXT = st.text(st.characters(codec="utf-8"), max_size=40)


@settings(max_examples=300, deadline=None)
@given(
    project=_TEXT,
    serial=_TEXT,
    key=_TEXT,
    person=_TEXT,
    direction=st.sampled_from(["01", "02", ""]),
    method=_TEXT,
    source=_TEXT,
    worker=st.one_of(st.none(), st.uuids()),
    public_id=st.uuids(),
    when=st.datetimes(
        min_value=dt.datetime(1000, 1, 2),  # noqa: DTZ001  # hypothesis wants naive bounds
        max_value=dt.datetime(9999, 12, 30),  # noqa: DTZ001
        timezones=st.just(dt.UTC),
    ),
)
def test_the_fast_form_equals_json_dumps_for_any_text(
    project: str,
    serial: str,
    key: str,
    person: str,
    direction: str,
    method: str,
    source: str,
    worker: uuid.UUID | None,
    public_id: uuid.UUID,
    when: dt.datetime,
) -> None:
    values = {
        "public_id": public_id,
        "project_code": project,
        "device_serial": serial,
        "device_event_key": key,
        "person_ref": person,
        "worker_public_id": worker,
        "occurred_at": when,
        "direction": direction,
        "method": method,
        "source": source,
    }
    expected = canonical.reference_bytes(**values)
    assert canonical.canonical_bytes(**values) == expected
    per_device = canonical.DeviceEvents(project_code=project, device_serial=serial, source=source)
    assert (
        per_device.bytes(
            public_id=str(public_id),
            device_event_key=key,
            person_ref=person,
            worker=canonical.worker_json(worker),
            occurred_at=when,
            direction=direction,
            method=method,
        )
        == expected
    )


def test_a_value_that_is_not_text_is_refused() -> None:
    with pytest.raises(TypeError):
        canonical.canonical_bytes(**{**EVENT, "method": 3})  # type: ignore[arg-type]
