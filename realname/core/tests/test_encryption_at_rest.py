"""Seed a real SQLite database file through the demo command, then read the file's raw bytes: no ID number
or bank card number may appear in plaintext anywhere in it (tables, indexes, free pages, WAL)."""

from __future__ import annotations

import os
import re
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings

from realname.core import crypto
from realname.workers.models import CARD_CONTEXT, ID_CONTEXT


def _run(args: list[str], env: dict[str, str]) -> None:
    subprocess.run(
        [sys.executable, "manage.py", *args], cwd=settings.BASE_DIR, env=env, check=True, capture_output=True
    )


def test_no_plaintext_id_or_card_number_is_stored_in_the_database_file(tmp_path: Path) -> None:
    db = tmp_path / "rest.sqlite3"
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{db}",
        "REALNAME_VAR_DIR": str(tmp_path),
        "REALNAME_AUDIT_TRIGGERS": "true",  # as in production
    }
    _run(["migrate", "--no-input", "-v0"], env)
    _run(["demo", "--no-serve", "--workers", "25"], env)

    with sqlite3.connect(db) as conn:
        ids = [
            crypto.decrypt(v, context=ID_CONTEXT)
            for (v,) in conn.execute("SELECT id_number_enc FROM workers_worker")
        ]
        cards = [
            crypto.decrypt(v, context=CARD_CONTEXT)
            for (v,) in conn.execute("SELECT card_number_enc FROM workers_bankaccount")
        ]
        masked = [m for (m,) in conn.execute("SELECT id_number_masked FROM workers_worker")]
        triggers = {n for (n,) in conn.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'")}
        with pytest.raises(sqlite3.DatabaseError, match="append-only"):
            conn.execute("DELETE FROM core_auditentry")
    # A migrated database keeps its audit log append-only (a later table rebuild would drop the triggers).
    assert {"core_auditentry_no_update", "core_auditentry_no_delete"} <= triggers
    assert len(ids) == 25 and len(cards) == 25
    assert all(re.fullmatch(r"\d{6}\*{8}\d{3}[\dX]", m) for m in masked)

    raw = b"".join(p.read_bytes() for p in tmp_path.glob("rest.sqlite3*"))
    for number in ids + cards:
        assert number.encode() not in raw, "a plaintext number is in the database file"
        # nor its middle part (e.g. a birth date + sequence run that would betray the number)
        assert number[4:16].encode() not in raw
