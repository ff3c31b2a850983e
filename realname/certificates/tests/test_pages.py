"""The certificate pages: a worker's certificates, add/edit/verify/review/delete, scans, the expiring list,
types and trade rules — and who is refused (charlie sees nothing of P1; reggie and wendy only read)."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from realname.accounts.models import ScopeKind, User
from realname.accounts.roles import Role
from realname.certificates import services
from realname.certificates.models import Certificate, CertificateScan, CertificateType, TradeRule
from realname.certificates.tests.conftest import certify, kind
from realname.testing import World, employ, make_user
from realname.workers.models import Worker

pytestmark = pytest.mark.django_db

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32


def as_user(client: Client, user: User) -> Client:
    client.force_login(user)
    return client


def html(response: Any) -> str:
    return response.content.decode()


def new_certificate(worker: Worker, **extra: str) -> dict[str, str]:
    data = {
        "type": str(kind("ZJ-DG").public_id),
        "number": "京A042026000123",
        "holder_name": worker.name,
        "holder_id_number": worker.id_number(),
        "issuing_authority": "北京市住房和城乡建设委员会",
        "issue_date": "2026-02-01",
    }
    data.update(extra)
    return data


def test_the_safety_officer_registers_a_certificate_with_its_default_expiry(
    client: Client, world: World, sam: User
) -> None:
    as_user(client, sam)
    url = reverse("certificates:certificate_create", args=[world.worker_a.public_id])
    response = client.post(url, new_certificate(world.worker_a))
    assert response.status_code == 302, html(response)
    certificate = Certificate.objects.get()
    assert certificate.expires_on == dt.date(2028, 2, 1)
    page = client.get(reverse("certificates:worker_certificates", args=[world.worker_a.public_id]))
    assert "京A042026000123" in html(page) and "未核验" in html(page)
    assert world.worker_a.id_number() not in html(page)


def test_the_add_form_says_which_certificates_the_workers_trade_needs(
    client: Client, world: World, electrician: Worker, sam: User
) -> None:
    as_user(client, sam)
    page = html(client.get(reverse("certificates:certificate_create", args=[electrician.public_id])))
    assert "在 P1 从事建筑电工须持有以下证书之一" in page and "低压电工作业" in page


def test_the_workers_page_reads_a_fixed_number_of_queries(client: Client, world: World, sam: User) -> None:
    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            response = client.get(
                reverse("certificates:worker_certificates", args=[world.worker_a.public_id])
            )
        assert response.status_code == 200
        return len(queries)

    as_user(client, sam)
    certify(world.worker_a, "ZJ-DG")
    one = count()
    for code in ("YJ-DG-DY", "YJ-HJ-RH", "ZJ-JZ-PT"):
        certify(world.worker_a, code)
    assert count() == one


def test_a_holder_id_that_is_not_the_workers_is_refused_on_the_form(
    client: Client, world: World, sam: User
) -> None:
    as_user(client, sam)
    url = reverse("certificates:certificate_create", args=[world.worker_a.public_id])
    response = client.post(url, new_certificate(world.worker_a, holder_id_number=world.worker_b.id_number()))
    assert response.status_code == 200
    assert "与该工人的证件号码不一致" in html(response)
    assert not Certificate.objects.exists()


def test_verify_review_edit_and_delete_through_the_pages(client: Client, world: World, sam: User) -> None:
    certificate = certify(world.worker_a, "YJ-DG-DY", issue_date=dt.date(2026, 1, 10), verified=False)
    as_user(client, sam)
    verify = reverse("certificates:certificate_verify", args=[certificate.public_id])
    assert "核验不符时请说明情况" in html(client.post(verify, {"status": "rejected", "note": ""}))
    assert client.post(verify, {"status": "verified", "note": "应急管理部查询一致"}).status_code == 302
    certificate.refresh_from_db()
    assert certificate.verification_status == "verified" and certificate.verified_by == sam
    review = reverse("certificates:certificate_review", args=[certificate.public_id])
    assert client.post(review, {"kind": "review", "reviewed_on": "2028-12-01"}).status_code == 302
    certificate.refresh_from_db()
    assert certificate.next_review_on is None and certificate.last_reviewed_on == dt.date(2028, 12, 1)
    edit = reverse("certificates:certificate_edit", args=[certificate.public_id])
    form = client.get(edit)
    assert certificate.holder_id_masked in html(form)
    data = {
        "type": str(certificate.type.public_id),
        "number": "NEW-NUMBER-1",
        "holder_name": certificate.holder_name,
        "holder_id_number": "",
        "issuing_authority": certificate.issuing_authority,
        "issue_date": "2026-01-10",
        "expires_on": "2032-01-10",
        "next_review_on": "",
    }
    assert client.post(edit, data).status_code == 302
    certificate.refresh_from_db()
    assert certificate.full_number() == "NEW-NUMBER-1" and certificate.number_masked == "NEW-NUMBER-1"
    assert certificate.verification_status == "unverified"
    delete = reverse("certificates:certificate_delete", args=[certificate.public_id])
    assert client.post(delete, {"reason": ""}).status_code == 200  # a reason is required
    assert client.post(delete, {"reason": "重复登记"}).status_code == 302
    assert not Certificate.objects.exists()


def test_scans_are_checked_by_content_renamed_and_served_only_in_scope(
    client: Client, world: World, sam: User
) -> None:
    certificate = certify(world.worker_a)
    as_user(client, sam)
    upload = reverse("certificates:scan_create", args=[certificate.public_id])
    fake = SimpleUploadedFile("张甲-证书.png", b"not an image at all", content_type="image/png")
    assert "文件内容与扩展名" in html(client.post(upload, {"file": fake, "caption": "正面"}))
    real = SimpleUploadedFile("张甲-证书.png", PNG, content_type="image/png")
    assert client.post(upload, {"file": real, "caption": "正面"}).status_code == 302
    scan = CertificateScan.objects.get()
    assert "张甲" not in scan.file.name and scan.file.name.endswith(".png")
    listing = html(client.get(reverse("certificates:worker_certificates", args=[world.worker_a.public_id])))
    assert reverse("certificates:scan_file", args=[scan.public_id]) in listing and "正面" in listing
    served = client.get(reverse("certificates:scan_file", args=[scan.public_id]))
    assert served.status_code == 200 and served["Cache-Control"] == "private, no-store"
    assert b"".join(served.streaming_content) == PNG
    as_user(client, world.charlie)
    assert client.get(reverse("certificates:scan_file", args=[scan.public_id])).status_code == 404
    as_user(client, world.reggie)
    assert client.get(reverse("certificates:scan_file", args=[scan.public_id])).status_code == 200
    assert client.post(reverse("certificates:scan_delete", args=[scan.public_id])).status_code == 403
    as_user(client, sam)
    assert client.post(reverse("certificates:scan_delete", args=[scan.public_id])).status_code == 302
    assert not CertificateScan.objects.exists()


def test_charlie_sees_nothing_of_p1(client: Client, world: World) -> None:
    certificate = certify(world.worker_a)
    as_user(client, world.charlie)
    for url in (
        reverse("certificates:worker_certificates", args=[world.worker_a.public_id]),
        reverse("certificates:certificate_create", args=[world.worker_a.public_id]),
        reverse("certificates:certificate_edit", args=[certificate.public_id]),
        reverse("certificates:certificate_verify", args=[certificate.public_id]),
        reverse("certificates:certificate_review", args=[certificate.public_id]),
        reverse("certificates:certificate_delete", args=[certificate.public_id]),
        reverse("certificates:scan_create", args=[certificate.public_id]),
    ):
        assert client.get(url).status_code == 404, url
    listing = client.get(reverse("certificates:expiring_list") + "?days=3660")
    assert certificate.number_masked not in html(listing)


def test_readers_may_look_but_not_change(client: Client, world: World) -> None:
    certificate = certify(world.worker_a)
    for reader in (world.reggie, world.wendy):
        as_user(client, reader)
        page = client.get(reverse("certificates:worker_certificates", args=[world.worker_a.public_id]))
        assert page.status_code == 200 and certificate.number_masked in html(page)
        assert reverse("certificates:certificate_verify", args=[certificate.public_id]) not in html(page)
        for url in (
            reverse("certificates:certificate_create", args=[world.worker_a.public_id]),
            reverse("certificates:certificate_verify", args=[certificate.public_id]),
        ):
            assert client.get(url).status_code == 403, (reader, url)
    as_user(client, world.wendy)
    other = reverse("certificates:worker_certificates", args=[world.worker_b.public_id])
    assert client.get(other).status_code == 404


def test_bob_manages_only_his_own_peoples_certificates(client: Client, world: World) -> None:
    mine, theirs = certify(world.worker_b), certify(world.worker_a)
    as_user(client, world.bob)
    assert client.get(reverse("certificates:certificate_verify", args=[mine.public_id])).status_code == 200
    assert client.get(reverse("certificates:certificate_verify", args=[theirs.public_id])).status_code == 404


def test_the_expiring_list_shows_a_projects_certificates_due_soon(
    client: Client, world: World, sam: User
) -> None:
    today = timezone.localdate()
    soon = certify(world.worker_a, issue_date=today - dt.timedelta(days=720))  # expires in ~10 days
    later = certify(world.worker_b, issue_date=today - dt.timedelta(days=100))
    as_user(client, sam)
    url = reverse("certificates:expiring_list") + f"?project={world.p1.public_id}"
    with CaptureQueriesContext(connection) as queries:
        page = html(client.get(url))
    assert soon.number_masked in page and later.number_masked not in page
    assert "即将到期" in page
    assert len(queries) < 20
    assert later.number_masked in html(client.get(url + "&days=3660"))


def test_types_are_edited_only_in_platform_scope(client: Client, world: World) -> None:
    as_user(client, world.alice)
    assert client.get(reverse("certificates:type_list")).status_code == 200
    assert client.get(reverse("certificates:type_create")).status_code == 403
    as_user(client, world.admin)
    data = {
        "regime": "market",
        "code": "sj-q2x",
        "name": "起重机司机（Q2 桥门式）",
        "category": "起重机械作业",
        "sub_item": "",
        "validity_months": "48",
        "renewal_window_days": "90",
        "review_interval_months": "",
        "review_window_days": "0",
        "active": "on",
        "note": "",
    }
    assert client.post(reverse("certificates:type_create"), data).status_code == 302
    created = CertificateType.objects.get(code="SJ-Q2X")
    edit = reverse("certificates:type_edit", args=[created.public_id])
    assert client.post(edit, {**data, "validity_months": "0"}).status_code == 200  # refused, shown
    assert client.post(edit, {**data, "validity_months": "60"}).status_code == 302
    created.refresh_from_db()
    assert created.validity_months == 60


def test_project_rules_are_edited_with_policy_on_that_project(client: Client, world: World) -> None:
    platform = TradeRule.objects.get(project__isnull=True, trade="130")
    as_user(client, world.alice)
    assert client.get(reverse("certificates:rule_edit", args=[platform.public_id])).status_code == 403
    create = reverse("certificates:rule_create")
    data = {"trade": "130", "label": "", "types": [str(kind("YJ-DG-GY").public_id)]}
    refused = client.post(create, data)  # a project is required below platform scope
    assert refused.status_code == 200 and not TradeRule.objects.filter(trade="130").exclude(pk=platform.pk)
    response = client.post(create, {**data, "project": str(world.p2.public_id)})
    assert response.status_code == 200 and not TradeRule.objects.filter(project=world.p2).exists()
    assert client.post(create, {**data, "project": str(world.p1.public_id)}).status_code == 302
    rule = TradeRule.objects.get(project=world.p1)
    assert [t.code for t in rule.types.all()] == ["YJ-DG-GY"]
    listing = html(client.get(reverse("certificates:rule_list")))
    assert "高压电工作业" in listing
    as_user(client, world.charlie)
    assert client.get(reverse("certificates:rule_edit", args=[rule.public_id])).status_code == 404
    assert client.post(reverse("certificates:rule_delete", args=[rule.public_id])).status_code == 404
    as_user(client, world.alice)
    assert client.post(reverse("certificates:rule_delete", args=[rule.public_id])).status_code == 302
    assert not TradeRule.objects.filter(project=world.p1).exists()


def test_a_subcontractor_cannot_change_the_general_contractors_project_rules(
    client: Client, world: World
) -> None:
    """A project rule replaces the platform rule for every worker of the trade on the project: changing it
    takes project-wide authority (general contractor, owner, supervisor; platform), not a subcontractor's."""
    sub_admin = make_user("subadmin", Role.COMPANY_ADMIN, ScopeKind.COMPANY, company=world.company_b)
    create = reverse("certificates:rule_create")
    strict = {"trade": "130", "label": "", "types": [str(kind("YJ-DG-GY").public_id)]}
    lax = {"trade": "130", "label": "随便", "types": [str(kind("SJ-N1").public_id)]}
    as_user(client, world.alice)
    assert client.post(create, {**strict, "project": str(world.p1.public_id)}).status_code == 302
    rule = TradeRule.objects.get(project=world.p1)
    edit = reverse("certificates:rule_edit", args=[rule.public_id])
    delete = reverse("certificates:rule_delete", args=[rule.public_id])

    as_user(client, sub_admin)
    listing = html(client.get(reverse("certificates:rule_list")))
    assert "高压电工作业" in listing  # may read the project's rules
    assert create not in listing and edit not in listing and delete not in listing
    assert client.get(create).status_code == 403
    assert client.post(create, {**lax, "trade": "270", "project": str(world.p1.public_id)}).status_code == 403
    assert client.get(edit).status_code == 403
    assert client.post(edit, lax).status_code == 403
    assert client.post(delete).status_code == 403
    assert not TradeRule.objects.filter(project=world.p1, trade="270").exists()
    assert [t.code for t in TradeRule.objects.get(pk=rule.pk).types.all()] == ["YJ-DG-GY"]

    as_user(client, world.alice)
    assert edit in html(client.get(reverse("certificates:rule_list")))
    assert client.post(edit, {**strict, "label": "高压电工"}).status_code == 302
    assert TradeRule.objects.get(pk=rule.pk).label == "高压电工"
    assert client.post(delete).status_code == 302
    assert not TradeRule.objects.filter(project=world.p1).exists()


