"""Gate uploads with REALNAME_DEVICE_UPLOADS=deferred: the request stores the raw body and answers at
once; the worker parses and ingests the waiting uploads in batches — nothing lost, nothing doubled, each
raw message recording its own outcome, and the ledger contiguous."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command
from django.test import Client, override_settings

from realname.attendance import services
from realname.attendance.models import AccessEvent, Device, ParseStatus, RawMessage
from realname.attendance.tests import test_device_endpoints as endpoints
from realname.attendance.tests.test_device_endpoints import (
    ATTLOG,
    Site,
    hik_json_sample,
    hik_multipart_sample,
    hik_url,
    post_attlog,
)
from realname.core.jobs import ingest_pending_uploads
from realname.ledger.selectors import verify_ledger

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("deferred")]

# The endpoint tests' site (two gates, four mapped identifiers) and CSRF-enforcing device client.
site = endpoints.site
device_client = endpoints.device_client


@pytest.fixture
def deferred() -> object:
    with override_settings(REALNAME_DEVICE_UPLOADS="deferred"):
        yield


def test_the_device_is_answered_from_the_stored_body_and_the_worker_ingests_it(
    site: Site, device_client: Client
) -> None:
    response = post_attlog(device_client, ATTLOG)

    assert response.content.decode() == "OK: 3"
    raw = RawMessage.objects.get()
    assert raw.parse_status == ParseStatus.NEW and not AccessEvent.objects.exists()

    out = StringIO()
    call_command("worker", "--once", "--only", "uploads.pending", stdout=out)

    raw.refresh_from_db()
    assert raw.parse_status == ParseStatus.PARSED
    assert raw.parsed["accepted"] == 3 and raw.parsed["duplicates"] == 0
    events = AccessEvent.objects.order_by("ledger_index")
    assert [(e.person_ref, e.raw_message_id) for e in events] == [("1", raw.pk), ("2", raw.pk), ("1", raw.pk)]
    assert events[0].employment == site.employment_a
    assert "uploads.pending: ok 1 uploads, 3 new events, 0 unreadable" in out.getvalue()
    assert Device.objects.get(pk=site.zk.pk).attlog_stamp == "9999"


def test_a_resent_body_is_answered_the_same_and_absorbed(site: Site, device_client: Client) -> None:
    for _ in range(3):
        assert post_attlog(device_client, ATTLOG).content.decode() == "OK: 3"

    ingest_pending_uploads()

    assert AccessEvent.objects.count() == 3
    outcomes = sorted((r.parsed["accepted"], r.parsed["duplicates"]) for r in RawMessage.objects.all())
    assert outcomes == [(0, 3), (0, 3), (3, 0)]
    assert RawMessage.objects.filter(parse_status=ParseStatus.NEW).count() == 0


def test_uploads_of_two_devices_are_each_ingested_once_in_order(site: Site, device_client: Client) -> None:
    post_attlog(device_client, ATTLOG)
    device_client.post(hik_url(site.hik), data=hik_json_sample(), content_type="application/json")
    post_attlog(device_client, b"2\t2026-03-02 17:45:00\t1\t1\r\n")

    ingest_pending_uploads()

    assert AccessEvent.objects.filter(device=site.zk).count() == 4
    assert AccessEvent.objects.filter(device=site.hik).count() == 1
    indices = sorted(AccessEvent.objects.values_list("ledger_index", flat=True))
    assert indices == list(range(5))
    assert verify_ledger().ok


def test_an_unreadable_line_fails_its_message_the_good_lines_count(site: Site, device_client: Client) -> None:
    body = ATTLOG + b"not a punch line\r\n"

    assert post_attlog(device_client, body).content.decode() == "OK: 3"
    ingest_pending_uploads()

    raw = RawMessage.objects.get()
    assert raw.parse_status == ParseStatus.FAILED and "line 4" in raw.error
    assert AccessEvent.objects.count() == 3


def test_a_truncated_hikvision_push_is_still_asked_for_again(site: Site, device_client: Client) -> None:
    body = hik_multipart_sample().split(b"--X--")[0]

    response = device_client.post(
        hik_url(site.hik), data=body, content_type="multipart/form-data; boundary=X"
    )

    assert response.status_code == 503
    assert RawMessage.objects.get().parse_status == ParseStatus.FAILED
    assert ingest_pending_uploads() == ""  # nothing left waiting


def test_a_batch_that_fails_as_a_whole_is_processed_message_by_message(
    site: Site, device_client: Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    post_attlog(device_client, ATTLOG)
    post_attlog(device_client, b"2\t2026-03-02 17:45:00\t1\t1\r\n")

    def broken(raws: list[RawMessage]) -> services.PendingRawResult:
        raise RuntimeError("simulated failure of the batch path")

    monkeypatch.setattr(services, "_process_uploads", broken)
    result = services.process_pending_raw()

    assert result.messages == 2 and result.accepted == 4
    assert AccessEvent.objects.count() == 4
    assert set(RawMessage.objects.values_list("parse_status", flat=True)) == {ParseStatus.PARSED}


def test_inline_uploads_are_unchanged(site: Site, device_client: Client) -> None:
    with override_settings(REALNAME_DEVICE_UPLOADS="inline"):
        assert post_attlog(device_client, ATTLOG).content.decode() == "OK: 3"
    assert AccessEvent.objects.count() == 3
    assert RawMessage.objects.get().parse_status == ParseStatus.PARSED


def test_a_disabled_or_unknown_device_is_still_refused_and_its_body_kept(
    site: Site, device_client: Client
) -> None:
    Device.objects.filter(pk=site.zk.pk).update(enabled=False)

    disabled = post_attlog(device_client, ATTLOG)
    unknown = post_attlog(device_client, ATTLOG, sn="NOPE999")
    hik = device_client.post(
        "/devices/hik/not-a-secret/events", data=hik_json_sample(), content_type="application/json"
    )

    assert (disabled.status_code, unknown.status_code, hik.status_code) == (403, 404, 404)
    assert list(RawMessage.objects.order_by("id").values_list("parse_status", "error")) == [
        (ParseStatus.FAILED, "device disabled"),
        (ParseStatus.FAILED, "unknown device"),
        (ParseStatus.FAILED, "unknown device"),
    ]
    assert ingest_pending_uploads() == "" and not AccessEvent.objects.exists()


def test_a_hikvision_push_is_stored_in_one_statement_and_ingested_later(
    site: Site, device_client: Client
) -> None:
    response = device_client.post(hik_url(site.hik), data=hik_json_sample(), content_type="application/json")

    assert response.status_code == 200
    raw = RawMessage.objects.get()
    assert (raw.device_id, raw.project_id, raw.serial, raw.parse_status) == (
        site.hik.pk, site.hik.project_id, "HK001", ParseStatus.NEW,
    )  # fmt: skip
    assert raw.path == "/devices/hik/***/events"  # the secret never stored
    ingest_pending_uploads()
    assert AccessEvent.objects.filter(device=site.hik).count() == 1
