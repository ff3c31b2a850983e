"""Certificate numbers at rest: an 应急管理 操作证 is numbered with the holder's ID number, so numbers are
encrypted, found and kept unique through a blind index, shown masked everywhere (pages, API, admission facts,
warnings), and shown in full only through an audited reveal for those who manage the worker's certificates."""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test import Client
from django.urls import reverse

from realname.accounts.models import User
from realname.accounts.services import create_api_token
from realname.certificates import jobs, numbers, services
from realname.certificates.models import Certificate
from realname.certificates.selectors import certificate_facts
from realname.certificates.tests.conftest import certify
from realname.core.models import AuditAction, AuditEntry
from realname.notifications.models import Notification
from realname.testing import World
from realname.workers.models import Employment, Worker

pytestmark = pytest.mark.django_db


def id_certificate(worker: Worker, **fields: Any) -> Certificate:
    """An 应急管理 低压电工作业 操作证 numbered, as they are, with the holder's ID number."""
    return certify(worker, "YJ-DG-DY", number=worker.id_number(), **fields)


def reveals(certificate: Certificate) -> list[AuditEntry]:
    return list(AuditEntry.objects.filter(action=AuditAction.REVEAL, object_id=str(certificate.public_id)))


def raw_row(certificate: Certificate) -> str:
    """Every column of the certificate's row as the database holds it."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT * FROM certificates_certificate WHERE id = %s", [certificate.pk])
        return " ".join(str(value) for value in cursor.fetchone())


def api(user: User) -> Client:
    return Client(headers={"Authorization": f"Bearer {create_api_token(user=user).text}"})


def post(client: Client, path: str, body: dict[str, Any] | None = None) -> Any:
    return client.post(path, body or {}, content_type="application/json")


# --- the pure helpers --------------------------------------------------------------------------------------


def test_id_like_numbers_are_masked_and_others_stay_readable() -> None:
    assert numbers.mask("110105194912310021") == "110105********0021"
    assert numbers.mask(" 11010519491231002x ") == "110105********002X"
    assert numbers.mask("T110105194912310021") == "T110105********0021"  # an ID inside a longer number
    assert numbers.mask("110105491231002") == "110105*****1002"  # a 15-digit (first-generation) ID
    assert numbers.mask("京a04 2026000555") == "京A042026000555"  # a 住建 number is not personal data
    assert numbers.is_id_like("T110105194912310021") and not numbers.is_id_like("京A042026000555")


def test_the_index_is_of_the_normalised_number_and_hides_it() -> None:
    assert numbers.index(" 11010519491231002x") == numbers.index("11010519491231002X")
    assert numbers.index("110105194912310021") != numbers.index("110105194912310022")
    assert "110105194912310021" not in numbers.index("110105194912310021")
    assert numbers.decrypt(numbers.encrypt(" 京a04 2026000555")) == "京A042026000555"


# --- stored encrypted --------------------------------------------------------------------------------------


def test_an_id_numbered_certificate_keeps_no_plaintext_in_its_row_or_the_audit_log(world: World) -> None:
    plain = world.worker_a.id_number()
    certificate = id_certificate(world.worker_a)
    row = raw_row(certificate)
    assert plain not in row and plain[6:14] not in row  # not even the birth date part
    assert certificate.number_masked == world.worker_a.id_number_masked and "*" in certificate.number_masked
    assert Certificate.objects.get(pk=certificate.pk).full_number() == plain
    assert not any(plain in f"{e.changes} {e.object_repr} {e.note}" for e in AuditEntry.objects.all())


def test_the_ciphertext_is_bound_to_its_column(world: World) -> None:
    from realname.core import crypto

    certificate = id_certificate(world.worker_a)
    with pytest.raises(crypto.DecryptionError):
        crypto.decrypt(certificate.number_enc, context="workers.Worker.id_number")


def test_uniqueness_per_type_is_by_blind_index(world: World) -> None:
    plain = world.worker_a.id_number()
    id_certificate(world.worker_a)
    with pytest.raises(ValidationError) as caught:
        certify(world.worker_a, "YJ-DG-DY", number=f" {plain.lower()[:9]} {plain.lower()[9:]} ")
    assert "相同编号" in str(caught.value)
    assert Certificate.objects.filter(number_index=numbers.index(plain)).count() == 1
    certify(world.worker_a, "YJ-HJ-RH", number=plain)  # another type may carry the same number
    found = services.find_certificates(number=plain.lower())
    assert sorted(c.type.code for c in found) == ["YJ-DG-DY", "YJ-HJ-RH"]
    assert not services.find_certificates(number="").exists()


def test_a_correction_to_the_same_number_changes_nothing_and_a_new_number_resets_the_check(
    world: World,
) -> None:
    certificate = id_certificate(world.worker_a)
    stored = (certificate.number_enc, certificate.number_index)
    services.update_certificate(certificate=certificate, number=f" {world.worker_a.id_number().lower()} ")
    certificate.refresh_from_db()
    assert (certificate.number_enc, certificate.number_index) == stored
    assert certificate.verification_status == "verified"
    services.update_certificate(certificate=certificate, number="T2026000002")
    certificate.refresh_from_db()
    assert certificate.full_number() == "T2026000002" and certificate.number_masked == "T2026000002"
    assert certificate.number_index == numbers.index("T2026000002")
    assert certificate.verification_status == "unverified"
    with pytest.raises(ValidationError) as caught:
        services.update_certificate(certificate=certificate, number="   ")
    assert "请填写证书编号" in caught.value.message_dict["number"][0]


def test_a_number_longer_than_the_column_is_refused_on_the_number_field(world: World) -> None:
    with pytest.raises(ValidationError) as caught:
        certify(world.worker_a, number="A" * 61)
    assert "60" in caught.value.message_dict["number"][0]


# --- shown masked ------------------------------------------------------------------------------------------


def test_admission_facts_carry_the_masked_number(electrician: Worker) -> None:
    certificate = id_certificate(electrician)
    employment = Employment.objects.get(worker=electrician, status="active")
    when = dt.datetime(2026, 6, 1, 12, tzinfo=dt.UTC)
    [fact] = certificate_facts([employment], when)[employment.pk]
    assert fact.certificate_id == certificate.pk
    assert fact.number == electrician.id_number_masked and electrician.id_number() not in fact.number


def test_warnings_carry_the_masked_number(electrician: Worker, sam: User) -> None:
    id_certificate(electrician, issue_date=dt.date(2023, 7, 1))  # review due 2026-07-01
    morning = dt.datetime(2026, 6, 1, 8, tzinfo=dt.UTC)
    assert jobs.run_certificate_warnings(morning) == 2
    bodies = list(Notification.objects.values_list("body", flat=True))
    assert len(bodies) == 2
    assert all(electrician.id_number_masked in b and electrician.id_number() not in b for b in bodies)


def test_pages_and_api_show_only_the_masked_number(client: Client, world: World, sam: User) -> None:
    plain = world.worker_a.id_number()
    certificate = id_certificate(world.worker_a)
    client.force_login(sam)
    pages = [
        client.get(reverse("certificates:worker_certificates", args=[world.worker_a.public_id])),
        client.get(reverse("certificates:expiring_list") + "?days=3660"),
        client.get(reverse("certificates:certificate_verify", args=[certificate.public_id])),
        client.get(reverse("certificates:certificate_edit", args=[certificate.public_id])),
    ]
    for page in pages:
        assert page.status_code == 200
        assert plain not in page.content.decode()
    assert certificate.number_masked in pages[0].content.decode()
    assert reverse("certificates:certificate_reveal_number", args=[certificate.public_id]) in (
        pages[0].content.decode()
    )
    listing = api(sam).get("/api/v1/certificates")
    detail = api(sam).get(f"/api/v1/certificates/{certificate.public_id}")
    assert [item["number"] for item in listing.json()["items"]] == [certificate.number_masked]
    assert detail.json()["number"] == certificate.number_masked
    assert plain not in listing.content.decode() + detail.content.decode()
    assert not reveals(certificate), "showing pages reveals nothing"


def test_no_reveal_button_for_a_number_with_nothing_masked(client: Client, world: World, sam: User) -> None:
    certificate = certify(world.worker_a, number="京A042026000555")
    client.force_login(sam)
    page = client.get(reverse("certificates:worker_certificates", args=[world.worker_a.public_id]))
    assert "京A042026000555" in page.content.decode()
    assert reverse("certificates:certificate_reveal_number", args=[certificate.public_id]) not in (
        page.content.decode()
    )


# --- the audited reveal ------------------------------------------------------------------------------------


def test_the_reveal_service_audits_and_returns_the_plaintext(world: World) -> None:
    certificate = id_certificate(world.worker_a)
    plain = services.reveal_number(certificate=certificate, reason="核对发证机关登记")
    assert plain == world.worker_a.id_number()
    [entry] = reveals(certificate)
    assert (entry.changes, entry.note, entry.object_type) == (
        {"field": "number"},
        "核对发证机关登记",
        "certificates.Certificate",
    )
    assert world.worker_a.id_number() not in entry.object_repr


def test_a_certificate_manager_reveals_the_number_on_the_page_and_it_is_audited(
    client: Client, world: World, sam: User, caplog: Any
) -> None:
    plain = world.worker_a.id_number()
    certificate = id_certificate(world.worker_a)
    url = reverse("certificates:certificate_reveal_number", args=[certificate.public_id])
    client.force_login(sam)
    assert client.get(url).status_code == 405
    with caplog.at_level(logging.DEBUG):
        response = client.post(url, {"reason": "到应急管理部查询平台核验"})
    assert response.status_code == 200 and plain in response.content.decode()
    assert "no-store" in response["Cache-Control"]
    [entry] = reveals(certificate)
    assert (entry.actor, entry.note, entry.changes) == (sam, "到应急管理部查询平台核验", {"field": "number"})
    assert plain not in caplog.text
    fragment = client.post(url, headers={"HX-Request": "true"}).content.decode()
    assert fragment.startswith(f'<span id="number-{certificate.public_id}">') and plain in fragment
    assert len(reveals(certificate)) == 2


def test_the_page_reveal_is_404_out_of_scope_and_403_for_readers(client: Client, world: World) -> None:
    certificate = id_certificate(world.worker_a)
    url = reverse("certificates:certificate_reveal_number", args=[certificate.public_id])
    client.force_login(world.charlie)
    assert client.post(url).status_code == 404
    for reader in (world.reggie, world.wendy):
        client.force_login(reader)
        response = client.post(url)
        assert response.status_code == 403 and world.worker_a.id_number() not in response.content.decode()
    assert not reveals(certificate)


def test_the_api_reveal_is_audited_and_refused_out_of_scope(world: World, sam: User) -> None:
    plain = world.worker_a.id_number()
    certificate = id_certificate(world.worker_a)
    path = f"/api/v1/certificates/{certificate.public_id}/reveal-number"
    assert post(api(world.charlie), path).status_code == 404
    assert post(api(world.reggie), path).status_code == 403
    assert post(api(sam), "/api/v1/certificates/not-a-uuid/reveal-number").status_code == 404
    assert not reveals(certificate)
    response = post(api(sam), path, {"reason": "核验"})
    assert response.status_code == 200 and "no-store" in response["Cache-Control"]
    assert response.json() == {"id": str(certificate.public_id), "number": plain}
    assert post(api(sam), path).status_code == 200  # the reason is optional
    entries = reveals(certificate)
    assert sorted(e.note for e in entries) == ["", "核验"] and all(e.actor == sam for e in entries)


def test_the_audit_trail_keeps_no_ciphertext_or_index_of_the_number(world: World) -> None:
    certificate = id_certificate(world.worker_a)
    entry = AuditEntry.objects.filter(action=AuditAction.CREATE, object_id=str(certificate.public_id)).latest(
        "pk"
    )
    assert entry.changes["number_enc"] == "***" and entry.changes["number_index"] == "***"
    assert certificate.number_enc not in str(entry.changes)
    assert certificate.number_index not in str(entry.changes)
