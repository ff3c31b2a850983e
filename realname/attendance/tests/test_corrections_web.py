"""Corrections (补卡) pages and API: ask (form / JSON), see the day as it stands, approve or reject; the
evidence is served only through a scoped view; charlie gets 404, bob sees only subcontractor B's people."""

from __future__ import annotations

import base64
import datetime as dt
import json
from pathlib import Path
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from realname.accounts.models import User
from realname.accounts.services import create_api_token
from realname.attendance import corrections
from realname.attendance.models import AccessEvent
from realname.attendance.models_corrections import CorrectionRequest, CorrectionStatus
from realname.testing import World
from realname.workers.models import Employment

pytestmark = pytest.mark.django_db

API = "/api/v1/attendance/corrections"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32


@pytest.fixture(autouse=True)
def media_in_tmp(settings: Any, tmp_path: Path) -> None:
    settings.MEDIA_ROOT = tmp_path / "media"


def recent_day() -> dt.date:
    """A day well inside the correction window and after the world's entries (2026-03-01)."""
    return timezone.localdate() - dt.timedelta(days=2)


def employment(world: World, worker: str) -> Employment:
    return Employment.objects.get(worker=getattr(world, worker), project=world.p1)


def ask(world: World, worker: str, user: User, hm: str = "17:30", **extra: Any) -> CorrectionRequest:
    job = employment(world, worker)
    return corrections.request_correction(
        employment=job,
        occurred_at=corrections.local_moment(job.project, recent_day(), dt.time.fromisoformat(hm)),
        direction="02",
        reason="闸机故障",
        requested_by=user,
        **extra,
    )


def as_user(client: Client, user: User) -> Client:
    client.force_login(user)
    return client


def api(user: User) -> Client:
    return Client(headers={"Authorization": f"Bearer {create_api_token(user=user).text}"})


def html(response: Any) -> str:
    return str(response.content.decode())


# --- pages -------------------------------------------------------------------------------------------------


def test_a_worker_asks_for_a_correction_on_the_phone_form_with_evidence(client: Client, world: World) -> None:
    as_user(client, world.wendy)
    form = client.get(reverse("attendance:correction_create"))
    assert form.status_code == 200
    # A worker has one choice, herself, already selected.
    choices = list(form.context["form"].fields["employment"].queryset)
    assert choices == [employment(world, "worker_a")]
    assert 'name="viewport"' in html(form)

    response = client.post(
        reverse("attendance:correction_create"),
        {
            "employment": str(employment(world, "worker_a").public_id),
            "date": recent_day().isoformat(),
            "time": "17:30",
            "direction": "02",
            "reason": "人脸未识别",
            "evidence": SimpleUploadedFile("proof.png", PNG, content_type="image/png"),
        },
    )

    created = CorrectionRequest.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("attendance:correction_detail", args=[created.public_id])
    assert created.requested_by == world.wendy and created.status == CorrectionStatus.PENDING
    assert created.occurred_at.astimezone(dt.UTC) == dt.datetime.combine(
        recent_day(), dt.time(9, 30), tzinfo=dt.UTC
    )
    detail = html(client.get(response["Location"]))
    assert "人脸未识别" in detail and "待审批" in detail
    assert reverse("attendance:correction_evidence", args=[created.public_id]) in detail
    assert "/media/" not in detail
    assert (
        reverse("attendance:correction_approve", args=[created.public_id]) not in detail
    )  # not hers to decide
    assert reverse("attendance:correction_cancel", args=[created.public_id]) in detail


def test_the_form_shows_the_services_refusals_on_its_fields(client: Client, world: World) -> None:
    as_user(client, world.alice)
    future = timezone.localdate() + dt.timedelta(days=1)
    data = {
        "employment": str(employment(world, "worker_a").public_id),
        "date": future.isoformat(),
        "time": "08:00",
        "direction": "01",
        "reason": "忘记打卡",
    }
    response = client.post(reverse("attendance:correction_create"), data)
    assert response.status_code == 200
    assert response.context["form"].errors["time"] == ["补卡时间不能晚于当前时间"]

    data["date"] = recent_day().isoformat()
    data["evidence"] = SimpleUploadedFile("scan.pdf", b"MZ not a pdf")  # type: ignore[assignment]
    response = client.post(reverse("attendance:correction_create"), data)
    assert "文件内容与扩展名 .pdf 不符" in " ".join(response.context["form"].errors["evidence"])
    assert not CorrectionRequest.objects.exists()


