"""Two allow-list syncs for one project at once (PostgreSQL only): the gate rows' lock makes them take
turns, so no PIN / employeeNo and no command id is handed out twice."""

from __future__ import annotations

import threading
from collections import Counter

import pytest
from django.db import connection, connections, transaction

from realname.attendance import services
from realname.attendance.allowlist import AllowListChange, SyncResult, sync_allowlist
from realname.attendance.models import DeviceCommand, DeviceIdentity, DeviceKind
from realname.orgs.models import Project
from realname.testing import World
from realname.workers.models import Employment

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="needs a database two connections can write at once (SQLite serialises writers)",
    ),
]


def test_two_syncs_at_once_never_share_an_identifier_or_a_command_id(world: World) -> None:
    services.register_device(project=world.p1, kind=DeviceKind.ZKTECO, serial="ZKC1")
    services.register_device(project=world.p1, kind=DeviceKind.HIKVISION, serial="HKC1")
    a = Employment.objects.get(worker=world.worker_a, project=world.p1)
    b = Employment.objects.get(worker=world.worker_b, project=world.p1)
    barrier = threading.Barrier(2, timeout=30)
    results: list[SyncResult] = []
    errors: list[BaseException] = []

    def run(employment_id: int) -> None:
        try:
            project = Project.objects.get(pk=world.p1.pk)
            barrier.wait()
            with transaction.atomic():
                results.append(
                    sync_allowlist(project=project, changes=[AllowListChange(employment_id, True)])
                )
        except BaseException as exc:  # reported to the test thread below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(pk,)) for pk in (a.pk, b.pk)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not errors, errors
    assert [r.total for r in results] == [2, 2]
    pins = sorted(DeviceIdentity.objects.filter(ref_kind="pin").values_list("ref", flat=True))
    numbers = sorted(DeviceIdentity.objects.filter(ref_kind="employee_no").values_list("ref", flat=True))
    assert pins == ["1", "2"] and numbers == ["1", "2"]
    per_device = Counter(DeviceCommand.objects.values_list("device_id", "command_id"))
    assert sorted(per_device.values()) == [1, 1, 1, 1]
