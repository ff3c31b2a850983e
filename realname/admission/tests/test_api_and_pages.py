"""The admission API and pages: the decision with every reason, the allow-list, the blacklist's
permissions, the roster badge, the identity check form, the policy pages — and scope (404 outside it)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client
from django.urls import reverse
from django.utils.html import escape

from realname.admission import services
from realname.admission.models import AgePolicy, BlacklistEntry
from realname.testing import PASSWORD, World
from realname.workers import services as workers
from realname.workers.models import Contract, Employment, IdentityCheck

pytestmark = pytest.mark.django_db


def login(user: object) -> Client:
    client = Client()
    assert client.login(username=user.username, password=PASSWORD)  # type: ignore[attr-defined]
    return client


def qualify(employment: Employment) -> None:
    workers.verify_identity(worker=employment.worker, method=IdentityCheck.CARD_READER)
    workers.update_contract(
        contract=Contract.objects.get(employment=employment), signed_on=employment.entry_date
    )


def test_the_decision_endpoint_lists_every_reason_with_code_and_message(world: World) -> None:
    client = login(world.alice)
    url = f"/api/v1/projects/P1/admission/{world.worker_b.public_id}"
    body = client.get(url).json()
    assert body["allowed"] is False
    assert [r["code"] for r in body["reasons"]] == ["identity_unverified", "no_contract"]
    assert body["reasons"][0]["message"] == "身份未核验（证件原件、读卡器或人证比对）"
    qualify(Employment.objects.get(worker=world.worker_b, project=world.p1))
    now = client.get(url).json()
    assert (now["allowed"], now["reasons"], now["project"]) == (True, [], "P1")
    # Before the employment started: the reason says when it starts.
    early = client.get(url, {"at": "2026-02-01T08:00:00+08:00"}).json()
    assert [r["code"] for r in early["reasons"]] == ["employment_not_started", "no_contract"]
    assert "2026-03-01" in early["reasons"][0]["message"]


def test_a_worker_without_employment_on_the_project_is_told_so(world: World) -> None:
    body = login(world.admin).get(f"/api/v1/projects/P1/admission/{world.worker_c.public_id}").json()
    assert "no_employment" in [r["code"] for r in body["reasons"]]


def test_out_of_scope_projects_and_workers_are_not_found(world: World) -> None:
    charlie = login(world.charlie)
    assert charlie.get(f"/api/v1/projects/P1/admission/{world.worker_a.public_id}").status_code == 404
    bob = login(world.bob)  # the subcontractor's labour manager does not see the GC's own people
    assert bob.get(f"/api/v1/projects/P1/admission/{world.worker_a.public_id}").status_code == 404
    assert bob.get(f"/api/v1/projects/P1/admission/{world.worker_b.public_id}").status_code == 200
    assert login(world.charlie).get(reverse("admission:project", kwargs={"code": "P1"})).status_code == 404


def test_the_allow_list_endpoint_shows_the_stored_decisions_in_scope(world: World) -> None:
    qualify(Employment.objects.get(worker=world.worker_a, project=world.p1))
    services.refresh(world.p1)
    rows = login(world.alice).get("/api/v1/projects/P1/admission").json()["items"]
    assert {(r["worker_name"], r["allowed"]) for r in rows} == {
        (world.worker_a.name, True),
        (world.worker_b.name, False),
    }
    denied = login(world.alice).get("/api/v1/projects/P1/admission", {"allowed": "false"}).json()["items"]
    assert [r["worker_name"] for r in denied] == [world.worker_b.name]
    assert {r["code"] for r in denied[0]["reasons"]} == {"identity_unverified", "no_contract"}
    assert [
        r["worker_name"] for r in login(world.bob).get("/api/v1/projects/P1/admission").json()["items"]
    ] == [world.worker_b.name]


def test_blacklist_api_levels_and_removal(world: World) -> None:
    bob = login(world.bob)
    payload = {"worker": str(world.worker_b.public_id), "level": "platform", "reason": "冒用他人身份"}
    refused = bob.post("/api/v1/blacklist", payload, content_type="application/json")
    assert refused.status_code == 403
    assert "平台管理员" in refused.json()["detail"]
    payload.update(level="project", project="P1")
    created = bob.post("/api/v1/blacklist", payload, content_type="application/json")
    assert created.status_code == 201, created.content
    entry_id = created.json()["id"]
    no_reason = bob.post(
        f"/api/v1/blacklist/{entry_id}/remove", {"reason": ""}, content_type="application/json"
    )
    assert no_reason.status_code == 422
    removed = bob.post(
        f"/api/v1/blacklist/{entry_id}/remove", {"reason": "核实为误报"}, content_type="application/json"
    )
    assert removed.status_code == 200 and removed.json()["removal_reason"] == "核实为误报"
    listed = bob.get("/api/v1/blacklist").json()["items"]
    assert [e["removal_reason"] for e in listed] == ["核实为误报"]
    # Out of scope: charlie cannot blacklist bob's worker (404), nor see the entry.
    charlie = login(world.charlie)
    assert charlie.post("/api/v1/blacklist", payload, content_type="application/json").status_code == 404
    assert charlie.get("/api/v1/blacklist").json()["items"] == []


def test_the_roster_shows_a_badge_with_the_reasons(world: World) -> None:
    qualify(Employment.objects.get(worker=world.worker_a, project=world.p1))
    services.refresh(world.p1)
    page = (
        login(world.alice)
        .get(reverse("workers:employment_list"), {"project": world.p1.public_id})
        .content.decode()
    )
    assert "准入" in page and "不准入" in page
    assert "身份未核验（证件原件、读卡器或人证比对）" in page
    assert "没有在有效期内的已签订劳动合同" in page


def test_the_identity_check_form_records_the_method(world: World) -> None:
    client = login(world.alice)
    url = reverse("workers:worker_verify_identity", kwargs={"public_id": world.worker_a.public_id})
    assert client.post(url, {"method": "face_match"}).status_code == 302
    world.worker_a.refresh_from_db()
    assert world.worker_a.identity_check == "face_match" and world.worker_a.identity_checked_by == world.alice
    page = client.get(reverse("workers:worker_detail", kwargs={"public_id": world.worker_a.public_id}))
    assert "已核验" in page.content.decode()
    # A regulator sees the worker but may not record a check.
    assert login(world.reggie).post(url, {"method": "face_match"}).status_code == 403


def test_the_project_page_lists_denied_first_and_refreshes(world: World) -> None:
    client = login(world.alice)
    url = reverse("admission:project", kwargs={"code": "P1"})
    assert client.post(reverse("admission:project_refresh", kwargs={"code": "P1"})).status_code == 302
    page = client.get(url, {"allowed": "0"}).content.decode()
    assert world.worker_b.name in page and "没有在有效期内的已签订劳动合同" in page
    assert (
        login(world.reggie).post(reverse("admission:project_refresh", kwargs={"code": "P1"})).status_code
        == 403
    )


def test_blacklist_pages_add_and_remove_with_a_reason(world: World) -> None:
    client = login(world.alice)
    create = reverse("admission:blacklist_create") + f"?worker={world.worker_a.public_id}"
    response = client.post(
        create,
        {"level": "project", "project": world.p1.pk, "reason": "酒后上岗", "starts_on": "2026-11-01"},
    )
    assert response.status_code == 302
    entry = BlacklistEntry.objects.get(worker=world.worker_a)
    assert entry.created_by == world.alice and entry.project == world.p1
    detail = client.get(reverse("workers:worker_detail", kwargs={"public_id": world.worker_a.public_id}))
    assert "酒后上岗" in detail.content.decode()
    remove = reverse("admission:blacklist_remove", kwargs={"public_id": entry.public_id})
    assert (
        "解除原因" in client.post(remove, {"reason": ""}).content.decode()
    )  # the form again, with the error
    assert client.post(remove, {"reason": "已接受安全教育"}).status_code == 302
    entry.refresh_from_db()
    assert entry.removed_by == world.alice
    assert "已接受安全教育" in login(world.alice).get(reverse("admission:blacklist")).content.decode()


def test_only_platform_admins_edit_national_age_lines(world: World) -> None:
    line = AgePolicy.objects.get(region_prefix="", project__isnull=True)
    url = reverse("admission:policy_edit", kwargs={"public_id": line.public_id})
    assert login(world.alice).post(url, {"name": "x", "min_age": 18}).status_code == 403
    admin = login(world.admin)
    response = admin.post(url, {"name": "全国：18 周岁以上", "min_age": 18, "source": "测试"})
    assert response.status_code == 302
    line.refresh_from_db()
    assert line.min_age == 18
    page = admin.get(reverse("admission:policies")).content.decode()
    assert "全国：18 周岁以上" in page and "上海：男性 18–59 周岁" in page


def test_a_company_admin_adds_a_line_for_their_own_project_only(world: World) -> None:
    client = login(world.alice)
    url = reverse("admission:policy_create")
    response = client.post(url, {"name": "P1 特殊", "project": world.p1.pk, "max_age": 55})
    assert response.status_code == 302
    assert AgePolicy.objects.get(name="P1 特殊").project == world.p1
    other = client.post(url, {"name": "P2 特殊", "project": world.p2.pk, "max_age": 55})
    assert other.status_code == 200 and not AgePolicy.objects.filter(name="P2 特殊").exists()


def test_the_identity_check_api_records_it_and_refuses_a_made_up_method(world: World) -> None:
    client = login(world.alice)
    url = f"/api/v1/workers/{world.worker_a.public_id}/verify-identity"
    bad = client.post(url, {"method": "looked_honest"}, content_type="application/json")
    assert bad.status_code == 422
    assert "核验方式" in bad.content.decode()
    good = client.post(url, {"method": "card_reader"}, content_type="application/json")
    assert good.status_code == 200
    assert good.json()["identity_check"] == "card_reader" and good.json()["identity_checked_at"]
    assert (
        login(world.reggie).post(url, {"method": "card_reader"}, content_type="application/json").status_code
        == 403
    )


def test_a_worker_sees_their_own_admission_and_training_link_on_the_home_page(world: World) -> None:
    services.refresh(world.p1)
    page = login(world.wendy).get("/").content.decode()  # wendy is worker_a's account
    assert "我的准入" in page and "不准入" in page
    assert "身份未核验（证件原件、读卡器或人证比对）" in page
    assert reverse("training:my_training") in page
    assert "我的准入" not in login(world.alice).get("/").content.decode()


def test_every_reason_reads_the_same_on_the_roster_the_api_and_the_gates_queue(world: World) -> None:
    """One stored decision carrying every reason code: each message shows on the roster and the admission
    page, each code and message in the allow-list API, and each message beside the gate's removal."""
    from django.utils import timezone

    from realname.admission.models import AdmissionStatus
    from realname.admission.rules import Code, Reason
    from realname.attendance import services as attendance
    from realname.attendance.allowlist import AllowListChange, sync_allowlist
    from realname.attendance.models import DeviceKind

    params = {
        "entry_date": "2026-12-01",
        "exit_date": "2026-10-31",
        "course": "项目级安全教育",
        "expired_at": "2026-10-01T08:00",
        "requirement": "建筑电工（住建）",
        "number": "建(电)001",
        "expires_on": "2026-10-01",
        "next_review_on": "2026-09-01",
        "level": "project",
        "starts_on": "2026-01-01",
        "ends_on": "",
        "reason": "酒后上岗",
        "age": "61",
        "policy": "上海：男性 18–59 周岁",
        "min_age": "18",
        "max_age": "59",
    }
    reasons = [Reason(code, params) for code in Code]
    b = Employment.objects.get(worker=world.worker_b, project=world.p1)
    now = timezone.now()
    AdmissionStatus.objects.create(
        employment=b,
        project=world.p1,
        worker=world.worker_b,
        allowed=False,
        reasons=[r.as_json() for r in reasons],
        decided_at=now,
        changed_at=now,
    )
    gate = attendance.register_device(project=world.p1, kind=DeviceKind.ZKTECO, serial="ZKALL1", name="东门")
    attendance.map_person(project=world.p1, ref_kind="pin", ref="5", employment=b)
    sync_allowlist(
        project=world.p1, changes=[AllowListChange(b.pk, False, None, tuple(r.message for r in reasons))]
    )
    client = login(world.alice)
    roster = client.get(reverse("workers:employment_list"), {"project": world.p1.public_id}).content.decode()
    page = client.get(reverse("admission:project", kwargs={"code": "P1"})).content.decode()
    queue = client.get(
        reverse("attendance:device_commands", kwargs={"device_id": gate.public_id})
    ).content.decode()
    listed = client.get("/api/v1/projects/P1/admission", {"allowed": "false"}).json()["items"][0]["reasons"]
    assert [r["code"] for r in listed] == [str(code) for code in Code]
    for reason, shown in zip(reasons, listed, strict=True):
        message = reason.message
        assert shown["message"] == message
        assert "{" not in message
        for surface, html in (("roster", roster), ("admission page", page), ("gate queue", queue)):
            assert escape(message) in html, (surface, reason.code)


