"""Two approvers at once (PostgreSQL only): the same request approved from two connections adds one event;
two first approvals on a project create one correction device between them."""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Callable
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import ValidationError
from django.db import connection, connections

from realname.accounts.models import User
from realname.attendance import corrections
from realname.attendance.models import AccessEvent, Device
from realname.attendance.models_corrections import CorrectionRequest, CorrectionStatus
from realname.testing import World
from realname.workers.models import Employment

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="needs two connections writing at once (SQLite serialises writers)",
    ),
]

TZ = ZoneInfo("Asia/Shanghai")
NOW = dt.datetime(2026, 3, 10, 12, 0, tzinfo=TZ)


def ask(world: World, worker: str, user: User) -> CorrectionRequest:
    return corrections.request_correction(
        employment=Employment.objects.get(worker=getattr(world, worker), project=world.p1),
        occurred_at=dt.datetime(2026, 3, 9, 17, 0, tzinfo=TZ),
        direction="02",
        reason="闸机故障",
        requested_by=user,
        now=NOW,
    )


def at_once(*jobs: Callable[[], Any]) -> list[Any]:
    """Run each job in its own thread (its own database connection), released together."""
    barrier = threading.Barrier(len(jobs))
    results: list[Any] = [None] * len(jobs)

    def run(index: int, job: Callable[[], Any]) -> None:
        try:
            barrier.wait(timeout=30)
            results[index] = job()
        except Exception as exc:  # noqa: BLE001 - the outcome is what the test inspects
            results[index] = exc
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(i, job)) for i, job in enumerate(jobs)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return results


def test_two_approvers_at_once_add_one_event(world: World) -> None:
    request = ask(world, "worker_b", world.bob)
    request = CorrectionRequest.objects.get(pk=request.pk)

    outcomes = at_once(
        lambda: corrections.approve_correction(correction=request, user=world.alice, now=NOW),
        lambda: corrections.approve_correction(correction=request, user=world.admin, now=NOW),
    )

    approved = [o for o in outcomes if isinstance(o, CorrectionRequest)]
    refused = [o for o in outcomes if isinstance(o, ValidationError)]
    assert len(approved) == 1 and len(refused) == 1, outcomes
    assert "已处理" in " ".join(refused[0].messages)
    assert AccessEvent.objects.filter(source="correction").count() == 1
    request.refresh_from_db()
    assert request.status == CorrectionStatus.APPROVED
    assert request.event_id == AccessEvent.objects.get(source="correction").pk


def test_two_first_approvals_on_a_project_share_one_correction_device(world: World) -> None:
    for_a = ask(world, "worker_a", world.wendy)
    for_b = ask(world, "worker_b", world.bob)

    outcomes = at_once(
        lambda: corrections.approve_correction(correction=for_a, user=world.alice, now=NOW),
        lambda: corrections.approve_correction(correction=for_b, user=world.alice, now=NOW),
    )

    assert all(isinstance(o, CorrectionRequest) for o in outcomes), outcomes
    assert Device.objects.filter(serial="BK-P1").count() == 1
    assert AccessEvent.objects.filter(source="correction").count() == 2
