"""Database triggers that refuse UPDATE and DELETE on the audit log (see realname/core/db_triggers.py)."""

from __future__ import annotations

from django.conf import settings
from django.db import migrations

from realname.core import db_triggers


def install(apps, schema_editor):  # type: ignore[no-untyped-def]
    if settings.REALNAME_AUDIT_TRIGGERS:
        db_triggers.install(schema_editor.connection)


def uninstall(apps, schema_editor):  # type: ignore[no-untyped-def]
    db_triggers.uninstall(schema_editor.connection)


class Migration(migrations.Migration):
    dependencies = [("core", "0001_initial")]

    operations = [migrations.RunPython(install, uninstall)]