def test_a_worker_gets_the_self_service_menu_and_office_staff_the_full_one(world: World) -> None:
    worker_page = login(world.wendy).get("/").content.decode()
    assert reverse("training:my_training") in worker_page
    assert reverse("core:audit_list") not in worker_page and reverse("workers:import") not in worker_page
    office = login(world.alice).get("/").content.decode()
    assert reverse("core:audit_list") in office and reverse("admission:blacklist") in office


def test_a_listed_trade_can_be_moved_back_to_normal_work(world: World) -> None:
    from realname.admission.models import TradeRiskClass

    admin = login(world.admin)
    response = admin.post(reverse("admission:trade_risk_edit"), {"trade": "030", "risk_class": "normal"})
    assert response.status_code == 302
    assert TradeRiskClass.objects.get(trade="030").risk_class == "normal"
    assert login(world.alice).post(reverse("admission:trade_risk_edit"), {"trade": "030"}).status_code == 403


def test_another_projects_age_line_is_not_found(world: World) -> None:
    line = AgePolicy.objects.create(name="P2 专用", project=world.p2, max_age=55)
    url = reverse("admission:policy_edit", kwargs={"public_id": line.public_id})
    assert login(world.alice).get(url).status_code == 404
    assert login(world.charlie).get(url).status_code == 200


def test_a_subcontractors_manager_cannot_lift_the_general_contractors_project_entry(world: World) -> None:
    entry = services.add_to_blacklist(
        worker=world.worker_b,
        level="project",
        project=world.p1,
        reason="总包安全部列入",
        starts_on=dt.date(2026, 1, 1),
        by=world.alice,
    )
    url = f"/api/v1/blacklist/{entry.public_id}/remove"
    refused = login(world.bob).post(url, {"reason": "我方认为无需"}, content_type="application/json")
    assert refused.status_code == 403
    own = services.add_to_blacklist(
        worker=world.worker_b,
        level="project",
        project=world.p1,
        reason="分包列入",
        starts_on=dt.date(2026, 1, 1),
        by=world.bob,
    )
    lifted = login(world.bob).post(
        f"/api/v1/blacklist/{own.public_id}/remove", {"reason": "已整改"}, content_type="application/json"
    )
    assert lifted.status_code == 200
    assert (
        login(world.alice).post(url, {"reason": "已整改"}, content_type="application/json").status_code == 200
    )