def edit_data(certificate: Certificate, **extra: str) -> dict[str, str]:
    data = {
        "type": str(certificate.type.public_id),
        "number": "",  # blank on the edit form: the number is kept (it is never put back in clear)
        "holder_name": certificate.holder_name,
        "holder_id_number": "",
        "issuing_authority": certificate.issuing_authority,
        "issue_date": certificate.issue_date.isoformat(),
        "expires_on": certificate.expires_on.isoformat(),
        "next_review_on": certificate.next_review_on.isoformat() if certificate.next_review_on else "",
    }
    data.update(extra)
    return data


def test_a_blank_next_review_on_the_edit_form_is_computed_not_deleted(
    client: Client, world: World, sam: User
) -> None:
    certificate = certify(world.worker_a, "YJ-DG-DY", issue_date=dt.date(2022, 1, 10))
    assert certificate.next_review_on == dt.date(2025, 1, 10)
    as_user(client, sam)
    edit = reverse("certificates:certificate_edit", args=[certificate.public_id])
    assert client.post(edit, edit_data(certificate, next_review_on="")).status_code == 302
    certificate.refresh_from_db()
    assert certificate.next_review_on == dt.date(2025, 1, 10)  # the type's rule, not nothing
    assert certificate.verification_status == "verified"  # nothing changed


