"""The signed native batch API: HMAC over timestamp, nonce and body; stale timestamps, reused nonces, unknown
and disabled devices refused with reasons; per-item accepted / duplicate / rejected in input order."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import secrets
from dataclasses import dataclass
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from realname.attendance import native, services
from realname.attendance.models import (
    AccessEvent,
    Device,
    DeviceKind,
    NativeNonce,
    ParseStatus,
    RawMessage,
)
from realname.testing import World
from realname.workers.models import Employment

pytestmark = pytest.mark.django_db

URL = "/api/v1/attendance/events"


@dataclass
class Edge:
    device: Device
    employment_a: Employment
    employment_b: Employment


@pytest.fixture
def edge(world: World) -> Edge:
    device = services.register_device(
        project=world.p1, kind=DeviceKind.NATIVE, serial="EDGE01", name="边缘网关"
    )
    employment_a = Employment.objects.get(worker=world.worker_a, project=world.p1)
    employment_b = Employment.objects.get(worker=world.worker_b, project=world.p1)
    services.map_person(project=world.p1, ref_kind="pin", ref="1", employment=employment_a)
    services.map_person(project=world.p1, ref_kind="card", ref="C-2", employment=employment_b)
    return Edge(device, employment_a, employment_b)


def item(key: str, ref: str = "1", kind: str = "pin", **extra: Any) -> dict[str, Any]:
    return {
        "client_event_id": key,
        "person_ref": ref,
        "person_ref_kind": kind,
        "time": "2026-03-02T07:58:00+08:00",
        "direction": "01",
        "method": "003",
        **extra,
    }


def now_ts() -> str:
    return str(int(timezone.now().timestamp()))


def send(
    device: Device,
    payload: dict[str, Any] | bytes,
    *,
    timestamp: str | None = None,
    nonce: str | None = None,
    secret: str | None = None,
    serial: str | None = None,
    signature: str | None = None,
) -> Any:
    body = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
    timestamp = timestamp if timestamp is not None else now_ts()
    nonce = nonce if nonce is not None else secrets.token_hex(16)
    sig = signature or native.sign(
        secret=secret or device.secret, timestamp=timestamp, nonce=nonce, body=body
    )
    headers = {
        "X-Device-Serial": serial if serial is not None else device.serial,
        "X-Timestamp": timestamp,
        "X-Nonce": nonce,
        "X-Signature": sig,
    }
    return Client().post(URL, body, content_type="application/json", headers=headers)


def refused(response: Any, reason: str) -> None:
    assert response.status_code == 401, response.content
    assert response.json()["reason"] == reason
    assert response.json()["detail"]


# --- the signing rule ------------------------------------------------------------------------------------


def test_the_signature_is_hmac_sha256_over_timestamp_nonce_and_the_raw_body() -> None:
    body = b'{"events":[]}'
    expected = hmac.new(b"k3y", b"1764000000\nabc\n" + body, hashlib.sha256).hexdigest()
    assert native.sign(secret="k3y", timestamp="1764000000", nonce="abc", body=body) == expected
    assert native.signature_valid(
        secret="k3y", timestamp="1764000000", nonce="abc", body=body, signature=expected.upper()
    )
    assert not native.signature_valid(
        secret="k3y", timestamp="1764000000", nonce="abc", body=body + b" ", signature=expected
    )


def test_timestamps_within_five_minutes_either_way_pass_and_others_are_stale() -> None:
    native.check_timestamp("1000", now=1300)
    native.check_timestamp("1600", now=1300)
    for stale in ("999", "1601"):
        with pytest.raises(native.NativeAuthError) as caught:
            native.check_timestamp(stale, now=1300)
        assert caught.value.reason == native.Refusal.STALE_TIMESTAMP
    with pytest.raises(native.NativeAuthError) as caught:
        native.check_timestamp("12:00", now=1300)
    assert caught.value.reason == native.Refusal.BAD_TIMESTAMP


def test_nonces_are_one_to_sixty_four_printable_characters() -> None:
    native.check_nonce("a" * 64)
    for bad in ("", "a" * 65, "has space", "tab\t", "中文"):
        with pytest.raises(native.NativeAuthError):
            native.check_nonce(bad)


def test_a_bad_item_is_rejected_on_its_own_with_its_reason() -> None:
    items = native.read_batch(
        json.dumps(
            {
                "events": [
                    item("ok"),
                    item("naive", time="2026-03-02T07:58:00"),
                    item("m", method="099"),
                    "not an object",
                    item("half", lat=31.2),
                ]
            }
        ).encode()
    )
    assert items[0].event is not None and items[0].reason == ""
    assert "offset" in items[1].reason and items[1].client_event_id == "naive"
    assert "method" in items[2].reason
    assert items[3].client_event_id is None and items[3].reason
    assert "lat/lng" in items[4].reason


@pytest.mark.parametrize(
    "body", [b"not json", b"[]", b'{"events": {}}', b"\xff\xfe", json.dumps({"events": [{}] * 1001}).encode()]
)
def test_a_body_that_is_not_a_batch_is_refused_whole(body: bytes) -> None:
    with pytest.raises(native.BatchError):
        native.read_batch(body)


# --- through HTTP ----------------------------------------------------------------------------------------


def test_a_signed_batch_is_stored_raw_first_and_its_events_accepted(edge: Edge) -> None:
    payload = {
        "events": [item("k1"), item("k2", ref="C-2", kind="card", direction="02", lat=31.18, lng=121.46)]
    }
    response = send(edge.device, payload)

    assert response.status_code == 200, response.content
    data = response.json()
    assert (data["accepted"], data["duplicates"], data["rejected"]) == (2, 0, 0)
    assert [r["status"] for r in data["results"]] == ["accepted", "accepted"]
    first, second = (AccessEvent.objects.get(public_id=r["id"]) for r in data["results"])
    assert first.employment == edge.employment_a and second.employment == edge.employment_b
    assert first.source == "native" and first.occurred_at == dt.datetime(2026, 3, 1, 23, 58, tzinfo=dt.UTC)
    assert second.direction == "02" and str(second.lat) == "31.180000" and str(second.lng) == "121.460000"
    assert first.ledger_index is not None and second.ledger_index is not None
    raw = RawMessage.objects.get()
    assert (
        raw.kind == "native" and raw.device == edge.device and bytes(raw.body) == json.dumps(payload).encode()
    )
    assert raw.parse_status == ParseStatus.PARSED and first.raw_message == raw


def test_the_same_batch_twice_is_all_duplicates_the_second_time(edge: Edge) -> None:
    payload = {"events": [item("k1"), item("k2", ref="C-2", kind="card")]}
    first = send(edge.device, payload).json()
    second = send(edge.device, payload).json()

    assert (second["accepted"], second["duplicates"]) == (0, 2)
    assert [r["status"] for r in second["results"]] == ["duplicate", "duplicate"]
    assert [r["id"] for r in second["results"]] == [r["id"] for r in first["results"]]
    assert AccessEvent.objects.count() == 2


def test_a_key_twice_in_one_batch_is_one_event(edge: Edge) -> None:
    data = send(edge.device, {"events": [item("k1"), item("k1")]}).json()
    assert [r["status"] for r in data["results"]] == ["accepted", "duplicate"]
    assert data["results"][0]["id"] == data["results"][1]["id"]
    assert AccessEvent.objects.count() == 1


def test_a_mixed_batch_rejects_only_the_invalid_item_in_input_order(edge: Edge) -> None:
    payload = {"events": [item("a"), item("b", direction="03"), item("c", ref="99")]}
    response = send(edge.device, payload)

    data = response.json()
    assert [r["status"] for r in data["results"]] == ["accepted", "rejected", "accepted"]
    assert [r["client_event_id"] for r in data["results"]] == ["a", "b", "c"]
    assert "direction" in data["results"][1]["reason"] and data["results"][1]["id"] is None
    assert "unknown_person" in AccessEvent.objects.get(device_event_key="c").flags
    assert set(AccessEvent.objects.values_list("device_event_key", flat=True)) == {"a", "c"}
    raw = RawMessage.objects.get()
    assert raw.parse_status == ParseStatus.FAILED and "item 1" in raw.error


def test_an_unreadable_body_is_422_and_kept_for_replay(edge: Edge) -> None:
    response = send(edge.device, b"{not json")
    assert response.status_code == 422
    raw = RawMessage.objects.get()
    assert raw.parse_status == ParseStatus.FAILED and bytes(raw.body) == b"{not json"


def test_it_refuses_a_bad_signature(edge: Edge) -> None:
    refused(send(edge.device, {"events": [item("k1")]}, secret="wrong-secret"), "bad_signature")
    assert not AccessEvent.objects.exists()
    raw = RawMessage.objects.get()
    assert raw.parse_status == ParseStatus.FAILED and raw.error == "bad_signature"


def test_it_refuses_a_body_changed_after_signing(edge: Edge) -> None:
    timestamp, nonce = now_ts(), "n-1"
    signature = native.sign(
        secret=edge.device.secret, timestamp=timestamp, nonce=nonce, body=b'{"events":[]}'
    )
    response = send(
        edge.device, {"events": [item("k1")]}, timestamp=timestamp, nonce=nonce, signature=signature
    )
    refused(response, "bad_signature")


# Just outside the 300 s window on the past side (it only grows staler while the request runs); on the
# future side with 30 s to spare, because a loaded machine can take seconds between signing and checking.
@pytest.mark.parametrize("offset", [-301, 330, -3600])
def test_it_refuses_a_stale_timestamp(edge: Edge, offset: int) -> None:
    stale = str(int(timezone.now().timestamp()) + offset)
    refused(send(edge.device, {"events": [item("k1")]}, timestamp=stale), "stale_timestamp")
    assert not AccessEvent.objects.exists()


def test_it_refuses_a_reused_nonce_even_with_a_valid_signature(edge: Edge) -> None:
    assert send(edge.device, {"events": [item("k1")]}, nonce="once").status_code == 200
    refused(send(edge.device, {"events": [item("k2")]}, nonce="once"), "nonce_reused")
    assert list(AccessEvent.objects.values_list("device_event_key", flat=True)) == ["k1"]


def test_another_device_may_use_the_same_nonce(edge: Edge, world: World) -> None:
    other = services.register_device(project=world.p1, kind=DeviceKind.NATIVE, serial="EDGE02")
    assert send(edge.device, {"events": [item("k1")]}, nonce="shared").status_code == 200
    assert send(other, {"events": [item("k1")]}, nonce="shared").status_code == 200
    assert NativeNonce.objects.count() == 2


def test_nonces_older_than_any_valid_timestamp_are_forgotten(edge: Edge) -> None:
    old = NativeNonce.objects.create(device=edge.device, nonce="old")
    NativeNonce.objects.filter(pk=old.pk).update(created_at=timezone.now() - dt.timedelta(hours=1))
    assert send(edge.device, {"events": []}, nonce="new").status_code == 200
    assert list(NativeNonce.objects.values_list("nonce", flat=True)) == ["new"]


def test_it_refuses_an_unknown_serial(edge: Edge) -> None:
    refused(send(edge.device, {"events": [item("k1")]}, serial="NOPE"), "unknown_device")
    assert RawMessage.objects.get().serial == "NOPE"


def test_it_refuses_a_disabled_device(edge: Edge) -> None:
    Device.objects.filter(pk=edge.device.pk).update(enabled=False)
    refused(send(edge.device, {"events": [item("k1")]}), "device_disabled")
    assert not AccessEvent.objects.exists()


def test_it_refuses_missing_headers(edge: Edge) -> None:
    response = Client().post(URL, b'{"events":[]}', content_type="application/json")
    refused(response, "missing_headers")


def test_a_phone_device_cannot_sign_requests(edge: Edge, world: World) -> None:
    phone = native.phone_device(world.p1)
    refused(send(phone, {"events": [item("k1")]}), "unknown_device")


def test_an_edge_agent_may_relay_for_a_registered_gate_under_its_serial(edge: Edge, world: World) -> None:
    zk = services.register_device(project=world.p1, kind=DeviceKind.ZKTECO, serial="ZK9")
    data = send(zk, {"events": [item("1|2026-03-02T07:58:00")]}).json()
    assert data["accepted"] == 1 and AccessEvent.objects.get().device == zk


def test_an_offline_replayed_event_is_flagged_replayed_not_skewed(edge: Edge) -> None:
    send(edge.device, {"events": [item("old", replayed=True), item("late")]})
    assert AccessEvent.objects.get(device_event_key="old").flags == ["replayed"]
    assert "clock_skew" in AccessEvent.objects.get(device_event_key="late").flags


JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=15), inner, max_size=3),
    max_leaves=8,
)
FIELDS = st.sampled_from(
    ["client_event_id", "person_ref", "person_ref_kind", "time", "direction", "method", "lat"]
)


def test_signed_junk_never_causes_a_server_error(edge: Edge) -> None:
    bodies = (
        st.binary(max_size=60)
        | JSON.map(lambda value: json.dumps(value).encode())
        | st.lists(
            st.dictionaries(FIELDS, JSON, max_size=3).map(lambda d: {**item("k"), **d}), max_size=3
        ).map(lambda events: json.dumps({"events": events}).encode())
    )

    @settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
    @given(body=bodies)
    def post(body: bytes) -> None:
        response = send(edge.device, body)
        assert response.status_code in {200, 422}, (body, response.content)
        if response.status_code == 200:
            assert {r["status"] for r in response.json()["results"]} <= {"accepted", "duplicate", "rejected"}

    post()
