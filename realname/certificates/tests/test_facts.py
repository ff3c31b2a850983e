"""certificate_facts: what admission is told about each employment's required certificates."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from realname.admission.facts import CertificateState
from realname.certificates import services
from realname.certificates.selectors import certificate_facts
from realname.certificates.tests.conftest import certify, kind
from realname.orgs import services as org_services
from realname.testing import World, employ, make_worker
from realname.workers.models import Employment, Worker

pytestmark = pytest.mark.django_db

SHANGHAI = ZoneInfo("Asia/Shanghai")


def at(day: dt.date, hour: int = 12) -> dt.datetime:
    return dt.datetime(day.year, day.month, day.day, hour, tzinfo=SHANGHAI)


def employment(worker: Worker) -> Employment:
    return Employment.objects.get(worker=worker, status="active")


def facts_of(worker: Worker, when: dt.datetime) -> list:
    e = employment(worker)
    return certificate_facts([e], when)[e.pk]


def test_a_trade_without_requirement_has_no_facts(world: World) -> None:
    assert facts_of(world.worker_a, at(dt.date(2026, 6, 1))) == []  # 砌筑工 needs no certificate
    assert certificate_facts([], at(dt.date(2026, 6, 1))) == {}


def test_a_required_certificate_not_held_is_missing(electrician: Worker) -> None:
    [fact] = facts_of(electrician, at(dt.date(2026, 6, 1)))
    assert fact.state == CertificateState.MISSING
    assert fact.requirement == "电工作业资格" and fact.certificate_id is None


def test_the_states_of_a_held_certificate_over_time(electrician: Worker) -> None:
    certificate = certify(electrician, "YJ-DG-DY", issue_date=dt.date(2026, 1, 10), verified=False)
    [fact] = facts_of(electrician, at(dt.date(2026, 6, 1)))
    assert (fact.state, fact.certificate_id, fact.number) == (
        CertificateState.UNVERIFIED,
        certificate.pk,
        certificate.number_masked,
    )
    services.verify_certificate(certificate=certificate, status="verified", by=None)
    [fact] = facts_of(electrician, at(dt.date(2026, 6, 1)))
    assert fact.state == CertificateState.VALID
    assert (fact.expires_on, fact.next_review_on) == (dt.date(2032, 1, 10), dt.date(2029, 1, 10))
    assert facts_of(electrician, at(dt.date(2029, 1, 10)))[0].state == CertificateState.VALID
    assert facts_of(electrician, at(dt.date(2029, 1, 11)))[0].state == CertificateState.REVIEW_OVERDUE
    services.record_review(certificate=certificate, reviewed_on=dt.date(2029, 1, 5))
    assert facts_of(electrician, at(dt.date(2029, 1, 11)))[0].state == CertificateState.VALID
    assert facts_of(electrician, at(dt.date(2032, 1, 11)))[0].state == CertificateState.EXPIRED


def test_a_rejected_certificate_does_not_count(electrician: Worker) -> None:
    certificate = certify(electrician, verified=False)
    services.verify_certificate(certificate=certificate, status="rejected", note="查无此证", by=None)
    assert facts_of(electrician, at(dt.date(2026, 6, 1)))[0].state == CertificateState.MISSING


def test_the_best_of_several_certificates_is_reported(electrician: Worker) -> None:
    certify(electrician, "ZJ-DG", issue_date=dt.date(2023, 1, 1))  # expired 2025-01-01
    unverified = certify(electrician, "YJ-DG-DY", issue_date=dt.date(2025, 1, 1), verified=False)
    [fact] = facts_of(electrician, at(dt.date(2026, 6, 1)))
    assert (fact.state, fact.certificate_id) == (CertificateState.UNVERIFIED, unverified.pk)
    newer = certify(electrician, "ZJ-DG", issue_date=dt.date(2026, 2, 1))
    [fact] = facts_of(electrician, at(dt.date(2026, 6, 1)))
    assert (fact.state, fact.certificate_id) == (CertificateState.VALID, newer.pk)


def test_a_certificate_of_a_type_the_rule_does_not_accept_does_not_count(electrician: Worker) -> None:
    certify(electrician, "YJ-HJ-RH")  # a welding certificate for an electrician
    assert facts_of(electrician, at(dt.date(2026, 6, 1)))[0].state == CertificateState.MISSING


def test_a_project_rule_replaces_the_platform_rule_for_its_trade(world: World, electrician: Worker) -> None:
    certify(electrician, "ZJ-DG")
    services.create_trade_rule(project=world.p1, trade="130", types=[kind("YJ-DG-GY")], label="")
    [fact] = facts_of(electrician, at(dt.date(2026, 6, 1)))
    assert fact.state == CertificateState.MISSING
    assert fact.requirement == "高压电工作业（应急管理）"
    # Another project still follows the platform rule.
    employ(world.worker_c, world.gc_p2, team=world.team_c, trade="130")
    certify(world.worker_c, "ZJ-DG")
    assert facts_of(world.worker_c, at(dt.date(2026, 6, 1)))[0].state == CertificateState.VALID


def test_several_requirements_for_one_trade_give_one_fact_each(world: World, electrician: Worker) -> None:
    services.create_trade_rule(project=world.p1, trade="130", types=[kind("ZJ-DG")], label="住建电工证")
    services.create_trade_rule(project=world.p1, trade="130", types=[kind("YJ-GC-AZ")], label="高处作业证")
    certify(electrician, "ZJ-DG")
    facts = facts_of(electrician, at(dt.date(2026, 6, 1)))
    assert {(f.requirement, f.state) for f in facts} == {
        ("住建电工证", CertificateState.VALID),
        ("高处作业证", CertificateState.MISSING),
    }


def test_dates_compare_in_the_projects_time_zone(world: World, electrician: Worker) -> None:
    certify(electrician, "ZJ-DG", issue_date=dt.date(2026, 1, 10))  # valid through 2028-01-10
    late_utc = dt.datetime(2028, 1, 10, 17, 0, tzinfo=dt.UTC)  # already the 11th in Shanghai
    assert facts_of(electrician, late_utc)[0].state == CertificateState.EXPIRED
    org_services.update_project(project=world.p1, time_zone="Europe/London")
    assert facts_of(electrician, late_utc)[0].state == CertificateState.VALID


def test_the_number_of_queries_does_not_grow_with_the_employments(world: World) -> None:
    def build(n: int) -> list[Employment]:
        made = []
        for i in range(n):
            worker = make_worker()
            made.append(
                employ(worker, world.gc_p1, team=world.team_a, trade=("130", "030", "270", "010")[i % 4])
            )
            if i % 2:
                certify(worker, ("ZJ-DG", "ZJ-JZ-PT", "YJ-HJ-RH", "ZJ-DG")[i % 4])
        return made

    few, many = build(3), build(24)
    services.create_trade_rule(project=world.p1, trade="030", types=[kind("YJ-GC-DG")])
    counts = []
    for employments in (few, many):
        with CaptureQueriesContext(connection) as queries:
            facts = certificate_facts(employments, at(dt.date(2026, 6, 1)))
        counts.append(len(queries))
        assert set(facts) == {e.pk for e in employments}
    assert counts[0] == counts[1] <= 4
