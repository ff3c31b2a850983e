"""Database triggers that keep every bank batch, its lines and its return files: none can be deleted
(issue 5: "nothing of a batch can be deleted"). A batch that should not be paid is cancelled, not deleted.

Installed by migration bank.0004 unless REALNAME_AUDIT_TRIGGERS is false (as for the audit log and the pay
sheets, only the test suite turns them off; the test that checks them installs them itself).
"""

from __future__ import annotations

from typing import Any

from realname.core import db_triggers

TABLES = ("bank_bankbatch", "bank_bankbatchline", "bank_bankreturnfile")

INSTALL = {
    "sqlite": [
        f"""CREATE TRIGGER IF NOT EXISTS {table}_no_delete BEFORE DELETE ON {table}
           BEGIN SELECT RAISE(ABORT, 'bank batches are never deleted'); END"""
        for table in TABLES
    ],
    "postgresql": [
        """CREATE OR REPLACE FUNCTION bank_keep_batches() RETURNS trigger AS $$
           BEGIN
             RAISE EXCEPTION 'bank batches are never deleted (%)', TG_TABLE_NAME;
           END; $$ LANGUAGE plpgsql""",
        *(
            statement
            for table in TABLES
            for statement in (
                f"DROP TRIGGER IF EXISTS {table}_no_delete ON {table}",
                f"""CREATE TRIGGER {table}_no_delete BEFORE DELETE ON {table}
                   FOR EACH ROW EXECUTE FUNCTION bank_keep_batches()""",
            )
        ),
    ],
}
UNINSTALL = {
    "sqlite": [f"DROP TRIGGER IF EXISTS {table}_no_delete" for table in TABLES],
    "postgresql": [
        *(f"DROP TRIGGER IF EXISTS {table}_no_delete ON {table}" for table in TABLES),
        "DROP FUNCTION IF EXISTS bank_keep_batches()",
    ],
}


def install(connection: Any) -> None:
    db_triggers.run(connection, INSTALL)


def uninstall(connection: Any) -> None:
    db_triggers.run(connection, UNINSTALL)