def test_a_blank_expiry_is_recomputed_when_the_issue_date_changes(
    client: Client, world: World, sam: User
) -> None:
    certificate = certify(world.worker_a, "ZJ-DG", issue_date=dt.date(2026, 1, 10))
    as_user(client, sam)
    edit = reverse("certificates:certificate_edit", args=[certificate.public_id])
    assert client.post(edit, edit_data(certificate, expires_on="")).status_code == 302
    certificate.refresh_from_db()
    assert certificate.expires_on == dt.date(2028, 1, 10)  # unchanged issue date: the expiry stays
    changed = edit_data(certificate, issue_date="2026-03-05", expires_on="")
    assert client.post(edit, changed).status_code == 302
    certificate.refresh_from_db()
    assert certificate.expires_on == dt.date(2028, 3, 5)
    assert certificate.verification_status == "unverified"


def test_the_add_forms_hint_reads_a_fixed_number_of_queries(
    client: Client, world: World, electrician: Worker, sam: User
) -> None:
    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            response = client.get(reverse("certificates:certificate_create", args=[electrician.public_id]))
        assert response.status_code == 200
        return len(queries)

    as_user(client, sam)
    one = count()
    employ(electrician, world.gc_p2, team=world.team_c, trade="030")
    services.create_trade_rule(project=world.p2, trade="030", types=[kind("YJ-GC-DG")], label="登高作业")
    many = count()
    page = html(client.get(reverse("certificates:certificate_create", args=[electrician.public_id])))
    hints = dict(re.findall(r"在 (P\d) 从事[^<：]*须持有以下证书之一：([^<]*)</p>", page))
    assert hints == {"P1": "应急管理 · 低压电工作业、住建 · 建筑电工", "P2": "应急管理 · 登高架设作业"}
    assert many == one


def test_the_review_form_names_the_window_and_refuses_an_expired_certificate(
    client: Client, world: World, sam: User
) -> None:
    certificate = certify(world.worker_a, "ZJ-DG", issue_date=dt.date(2024, 1, 10))  # expires 2026-01-10
    as_user(client, sam)
    review = reverse("certificates:certificate_review", args=[certificate.public_id])
    early = html(client.post(review, {"kind": "renewal", "reviewed_on": "2025-06-01"}))
    assert "还未到延期复核申请期" in early and "2025-10-12 起" in early
    late = html(client.post(review, {"kind": "renewal", "reviewed_on": "2026-01-11"}))
    assert "证书已过期，不能办理延期复核，须重新取证" in late
    assert not certificate.reviews.exists()
    assert client.post(review, {"kind": "renewal", "reviewed_on": "2025-12-20"}).status_code == 302
    certificate.refresh_from_db()
    assert certificate.expires_on == dt.date(2028, 1, 10)