def test_bob_may_only_choose_subcontractor_bs_people(client: Client, world: World) -> None:
    as_user(client, world.bob)
    form = client.get(reverse("attendance:correction_create"))
    assert list(form.context["form"].fields["employment"].queryset) == [employment(world, "worker_b")]
    response = client.post(
        reverse("attendance:correction_create"),
        {
            "employment": str(employment(world, "worker_a").public_id),
            "date": recent_day().isoformat(),
            "time": "08:00",
            "direction": "01",
            "reason": "x",
        },
    )
    assert "employment" in response.context["form"].errors
    assert not CorrectionRequest.objects.exists()


def test_an_approver_sees_the_day_and_approves_on_the_detail_page(client: Client, world: World) -> None:
    request = ask(world, "worker_b", world.bob)
    as_user(client, world.alice)
    url = reverse("attendance:correction_detail", args=[request.public_id])
    page = html(client.get(url))
    assert reverse("attendance:correction_approve", args=[request.public_id]) in page
    assert "当日无刷卡记录" in page

    response = client.post(
        reverse("attendance:correction_approve", args=[request.public_id]), {"note": "属实"}
    )

    assert response.status_code == 302
    request.refresh_from_db()
    assert request.status == CorrectionStatus.APPROVED and request.decision_note == "属实"
    page = html(client.get(url))
    assert "已批准" in page and str(request.event.public_id) in page  # type: ignore[union-attr]
    assert "补卡 / correction" in page  # the new punch, listed with its source
    # A second click only says it was already decided.
    again = client.post(reverse("attendance:correction_approve", args=[request.public_id]), follow=True)
    assert "已处理" in html(again)
    assert AccessEvent.objects.filter(source="correction").count() == 1


def test_a_rejection_without_a_reason_is_refused_on_the_page(client: Client, world: World) -> None:
    request = ask(world, "worker_b", world.alice)
    as_user(client, world.bob)
    response = client.post(reverse("attendance:correction_reject", args=[request.public_id]), follow=True)
    assert "驳回时请填写理由" in html(response)
    client.post(reverse("attendance:correction_reject", args=[request.public_id]), {"note": "无证明"})
    request.refresh_from_db()
    assert request.status == CorrectionStatus.REJECTED


def test_the_requester_cancels_on_the_page(client: Client, world: World) -> None:
    request = ask(world, "worker_a", world.wendy)
    as_user(client, world.alice)
    assert client.post(reverse("attendance:correction_cancel", args=[request.public_id])).status_code == 403
    as_user(client, world.wendy)
    client.post(reverse("attendance:correction_cancel", args=[request.public_id]))
    request.refresh_from_db()
    assert request.status == CorrectionStatus.CANCELLED


def test_charlie_gets_404_for_every_correction_page_of_p1(client: Client, world: World) -> None:
    request = ask(world, "worker_a", world.wendy, evidence=SimpleUploadedFile("p.png", PNG))
    as_user(client, world.charlie)
    for name in ("correction_detail", "correction_evidence"):
        assert client.get(reverse(f"attendance:{name}", args=[request.public_id])).status_code == 404
    for name in ("correction_approve", "correction_reject", "correction_cancel"):
        url = reverse(f"attendance:{name}", args=[request.public_id])
        assert client.post(url, {"note": "x"}).status_code == 404
    assert "闸机故障" not in html(client.get(reverse("attendance:correction_list")))
    request.refresh_from_db()
    assert request.status == CorrectionStatus.PENDING


def test_bob_may_look_at_but_not_decide_a_request_for_the_general_contractors_people(
    client: Client, world: World
) -> None:
    request = ask(world, "worker_a", world.wendy)
    as_user(client, world.bob)
    assert client.get(reverse("attendance:correction_detail", args=[request.public_id])).status_code == 404
    assert client.post(reverse("attendance:correction_approve", args=[request.public_id])).status_code == 404


def test_a_regulator_sees_but_may_not_decide(client: Client, world: World) -> None:
    request = ask(world, "worker_b", world.bob)
    as_user(client, world.reggie)
    page = html(client.get(reverse("attendance:correction_detail", args=[request.public_id])))
    assert reverse("attendance:correction_approve", args=[request.public_id]) not in page
    assert client.post(reverse("attendance:correction_approve", args=[request.public_id])).status_code == 403
    assert client.get(reverse("attendance:correction_create")).status_code == 403


def test_the_evidence_is_served_only_through_the_scoped_view(client: Client, world: World) -> None:
    request = ask(world, "worker_b", world.bob, evidence=SimpleUploadedFile("x.png", PNG))
    as_user(client, world.alice)
    response = client.get(reverse("attendance:correction_evidence", args=[request.public_id]))
    assert response.status_code == 200
    assert response["Content-Type"] == "image/png"
    assert response["Cache-Control"] == "private, no-store"
    assert b"".join(response.streaming_content) == PNG  # type: ignore[attr-defined]
    without = ask(world, "worker_b", world.bob, hm="08:00")
    assert client.get(reverse("attendance:correction_evidence", args=[without.public_id])).status_code == 404


