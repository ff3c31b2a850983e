from __future__ import annotations

import pytest
from stdnum import luhn
from stdnum.cn import ric

from realname.accounts.models import User
from realname.core.demo_data import build_demo
from realname.core.models import AuditEntry
from realname.orgs.models import Participant, Project, Team
from realname.workers.models import BankAccount, Contract, Employment, Worker

pytestmark = pytest.mark.django_db


def test_the_demo_builds_the_promised_installation_and_a_second_run_changes_nothing() -> None:
    first = build_demo(workers=30)
    counts = [
        m.objects.count() for m in (Worker, BankAccount, Employment, Contract, Team, Participant, AuditEntry)
    ]
    assert set(Project.objects.values_list("code", flat=True)) == {"DEMO-1", "DEMO-2"}
    assert first.created_workers == 30 and Worker.objects.count() == 30
    roles = set(Participant.objects.filter(project__code="DEMO-1").values_list("role", flat=True))
    assert {"008", "009", "001", "006", "007"} <= roles
    assert Participant.objects.filter(role="001").values("company").distinct().count() == 3
    assert all(p.sections.count() == 2 and p.teams.exists() for p in Project.objects.all())
    for worker in Worker.objects.all():
        number = worker.id_number()
        assert ric.is_valid(number), "demo IDs have valid checksums and region codes for the birth year"
        assert 18 <= (2026 - worker.birth_date.year) <= 61
    assert all(luhn.is_valid(a.card_number()) for a in BankAccount.objects.all())
    assert Contract.objects.count() == Employment.objects.count() == 30
    logins = {u for u, _r, _s in first.logins}
    assert {
        "admin",
        "gc_admin",
        "pm",
        "labour",
        "team_leader",
        "finance",
        "safety",
        "supervisor",
        "regulator",
    } <= logins
    assert {"worker"} <= logins and User.objects.get(username="admin").is_superuser

    again = build_demo(workers=30)
    assert again.created_workers == 0
    assert counts == [
        m.objects.count() for m in (Worker, BankAccount, Employment, Contract, Team, Participant, AuditEntry)
    ]
