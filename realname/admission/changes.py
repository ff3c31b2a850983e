"""How other apps say "a decision may have changed": call :func:`inputs_changed` inside the transaction that
made the change. The rows it writes commit or roll back with that change."""

from __future__ import annotations

import logging
from collections.abc import Iterable

from django.db import transaction
from django.utils import timezone

from realname.admission.models import Recheck
from realname.core.bulk import insert_rows

logger = logging.getLogger(__name__)


def inputs_changed(*, worker_ids: Iterable[int], after_commit: bool = True) -> None:
    """Queue these workers (``Worker.pk``) for a new admission decision on every project they work on.

    With ``after_commit`` (the default) the queue is also worked off as soon as the transaction commits,
    so the roster and the gates see the change at once; a bulk import passes False and leaves the work to
    the worker's ``admission.refresh`` job, which also catches up whatever an after-commit run missed."""
    ids = sorted(set(worker_ids))
    if not ids:
        return
    now = timezone.now()
    insert_rows(Recheck, [{"worker_id": worker_id, "created_at": now} for worker_id in ids], now)
    if after_commit:
        transaction.on_commit(lambda: _work_off_queue(ids))


def _work_off_queue(worker_ids: list[int]) -> None:
    """These workers' rechecks, right after the commit (others — an import's — are the job's)."""
    from realname.admission.services import process_rechecks

    try:
        process_rechecks(worker_ids=worker_ids)
    except Exception:  # the queue keeps the work; the worker's job retries it
        logger.exception("admission recheck after commit failed")