def test_the_list_puts_pending_first_filters_and_keeps_its_query_count(client: Client, world: World) -> None:
    decided = ask(world, "worker_b", world.bob, hm="07:00")
    corrections.reject_correction(correction=decided, user=world.alice, note="不符")
    pending = ask(world, "worker_b", world.bob, hm="07:30")
    as_user(client, world.alice)
    url = reverse("attendance:correction_list")

    response = client.get(url)
    assert [c.pk for c in response.context["page_obj"]] == [pending.pk, decided.pk]
    only = client.get(url, {"status": "rejected"})
    assert [c.pk for c in only.context["page_obj"]] == [decided.pk]

    with CaptureQueriesContext(connection) as few:
        client.get(url)
    for minute in range(10):
        ask(world, "worker_a", world.wendy, hm=f"06:{minute:02d}")
    with CaptureQueriesContext(connection) as many:
        client.get(url)
    assert len(many.captured_queries) == len(few.captured_queries)


def test_the_nav_links_to_corrections(client: Client, world: World) -> None:
    as_user(client, world.wendy)
    assert reverse("attendance:correction_list") in html(client.get(reverse("attendance:correction_list")))


# --- API ---------------------------------------------------------------------------------------------------


def body(world: World, worker: str = "worker_b", **extra: Any) -> dict[str, Any]:
    data = {
        "employment": str(employment(world, worker).public_id),
        "date": recent_day().isoformat(),
        "time": "17:30",
        "direction": "02",
        "reason": "闸机断电",
    }
    data.update(extra)
    return data


def test_the_api_creates_and_an_approver_approves(world: World) -> None:
    created = api(world.alice).post(API, body(world), content_type="application/json")
    assert created.status_code == 201, created.content
    data = created.json()
    assert data["status"] == "pending" and data["worker"]["name"] == "李乙"
    assert data["time"] == f"{recent_day().isoformat()}T17:30:00+08:00"
    assert "*" in data["worker"]["id_number_masked"]

    url = f"{API}/{data['id']}/approve"
    approved = api(world.bob).post(url, {"note": "属实"}, content_type="application/json")
    assert approved.status_code == 200, approved.content
    event_id = approved.json()["event"]
    assert AccessEvent.objects.get(public_id=event_id).source == "correction"

    again = api(world.admin).post(url, {}, content_type="application/json")
    assert again.status_code == 422
    assert "已处理" in again.json()["detail"][0]["msg"]
    assert AccessEvent.objects.filter(source="correction").count() == 1


def test_the_api_refuses_with_chinese_messages(world: World) -> None:
    future = (timezone.localdate() + dt.timedelta(days=1)).isoformat()
    response = api(world.alice).post(API, body(world, date=future), content_type="application/json")
    assert response.status_code == 422
    assert response.json()["detail"] == [{"loc": ["body", "time"], "msg": "补卡时间不能晚于当前时间"}]

    response = api(world.bob).post(API, body(world, "worker_a"), content_type="application/json")
    assert response.status_code == 422
    assert response.json()["detail"] == [{"loc": ["body", "employment"], "msg": "不存在或无权限"}]

    api(world.alice).post(API, body(world), content_type="application/json")
    response = api(world.alice).post(API, body(world), content_type="application/json")
    assert response.status_code == 422
    assert "已有待审批或已批准的补卡申请" in response.json()["detail"][0]["msg"]

    response = api(world.reggie).post(API, body(world), content_type="application/json")
    assert response.status_code == 403


def test_the_api_reject_needs_a_note_and_self_approval_is_refused(world: World) -> None:
    request = ask(world, "worker_b", world.bob)
    url = f"{API}/{request.public_id}"
    assert api(world.alice).post(f"{url}/reject", {}, content_type="application/json").status_code == 422
    own = api(world.bob).post(f"{url}/approve", {}, content_type="application/json")
    assert own.status_code == 422
    assert own.json()["detail"][0]["msg"] == "不能审批自己提交的补卡申请"
    rejected = api(world.alice).post(f"{url}/reject", {"note": "无证明"}, content_type="application/json")
    assert rejected.status_code == 200 and rejected.json()["status"] == "rejected"


def listed(user: User, **filters: str) -> list[str]:
    return [row["id"] for row in api(user).get(API, filters).json()["items"]]


