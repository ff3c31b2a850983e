"""The data migration that encrypts existing certificate numbers (0004–0006), forwards and back."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from realname.certificates import numbers
from realname.certificates.models import Certificate, CertificateType
from realname.testing import make_worker

BEFORE = [("certificates", "0003_window_help_texts")]
AFTER = [("certificates", "0006_drop_plain_number")]


def migrate(targets: list[tuple[str, str]]) -> MigrationExecutor:
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return MigrationExecutor(connection)


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_existing_numbers_are_encrypted_indexed_masked_and_the_way_back_restores_them() -> None:
    worker = make_worker(name="迁移测试")
    plain = worker.id_number()
    ids = dict(CertificateType.objects.filter(code__in=["YJ-DG-DY", "ZJ-DG"]).values_list("code", "pk"))
    try:
        old_apps = migrate(BEFORE).loader.project_state(BEFORE).apps
        OldCertificate = old_apps.get_model("certificates", "Certificate")
        common = {
            "worker_id": worker.pk,
            "holder_name": worker.name,
            "holder_id_masked": worker.id_number_masked,
            "issuing_authority": "北京市应急管理局",
            "issue_date": dt.date(2026, 1, 10),
            "expires_on": dt.date(2032, 1, 10),
        }
        OldCertificate.objects.create(type_id=ids["YJ-DG-DY"], number=plain, **common)
        OldCertificate.objects.create(type_id=ids["ZJ-DG"], number="京A042026000555", **common)

        migrate(AFTER)
        by_type = {c.type.code: c for c in Certificate.objects.select_related("type")}
        emergency, housing = by_type["YJ-DG-DY"], by_type["ZJ-DG"]
        assert emergency.full_number() == plain and emergency.number_index == numbers.index(plain)
        assert emergency.number_masked == worker.id_number_masked
        assert housing.full_number() == "京A042026000555" and housing.number_masked == "京A042026000555"
        with connection.cursor() as cursor:
            cursor.execute("SELECT * FROM certificates_certificate")
            assert plain not in str(cursor.fetchall())

        old_apps = migrate(BEFORE).loader.project_state(BEFORE).apps
        restored = old_apps.get_model("certificates", "Certificate").objects.order_by("type_id")
        assert sorted(restored.values_list("number", flat=True)) == sorted([plain, "京A042026000555"])
    finally:
        migrate(AFTER)
