"""How other apps say "a decision may have changed": call :func:`inputs_changed` inside the transaction that
made the change. The rows it writes commit or roll back with that change."""

from __future__ import annotations

from collections.abc import Iterable

from realname.admission.models import Recheck


def inputs_changed(*, worker_ids: Iterable[int]) -> None:
    """Queue these workers (``Worker.pk``) for a new admission decision on every project they work on."""
    ids = sorted(set(worker_ids))
    if ids:
        Recheck.objects.bulk_create([Recheck(worker_id=worker_id) for worker_id in ids])
