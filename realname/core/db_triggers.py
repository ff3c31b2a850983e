"""Database triggers that make the audit log append-only (UPDATE, DELETE and TRUNCATE refused).

Installed by migration core.0002 unless REALNAME_AUDIT_TRIGGERS is false — only the test suite turns them
off, because Django's transactional tests empty every table between tests; the tests install them
themselves where they check them, and a test migrates a real database file and checks they are there.

Beware: on SQLite a later migration that alters core_auditentry rebuilds the table and drops these
triggers; such a migration must call :func:`install` again.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

INSTALL = {
    "sqlite": [
        """CREATE TRIGGER IF NOT EXISTS core_auditentry_no_update BEFORE UPDATE ON core_auditentry
           BEGIN SELECT RAISE(ABORT, 'audit entries are append-only'); END""",
        """CREATE TRIGGER IF NOT EXISTS core_auditentry_no_delete BEFORE DELETE ON core_auditentry
           BEGIN SELECT RAISE(ABORT, 'audit entries are append-only'); END""",
    ],
    "postgresql": [
        """CREATE OR REPLACE FUNCTION core_auditentry_append_only() RETURNS trigger AS $$
           BEGIN RAISE EXCEPTION 'audit entries are append-only'; END; $$ LANGUAGE plpgsql""",
        "DROP TRIGGER IF EXISTS core_auditentry_no_change ON core_auditentry",
        """CREATE TRIGGER core_auditentry_no_change BEFORE UPDATE OR DELETE ON core_auditentry
           FOR EACH ROW EXECUTE FUNCTION core_auditentry_append_only()""",
        "DROP TRIGGER IF EXISTS core_auditentry_no_truncate ON core_auditentry",
        """CREATE TRIGGER core_auditentry_no_truncate BEFORE TRUNCATE ON core_auditentry
           FOR EACH STATEMENT EXECUTE FUNCTION core_auditentry_append_only()""",
    ],
}
UNINSTALL = {
    "sqlite": [
        "DROP TRIGGER IF EXISTS core_auditentry_no_update",
        "DROP TRIGGER IF EXISTS core_auditentry_no_delete",
    ],
    "postgresql": [
        "DROP TRIGGER IF EXISTS core_auditentry_no_change ON core_auditentry",
        "DROP TRIGGER IF EXISTS core_auditentry_no_truncate ON core_auditentry",
        "DROP FUNCTION IF EXISTS core_auditentry_append_only()",
    ],
}


def run(connection: Any, statements: Mapping[str, list[str]]) -> None:
    """Execute the statements given for this connection's database (the other apps' triggers use it too:
    realname/payroll/db_triggers.py, realname/bank/db_triggers.py)."""
    with connection.cursor() as cursor:
        for sql in statements.get(connection.vendor, []):
            cursor.execute(sql)


def install(connection: Any) -> None:
    run(connection, INSTALL)


def uninstall(connection: Any) -> None:
    run(connection, UNINSTALL)
