"""Loaded by pytest as a plugin (`-p realname.testenv`, see pyproject) before Django reads its settings:
fixed test keys (never used outside tests) and no local key file."""

from __future__ import annotations

import os

os.environ["REALNAME_TESTING"] = "1"
os.environ["REALNAME_KEY_FILE"] = "/nonexistent/realname-test-keys.env"
os.environ["REALNAME_DATA_KEYS"] = "t1:dGVzdC1kYXRhLWtleS10ZXN0LWRhdGEta2V5LTAwMDA"
os.environ["REALNAME_INDEX_KEY"] = "dGVzdC1pbmRleC1rZXktdGVzdC1pbmRleC1rZXktMDA"
