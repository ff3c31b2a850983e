"""Database triggers that keep approved pay sheets as they were approved.

* a sheet that has left the draft state cannot be deleted;
* a line cannot be deleted unless its sheet is a draft;
* a line of a locked sheet (employer-approved or later, see models.LOCKED_STATUSES) cannot be changed.

Installed by migration payroll.0002 unless REALNAME_AUDIT_TRIGGERS is false (as for the audit log, only
the test suite turns them off, because transactional tests empty every table; the tests that check
them install them themselves).
"""

from __future__ import annotations

from typing import Any

from realname.core import db_triggers
from realname.payroll.models import LOCKED_STATUSES

_LOCKED = ", ".join(f"'{s}'" for s in sorted(str(s) for s in LOCKED_STATUSES))

INSTALL = {
    "sqlite": [
        """CREATE TRIGGER IF NOT EXISTS payroll_sheet_no_delete BEFORE DELETE ON payroll_paysheet
           WHEN OLD.status <> 'draft'
           BEGIN SELECT RAISE(ABORT, 'a pay sheet past the draft cannot be deleted'); END""",
        """CREATE TRIGGER IF NOT EXISTS payroll_line_no_delete BEFORE DELETE ON payroll_payline
           WHEN (SELECT status FROM payroll_paysheet WHERE id = OLD.sheet_id) <> 'draft'
           BEGIN SELECT RAISE(ABORT, 'a line of a pay sheet past the draft cannot be deleted'); END""",
        f"""CREATE TRIGGER IF NOT EXISTS payroll_line_locked BEFORE UPDATE ON payroll_payline
           WHEN (SELECT status FROM payroll_paysheet WHERE id = OLD.sheet_id) IN ({_LOCKED})
           BEGIN SELECT RAISE(ABORT, 'a line of an approved pay sheet cannot be changed'); END""",  # noqa: S608 - our own constants
    ],
    "postgresql": [
        f"""CREATE OR REPLACE FUNCTION payroll_keep_approved() RETURNS trigger AS $$
           DECLARE sheet_status text;
           BEGIN
             IF TG_TABLE_NAME = 'payroll_paysheet' THEN
               IF OLD.status <> 'draft' THEN
                 RAISE EXCEPTION 'a pay sheet past the draft cannot be deleted';
               END IF;
               RETURN OLD;
             END IF;
             SELECT status INTO sheet_status FROM payroll_paysheet WHERE id = OLD.sheet_id;
             IF TG_OP = 'DELETE' AND sheet_status <> 'draft' THEN
               RAISE EXCEPTION 'a line of a pay sheet past the draft cannot be deleted';
             END IF;
             IF TG_OP = 'UPDATE' AND sheet_status IN ({_LOCKED}) THEN
               RAISE EXCEPTION 'a line of an approved pay sheet cannot be changed';
             END IF;
             IF TG_OP = 'DELETE' THEN RETURN OLD; END IF;
             RETURN NEW;
           END; $$ LANGUAGE plpgsql""",  # noqa: S608 - _LOCKED is our own status constants
        "DROP TRIGGER IF EXISTS payroll_sheet_no_delete ON payroll_paysheet",
        """CREATE TRIGGER payroll_sheet_no_delete BEFORE DELETE ON payroll_paysheet
           FOR EACH ROW EXECUTE FUNCTION payroll_keep_approved()""",
        "DROP TRIGGER IF EXISTS payroll_line_keep ON payroll_payline",
        """CREATE TRIGGER payroll_line_keep BEFORE UPDATE OR DELETE ON payroll_payline
           FOR EACH ROW EXECUTE FUNCTION payroll_keep_approved()""",
    ],
}
UNINSTALL = {
    "sqlite": [
        "DROP TRIGGER IF EXISTS payroll_sheet_no_delete",
        "DROP TRIGGER IF EXISTS payroll_line_no_delete",
        "DROP TRIGGER IF EXISTS payroll_line_locked",
    ],
    "postgresql": [
        "DROP TRIGGER IF EXISTS payroll_sheet_no_delete ON payroll_paysheet",
        "DROP TRIGGER IF EXISTS payroll_line_keep ON payroll_payline",
        "DROP FUNCTION IF EXISTS payroll_keep_approved()",
    ],
}


def install(connection: Any) -> None:
    db_triggers.run(connection, INSTALL)


def uninstall(connection: Any) -> None:
    db_triggers.run(connection, UNINSTALL)
