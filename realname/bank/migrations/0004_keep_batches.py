"""Database triggers that refuse to delete bank batches, their lines and return files
(see realname/bank/db_triggers.py)."""

from __future__ import annotations

from django.conf import settings
from django.db import migrations

from realname.bank import db_triggers


def install(apps, schema_editor):  # type: ignore[no-untyped-def]
    if settings.REALNAME_AUDIT_TRIGGERS:
        db_triggers.install(schema_editor.connection)


def uninstall(apps, schema_editor):  # type: ignore[no-untyped-def]
    db_triggers.uninstall(schema_editor.connection)


class Migration(migrations.Migration):
    dependencies = [("bank", "0003_batches")]

    operations = [migrations.RunPython(install, uninstall)]
