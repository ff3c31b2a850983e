"""End to end: a worker from registration to training passed to certificate added to admitted, then the
certificate expires and the gate's next getrequest carries the deletion — with every reason on the roster,
in the API and beside the command in the device's queue."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from django.test import Client
from django.urls import reverse

from realname.admission import services as admission
from realname.admission.models import AdmissionStatus
from realname.attendance import services as attendance
from realname.attendance.models import DeviceKind
from realname.certificates import services as certificates
from realname.certificates.models import CertificateType
from realname.testing import PASSWORD, World, employ, make_worker, new_id_number
from realname.training import services as training
from realname.workers import services as workers
from realname.workers.models import IdentityCheck

pytestmark = pytest.mark.django_db


def login(user: object) -> Client:
    client = Client()
    assert client.login(username=user.username, password=PASSWORD)  # type: ignore[attr-defined]
    return client


def codes(employment_pk: int) -> list[str]:
    return [r["code"] for r in AdmissionStatus.objects.get(employment_id=employment_pk).reasons]


def test_registration_to_admission_and_expiry_reaches_the_gate(world: World) -> None:
    zone = ZoneInfo(world.p1.time_zone)
    gate = attendance.register_device(project=world.p1, kind=DeviceKind.ZKTECO, serial="ZKWALK1", name="东门")
    alice = login(world.alice)

    # A course with a one-question exam, required of every electrician on P1.
    bank = training.create_bank(company=world.company_a, title="电工安全题库")
    training.add_question(
        bank=bank, kind="true_false", text="带电作业前必须验电", options=["对", "错"], correct=[0]
    )
    course = training.create_course(
        company=world.company_a,
        title="项目级安全教育",
        training_type="003002",
        level="project",
        exam_bank=bank,
        exam_question_count=1,
        exam_pass_mark=60,
        exam_time_limit_minutes=30,
    )
    plan = training.create_plan(project=world.p1, name="电工入场", trade="130")
    training.add_plan_course(plan=plan, course=course, validity_months=12)

    # Registration and entry: an electrician with a contract, nothing else yet.
    id_number = new_id_number(age=40)
    worker = make_worker("赵电工", id_number=id_number, registered_by_company=world.company_a)
    employment = employ(worker, world.gc_p1, trade="130", entry_date=dt.date(2026, 11, 1))
    workers.create_contract(
        employment=employment,
        pay_type="daily",
        daily_rate="400.00",
        period_type="0",
        start_date=dt.date(2026, 11, 1),
        end_date=dt.date(2027, 10, 31),
        signed_on=dt.date(2026, 11, 1),
    )
    admission.process_rechecks()
    assert codes(employment.pk) == ["identity_unverified", "training_not_passed", "certificate_missing"]
    roster = alice.get(reverse("workers:employment_list"), {"project": world.p1.public_id}).content.decode()
    assert "未通过培训：项目级安全教育" in roster and "缺少特种作业证书" in roster
    api = alice.get(f"/api/v1/projects/P1/admission/{worker.public_id}").json()
    assert [r["code"] for r in api["reasons"]] == [
        "identity_unverified",
        "training_not_passed",
        "certificate_missing",
    ]

    # Identity checked, exam passed.
    workers.verify_identity(worker=worker, method=IdentityCheck.CARD_READER, by=world.alice)
    attempt = training.start_exam(employment=employment, course=course)
    result = training.submit_exam(attempt=attempt, answers={q: [0] for q in attempt.question_ids})
    assert result.attempt.passed is True
    admission.process_rechecks()
    assert codes(employment.pk) == ["certificate_missing"]

    # The certificate, checked against the register: admitted, and the gate is told to add the person.
    electrician = CertificateType.objects.get(code="ZJ-DG")  # 住建 建筑电工, seeded
    certificate = certificates.add_certificate(
        worker=worker,
        type=electrician,
        number="建(电)2025000123",
        holder_name="赵电工",
        holder_id_number=id_number,
        issuing_authority="北京市住房和城乡建设委员会",
        issue_date=dt.date(2025, 1, 10),
    )
    certificates.verify_certificate(certificate=certificate, status="verified", by=world.alice)
    admission.process_rechecks()
    status = AdmissionStatus.objects.get(employment=employment)
    assert status.allowed is True
    assert status.changes_at == dt.datetime.combine(
        certificate.expires_on + dt.timedelta(days=1), dt.time(0), zone
    )
    device = Client()
    served = device.get("/iclock/getrequest", {"SN": gate.serial}).content.decode()
    assert "DATA UPDATE USERINFO" in served and "赵电工" in served
    pin = served.split("PIN=")[1].split("\t")[0].strip()

    # Nobody acts; the day after the certificate's last day the decision lapses and the gate hears of it.
    admission.refresh_due(now=status.changes_at + dt.timedelta(minutes=1))
    assert codes(employment.pk) == ["certificate_expired"]
    served = device.get("/iclock/getrequest", {"SN": gate.serial}).content.decode()
    assert f"DATA DELETE USERINFO PIN={pin}" in served
    queue = alice.get(
        reverse("attendance:device_commands", kwargs={"device_id": gate.public_id})
    ).content.decode()
    assert "证书已过期" in queue
