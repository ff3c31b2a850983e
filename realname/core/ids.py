"""Public identifiers for rows written in bulk: time-ordered UUIDs (RFC 9562 version 7).

A version-7 UUID starts with the millisecond it was made, followed by 74 random bits: still unguessable
for the purposes a public id serves (every lookup is scope-checked anyway), but consecutive ids sort
together, so a table that receives thousands a second appends to the end of its unique index instead of
touching a random page of it per row. The ids come from uuid-utils (docs/dependencies.md): generating
one there is a tenth of the cost of ``uuid.uuid4()``, and the gate ingest makes one per punch.
"""

from __future__ import annotations

import uuid

import uuid_utils
from uuid_utils import compat


def time_ordered_uuid() -> uuid.UUID:
    """A new version-7 UUID as the standard library's type (for model field defaults)."""
    return compat.uuid7()


def time_ordered_uuid_text() -> str:
    """A new version-7 UUID as lower-case hyphenated text, for hot paths that write text anyway."""
    return str(uuid_utils.uuid7())
