"""Loaded by pytest as a plugin (`-p realname.testenv`, see pyproject) before Django reads its settings:
fixed test keys (never used outside tests) and no local key file."""

from __future__ import annotations

import os

os.environ["REALNAME_TESTING"] = "1"
# Django's transactional tests empty every table; the append-only triggers would refuse. The tests that
# check the triggers install them (realname/core/tests/test_audit.py, test_encryption_at_rest.py).
os.environ["REALNAME_AUDIT_TRIGGERS"] = "false"
os.environ["REALNAME_DB_CONN_MAX_AGE"] = "0"  # no connection outlives a test (live-server threads)
os.environ["REALNAME_KEY_FILE"] = "/nonexistent/realname-test-keys.env"
os.environ["REALNAME_DATA_KEYS"] = "t1:dGVzdC1kYXRhLWtleS10ZXN0LWRhdGEta2V5LTAwMDA"
os.environ["REALNAME_LEDGER_SIGNING_KEY"] = "bGVkZ2VyLXRlc3Qtc2lnbmluZy1rZXktMDAwMDAwMDA"
os.environ["REALNAME_INDEX_KEY"] = "dGVzdC1pbmRleC1rZXktdGVzdC1pbmRleC1rZXktMDA"
