"""The certificates API: list (filters), read, register, verify, record a review; types and trade rules;
scope (404 outside, 403 read-only) and Chinese 422 messages."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from realname.accounts.models import User
from realname.accounts.services import create_api_token
from realname.certificates.models import Certificate
from realname.certificates.tests.conftest import certify
from realname.testing import World

pytestmark = pytest.mark.django_db

BASE = "/api/v1/certificates"


def api(user: User) -> Client:
    return Client(headers={"Authorization": f"Bearer {create_api_token(user=user).text}"})


def post(client: Client, path: str, body: dict[str, Any]) -> Any:
    return client.post(path, body, content_type="application/json")


def numbers(response: Any) -> set[str]:
    assert response.status_code == 200, response.content
    return {item["number"] for item in response.json()["items"]}


def body_for(world: World, **extra: Any) -> dict[str, Any]:
    data = {
        "worker": str(world.worker_a.public_id),
        "type": "zj-dg",
        "number": "京A042026000555",
        "holder_name": world.worker_a.name,
        "holder_id_number": world.worker_a.id_number(),
        "issuing_authority": "北京市住房和城乡建设委员会",
        "issue_date": "2026-02-01",
    }
    data.update(extra)
    return data


def test_register_verify_and_review_a_certificate(world: World, sam: User) -> None:
    client = api(sam)
    created = post(client, BASE, body_for(world, type="YJ-DG-DY", issue_date="2026-01-10"))
    assert created.status_code == 201, created.content
    data = created.json()
    assert data["expires_on"] == "2032-01-10" and data["next_review_on"] == "2029-01-10"
    assert data["holder_id_masked"] == world.worker_a.id_number_masked
    assert data["verification_status"] == "unverified"
    assert world.worker_a.id_number() not in created.content.decode()
    path = f"{BASE}/{data['id']}"
    verified = post(client, f"{path}/verify", {"status": "verified", "note": "查询一致"})
    assert verified.status_code == 200 and verified.json()["verified_by"] == "sam"
    reviewed = post(client, f"{path}/reviews", {"kind": "review", "reviewed_on": "2029-01-02"})
    assert reviewed.status_code == 201, reviewed.content
    assert reviewed.json()["next_review_on"] is None
    assert reviewed.json()["reviews"][0]["kind"] == "review"
    assert client.get(path).json()["last_reviewed_on"] == "2029-01-02"


def test_mistakes_are_422_in_chinese(world: World, sam: User) -> None:
    client = api(sam)
    wrong_holder = post(client, BASE, body_for(world, holder_id_number=world.worker_b.id_number()))
    assert wrong_holder.status_code == 422
    assert "证件号码不一致" in wrong_holder.json()["detail"][0]["msg"]
    assert "未知的证书类型" in post(client, BASE, body_for(world, type="NOPE")).json()["detail"][0]["msg"]
    assert post(client, BASE, body_for(world)).status_code == 201
    duplicate = post(client, BASE, body_for(world))
    assert duplicate.status_code == 422 and "相同编号" in duplicate.json()["detail"][0]["msg"]
    certificate = Certificate.objects.get()
    bad = post(client, f"{BASE}/{certificate.public_id}/verify", {"status": "rejected"})
    assert bad.status_code == 422 and "请说明" in bad.json()["detail"][0]["msg"]
    review = post(
        client, f"{BASE}/{certificate.public_id}/reviews", {"kind": "review", "reviewed_on": "2027-01-01"}
    )
    assert review.status_code == 422 and "延期复核" in review.json()["detail"][0]["msg"]
    odd = post(client, f"{BASE}/{certificate.public_id}/reviews", {"kind": "x", "reviewed_on": "2027-01-01"})
    assert odd.status_code == 422


def test_scope_404_outside_and_403_for_readers(world: World) -> None:
    certificate = certify(world.worker_a)
    path = f"{BASE}/{certificate.public_id}"
    charlie = api(world.charlie)
    assert charlie.get(path).status_code == 404
    assert post(charlie, f"{path}/verify", {"status": "verified"}).status_code == 404
    assert numbers(charlie.get(BASE)) == set()
    outside = post(charlie, BASE, body_for(world, number="X-2"))
    assert outside.status_code == 422 and outside.json()["detail"][0]["loc"] == ["body", "worker"]
    reggie = api(world.reggie)
    assert reggie.get(path).status_code == 200
    assert post(reggie, f"{path}/verify", {"status": "verified"}).status_code == 403
    assert post(reggie, BASE, body_for(world, number="X-3")).status_code == 403
    wendy = api(world.wendy)
    assert numbers(wendy.get(BASE)) == {certificate.number_masked}
    assert api(world.bob).get(path).status_code == 404  # worker_a is the general contractor's


def test_list_filters(world: World, sam: User) -> None:
    today = timezone.localdate()
    soon = certify(world.worker_a, issue_date=today - dt.timedelta(days=715))
    later = certify(world.worker_b, issue_date=today - dt.timedelta(days=10))
    other = certify(world.worker_c)
    admin = api(world.admin)
    assert numbers(admin.get(BASE)) == {soon.number_masked, later.number_masked, other.number_masked}
    assert numbers(admin.get(BASE, {"worker": str(world.worker_b.public_id)})) == {later.number_masked}
    assert numbers(admin.get(BASE, {"project": "P1"})) == {soon.number_masked, later.number_masked}
    assert numbers(admin.get(BASE, {"project": "P1", "expiring_within": 30})) == {soon.number_masked}
    assert numbers(api(world.charlie).get(BASE, {"project": "P1"})) == set()
    assert numbers(api(sam).get(BASE, {"worker": str(world.worker_c.public_id)})) == set()


def test_types_and_trade_rules_are_listed(world: World) -> None:
    client = api(world.alice)
    types = client.get(f"{BASE}/types", {"limit": 100}).json()["items"]
    assert {"ZJ-DG", "YJ-DG-DY", "SJ-N1"} <= {t["code"] for t in types}
    rules = client.get(f"{BASE}/trade-rules", {"trade": "130"}).json()["items"]
    assert [(r["trade"], r["project"]) for r in rules] == [("130", None)]
    assert {t["code"] for t in rules[0]["types"]} == {"ZJ-DG", "YJ-DG-DY"}


def test_a_renewal_of_an_expired_certificate_is_422_in_chinese(world: World, sam: User) -> None:
    certificate = certify(world.worker_a, "ZJ-DG", issue_date=dt.date(2023, 3, 1))  # expired 2025-03-01
    path = f"{BASE}/{certificate.public_id}/reviews"
    refused = post(api(sam), path, {"kind": "renewal", "reviewed_on": "2025-03-02"})
    assert refused.status_code == 422
    assert "证书已过期，不能办理延期复核，须重新取证" in refused.json()["detail"][0]["msg"]
    early = post(api(sam), path, {"kind": "renewal", "reviewed_on": "2024-06-01"})
    assert early.status_code == 422 and "2024-12-01 起" in early.json()["detail"][0]["msg"]
    certificate.refresh_from_db()
    assert certificate.expires_on == dt.date(2025, 3, 1) and not certificate.reviews.exists()