def test_the_api_answers_charlie_404_and_lists_in_scope(world: World) -> None:
    for_b = ask(world, "worker_b", world.alice)
    for_a = ask(world, "worker_a", world.wendy)
    url = f"{API}/{for_a.public_id}"
    assert api(world.charlie).get(url).status_code == 404
    assert api(world.charlie).post(f"{url}/approve", {}, content_type="application/json").status_code == 404
    assert api(world.charlie).get(API).json() == {"items": [], "count": 0}
    assert listed(world.bob) == [str(for_b.public_id)]
    assert set(listed(world.alice)) == {str(for_a.public_id), str(for_b.public_id)}
    assert listed(world.alice, worker=str(world.worker_a.public_id)) == [str(for_a.public_id)]
    assert api(world.reggie).post(f"{url}/approve", {}, content_type="application/json").status_code == 403


def evidence(name: str, content: bytes) -> dict[str, str]:
    return {"name": name, "data": base64.b64encode(content).decode()}


def test_the_api_takes_evidence_as_base64_from_the_requester(world: World) -> None:
    request = ask(world, "worker_a", world.wendy)
    url = f"{API}/{request.public_id}/evidence"
    json_ = "application/json"
    fake = api(world.wendy).post(url, evidence("a.jpg", b"GIF89a"), content_type=json_)
    assert fake.status_code == 422
    assert fake.json()["detail"] == [{"loc": ["body", "evidence"], "msg": "文件内容与扩展名 .jpg 不符"}]
    assert api(world.alice).post(url, evidence("a.png", PNG), content_type=json_).status_code == 403
    for bad_name in ("\r", "..", "../a.png", "dir/a.png"):
        refused = api(world.wendy).post(url, evidence(bad_name, PNG), content_type=json_)
        assert refused.status_code == 422, (bad_name, refused.status_code)
        assert refused.json()["detail"][0]["loc"] == ["body", "name"]
    ok = api(world.wendy).post(url, evidence("a.png", PNG), content_type=json_)
    assert ok.status_code == 200, ok.content
    assert ok.json()["has_evidence"] is True
    request.refresh_from_db()
    with request.evidence.open("rb") as handle:
        assert handle.read() == PNG


def test_the_api_cancels_for_the_requester_with_or_without_a_reason(world: World) -> None:
    first = ask(world, "worker_a", world.wendy)
    second = ask(world, "worker_a", world.wendy, hm="08:00")
    # No body at all is fine: the reason is optional.
    bare = {"data": "", "content_type": "application/json"}
    assert api(world.alice).post(f"{API}/{first.public_id}/cancel", **bare).status_code == 403
    assert api(world.wendy).post(f"{API}/{first.public_id}/cancel", **bare).json()["status"] == "cancelled"
    done = api(world.wendy).post(
        f"{API}/{second.public_id}/cancel", {"note": "已找到刷卡记录"}, content_type="application/json"
    )
    assert done.json()["decision_note"] == "已找到刷卡记录"


@pytest.mark.parametrize("action", ["approve", "reject", "cancel", "evidence"])
def test_junk_bodies_never_cause_a_server_error(world: World, action: str) -> None:
    request = ask(world, "worker_b", world.bob)
    url = f"{API}/{request.public_id}/{action}"
    junk = st.one_of(
        st.binary(max_size=40),
        st.dictionaries(
            st.sampled_from(["note", "name", "data", "x"]),
            st.none() | st.integers() | st.text(max_size=30) | st.lists(st.integers(), max_size=2),
            max_size=3,
        ).map(json.dumps),
        st.sampled_from(['{"name": "a.png", "data": "%%%"}', '{"name": "a", "data": "QUJD"}', "null", "[]"]),
    )

    @settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
    @given(body=junk)
    def post(body: str | bytes) -> None:
        response = api(world.alice).post(url, body, content_type="application/json")
        assert response.status_code in {200, 403, 404, 422}, (body, response.content)

    post()


def test_junk_creates_never_cause_a_server_error(world: World) -> None:
    valid = body(world)
    field_values = (
        st.none()
        | st.integers(min_value=-(2**40), max_value=2**40)
        | st.text(max_size=30)
        | st.sampled_from(
            ["2026-02-30", "25:00", "00:00", "9999-12-31", "0001-01-01", "03", "", "17:30+08:00"]
        )
    )
    mutated = st.dictionaries(st.sampled_from(sorted(valid)), field_values, max_size=2).map(
        lambda d: {**valid, **d}
    )

    @settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
    @given(data=mutated)
    def post(data: dict[str, Any]) -> None:
        response = api(world.alice).post(API, data, content_type="application/json")
        assert response.status_code in {201, 422}, (data, response.content)

    post()
