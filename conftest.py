"""Test-wide setup: fixed test keys (never used outside tests) before Django reads its settings."""

from __future__ import annotations

import os

os.environ.setdefault("REALNAME_TESTING", "1")
os.environ.setdefault("REALNAME_DATA_KEYS", "t1:" + "dGVzdC1kYXRhLWtleS10ZXN0LWRhdGEta2V5LTAwMDA")
os.environ.setdefault("REALNAME_INDEX_KEY", "dGVzdC1pbmRleC1rZXktdGVzdC1pbmRleC1rZXktMDA")
os.environ.setdefault("REALNAME_KEY_FILE", "/nonexistent/realname-test-keys.env")
