"""The demo certificates: the right workers get them, in the promised mix, and a second run adds nothing."""

from __future__ import annotations

import pytest
from django.utils import timezone

from realname.admission.facts import CertificateState
from realname.certificates.demo import seed_certificates
from realname.certificates.models import Certificate
from realname.certificates.selectors import certificate_facts, project_today
from realname.core.demo_data import build_demo
from realname.orgs.models import Project
from realname.workers.models import Employment, Worker

pytestmark = pytest.mark.django_db


def test_demo_certificates_cover_the_trades_that_need_them_and_are_idempotent() -> None:
    build_demo(workers=30)  # seeds both demo projects' certificates; DEMO-1's are checked here
    project = Project.objects.get(code="DEMO-1")
    seed_certificates(project)
    first = sorted(Certificate.objects.values_list("pk", "number_index"))
    seed_certificates(project)
    assert sorted(Certificate.objects.values_list("pk", "number_index")) == first
    employments = list(Employment.objects.filter(project=project, status="active"))
    needing = [e for e in employments if e.trade in {"130", "030", "270", "170", "180"}]
    assert needing, "DEMO-1 has 架子工 and 电焊工 teams"
    facts = certificate_facts(needing, timezone.now())
    states = [f.state for e in needing for f in facts[e.pk]]
    assert CertificateState.MISSING not in states
    assert states.count(CertificateState.EXPIRED) == 1
    assert states.count(CertificateState.UNVERIFIED) == 1
    assert states.count(CertificateState.VALID) == len(needing) - 2
    today = project_today(project, timezone.now())
    on_project = Certificate.objects.filter(worker__employments__project=project).distinct()
    expiring = [
        c for c in on_project.filter(verification_status="verified") if 0 <= (c.expires_on - today).days <= 30
    ]
    assert 1 <= len(expiring) <= 3
    assert set(on_project.values_list("worker_id", flat=True)) == {e.worker_id for e in needing}


def test_a_demo_emergency_certificate_is_numbered_with_the_id_and_kept_masked(electrician: Worker) -> None:
    from realname.certificates import services
    from realname.certificates.tests.conftest import kind

    project = Employment.objects.get(worker=electrician, status="active").project
    services.create_trade_rule(trade="130", types=[kind("YJ-DG-DY")], project=project)
    seed_certificates(project)
    certificate = Certificate.objects.get(worker=electrician)
    assert certificate.type.code == "YJ-DG-DY"
    assert certificate.full_number() == electrician.id_number()
    assert certificate.number_masked == electrician.id_number_masked != electrician.id_number()
