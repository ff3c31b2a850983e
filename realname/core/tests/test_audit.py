from __future__ import annotations

import pytest
from django.db import DatabaseError, connection, transaction

from realname.core import db_triggers
from realname.core.context import acting_as
from realname.core.models import AuditAction, AuditEntry
from realname.orgs import services as org_services
from realname.testing import World, make_company

pytestmark = pytest.mark.django_db


def test_creating_and_changing_a_record_is_audited_with_who_and_where(world: World) -> None:
    with acting_as(world.alice, ip_address="10.1.2.3"):
        company = make_company("审计测试有限公司")
        org_services.update_company(company=company, address="上海市徐汇区")
    entries = list(AuditEntry.objects.filter(object_id=str(company.public_id)).order_by("id"))
    assert [e.action for e in entries] == [AuditAction.CREATE, AuditAction.UPDATE]
    assert entries[1].actor == world.alice and entries[1].ip_address == "10.1.2.3"
    assert entries[1].changes == {"address": ["", "上海市徐汇区"]}


def test_an_update_that_changes_nothing_writes_nothing(world: World) -> None:
    before = AuditEntry.objects.count()
    org_services.update_company(company=world.company_a, name=world.company_a.name)
    assert AuditEntry.objects.count() == before


def test_sensitive_columns_never_enter_the_audit_log(world: World) -> None:
    entry = AuditEntry.objects.filter(
        object_type="workers.Worker", object_id=str(world.worker_a.public_id)
    ).get()
    assert entry.changes["id_number_enc"] == "***"
    assert world.worker_a.id_number() not in str(entry.changes)


def test_the_audit_log_refuses_changes_in_code(world: World) -> None:
    entry = AuditEntry.objects.first()
    assert entry is not None
    with pytest.raises(PermissionError):
        entry.save()
    with pytest.raises(PermissionError):
        entry.delete()
    with pytest.raises(PermissionError):
        AuditEntry.objects.all().delete()
    with pytest.raises(PermissionError):
        AuditEntry.objects.update(note="x")


@pytest.mark.parametrize(
    "statement", ["UPDATE core_auditentry SET note = 'x'", "DELETE FROM core_auditentry"]
)
def test_the_audit_log_refuses_changes_in_the_database(world: World, statement: str) -> None:
    db_triggers.install(connection)  # what migration core.0002 does outside the test suite
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(statement)
    assert AuditEntry.objects.exclude(note="x").count() == AuditEntry.objects.count() > 0
