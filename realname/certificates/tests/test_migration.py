"""The data migration that encrypts existing certificate numbers (0004–0006), forwards and back.

It runs in a database file of its own, in a separate process: migrating the test database back and forth
inside the suite would need a transactional test, whose flush and reload of the seeded rows collides with
the rows the other tests leave (see realname/core/tests/test_encryption_at_rest.py for the same pattern).
"""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from pathlib import Path

from django.conf import settings

# Run in the migrated file's own process: certificates of an old schema (0003), migrated to 0006 and back.
SCRIPT = r"""
import datetime as dt, json, sys
import django
django.setup()
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from realname.certificates import numbers
from realname.certificates.models import Certificate, CertificateType
from realname.workers import services

BEFORE = [("certificates", "0003_window_help_texts")]
AFTER = [("certificates", "0006_drop_plain_number")]

def migrate(targets):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return MigrationExecutor(connection).loader.project_state(targets).apps

worker = services.register_worker(name="迁移测试", id_number=sys.argv[1]).worker
plain = worker.id_number()
ids = dict(CertificateType.objects.filter(code__in=["YJ-DG-DY", "ZJ-DG"]).values_list("code", "pk"))
old = migrate(BEFORE).get_model("certificates", "Certificate")
common = dict(worker_id=worker.pk, holder_name=worker.name, holder_id_masked=worker.id_number_masked,
              issuing_authority="北京市应急管理局", issue_date=dt.date(2026, 1, 10),
              expires_on=dt.date(2032, 1, 10))
old.objects.create(type_id=ids["YJ-DG-DY"], number=plain, **common)
old.objects.create(type_id=ids["ZJ-DG"], number="京A042026000555", **common)
migrate(AFTER)
by_type = {c.type.code: c for c in Certificate.objects.select_related("type")}
emergency, housing = by_type["YJ-DG-DY"], by_type["ZJ-DG"]
forwards = {
    "emergency_full": emergency.full_number() == plain,
    "emergency_index": emergency.number_index == numbers.index(plain),
    "emergency_masked": emergency.number_masked == worker.id_number_masked,
    "housing_full": housing.full_number() == "京A042026000555",
    "housing_masked": housing.number_masked == "京A042026000555",
}
restored = migrate(BEFORE).get_model("certificates", "Certificate").objects.values_list("number", flat=True)
back = sorted(restored) == sorted([plain, "京A042026000555"])
migrate(AFTER)
print(json.dumps({**forwards, "back": back}))
"""


def test_existing_numbers_are_encrypted_indexed_masked_and_the_way_back_restores_them(tmp_path: Path) -> None:
    from realname.testing import new_id_number

    db = tmp_path / "migration.sqlite3"
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{db}", "DJANGO_SETTINGS_MODULE": "config.settings"}
    base = settings.BASE_DIR

    def run(*args: str) -> str:
        done = subprocess.run(
            [sys.executable, *args], cwd=base, env=env, check=True, capture_output=True, text=True
        )
        return done.stdout

    run("manage.py", "migrate", "-v0")
    id_number = new_id_number(age=40)
    checks = run("-c", SCRIPT, id_number).strip().splitlines()[-1]
    assert checks == (
        '{"emergency_full": true, "emergency_index": true, "emergency_masked": true, '
        '"housing_full": true, "housing_masked": true, "back": true}'
    )
    # Forwards again at the end: the row as stored holds no plaintext ID number, not even its birth date.
    with sqlite3.connect(db) as raw:
        rows = raw.execute("SELECT * FROM certificates_certificate").fetchall()
    assert len(rows) == 2
    assert id_number not in str(rows) and id_number[6:14] not in str(rows)
